//! The report on a disk that fills up mid-run: every line on disk is whole, `rollback` and
//! `--only-rows-from` read it, and the summary JSON tells what happened.
//!
//! The disk is a real 64 KiB tmpfs, which needs root. Elsewhere the test says SKIPPED on
//! stderr and passes; the writer's own unit tests cover the same failure with a writer that
//! fails after N bytes (`src/report/writer.rs`).

use std::path::{Path, PathBuf};
use std::process::Command;

use member_sync::sandbox::SandboxConfig;
use serde_json::Value;

use crate::util::*;

const MEMBERS: u64 = 300;

/// A tmpfs of `size` mounted at `dir`, unmounted when dropped.
struct SmallDisk {
    dir: PathBuf,
}

impl SmallDisk {
    /// `None` (after saying why on stderr) where mounting is not allowed.
    fn mount(dir: PathBuf, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(&dir).expect("the mount point");
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .output();
        match output {
            Ok(out) if out.status.success() => Some(SmallDisk { dir }),
            Ok(out) => {
                eprintln!(
                    "SKIPPED: cannot mount a {size} tmpfs (needs root): {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("SKIPPED: cannot run mount: {e}");
                None
            }
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
    }
}

/// Every member gets a new, long job title: a report line of about 500 bytes each, so 64 KiB
/// fill up after about 120 of the 300 updates.
fn long_titles(org: &TestOrg) -> PathBuf {
    let rows = (1..=MEMBERS).map(|id| {
        vec![
            format!("person{id}@gen.example"),
            format!("Principal Engineer {id} {}", "of long titles ".repeat(10)),
        ]
    });
    org.input("titles.csv", &["email", "job_title"], rows)
}

fn changed_members(org: &TestOrg) -> usize {
    org.members()
        .iter()
        .filter(|m| m["job_title"] != "Analyst")
        .count()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("the summary JSON"))
        .expect("the summary is JSON")
}

#[test]
fn a_full_disk_leaves_whole_lines_that_rollback_and_reruns_read() {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(MEMBERS));
    let Some(disk) = SmallDisk::mount(org.path("small"), "64k") else {
        return;
    };
    let input = long_titles(&org);
    let report = disk.path("report.csv");
    let summary = org.path("summary.json");
    let run = Run::of(
        org.command("apply", &input, &report).args([
            "--concurrency",
            "4",
            "--summary-json",
            summary.to_str().unwrap(),
        ]),
        PathBuf::from("/nonexistent"),
    );
    run.assert_code(1)
        .assert_stderr_contains(&format!("cannot write the report {}", report.display()))
        .assert_stderr_contains("No space left on device")
        .assert_stderr_contains("hint: the report holds every line written whole; ")
        .assert_stderr_contains(
            "Sent to Tallyfy but not in the report, so a `rollback` of it cannot undo them: row",
        );

    // Whole lines only: the file ends at a line break and reads as data.
    let text = std::fs::read_to_string(&report).expect("the report");
    assert!(
        text.ends_with('\n'),
        "the report ends mid-line: …{:?}",
        &text[text.len().saturating_sub(80)..]
    );
    let lines = read_report(&report);
    let in_report = outcome_counts(&lines);
    let updated_in_report = in_report.get("updated").copied().unwrap_or(0);
    assert!(updated_in_report > 50, "{in_report:?}");
    let changed = changed_members(&org);
    assert!(changed < MEMBERS as usize, "the run went on: {changed}");

    // The summary tells the truth: every request sent, every member changed.
    let json = read_json(&summary);
    assert_eq!(json["exit_code"], 1, "{json:#}");
    assert_eq!(json["requests"], org.journal().len(), "{json:#}");
    assert_eq!(json["outcomes"]["updated"], changed, "{json:#}");
    assert_eq!(
        json["not_in_report"]["updated"].as_u64().unwrap_or(0) as usize,
        changed - updated_in_report,
        "{json:#}"
    );
    assert!(
        json["error"]
            .as_str()
            .is_some_and(|e| e.contains("No space left on device")),
        "{json:#}"
    );

    // `--only-rows-from` reads it (nothing in it failed or was cancelled).
    let rerun = org.apply(
        &input,
        &[
            "--only-rows-from",
            report.to_str().unwrap(),
            "--outcomes",
            "updated",
        ],
    );
    rerun.assert_code(0);
    assert_eq!(
        outcome_counts(&rerun.report),
        counts(&[("unchanged", updated_in_report)])
    );

    // `rollback` reads it and undoes every row it holds.
    let undo = org.run_command("rollback", &report, &[]);
    undo.assert_code(0);
    assert_eq!(
        outcome_counts(&undo.report),
        counts(&[("updated", updated_in_report)])
    );
    assert_eq!(changed_members(&org), changed - updated_in_report);
}

#[test]
fn a_disk_full_before_the_first_request_sends_nothing() {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(20));
    let Some(disk) = SmallDisk::mount(org.path("small"), "64k") else {
        return;
    };
    // 400 invalid rows of about 250 bytes each: their lines, written before the first
    // request, do not fit; then 20 updates.
    let invalid =
        (1..=400).map(|n| vec![format!("not-an-email-{n}-{}", "x".repeat(150)), "X".into()]);
    let updates = (1..=20).map(|id| vec![format!("person{id}@gen.example"), format!("Lead {id}")]);
    let input = org.input("mixed.csv", &["email", "job_title"], invalid.chain(updates));
    let report = disk.path("report.csv");
    let before = org.journal().len();
    let run = Run::of(
        &mut org.command("apply", &input, &report),
        PathBuf::from("/nonexistent"),
    );
    run.assert_code(1)
        .assert_stderr_contains(&format!("cannot write the report {}", report.display()))
        .assert_stderr_contains(", 20 cancelled). Free some space");
    assert!(
        org.requests_after(before).iter().all(|r| !r.is("PUT")),
        "a write was sent after the report failed"
    );
    assert!(std::fs::read(&report).unwrap().ends_with(b"\n"));
    let lines = read_report(&report);
    assert!(lines.iter().all(|l| l["outcome"] == "invalid") && lines.len() < 400);
}
