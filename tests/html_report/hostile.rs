//! Member data is attacker-controlled: anyone can set their own job title in Tallyfy, and an HR
//! export carries what people typed. Every such value must be text in the page, never markup
//! or script: values from the organization (`before`), from the input (`after`, invalid cells,
//! errors), in every section of the page.

use serde_json::json;

use super::*;

/// Values that become markup, script or misleading text where they are not escaped; each
/// would set the page's title to `pwned` if it ran.
pub(super) const HOSTILE: [&str; 6] = [
    "</td><script>document.title='pwned'</script>",
    "\"><img src=x onerror=\"document.title='pwned'\">",
    "javascript:document.title='pwned'",
    "{{constructor.constructor('document.title=1')()}} ${7*7} <%= 7*7 %>",
    "Admin\u{202e}nimdA\u{2066} (looks reversed)",
    "<svg onload=\"document.title='pwned'\"></svg>&lt;b&gt;",
];

/// An org whose members hold hostile titles already (ids 8..=13), and an input that sets
/// hostile values on the others, plus invalid rows whose cells are hostile.
pub(super) fn hostile_run(org: &TestOrg) -> PathBuf {
    let mut rows: Vec<Vec<String>> = HOSTILE
        .iter()
        .enumerate()
        .map(|(i, value)| vec![format!("person{}@gen.example", i + 1), value.to_string()])
        .collect();
    // The members holding hostile titles are set back to plain ones: hostile `before` values.
    rows.extend((8..=13).map(|id| vec![format!("held{id}@gen.example"), "Analyst".into()]));
    // Invalid rows: the cells as written are in their errors.
    rows.push(vec![
        "<script>document.title='pwned'</script>@x.example".into(),
        "A".into(),
    ]);
    rows.push(vec!["ann\u{202e}@x.example".into(), "A".into()]);
    org.input("hostile.csv", &["email", "job_title"], rows)
}

/// Members 8..=13 hold the hostile titles.
pub(super) fn members_with_hostile_titles() -> Vec<serde_json::Value> {
    HOSTILE
        .iter()
        .enumerate()
        .map(|(i, title)| {
            let id = 8 + i as u64;
            json!({
                "id": id, "email": format!("held{id}@gen.example"), "job_title": title,
                "first_name": "Held", "last_name": format!("Member{id}"),
            })
        })
        .collect()
}

/// Each tag of the page, as written (`<td class="x">`).
pub(super) fn tags(page: &str) -> Vec<&str> {
    page.match_indices('<')
        .map(|(start, _)| {
            let end = page[start..]
                .find('>')
                .map_or(page.len(), |e| start + e + 1);
            &page[start..end]
        })
        .collect()
}

#[test]
fn hostile_values_are_text_in_the_page() {
    let org = org_with_a_bot(members_with_hostile_titles());
    let input = hostile_run(&org);
    let html = org.path("hostile.html");
    let run = org.plan(&input, &["--html", html.to_str().unwrap()]);
    run.assert_code(3);
    let page = page(&html);

    // One script, the page's own; no tag from data, no event handler, no link or image.
    let tags = tags(&page);
    let scripts: Vec<&&str> = tags
        .iter()
        .filter(|t| t.to_ascii_lowercase().starts_with("<script"))
        .collect();
    assert_eq!(scripts, [&"<script>"], "{page}");
    for tag in &tags {
        let lower = tag.to_ascii_lowercase();
        assert!(
            !lower.starts_with("<img")
                && !lower.starts_with("<iframe")
                && !lower.starts_with("<a "),
            "{tag}"
        );
        let attributes = lower.split_whitespace().skip(1);
        for attribute in attributes {
            assert!(!attribute.starts_with("on"), "an event handler: {tag}");
            assert!(
                !attribute.starts_with("href") && !attribute.starts_with("src"),
                "a link: {tag}"
            );
        }
    }
    // Only the page's own <svg> (the bar); the data's is text.
    assert_eq!(tags.iter().filter(|t| t.starts_with("<svg")).count(), 1);

    // Each value is there, escaped, in the changes (after: rows 1..=6, before: 8..=13).
    for value in HOSTILE {
        let shown = value
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\u{202e}', "\\u{202e}")
            .replace('\u{2066}', "\\u{2066}");
        let after = format!("<td class=\"arrow\">→</td><td>{shown}</td>");
        let before = format!("<td>{shown}</td><td class=\"arrow\">→</td>");
        at(&page, &after);
        at(&page, &before);
    }
    // Invalid rows' cells: in the failures, escaped.
    at(
        &page,
        "&lt;script&gt;document.title='pwned'&lt;/script&gt;@x.example",
    );
    at(&page, "ann\\u{202e}@x.example");
    // No direction-changing character reaches the page: each is shown as its escape.
    for bidi in ['\u{202e}', '\u{2066}'] {
        assert!(!page.contains(bidi), "U+{:04X} in the page", bidi as u32);
    }
    // Template-looking text is left as it is: nothing expands it.
    at(&page, "{{constructor.constructor(");
    at(&page, "${7*7} &lt;%= 7*7 %&gt;");
}
