use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use super::lines::Sections;
use super::page::{SCRIPT, STYLE, policy, render};
use super::*;

/// A report file of these lines under this header.
fn report(dir: &Path, header: &[&str], lines: &[Vec<String>]) -> PathBuf {
    let path = dir.join("r.csv");
    let mut writer = csv::Writer::from_path(&path).unwrap();
    writer.write_record(header).unwrap();
    for line in lines {
        writer.write_record(line).unwrap();
    }
    writer.flush().unwrap();
    path
}

fn facts(report: &Path) -> RunFacts<'_> {
    let now = jiff::ZonedDateTime::now();
    RunFacts {
        command: "apply",
        org: Some("acme"),
        started: now.clone(),
        finished: now,
        duration: Duration::from_secs(3),
        counts: None,
        members: 0,
        groups: 0,
        not_in_report: 0,
        stats: StatsSnapshot::default(),
        pace: None,
        exit_code: 0,
        error: None,
        hint: None,
        report,
    }
}

const WITH_ACTION: [&str; 8] = [
    "row", "email", "user_id", "outcome", "before", "after", "error", "action",
];

fn line(cells: [&str; 8]) -> Vec<String> {
    cells.map(str::to_string).to_vec()
}

#[test]
fn the_policy_names_the_pages_own_style_and_script_and_nothing_else() {
    let policy = policy();
    assert!(
        policy.starts_with("default-src 'none'; script-src 'sha256-"),
        "{policy}"
    );
    assert!(!policy.contains("unsafe"), "{policy}");
    // The hashes are of the text between the tags, as the browser computes them.
    let page = render(&facts(Path::new("r.csv")), &Sections::default());
    assert!(page.contains(&format!("<script>{SCRIPT}</script>")));
    assert!(page.contains(&format!("<style>{STYLE}</style>")));
    for text in [SCRIPT, STYLE] {
        assert!(!text.contains("</"), "the element would end early");
        assert!(!text.contains("url(") && !text.contains("@import") && !text.contains("http"));
    }
}

#[test]
fn actions_and_lines_without_a_row_are_shown_by_the_reports_own_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = report(
        dir.path(),
        &WITH_ACTION,
        &[
            line([
                "2",
                "b@x",
                "12",
                "updated",
                r#"{"team":"A"}"#,
                r#"{"team":"B"}"#,
                "",
                "update",
            ]),
            line(["", "gone@x", "40", "updated", "{}", "{}", "", "disable"]),
            line([
                "1",
                "a@x",
                "11",
                "planned",
                r#"{"team":null}"#,
                r#"{"team":"C"}"#,
                "",
                "enable+update",
            ]),
            line([
                "", "left@x", "41", "failed", "{}", "{}", "HTTP 500", "disable",
            ]),
            line(["3", "c@x", "13", "archived", "", "", "", ""]),
        ],
    );
    let sections = Sections::read(&path).unwrap();
    assert!(sections.has_action);
    assert_eq!(sections.changed, 3);
    let disable = &sections.by_action["disable"];
    assert_eq!(disable.total, 1);
    assert_eq!(disable.listed()[0].row, None);
    assert_eq!(sections.by_action["enable+update"].listed()[0].email, "a@x");
    assert!(!sections.by_action.contains_key("update"));
    // The team changes, by row: row 1 before row 2.
    let team: Vec<_> = sections.by_field["team"].listed();
    assert_eq!((team[0].row, team[0].before.as_deref()), (Some(1), None));
    assert_eq!(team[1].after.as_deref(), Some("B"));
    // A failure without a row, and an outcome this version does not know.
    assert_eq!(sections.by_outcome["failed"].listed()[0].action, "disable");
    assert_eq!(sections.by_outcome["archived"].total, 1);

    let page = render(&facts(&path), &sections);
    assert!(page.contains("<h3>action: disable (1)</h3>"), "{page}");
    assert!(page.contains("<td class=\"num\">—</td><td>left@x</td><td>41</td><td>disable</td>"));
    assert!(page.contains("<summary>archived (1)</summary>"));
    assert!(page.contains("<span class=\"swatch o-other\"></span>1 archived</li>"));
}

#[test]
fn a_report_without_an_action_column_shows_none() {
    let dir = tempfile::tempdir().unwrap();
    let header = &WITH_ACTION[..7];
    let path = report(
        dir.path(),
        header,
        &[line(["1", "a@x", "11", "failed", "{}", "{}", "HTTP 403", ""])[..7].to_vec()],
    );
    let sections = Sections::read(&path).unwrap();
    assert!(!sections.has_action);
    let page = render(&facts(&path), &sections);
    assert!(!page.contains("<th>action</th>"), "{page}");
    assert!(page.contains("<td>HTTP 403</td>"));
}

#[test]
fn the_run_counts_are_the_headline_even_when_the_report_lost_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = report(
        dir.path(),
        &WITH_ACTION,
        &[line([
            "1", "a@x", "11", "updated", "{}", "{}", "", "update",
        ])],
    );
    let sections = Sections::read(&path).unwrap();
    let facts = RunFacts {
        counts: Some(BTreeMap::from([
            ("updated".to_string(), 3),
            ("cancelled".to_string(), 5),
        ])),
        not_in_report: 7,
        ..facts(&path)
    };
    let page = render(&facts, &sections);
    assert!(page.contains("3 updated</li>") && page.contains("5 cancelled</li>"));
    assert!(page.contains("7 rows are counted here but are not in the report"));
}

/// 100,000 rows make a page of a few megabytes: each table lists its first 1,000.
#[test]
fn a_hundred_thousand_rows_make_a_page_of_bounded_size() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.csv");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(file, "row,email,user_id,outcome,changes,before,after,error").unwrap();
    for row in 1..=100_000 {
        let (outcome, before, after, error) = match row % 4 {
            0 => (
                "updated",
                r#"{""job_title"":""A""}"#,
                r#"{""job_title"":""B""}"#,
                "",
            ),
            1 => ("unchanged", "", "", ""),
            2 => (
                "failed",
                "",
                "",
                "HTTP 500: a long reason that repeats itself for a while",
            ),
            _ => (
                "not_found",
                "",
                "",
                "no member of the organization has this key",
            ),
        };
        let changes = if before.is_empty() {
            ""
        } else {
            r#"job_title: ""A"" -> ""B"""#
        };
        writeln!(
            file,
            "{row},person{row}@example.com,{row},{outcome},\"{changes}\",\"{before}\",\"{after}\",{error}"
        )
        .unwrap();
    }
    file.flush().unwrap();
    drop(file);

    let started = std::time::Instant::now();
    let sections = Sections::read(&path).unwrap();
    let page = render(&facts(&path), &sections);
    eprintln!(
        "100,000 rows: {} bytes of page in {:?}",
        page.len(),
        started.elapsed()
    );
    assert_eq!(sections.by_field["job_title"].total, 25_000);
    assert_eq!(sections.by_field["job_title"].listed().len(), ROWS_LISTED);
    assert!(page.contains("24000 more rows are not listed here"));
    assert_eq!(page.matches("<tr>").count(), 4 * (ROWS_LISTED + 1));
    assert!(page.len() < 2_000_000, "{} bytes", page.len());
}

#[test]
fn without_the_runs_counts_groups_and_members_are_counted_apart_from_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let group = |action: &str| {
        line([
            "",
            "",
            "",
            "planned",
            r#"{"members":[1]}"#,
            r#"{"members":[1,2]}"#,
            "",
            action,
        ])
    };
    let path = report(
        dir.path(),
        &WITH_ACTION,
        &[
            line(["1", "a@x", "1", "unchanged", "", "", "", ""]),
            line(["2", "b@x", "2", "unchanged", "", "", "", ""]),
            line(["", "c@x", "3", "planned", "{}", "{}", "", "disable"]),
            group("group"),
            group("create_group+group"),
        ],
    );
    let mut sections = Sections::read(&path).unwrap();
    sections.name_members(&path).unwrap();
    let page = render(&facts(&path), &sections);
    assert!(
        page.contains(
            "<dt>rows</dt><dd>2</dd><dt>members without a row</dt><dd>1</dd><dt>groups</dt><dd>2</dd>"
        ),
        "{page}"
    );
    assert!(
        page.contains("<td>b@x</td><td></td><td class=\"num\">1 → 2</td>"),
        "{page}"
    );
    assert!(page.contains("<td>create_group+group</td>"), "{page}");
}
