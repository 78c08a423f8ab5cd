//! Report retention: nightly runs with `--report-dir` keep one report each, and without a
//! limit they fill a disk. `--keep-reports N` keeps the N newest, `--keep-reports-days D`
//! deletes those older than D days; after the run, in the directory its report went to.
//!
//! Deleting files in a directory someone named is the dangerous part, so the rule is narrow:
//! only a regular file whose whole name is one member-sync gives its reports
//! (`member-sync-report-YYYYMMDD-HHMMSS[-N]` then `.csv`, `.xlsx`, `.xlsx.journal.csv` or
//! `.html`) is ever removed. Not a link (nor what it points to), not a directory, not `…csv.bak`, not a
//! report renamed by a person; never this run's report, nor one newer than it (a run started
//! since). Age and order come from the time in the name, which is when that run started, so
//! copying or touching a file does not change which goes first. The files of one run (a
//! workbook and its journal, the report when the workbook could not be written; the HTML page
//! beside the report) are one report: they go together.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use jiff::civil::DateTime;

use crate::progress::Progress;

const PREFIX: &str = "member-sync-report-";
const EXTENSIONS: [&str; 4] = [".xlsx.journal.csv", ".csv", ".xlsx", ".html"];

/// `--keep-reports` and `--keep-reports-days`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Reports kept, this run's included (at least 1).
    pub keep: Option<u32>,
    /// Reports older than this many days are removed.
    pub max_days: Option<u32>,
}

/// A report's place in time, from its name: the run's start, then the `-N` of a second
/// report in the same second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Stamp {
    started: DateTime,
    n: u32,
}

impl Retention {
    /// Retention as set, when it applies: only to time-named reports, so not when the run's
    /// report is named with `--report` (the flags conflict; a profile's keys are set aside).
    pub fn resolve(
        keep: Option<u32>,
        max_days: Option<u32>,
        report_named: bool,
    ) -> Option<Retention> {
        if keep.is_none() && max_days.is_none() {
            return None;
        }
        if report_named {
            tracing::info!("--report names the report: no reports are removed (--keep-reports)");
            return None;
        }
        Some(Retention { keep, max_days })
    }

    /// Removes the reports beside `written` (this run's report) that the limits leave out:
    /// each removal said at `-v`, each failure a warning.
    pub fn prune(&self, written: &Path, progress: &dyn Progress) {
        let now = jiff::ZonedDateTime::now().datetime();
        self.prune_with(written, now, &|path| std::fs::remove_file(path), progress);
    }

    fn prune_with(
        &self,
        written: &Path,
        now: DateTime,
        remove: &dyn Fn(&Path) -> io::Result<()>,
        progress: &dyn Progress,
    ) {
        let Some(own) = written.file_name().and_then(|n| n.to_str()).and_then(stamp) else {
            return;
        };
        let dir = match written.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let older = match older_reports(dir, own) {
            Ok(older) => older,
            Err(e) => {
                progress.warn(
                    &format!(
                        "could not list {} to remove old reports: {e}",
                        dir.display()
                    ),
                    None,
                );
                return;
            }
        };
        // Newest first; this run's report is the first of those kept.
        let kept_besides_own = self.keep.map_or(usize::MAX, |n| n as usize - 1);
        for (i, (stamp, paths)) in older.iter().rev().enumerate() {
            let why = if i >= kept_besides_own {
                format!("beyond the {} newest", self.keep.unwrap_or_default())
            } else if self.is_too_old(stamp.started, now) {
                format!("older than {} days", self.max_days.unwrap_or_default())
            } else {
                continue;
            };
            for path in paths {
                match remove(path) {
                    Ok(()) => tracing::info!("removed the old report {} ({why})", path.display()),
                    Err(e) => progress.warn(
                        &format!("could not remove the old report {}: {e}", path.display()),
                        Some("check the report directory's permissions; the run itself is not affected"),
                    ),
                }
            }
        }
    }

    fn is_too_old(&self, started: DateTime, now: DateTime) -> bool {
        let Some(days) = self.max_days else {
            return false;
        };
        let cutoff = now.checked_sub(jiff::Span::new().days(i64::from(days)));
        cutoff.is_ok_and(|cutoff| started < cutoff)
    }
}

/// The reports in `dir` older than `own`, by time, each with its files (a workbook and its
/// journal are one report). Only regular files are looked at: a link is never followed.
fn older_reports(dir: &Path, own: Stamp) -> io::Result<BTreeMap<Stamp, Vec<PathBuf>>> {
    let mut reports: BTreeMap<Stamp, Vec<PathBuf>> = BTreeMap::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(stamp) = name.to_str().and_then(stamp) else {
            continue;
        };
        // `DirEntry::file_type` does not follow a symbolic link.
        if stamp >= own || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        reports.entry(stamp).or_default().push(entry.path());
    }
    Ok(reports)
}

/// The time in a report's name, if the whole name is one member-sync gives a report (or the
/// HTML page beside it): `member-sync-report-20261124-021500.csv`, `…-021500-2.xlsx`,
/// `….xlsx.journal.csv`, `….html`.
fn stamp(name: &str) -> Option<Stamp> {
    let rest = name.strip_prefix(PREFIX)?;
    let stem = EXTENSIONS.iter().find_map(|ext| rest.strip_suffix(ext))?;
    let (time, n) = match stem.get(15..) {
        Some("") => (stem, 1),
        Some(suffix) => {
            let n = suffix.strip_prefix('-')?;
            if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) || n.starts_with('0') {
                return None;
            }
            (&stem[..15], n.parse().ok().filter(|n| *n >= 2)?)
        }
        None => return None,
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if time.as_bytes().get(8) != Some(&b'-') || !digits(&time[..8]) || !digits(&time[9..]) {
        return None;
    }
    let started = DateTime::strptime("%Y%m%d-%H%M%S", time).ok()?;
    Some(Stamp { started, n })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn only_member_sync_report_names_count() {
        for name in [
            "member-sync-report-20261124-021500.csv",
            "member-sync-report-20261124-021500.xlsx",
            "member-sync-report-20261124-021500.xlsx.journal.csv",
            "member-sync-report-20261124-021500-2.csv",
            "member-sync-report-20261124-021500-13.xlsx",
            "member-sync-report-20261124-021500.html",
        ] {
            assert!(stamp(name).is_some(), "{name}");
        }
        for name in [
            "member-sync-report-20261124-021500.csv.bak",
            "member-sync-report-20261124-021500.CSV",
            "member-sync-report-20261124-021500.json",
            "member-sync-report-20261124-021500-1.csv",
            "member-sync-report-20261124-021500-02.csv",
            "member-sync-report-20261124-021500-.csv",
            "member-sync-report-20261324-021500.csv",
            "member-sync-report-2026112-0215000.csv",
            "member-sync-report-latest.csv",
            "old-member-sync-report-20261124-021500.csv",
            "member-sync-report-20261124-021500 copy.csv",
            "member-sync-report-+2026112-021500.csv",
            "member-sync-report-20261124-021500.xlsx.journal.xlsx",
        ] {
            assert!(stamp(name).is_none(), "{name}");
        }
        let a = stamp("member-sync-report-20261124-021500.csv").unwrap();
        let b = stamp("member-sync-report-20261124-021500-2.csv").unwrap();
        let c = stamp("member-sync-report-20261124-021501.csv").unwrap();
        assert!(a < b && b < c);
    }

    /// Collects warnings.
    #[derive(Default)]
    struct Warnings(Mutex<Vec<String>>);

    impl Progress for Warnings {
        fn note(&self, line: &str) {
            self.0.lock().unwrap().push(line.to_string());
        }
    }

    #[test]
    fn a_removal_that_fails_is_a_warning_and_the_rest_go_on() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "member-sync-report-20200101-000000.csv",
            "member-sync-report-20200102-000000.csv",
            "member-sync-report-20200103-000000.csv",
        ] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        let written = dir.path().join("member-sync-report-20200103-000000.csv");
        let removed = Mutex::new(Vec::new());
        let remove = |path: &Path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.contains("0101") {
                return Err(io::Error::new(io::ErrorKind::PermissionDenied, "denied"));
            }
            removed.lock().unwrap().push(name);
            Ok(())
        };
        let warnings = Warnings::default();
        let retention = Retention {
            keep: Some(1),
            max_days: None,
        };
        let now = DateTime::constant(2020, 1, 4, 0, 0, 0, 0);
        retention.prune_with(&written, now, &remove, &warnings);

        assert_eq!(
            *removed.lock().unwrap(),
            ["member-sync-report-20200102-000000.csv"]
        );
        let warnings = warnings.0.lock().unwrap();
        assert!(
            warnings[0].starts_with("warning: could not remove the old report ")
                && warnings[0].ends_with("member-sync-report-20200101-000000.csv: denied"),
            "{warnings:?}"
        );
    }

    #[test]
    fn age_counts_from_the_time_in_the_name() {
        let retention = Retention {
            keep: None,
            max_days: Some(30),
        };
        let now = DateTime::constant(2026, 3, 31, 12, 0, 0, 0);
        assert!(retention.is_too_old(DateTime::constant(2026, 3, 1, 11, 59, 59, 0), now));
        assert!(!retention.is_too_old(DateTime::constant(2026, 3, 1, 12, 0, 0, 0), now));
    }
}
