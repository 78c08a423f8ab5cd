//! SIGTERM, SIGHUP and a second signal, sent to the real binary mid-run.

use std::collections::BTreeMap;
use std::time::Duration;

use member_sync::sandbox::SandboxConfig;

use super::{start_against, stuck_writes, wait_for_writes};
use crate::reliability::Directory;
use crate::util::*;

/// The run winds down, then exits: requests in flight get 3 s, the rest is quick.
const WIND_DOWN: Duration = Duration::from_secs(10);

/// 300 members, three in four changing, answers taking 50 ms, 40 requests a second: the run is
/// still writing when the signal comes.
fn slow_directory() -> Directory {
    Directory::new(
        300,
        SandboxConfig {
            latency: Duration::from_millis(50),
            ..SandboxConfig::default()
        },
    )
}

#[test]
fn sigterm_winds_the_run_down_with_the_report_the_summary_and_the_lock_released() {
    let dir = slow_directory();
    let report = dir.org.path("terminated.csv");
    let summary = dir.org.path("summary.json");
    let extra = ["--rate", "40/s", "--concurrency", "4"];
    let summary_flag = ["--summary-json", summary.to_str().unwrap()];
    let mut run = Running::new(dir.org.spawn(
        "apply",
        &dir.input,
        &report,
        &[&extra[..], &summary_flag[..]].concat(),
    ));
    // The unchanged, invalid and unknown rows come first (75 + 5), then the writes.
    wait_for_lines(&report, 110);
    run.signal("-TERM");
    let ended = run.wait_at_most(WIND_DOWN);

    assert_eq!(
        ended.code,
        Some(143),
        "exit code; stderr:\n{}",
        ended.stderr
    );
    assert!(
        ended.stderr.contains(
            "SIGTERM received: finishing requests in flight and writing the report (a second signal quits now)"
        ),
        "{}",
        ended.stderr
    );
    assert!(
        ended
            .stderr
            .contains("stopped by SIGTERM; rows not done are `cancelled` in"),
        "{}",
        ended.stderr
    );
    // Every row is in the report once, and each tells the truth.
    let lines = read_report(&report);
    assert_eq!(row_numbers(&lines), (1..=dir.rows).collect::<Vec<_>>());
    let counted = outcome_counts(&lines);
    assert!(
        counted.get("cancelled").copied().unwrap_or(0) > 0,
        "{counted:?}"
    );
    assert!(
        counted.get("updated").copied().unwrap_or(0) > 0,
        "{counted:?}"
    );
    let diverging = dir.diverging();
    for line in lines.iter().filter(|l| l["outcome"] == "updated") {
        let id: u64 = line["user_id"].parse().unwrap();
        assert!(!diverging.contains(&id), "{line:?}");
    }
    // The summary JSON is written, with the signal's code and the report's counts.
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).expect("summary written"))
            .expect("summary is JSON");
    assert_eq!(written["exit_code"], 143, "{written}");
    assert_eq!(written["rows"], dir.rows, "{written}");
    let outcomes: BTreeMap<String, usize> =
        serde_json::from_value(written["outcomes"].clone()).expect("outcome counts");
    let outcomes: BTreeMap<String, usize> = outcomes.into_iter().filter(|(_, n)| *n > 0).collect();
    assert_eq!(outcomes, counted, "{written}");
    assert!(
        written["report"]
            .as_str()
            .unwrap()
            .ends_with("terminated.csv"),
        "{written}"
    );
    // The lock went with the run: the next apply starts at once, takes over nothing, and
    // finishes the job.
    let again = dir.org.apply(&dir.input, &[]);
    again.assert_code(3); // the invalid rows
    assert!(!again.stderr.contains("took over"), "{}", again.stderr);
    assert_eq!(dir.diverging(), Vec::<u64>::new());
}

#[test]
fn sighup_winds_the_run_down_and_exits_129() {
    let server = stuck_writes(6);
    let dir = tempfile::tempdir().unwrap();
    let (mut run, report) = start_against(&server, dir.path(), 6, &[]);
    wait_for_writes(&server, 2);
    run.signal("-HUP");
    let ended = run.wait_at_most(WIND_DOWN);

    assert_eq!(
        ended.code,
        Some(129),
        "exit code; stderr:\n{}",
        ended.stderr
    );
    assert!(
        ended
            .stderr
            .contains("SIGHUP received: finishing requests in flight"),
        "{}",
        ended.stderr
    );
    let lines = read_report(&report);
    assert_eq!(row_numbers(&lines), (1..=6).collect::<Vec<_>>());
    assert_eq!(outcome_counts(&lines), counts(&[("cancelled", 6)]));
    // The two writes on the wire were cut off after their grace; the others never left.
    let in_flight: Vec<&ReportRow> = lines.iter().filter(|l| l["attempts"] == "1").collect();
    assert_eq!(in_flight.len(), 2, "{lines:?}");
    for line in &lines {
        let expected = if line["attempts"] == "1" {
            "the run was stopped while this request was in flight; it may or may not have been applied (a re-run will tell)"
        } else {
            "not sent: the run was stopped"
        };
        assert_eq!(line["error"], expected, "{line:?}");
        assert_eq!(line["landed"], "[]", "{line:?}");
    }
}

#[test]
fn a_second_signal_quits_at_once() {
    let server = stuck_writes(6);
    let dir = tempfile::tempdir().unwrap();
    let (mut run, report) = start_against(&server, dir.path(), 6, &[]);
    wait_for_writes(&server, 2);
    run.signal("-TERM");
    run.wait_for_stderr("SIGTERM received");
    run.signal("-TERM");
    let ended = run.wait_at_most(WIND_DOWN);

    assert_eq!(
        ended.code,
        Some(143),
        "exit code; stderr:\n{}",
        ended.stderr
    );
    // Winding down would have written all six rows once the writes in flight had their 3 s;
    // quitting at once leaves the rows not finished out of the report.
    let lines = read_report(&report);
    assert!(lines.len() < 6, "the run wound down instead: {lines:?}");
}
