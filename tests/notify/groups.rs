//! A group write that fails (the token's user without Tallyfy's `manage_groups` permission:
//! 403) is among the lines a notification names, by its group (`group Sales`), in every shape.

use member_sync::sandbox::SandboxConfig;

use super::*;
use crate::groups::export;

/// An org whose token may not manage groups, and an export placing person 1 in Sales with an
/// invalid row before it: the group's write fails (403), exit 3.
fn run_refused_a_group_write(format: &str) -> (TestOrg, Run, Value) {
    let config = SandboxConfig {
        manage_groups: false,
        ..SandboxConfig::default()
    };
    let org = TestOrg::with_groups(config, generated_seed(3), &[("Sales", &[])]);
    let input = export(&org, &[(1, "Sales"), (2, "")]);
    let hook = webhook(200);
    let run = org.apply(
        &input,
        &[
            "--groups-from",
            "Groups",
            "--notify",
            &hook.url(HOOK_PATH),
            "--notify-format",
            format,
        ],
    );
    run.assert_code(3);
    let mut posts = posts(&hook);
    assert_eq!(posts.len(), 1, "{posts:#?}");
    (org, run, posts.remove(0))
}

#[test]
fn a_failed_group_write_is_in_the_json_by_its_group() {
    let (_org, run, body) = run_refused_a_group_write("json");

    assert_eq!(body["groups"], 1, "{body:#}");
    let rows = body["rows_to_check"].as_array().expect("rows_to_check");
    assert_eq!(rows.len(), 1, "{body:#}");
    let group = &rows[0];
    assert_eq!(group["group"], "Sales", "{group:#}");
    assert_eq!(group["row"], Value::Null);
    assert_eq!(group["line"], Value::Null);
    assert_eq!(group.get("email"), None, "a group has no email: {group:#}");
    assert_eq!(group.get("member"), None, "{group:#}");
    assert_eq!(group["outcome"], "failed");
    let line = run
        .report
        .iter()
        .find(|line| line["action"] == "group")
        .expect("the group's line");
    assert_eq!(group["why"], line["error"], "the report's reason");
    assert!(
        group["why"]
            .as_str()
            .unwrap()
            .contains("manage_groups permission"),
        "{group:#}"
    );
    // The run's last lines name it as the notification does.
    run.assert_stderr_contains(
        "warning: group Sales failed: writing the group's members: HTTP 403",
    );
}

#[test]
fn chat_shapes_name_a_failed_group_write_by_its_group() {
    let (_org, run, slack) = run_refused_a_group_write("slack");
    // The counts as the run's summary line says them: rows and groups apart.
    let counts = "2 rows and 1 group: 2 unchanged, 1 failed";
    run.assert_stderr_contains(counts);
    assert!(
        slack["text"].as_str().unwrap().contains(counts),
        "{slack:#}"
    );
    let sections: Vec<&str> = slack["blocks"].as_array().unwrap()[1..]
        .iter()
        .map(|b| b["text"]["text"].as_str().unwrap())
        .collect();
    let group = "group Sales failed: writing the group's members: HTTP 403: ";
    assert!(
        sections.iter().any(|s| s.starts_with(group)),
        "{sections:#?}"
    );

    let (_org, _run, teams) = run_refused_a_group_write("teams");
    let runs: Vec<&str> = teams["attachments"][0]["content"]["body"]
        .as_array()
        .unwrap()[1..]
        .iter()
        .map(|b| b["inlines"][0]["text"].as_str().unwrap())
        .collect();
    assert!(runs.iter().any(|r| r.starts_with(group)), "{runs:#?}");
}
