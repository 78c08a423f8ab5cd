//! Guards: each stops `apply` before its first write (exit 4, zero writes), says which guard
//! and how to override it; the lock keeps two runs of one org apart; the summary JSON.

use std::time::Duration;

use member_sync::sandbox::{SandboxConfig, Seed};
use serde_json::json;

use crate::util::*;

// The source-shrink guard's baseline: per sync, counting matched rows.
mod baseline;

/// An org of `n` members and an input giving the first `changed` of them a new title (the
/// rest unchanged), over the first `rows` members.
fn org_and_input(n: u64, rows: u64, changed: u64) -> (TestOrg, std::path::PathBuf) {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(n));
    let input = titles(&org, "input.csv", rows, changed);
    (org, input)
}

fn titles(org: &TestOrg, name: &str, rows: u64, changed: u64) -> std::path::PathBuf {
    let rows = (1..=rows).map(|id| {
        let title = if id <= changed {
            format!("Title {id}")
        } else {
            "Analyst".into()
        };
        vec![format!("person{id}@gen.example"), title]
    });
    org.input(name, &["email", "job_title"], rows)
}

fn writes(org: &TestOrg) -> usize {
    org.requests().iter().filter(|r| r.is("PUT")).count()
}

#[test]
fn too_many_changes_stop_before_the_first_write() {
    let (org, input) = org_and_input(300, 300, 40);

    let run = org.apply(&input, &["--max-changes", "10%"]);

    run.assert_code(4);
    run.assert_stderr_contains(
        "max changes guard: the plan changes 40 members, more than the 30 allowed",
    );
    run.assert_stderr_contains("--max-changes 40 or --force");
    assert_eq!(writes(&org), 0);
    assert_eq!(
        outcome_counts(&run.report),
        counts(&[("planned", 40), ("unchanged", 260)])
    );

    // Either override lets it through.
    org.apply(&input, &["--max-changes", "40"]).assert_code(0);
    assert_eq!(writes(&org), 40);
}

#[test]
fn the_floor_lets_small_orgs_make_ordinary_changes() {
    // 20 of 60 is a third of the org, but under the floor of 25.
    let (org, input) = org_and_input(60, 60, 20);
    org.apply(&input, &["--max-changes", "10%"]).assert_code(0);
    let (org, input) = org_and_input(60, 60, 26);
    org.apply(&input, &["--max-changes", "10%"]).assert_code(4);
    org.apply(&input, &["--max-changes", "10%", "--force"])
        .assert_code(0);
}

#[test]
fn a_shrunken_export_is_refused_until_forced() {
    let (org, full) = org_and_input(100, 100, 0);
    org.apply(&full, &[]).assert_code(0);
    // The next night's export at the same path has lost 60 people.
    let truncated = titles(&org, "input.csv", 40, 5);

    let run = org.apply(&truncated, &[]);

    run.assert_code(4);
    run.assert_stderr_contains(
        "source shrink guard: 40 rows of the input match a member, under 50% of the 100 that matched",
    );
    assert_eq!(writes(&org), 0);
    org.apply(&truncated, &["--shrink-limit", "30%"])
        .assert_code(0);
    assert_eq!(writes(&org), 5);
}

#[test]
fn an_empty_export_is_always_refused() {
    let (org, _) = org_and_input(10, 10, 0);
    let empty = org.input(
        "empty.csv",
        &["email", "job_title"],
        Vec::<Vec<String>>::new(),
    );
    for (command, extra) in [("plan", &[][..]), ("apply", &["--force"][..])] {
        let run = org.run_command(command, &empty, extra);
        run.assert_code(4);
        run.assert_stderr_contains("empty input guard: the input has no data rows");
    }
    assert!(
        org.requests().is_empty(),
        "not even the member list is read"
    );
}

#[test]
fn the_last_admin_is_never_demoted() {
    let members: Vec<_> = (1..=3u64)
        .map(|id| {
            json!({"id": id, "email": format!("a{id}@x.example"), "first_name": "A", "last_name": "B",
                   "timezone": "UTC", "role": if id <= 2 { "admin" } else { "standard" }})
        })
        .collect();
    let seed = Seed::from_json(&json!({ "members": members }).to_string()).unwrap();
    let org = TestOrg::start(SandboxConfig::default(), seed);
    let rows = [1, 2].map(|id| vec![format!("a{id}@x.example"), "standard".to_string()]);
    let input = org.input("demote.csv", &["email", "role"], rows);

    let run = org.apply(&input, &["--force"]);

    run.assert_code(4);
    run.assert_stderr_contains("last admin guard: the plan demotes every administrator");
    assert_eq!(writes(&org), 0);
}

#[test]
fn excluded_members_are_never_changed() {
    let (org, input) = org_and_input(30, 30, 30);

    let run = org.apply(
        &input,
        &[
            "--exclude",
            "person1?@gen.example",
            "--exclude",
            "PERSON2@gen.example",
        ],
    );

    run.assert_code(0);
    let excluded: Vec<usize> = run
        .report
        .iter()
        .filter(|r| r["outcome"] == "excluded")
        .map(|r| r["row"].parse().unwrap())
        .collect();
    let mut excluded = excluded;
    excluded.sort_unstable();
    assert_eq!(excluded, [2, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    let line = report_row(&run.report, 2);
    assert!(
        line["error"].contains("--exclude PERSON2@gen.example"),
        "{line:?}"
    );
    assert!(line["changes"].contains("Title 2"), "{line:?}");
    let touched: Vec<u64> = org
        .requests()
        .iter()
        .filter_map(|r| r.member_id())
        .collect();
    assert!(!touched.contains(&2) && !touched.contains(&15));
    assert_eq!(touched.len(), 30 - 11);
}

#[test]
fn a_second_run_of_the_same_org_waits_its_turn() {
    let org = TestOrg::start(
        SandboxConfig {
            latency: Duration::from_millis(100),
            ..SandboxConfig::default()
        },
        generated_seed(60),
    );
    let input = titles(&org, "input.csv", 60, 60);
    let first_report = org.path("first.csv");
    let mut first = org.spawn(
        "apply",
        &input,
        &first_report,
        &["--rate", "20/s", "--concurrency", "1"],
    );
    // Wait until the first run is past its lock and writing.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while org.requests().iter().filter(|r| r.is("PUT")).count() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the first run never started writing"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    let second = org.apply(&input, &[]);

    second.assert_code(1);
    second
        .assert_stderr_contains("another member-sync run is applying changes to this organization");
    second.assert_stderr_contains(&format!("pid {}", first.id()));
    assert!(second.report.is_empty(), "the second run wrote no report");
    let _ = first.kill();
    let _ = first.wait();
    // The killed run's lock is stale: the next run takes it over, with a warning.
    let third = org.apply(&input, &["--max-changes", "100%"]);
    third.assert_code(0);
    third.assert_stderr_contains("took over the lock of a run that is gone");
}

#[test]
fn the_summary_json_is_written_for_monitoring() {
    let (org, input) = org_and_input(10, 10, 3);
    let path = org.path("summary.json");
    let run = org.apply(&input, &["--summary-json", path.to_str().unwrap()]);
    run.assert_code(0);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(summary["command"], "apply");
    assert_eq!(summary["org"], org.org_id());
    assert_eq!(summary["exit_code"], 0);
    assert_eq!(summary["rows"], 10);
    assert_eq!(summary["outcomes"], json!({"updated": 3, "unchanged": 7}));
    assert_eq!(summary["requests"], 4);
    assert_eq!(summary["report"], run.report_path.display().to_string());
    assert!(summary["duration_ms"].is_u64());

    // A run that cannot proceed still says so.
    let missing = org.path("missing.csv");
    let failed = org.apply(&missing, &["--summary-json", path.to_str().unwrap()]);
    failed.assert_code(1);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(summary["exit_code"], 1);
    assert!(summary["error"].as_str().unwrap().contains("missing.csv"));
}

#[test]
fn only_rows_from_runs_again_just_the_rows_that_did_not_finish() {
    // First night: members 3 and 7 cannot be saved (503 every time).
    let flaky = TestOrg::start(
        SandboxConfig {
            faults: member_sync::sandbox::Faults {
                refuse: [(3, 503), (7, 503)].into(),
                ..Default::default()
            },
            ..SandboxConfig::default()
        },
        generated_seed(10),
    );
    let input = titles(&flaky, "input.csv", 10, 10);
    let first = flaky.apply(&input, &["--max-retries", "0"]);
    first.assert_code(3);
    assert_eq!(
        outcome_counts(&first.report),
        counts(&[("updated", 8), ("failed", 2)])
    );

    // The repair run, against a healthy API: only rows 3 and 7 are planned and sent.
    let healthy = TestOrg::start(SandboxConfig::default(), generated_seed(10));
    let first_report = first.report_path.to_str().unwrap();
    let repair = healthy.apply(&input, &["--only-rows-from", first_report]);
    repair.assert_code(0);
    assert_eq!(row_numbers(&repair.report), [3, 7]);
    let sent: Vec<u64> = healthy
        .requests()
        .iter()
        .filter(|r| r.is("PUT"))
        .filter_map(|r| r.member_id())
        .collect();
    assert_eq!(sent.len(), 2);
    assert!(sent.contains(&3) && sent.contains(&7));
    repair.assert_stderr_contains("running again 2 rows");

    // Asking for outcomes no row has is a no-op.
    let none = healthy.apply(
        &input,
        &["--only-rows-from", first_report, "--outcomes", "cancelled"],
    );
    none.assert_code(0);
    none.assert_stderr_contains("nothing to run again");

    // A report of another export is refused, not half-applied.
    let reversed: Vec<Vec<String>> = (1..=10u64)
        .rev()
        .map(|id| vec![format!("person{id}@gen.example"), format!("Title {id}")])
        .collect();
    let other = healthy.input("other.csv", &["email", "job_title"], reversed);
    let refused = healthy.apply(&other, &["--only-rows-from", first_report]);
    refused.assert_code(1);
    refused.assert_stderr_contains("does not come from this input: row 3 is person3@gen.example there but person8@gen.example here");
}

#[test]
fn the_token_owners_role_is_never_changed() {
    let (org, _) = org_and_input(5, 5, 0);
    let rows = [(1, "light", "Owner"), (2, "light", "Other")].map(|(id, role, title)| {
        vec![
            format!("person{id}@gen.example"),
            role.to_string(),
            title.to_string(),
        ]
    });
    let input = org.input("roles.csv", &["email", "role", "job_title"], rows);

    let run = org.apply(&input, &["--token-owner", "PERSON1@gen.example"]);

    run.assert_code(0);
    let owner = report_row(&run.report, 1);
    assert_eq!(owner["outcome"], "excluded");
    assert!(
        owner["error"].contains("the role of the token's own account"),
        "{owner:?}"
    );
    assert_eq!(report_row(&run.report, 2)["outcome"], "updated");
    assert!(
        org.requests()
            .iter()
            .all(|r| r.member_id() != Some(1) || !r.is("PUT"))
    );
}
