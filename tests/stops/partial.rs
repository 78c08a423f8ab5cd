//! A row stopped between its two calls (the profile `PUT`, then the role's): its report line
//! says which fields landed, and `rollback` restores them, from this version's reports and
//! from reports written before the `landed` column.

use std::time::{Duration, Instant};

use member_sync::sandbox::SandboxConfig;
use serde_json::json;

use crate::util::*;

/// Member `id`'s job title and role, as the org shows them now.
fn title_and_role(org: &TestOrg, id: u64) -> (String, String) {
    let m = org.member(id);
    (
        m["job_title"].as_str().unwrap().to_string(),
        m["role"].as_str().unwrap().to_lowercase(),
    )
}

/// The writes sent after the first `skip` requests: (member id, whether it is the role's).
fn writes_after(org: &TestOrg, skip: usize) -> Vec<(u64, bool)> {
    org.requests_after(skip)
        .iter()
        .filter(|r| r.is("PUT"))
        .map(|r| (r.member_id().unwrap(), r.is_role_change()))
        .collect()
}

#[test]
fn a_row_stopped_between_its_calls_says_its_profile_landed_and_rollback_restores_it() {
    // The sandbox applies a write as it arrives and answers 1.5 s later: a stop sent as soon
    // as the new title shows is inside the profile call, which then has its answer within the
    // 3 s grace; the role call is never sent.
    let org = TestOrg::start(
        SandboxConfig {
            latency: latency(1500),
            ..SandboxConfig::default()
        },
        generated_seed(3),
    );
    let input = org.input(
        "promote.csv",
        &["email", "job_title", "role"],
        [vec!["person1@gen.example", "Team Lead", "admin"]],
    );
    let report = org.path("stopped.csv");
    let mut run = Running::new(org.spawn("apply", &input, &report, &["--concurrency", "1"]));
    let deadline = Instant::now() + Duration::from_secs(60);
    while title_and_role(&org, 1).0 != "Team Lead" {
        assert!(Instant::now() < deadline, "the profile write never arrived");
        std::thread::sleep(Duration::from_millis(5));
    }
    run.signal("-INT");
    let ended = run.wait_at_most(Duration::from_secs(15));

    assert_eq!(ended.code, Some(130), "stderr:\n{}", ended.stderr);
    let lines = read_report(&report);
    let line = report_row(&lines, 1);
    assert_eq!(line["outcome"], "cancelled", "{line:?}");
    // The call stopped is the role's, which never left: not "in flight".
    assert_eq!(
        line["error"],
        "the profile fields were updated, the role was not: not sent: the run was stopped"
    );
    assert_eq!(line["landed"], r#"["job_title"]"#, "{line:?}");
    assert_eq!(line["attempts"], "1");
    assert_eq!(line["http_status"], "200");
    assert_eq!(
        json_cell(line, "after"),
        json!({"job_title": "Team Lead", "role": "admin"})
    );
    assert_eq!(
        title_and_role(&org, 1),
        ("Team Lead".into(), "standard".into())
    );

    // The rollback restores the title that landed, and sends nothing for the role.
    let before = org.journal().len();
    let undo = org.run_command("rollback", &report, &[]);
    undo.assert_code(0);
    undo.assert_stderr_contains("(1 of them partly applied: only the fields that landed)");
    assert_eq!(outcome_counts(&undo.report), counts(&[("updated", 1)]));
    assert_eq!(
        title_and_role(&org, 1),
        ("Analyst".into(), "standard".into())
    );
    assert_eq!(writes_after(&org, before), [(1, false)]);
}

#[test]
fn a_report_from_before_landed_is_undone_by_its_outcome_and_error() {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(3));
    // What a run of an earlier version, stopped between member 1's calls, left behind: the
    // title changed, the role not...
    let title = org.input(
        "title.csv",
        &["email", "job_title"],
        [vec!["person1@gen.example", "Team Lead"]],
    );
    org.apply(&title, &[]).assert_code(0);
    // ...and its report: twelve columns, the row `cancelled`, its error the only record that
    // the profile landed (and wrongly calling the role call "in flight").
    let old = org.path("old-report.csv");
    let line = [
        "1",
        "person1@gen.example",
        "1",
        "cancelled",
        r#"job_title: "Analyst" -> "Team Lead"; role: "standard" -> "admin""#,
        r#"{"job_title":"Analyst","role":"standard"}"#,
        r#"{"job_title":"Team Lead","role":"admin"}"#,
        "200",
        "1",
        "the profile fields were updated, the role was not: the run was stopped while this request was in flight; it may or may not have been applied (a re-run will tell)",
        "sbx-1-000002",
        "1500",
    ];
    write_csv(&old, &REPORT_COLUMNS[..12], [line.to_vec()]);
    let before = org.journal().len();

    let undo = org.run_command("rollback", &old, &[]);

    undo.assert_code(0);
    assert_eq!(outcome_counts(&undo.report), counts(&[("updated", 1)]));
    assert_eq!(
        title_and_role(&org, 1),
        ("Analyst".into(), "standard".into())
    );
    assert_eq!(writes_after(&org, before), [(1, false)]);
}
