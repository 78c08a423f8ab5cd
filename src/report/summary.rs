//! The run's totals: the one line on stderr at the end of every run, counted as rows finish,
//! and where `--summary-json` writes them.
//!
//! The summary JSON is the one output meant to be replaced: monitoring reads the same path
//! after every nightly run. So it replaces an earlier summary, atomically, and nothing else: a
//! report, an HR export or a token file at that path is refused (`crate::output_file`).

use std::collections::{BTreeMap, BinaryHeap};
use std::fmt;
use std::path::Path;
use std::time::Duration;

use super::Outcome;
use crate::execute::StatsSnapshot;
use crate::output_file::{IfExists, Output, Refused};
use crate::plan::LineKey;

/// `--summary-json PATH` as an output: it replaces only an earlier summary.
pub fn summary_output(path: &Path) -> Output<'_> {
    Output {
        path,
        what: "summary",
        flag: "--summary-json",
        if_exists: IfExists::ReplaceIf {
            check: is_summary,
            expected: "a summary of an earlier run",
        },
        overwrite_flag: None,
    }
}

/// Writes the summary JSON (pretty, with a final line break) in place of an earlier one.
pub fn write_summary_json(path: &Path, json: &serde_json::Value) -> Result<(), Refused> {
    summary_output(path).write(format!("{json:#}\n").as_bytes())
}

/// Whether these are the bytes of a summary JSON: an object naming the command, the exit code
/// and when the run finished, as every version has written them.
fn is_summary(bytes: &[u8]) -> bool {
    let Ok(serde_json::Value::Object(object)) = serde_json::from_slice(bytes) else {
        return false;
    };
    ["command", "exit_code", "finished_at"]
        .iter()
        .all(|key| object.contains_key(*key))
}

/// The run's totals, printed at the end.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// How every row ended.
    pub counts: BTreeMap<Outcome, usize>,
    /// Of those, rows whose line is not in the report: it could not be written (a full disk).
    pub not_in_report: BTreeMap<Outcome, usize>,
    pub stats: StatsSnapshot,
    pub duration: Duration,
    /// The [`Summary::ROWS_LISTED`] lowest-numbered rows that need a person (an outcome that
    /// fails the run), as the run's end lists them; the rest are counted in `counts`.
    rows_to_check: BinaryHeap<RowToCheck>,
    /// Of the lines counted, those of members without a row (leavers).
    members: usize,
    /// Of the lines counted, those of groups (`--groups-from`).
    groups: usize,
}

/// A row (or a subject without a row) that did not go through, as the list at the end of a
/// run names it. Listed groups first (a failed group write concerns many rows, and there are
/// few groups), then rows by number, then members without a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowToCheck {
    pub key: LineKey,
    /// The line of the input file the row starts on (none for a saved plan or a rollback).
    pub line: Option<u64>,
    /// As in the report.
    pub email: String,
    pub outcome: Outcome,
    /// The report's `error`.
    pub why: String,
}

impl Ord for RowToCheck {
    fn cmp(&self, other: &RowToCheck) -> std::cmp::Ordering {
        fn order(r: &RowToCheck) -> ((u8, LineKey), Option<u64>, &str, Outcome, &str) {
            let rank = listing_rank(r.key);
            (rank, r.line, r.email.as_str(), r.outcome, r.why.as_str())
        }
        order(self).cmp(&order(other))
    }
}

impl PartialOrd for RowToCheck {
    fn partial_cmp(&self, other: &RowToCheck) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Groups' lines are listed before every row's.
fn listing_rank(key: LineKey) -> (u8, LineKey) {
    match key {
        LineKey::Group(_) => (0, key),
        _ => (1, key),
    }
}

impl Summary {
    /// Rows named at the end of a run; the others are in the report.
    pub const ROWS_LISTED: usize = 20;

    pub fn add(&mut self, outcome: Outcome) {
        *self.counts.entry(outcome).or_default() += 1;
    }

    /// Counts the line `key` ended with `outcome`: an input row's, or a member's without a row.
    pub fn add_line(&mut self, key: LineKey, outcome: Outcome) {
        self.add(outcome);
        match key {
            LineKey::Member(_) => self.members += 1,
            LineKey::Group(_) => self.groups += 1,
            LineKey::Row(_) => {}
        }
    }

    /// Whether the line `key` would be listed: a caller asks before building a [`RowToCheck`].
    pub fn lists(&self, key: LineKey) -> bool {
        self.rows_to_check.len() < Self::ROWS_LISTED
            || self
                .rows_to_check
                .peek()
                .is_some_and(|last| listing_rank(key) < listing_rank(last.key))
    }

    /// Keeps `row` among the rows listed if it is one of the lowest-numbered so far (rows end
    /// out of order when requests overlap).
    pub fn list(&mut self, row: RowToCheck) {
        if !self.lists(row.key) {
            return;
        }
        self.rows_to_check.push(row);
        if self.rows_to_check.len() > Self::ROWS_LISTED {
            self.rows_to_check.pop();
        }
    }

    /// The rows listed, by row number.
    pub fn rows_listed(&self) -> Vec<RowToCheck> {
        self.rows_to_check.clone().into_sorted_vec()
    }

    /// Counts a row (already [`Summary::add`]ed) whose line could not be written.
    pub fn add_not_in_report(&mut self, outcome: Outcome) {
        *self.not_in_report.entry(outcome).or_default() += 1;
    }

    pub fn count(&self, outcome: Outcome) -> usize {
        self.counts.get(&outcome).copied().unwrap_or(0)
    }

    /// Every line counted: input rows and members without a row.
    pub fn rows(&self) -> usize {
        self.counts.values().sum()
    }

    /// Of [`Summary::rows`], the members without a row.
    pub fn members_without_a_row(&self) -> usize {
        self.members
    }

    /// Of [`Summary::rows`], the groups' lines.
    pub fn groups(&self) -> usize {
        self.groups
    }
}

impl fmt::Display for Summary {
    /// `60 rows: 12 updated, 40 unchanged, 3 invalid, 2 not_found · 14 requests (1 retry, 0 answered 429) in 9.4s`;
    /// `39 rows and 1 member without a row: 39 unchanged, 1 disabled · ...` when leavers have
    /// lines of their own.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let counts: Vec<String> = Outcome::ALL
            .iter()
            .filter(|o| self.count(**o) > 0)
            .map(|o| format!("{} {o}", self.count(*o)))
            .collect();
        let count =
            |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let not_in_report: usize = self.not_in_report.values().sum();
        let not_in_report = match not_in_report {
            0 => String::new(),
            n => format!(" ({n} not in the report)"),
        };
        let rows = count(
            (self.rows() - self.members - self.groups) as u64,
            "row",
            "rows",
        );
        let mut lines = match self.members {
            0 => rows,
            1 => format!("{rows} and 1 member without a row"),
            n => format!("{rows} and {n} members without a row"),
        };
        match self.groups {
            0 => {}
            1 => lines.push_str(" and 1 group"),
            n => lines.push_str(&format!(" and {n} groups")),
        }
        write!(
            f,
            "{lines}: {}{not_in_report} · {} ({}, {} answered 429) in {:.1}s",
            if counts.is_empty() {
                "none".to_string()
            } else {
                counts.join(", ")
            },
            count(self.stats.requests, "request", "requests"),
            count(self.stats.retries, "retry", "retries"),
            self.stats.throttled,
            self.duration.as_secs_f64()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_group_is_listed_before_any_number_of_rows() {
        let mut summary = Summary::default();
        let check = |key, why: &str| RowToCheck {
            key,
            line: None,
            email: String::new(),
            outcome: Outcome::Failed,
            why: why.into(),
        };
        for row in 1..=30 {
            summary.list(check(LineKey::Row(row), "invalid"));
        }
        assert!(summary.lists(LineKey::Group(0)));
        summary.list(check(LineKey::Group(0), "403"));
        let listed = summary.rows_listed();
        assert_eq!(listed.len(), Summary::ROWS_LISTED);
        assert_eq!(listed[0].key, LineKey::Group(0));
        assert_eq!(listed[1].key, LineKey::Row(1));
    }

    #[test]
    fn members_without_a_row_are_counted_apart_from_the_rows() {
        let mut summary = Summary::default();
        summary.add_line(LineKey::Row(1), Outcome::Unchanged);
        summary.add_line(LineKey::Row(2), Outcome::Updated);
        assert!(
            summary
                .to_string()
                .starts_with("2 rows: 1 updated, 1 unchanged · ")
        );
        summary.add_line(LineKey::Member(40), Outcome::Disabled);
        assert!(
            summary.to_string().starts_with(
                "2 rows and 1 member without a row: 1 updated, 1 unchanged, 1 disabled · "
            ),
            "{summary}"
        );
        summary.add_line(LineKey::Member(41), Outcome::Leaver);
        assert!(
            summary
                .to_string()
                .starts_with("2 rows and 2 members without a row: ")
        );
        assert_eq!((summary.rows(), summary.members_without_a_row()), (4, 2));
    }
}
