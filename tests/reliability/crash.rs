//! The binary interrupted (SIGINT) and killed (SIGKILL) in the middle of a sync, then run
//! again: nothing finished is lost, nothing is claimed that did not happen, and the re-run
//! sends only what is still missing.

use std::collections::BTreeSet;
use std::time::Duration;

use member_sync::sandbox::SandboxConfig;

use super::{Directory, assert_every_row_once};
use crate::util::*;

const MEMBERS: u64 = 300;
const CONCURRENCY: usize = 4;

/// Slow enough (50 ms a request, 40 requests a second) that the run is still going when the
/// signal comes.
fn slow_directory() -> Directory {
    Directory::new(
        MEMBERS,
        SandboxConfig {
            latency: Duration::from_millis(50),
            ..SandboxConfig::default()
        },
    )
}

fn start(dir: &Directory, report: &std::path::Path) -> Running {
    let concurrency = CONCURRENCY.to_string();
    let extra = ["--rate", "40/s", "--concurrency", &concurrency, "-q"];
    Running::new(dir.org.spawn("apply", &dir.input, report, &extra))
}

#[test]
fn sigint_stops_within_5_seconds_with_the_report_complete() {
    let dir = slow_directory();
    let report = dir.org.path("interrupted.csv");
    let mut child = start(&dir, &report);
    // The unchanged, invalid and unknown rows come first (75 + 5), then the writes.
    wait_for_lines(&report, 110);
    child.signal("-INT");
    let Ended { code, took, stderr } = child.wait_at_most(Duration::from_secs(5));

    assert_eq!(code, Some(130), "exit code; stderr:\n{stderr}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    let run = Run {
        code: 130,
        stdout: String::new(),
        stderr,
        report: read_report(&report),
        report_path: report,
    };
    assert_every_row_once(&run, dir.rows);
    let counted = outcome_counts(&run.report);
    assert!(
        counted.get("cancelled").copied().unwrap_or(0) > 0,
        "{counted:?}"
    );
    assert!(
        counted.get("updated").copied().unwrap_or(0) > 0,
        "{counted:?}"
    );
    let diverging = dir.diverging();
    for line in &run.report {
        let Ok(id) = line["user_id"].parse::<u64>() else {
            continue;
        };
        match line["outcome"].as_str() {
            "updated" => assert!(!diverging.contains(&id), "{line:?}"),
            "cancelled" => assert!(diverging.contains(&id), "{line:?}"),
            _ => {}
        }
    }
}

#[test]
fn sigkill_loses_nothing_finished_and_a_rerun_converges_without_redundant_writes() {
    let dir = slow_directory();
    let report = dir.org.path("killed.csv");
    let mut child = start(&dir, &report);
    wait_for_lines(&report, 110);
    child.signal("-KILL");
    let code = child.wait_at_most(Duration::from_secs(5)).code;
    assert_eq!(code, None, "killed by a signal");

    // The report on disk parses (no torn line) and every row it claims as updated is.
    let killed = read_report(&report);
    let diverging: BTreeSet<u64> = dir.diverging().into_iter().collect();
    let claimed: BTreeSet<u64> = killed
        .iter()
        .filter(|r| r["outcome"] == "updated")
        .map(|r| r["user_id"].parse().expect("user_id"))
        .collect();
    assert!(claimed.is_disjoint(&diverging), "claimed but not done");
    assert!(!claimed.is_empty());
    // Every member the server changed is on disk, but for the few whose answer was in flight.
    let changed_on_server: BTreeSet<u64> = dir
        .wanted
        .keys()
        .filter(|id| !diverging.contains(id) && **id % 4 != 0)
        .copied()
        .collect();
    let unrecorded = changed_on_server.difference(&claimed).count();
    assert!(
        unrecorded <= CONCURRENCY,
        "{unrecorded} changes missing from the report"
    );

    // The re-run sends exactly what is still missing: no write lands on a member already done.
    let members = dir.org.members();
    let member = |id: u64| {
        members
            .iter()
            .find(|m| m["id"] == id)
            .expect("member")
            .clone()
    };
    let mut wanted_calls = BTreeSet::new();
    for (id, (title, team, role)) in &dir.wanted {
        let m = member(*id);
        if m["job_title"] != title.as_str() || m["team"] != team.as_str() {
            wanted_calls.insert((*id, false));
        }
        if m["role"].as_str().map(str::to_lowercase).as_deref() != Some(role) {
            wanted_calls.insert((*id, true));
        }
    }
    let before = dir.org.journal().len();
    let rerun = dir.apply(&[]);
    let calls: Vec<(u64, bool)> = dir
        .org
        .requests_after(before)
        .iter()
        .filter(|r| r.is("PUT"))
        .map(|r| (r.member_id().expect("member id"), r.is_role_change()))
        .collect();
    assert_eq!(
        calls.len(),
        wanted_calls.len(),
        "one call per missing change"
    );
    assert_eq!(calls.into_iter().collect::<BTreeSet<_>>(), wanted_calls);
    rerun.assert_code(3);
    assert_every_row_once(&rerun, dir.rows);
    assert_eq!(dir.diverging(), Vec::<u64>::new());
}
