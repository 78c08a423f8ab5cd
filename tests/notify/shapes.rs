//! `--notify-format slack|teams`: the shapes their incoming webhooks accept, member data only
//! where the receiver shows it as text.

use serde_json::Value;

use super::*;

fn notified(format: &str) -> Value {
    let org = org();
    let hook = webhook(200);
    let input = input_with_an_invalid_row(&org);
    org.apply(
        &input,
        &["--notify", &hook.url(HOOK_PATH), "--notify-format", format],
    )
    .assert_code(3);
    let mut posts = posts(&hook);
    assert_eq!(posts.len(), 1);
    posts.remove(0)
}

const TITLE: &str = "member-sync apply: rows need attention (exit 3)";
const ROW: &str = "row 3 (line 4, not-an-email) invalid: ";

#[test]
fn slack_gets_text_and_plain_text_blocks() {
    let body = notified("slack");

    let text = body["text"].as_str().expect("text");
    assert!(text.starts_with(TITLE), "{text}");
    assert!(text.contains("3 rows: 2 updated, 1 invalid"), "{text}");
    let blocks = body["blocks"].as_array().expect("blocks");
    assert_eq!(blocks[0]["type"], "header");
    assert_eq!(blocks[0]["text"]["text"], TITLE);
    for block in blocks {
        assert_eq!(block["text"]["type"], "plain_text", "{block}");
    }
    let sections: Vec<&str> = blocks[1..]
        .iter()
        .map(|b| {
            assert_eq!(b["type"], "section");
            b["text"]["text"].as_str().unwrap()
        })
        .collect();
    assert!(sections[0].contains("report: /"), "{sections:?}");
    assert!(sections[1].starts_with(ROW), "{sections:?}");
}

#[test]
fn teams_gets_an_adaptive_card_with_member_data_in_text_runs() {
    let body = notified("teams");

    assert_eq!(body["type"], "message");
    let attachment = &body["attachments"][0];
    assert_eq!(
        attachment["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    let card = &attachment["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(card["version"], "1.2");
    let blocks = card["body"].as_array().expect("body");
    assert_eq!(blocks[0]["type"], "TextBlock");
    assert_eq!(blocks[0]["text"], TITLE);
    assert_eq!(blocks[0]["color"], "Attention");
    let runs: Vec<&str> = blocks[1..]
        .iter()
        .map(|b| {
            assert_eq!(b["type"], "RichTextBlock", "{b}");
            assert_eq!(b["inlines"][0]["type"], "TextRun");
            b["inlines"][0]["text"].as_str().unwrap()
        })
        .collect();
    assert!(runs.iter().any(|r| r.starts_with(ROW)), "{runs:?}");
    assert!(runs.iter().any(|r| r.starts_with("report: /")), "{runs:?}");
}
