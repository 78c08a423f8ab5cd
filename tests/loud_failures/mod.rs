//! Failures that reach a person (issue 17, items 6, 7, 9 and 10): rows that did not go through
//! are named even with `-q`, a run that matched nobody says so and fails, the summary JSON
//! tells the truth for monitoring, and the confirmation question can be seen on a terminal.

mod monitoring;
mod quiet;
mod terminal;
mod unmatched;

use std::path::PathBuf;

use crate::util::*;

/// An input of `rows` rows over a generated org, the first `matching` of them emails of its
/// members and the rest emails nobody in it has; every row asks for a new job title.
fn partly_matching(org: &TestOrg, name: &str, rows: u64, matching: u64) -> PathBuf {
    let rows = (1..=rows).map(|n| {
        let email = if n <= matching {
            format!("person{n}@gen.example")
        } else {
            format!("someone{n}@personal.example")
        };
        vec![email, format!("Title {n}")]
    });
    org.input(name, &["email", "job_title"], rows)
}

/// The stderr lines that name data row `row` as a warning (`warning: row 7 (...`).
fn warnings_naming_row(stderr: &str, row: usize) -> Vec<&str> {
    let prefix = format!("warning: row {row} (");
    stderr.lines().filter(|l| l.starts_with(&prefix)).collect()
}
