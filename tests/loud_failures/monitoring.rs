//! Item 9: the summary JSON tells monitoring the truth (the guard's or the error's message,
//! absolute paths, the requests really sent, whatever the end), and `plan
//! --detailed-exitcode` says whether changes are pending.

use std::path::Path;

use member_sync::sandbox::SandboxConfig;
use serde_json::Value;

use super::partly_matching;
use crate::util::*;

fn org(members: u64) -> TestOrg {
    TestOrg::start(SandboxConfig::default(), generated_seed(members))
}

fn read_summary(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("the summary JSON was written");
    serde_json::from_str(&text).expect("the summary is JSON")
}

#[test]
fn a_guard_refusal_carries_its_message_and_the_requests_made() {
    let org = org(300);
    let input = partly_matching(&org, "titles.csv", 300, 300);
    let summary = org.path("summary.json");

    let run = org.apply(
        &input,
        &[
            "--max-changes",
            "10%",
            "--summary-json",
            summary.to_str().unwrap(),
        ],
    );

    run.assert_code(4);
    let json = read_summary(&summary);
    assert_eq!(json["exit_code"], 4);
    let error = json["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with("max changes guard: the plan changes 300 members"),
        "{json:#}"
    );
    assert!(
        json["hint"]
            .as_str()
            .unwrap_or_default()
            .contains("--force"),
        "{json:#}"
    );
    // The member list was read (three pages of 100) before the guard looked at the plan.
    let sent = org.requests().len();
    assert!(sent >= 3, "{sent}");
    assert_eq!(json["requests"], sent as u64, "{json:#}");
    assert_eq!(json["outcomes"]["planned"], 300, "{json:#}");
}

#[test]
fn a_run_stopped_by_a_refused_token_counts_the_requests_it_sent() {
    let org = org(10);
    let input = partly_matching(&org, "titles.csv", 10, 10);
    let summary = org.path("summary.json");
    let report = org.fresh_report_path();
    let mut command = org.command("apply", &input, &report);
    command
        .args(["--summary-json", summary.to_str().unwrap()])
        .env("TALLYFY_ACCESS_TOKEN", "not-the-token");

    let run = Run::of(&mut command, report);

    run.assert_code(1);
    let json = read_summary(&summary);
    assert_eq!(json["exit_code"], 1);
    assert!(
        json["error"]
            .as_str()
            .unwrap_or_default()
            .contains("the access token was refused"),
        "{json:#}"
    );
    assert!(json["hint"].is_string(), "{json:#}");
    assert_eq!(json["requests"], org.requests().len() as u64, "{json:#}");
    assert_eq!(json["requests"], 1, "{json:#}");
}

#[test]
fn paths_in_the_summary_are_absolute() {
    let org = org(5);
    partly_matching(&org, "titles.csv", 5, 5);
    let dir = org.path("");
    let mut command = org.command("apply", Path::new("titles.csv"), Path::new("r.csv"));
    command
        .args(["--summary-json", "summary.json"])
        .current_dir(&dir);

    let run = Run::of(&mut command, dir.join("r.csv"));

    run.assert_code(0);
    let json = read_summary(&dir.join("summary.json"));
    let canonical = |p: &str| {
        let path = Path::new(p);
        assert!(path.is_absolute(), "{p} is not absolute:\n{json:#}");
        path.canonicalize().expect("the path exists")
    };
    assert_eq!(
        canonical(json["report"].as_str().expect("report")),
        dir.join("r.csv").canonicalize().unwrap()
    );
    assert_eq!(
        canonical(json["input"].as_str().expect("input")),
        dir.join("titles.csv").canonicalize().unwrap()
    );
}

#[test]
fn an_unmatched_apply_says_why_in_the_summary() {
    let org = org(10);
    let input = partly_matching(&org, "personal.csv", 5, 0);
    let summary = org.path("summary.json");

    org.apply(&input, &["--summary-json", summary.to_str().unwrap()])
        .assert_code(5);

    let json = read_summary(&summary);
    assert_eq!(json["exit_code"], 5);
    let error = json["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with("none of the 5 valid rows matched a member"),
        "{json:#}"
    );
    assert!(
        json["hint"]
            .as_str()
            .unwrap_or_default()
            .contains("--allow-unmatched"),
        "{json:#}"
    );
}

#[test]
fn plan_detailed_exitcode_says_when_changes_are_pending() {
    let org = org(10);
    let changes = partly_matching(&org, "changes.csv", 10, 10);
    let summary = org.path("summary.json");

    let run = org.plan(
        &changes,
        &[
            "--detailed-exitcode",
            "--summary-json",
            summary.to_str().unwrap(),
        ],
    );
    run.assert_code(6);
    assert_eq!(read_summary(&summary)["exit_code"], 6);
    // Without the flag, a plan with changes is a plain success, as before.
    org.plan(&changes, &[]).assert_code(0);

    // Nothing to change: 0.
    let same: Vec<Vec<String>> = (1..=10)
        .map(|n| vec![format!("person{n}@gen.example")])
        .collect();
    let nothing = org.input("nothing.csv", &["email"], same);
    org.plan(&nothing, &["--detailed-exitcode"]).assert_code(0);

    // Invalid rows win: 3, as without the flag.
    let mut rows: Vec<Vec<String>> = (1..=10)
        .map(|n| vec![format!("person{n}@gen.example"), format!("Title {n}")])
        .collect();
    rows.push(vec!["not-an-email".into(), "Title".into()]);
    let broken = org.input("broken.csv", &["email", "job_title"], rows);
    org.plan(&broken, &["--detailed-exitcode"]).assert_code(3);
}
