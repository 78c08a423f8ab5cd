//! The source-shrink guard's baseline (issue #17, item 8): it belongs to the sync (a profile
//! and an input path, or `--sync-name`), not to the organization, and it counts the rows that
//! matched a member. A test file or a one-off correction never moves the nightly job's
//! baseline, and a nightly file whose rows stop matching is stopped.

use std::path::PathBuf;

use member_sync::sandbox::SandboxConfig;
use serde_json::json;

use crate::util::*;

/// A generated org of 100 members, all titled "Analyst".
fn org() -> TestOrg {
    TestOrg::start(SandboxConfig::default(), generated_seed(100))
}

/// `name` with one row per member id in `ids`, each given `title`.
fn titles(org: &TestOrg, name: &str, ids: impl IntoIterator<Item = u64>, title: &str) -> PathBuf {
    let rows = ids
        .into_iter()
        .map(|id| vec![format!("person{id}@gen.example"), title.to_string()]);
    org.input(name, &["email", "job_title"], rows)
}

fn writes(org: &TestOrg) -> usize {
    org.requests().iter().filter(|r| r.is("PUT")).count()
}

#[test]
fn test_files_and_corrections_never_move_the_nightly_jobs_baseline() {
    let org = org();
    // The nightly job: 44 people.
    let nightly = titles(&org, "nightly.csv", 1..=44, "Analyst");
    org.apply(&nightly, &[]).assert_code(0);
    // Someone tries a 97-row file (nothing to change in it).
    let trial = titles(&org, "trial.csv", 1..=97, "Analyst");
    org.apply(&trial, &[]).assert_code(0);
    // And a one-off correction of three people.
    let correction = titles(&org, "correction.csv", 1..=3, "Lead");
    org.apply(&correction, &[]).assert_code(0);

    // The next night, the job runs as always.
    let nightly = titles(&org, "nightly.csv", 1..=44, "Analyst");
    let run = org.apply(&nightly, &[]);

    run.assert_code(0);
    assert_eq!(
        writes(&org),
        3 + 3,
        "the correction, then undone by the nightly file"
    );
}

#[test]
fn the_baseline_counts_rows_that_matched_a_member() {
    let org = org();
    let nightly = titles(&org, "people.csv", 1..=100, "Analyst");
    org.apply(&nightly, &[]).assert_code(0);
    // The same number of rows, but 60 of them no longer match anyone (a key column that
    // changed its format, a filter gone wrong).
    let rows = (1..=100u64).map(|id| {
        let email = if id <= 40 {
            format!("person{id}@gen.example")
        } else {
            format!("person{id}@old-domain.example")
        };
        vec![email, "Manager".to_string()]
    });
    let nightly = org.input("people.csv", &["email", "job_title"], rows);

    let run = org.apply(&nightly, &[]);

    run.assert_code(4);
    run.assert_stderr_contains(&format!(
        "source shrink guard: 40 rows of the input match a member, under 50% of the 100 that matched in the last complete run of this sync (input {}); nothing was written",
        nightly.display()
    ));
    run.assert_stderr_contains("hint: if the directory really shrank, pass --force or a lower --shrink-limit; to run a partial file (a correction, a test) under this sync, pass --shrink-limit 0, or give it its own --sync-name");
    assert_eq!(writes(&org), 0);
}

#[test]
fn a_sync_name_keeps_one_baseline_whatever_the_file_is_called() {
    let org = org();
    let monday = titles(&org, "people-20261123.csv", 1..=100, "Analyst");
    org.apply(&monday, &["--sync-name", "nightly"])
        .assert_code(0);
    let tuesday = titles(&org, "people-20261124.csv", 1..=40, "Lead");

    let run = org.apply(&tuesday, &["--sync-name", "nightly"]);

    run.assert_code(4);
    run.assert_stderr_contains(
        "40 rows of the input match a member, under 50% of the 100 that matched in the last complete run of this sync (sync name nightly)",
    );
    assert_eq!(writes(&org), 0);
    // The same name from a profile of the configuration file.
    let config = org.path("member-sync.toml");
    std::fs::write(&config, "[profile.acme]\nsync_name = \"nightly\"\n").unwrap();
    let config = config.to_str().unwrap();
    org.apply(&tuesday, &["--config", config, "--profile", "acme"])
        .assert_code(4);
    // The way through for a file that is partial on purpose.
    org.apply(&tuesday, &["--sync-name", "nightly", "--shrink-limit", "0"])
        .assert_code(0);
    assert_eq!(writes(&org), 40);
}

#[test]
fn the_last_run_file_of_earlier_versions_is_ignored() {
    let org = org();
    // What earlier versions kept: the size of the last apply of any file to the organization.
    let orgs = org.path("state").join("orgs");
    std::fs::create_dir_all(&orgs).unwrap();
    let old = json!({"rows": 697, "finished_at": "2026-11-23T02:15:40Z", "report": "r.csv"});
    let old_file = orgs.join(format!("{}.last-run.json", org.org_id()));
    std::fs::write(&old_file, old.to_string()).unwrap();
    let nightly = titles(&org, "nightly.csv", 1..=44, "Lead");

    org.apply(&nightly, &[]).assert_code(0);

    assert_eq!(writes(&org), 44);
    let kept: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&old_file).unwrap()).unwrap();
    assert_eq!(kept, old, "left as it was");
}

#[test]
fn repair_runs_and_saved_plans_are_not_held_to_the_whole_files_size() {
    let flaky = TestOrg::start(
        SandboxConfig {
            faults: member_sync::sandbox::Faults {
                refuse: [(3, 503), (7, 503)].into(),
                ..Default::default()
            },
            ..SandboxConfig::default()
        },
        generated_seed(100),
    );
    let nightly = titles(&flaky, "people.csv", 1..=100, "Lead");
    let first = flaky.apply(&nightly, &["--max-retries", "0"]);
    first.assert_code(3);

    // Two rows run again: still failing (the fault stays), but not refused by the guard.
    let report = first.report_path.to_str().unwrap();
    let repair = flaky.apply(
        &nightly,
        &["--only-rows-from", report, "--max-retries", "0"],
    );
    repair.assert_code(3);
    assert_eq!(row_numbers(&repair.report), [3, 7]);

    // A saved plan of five changes, made from a five-row file, applied under the same state.
    let five = titles(&flaky, "five.csv", 11..=15, "Director");
    let plan = flaky.path("plan.json");
    flaky
        .plan(&five, &["--out", plan.to_str().unwrap()])
        .assert_code(0);
    let report = flaky.fresh_report_path();
    let mut command = member_sync();
    command
        .args(["apply", "--plan", plan.to_str().unwrap(), "--yes"])
        .args(["--rate", "1000/s", "--base-url", &flaky.base_url()])
        .args(["--org", flaky.org_id(), "--report"])
        .arg(&report)
        .env("TALLYFY_ACCESS_TOKEN", flaky.token())
        .env("MEMBER_SYNC_STATE_DIR", flaky.path("state"));
    Run::of(&mut command, report).assert_code(0);
    assert_eq!(flaky.member(13)["job_title"], "Director");
}
