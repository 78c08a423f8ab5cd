//! Exit codes: the contract with cron, scripts and monitoring, decided here and nowhere else.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | every row updated, unchanged, planned, not_found, excluded or duplicate (`validate`: no row invalid) |
//! | 1 | the run could not proceed: token or certificate refused, API unreachable, unreadable input, bad config |
//! | 2 | usage error (bad flags or arguments) |
//! | 3 | the run finished, but some rows are invalid or failed |
//! | 4 | a guard refused the run before its first write (nothing was written) |
//! | 130 | interrupted (Ctrl-C / SIGINT) |

use crate::report::{Outcome, Summary};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    Success,
    CouldNotRun,
    Usage,
    RowFailures,
    GuardRefused,
    Interrupted,
}

impl ExitCode {
    pub fn code(self) -> u8 {
        match self {
            ExitCode::Success => 0,
            ExitCode::CouldNotRun => 1,
            ExitCode::Usage => 2,
            ExitCode::RowFailures => 3,
            ExitCode::GuardRefused => 4,
            ExitCode::Interrupted => 130,
        }
    }

    /// The code for a run that reached its end: 3 when any row ended with an outcome that
    /// [`fails_the_run`].
    pub fn for_summary(summary: &Summary) -> ExitCode {
        let failed = Outcome::ALL
            .into_iter()
            .any(|o| fails_the_run(o) && summary.count(o) > 0);
        if failed {
            ExitCode::RowFailures
        } else {
            ExitCode::Success
        }
    }
}

/// Whether a row ending so makes the run exit 3. Every outcome is named: a new one must be
/// decided here, not fall into either side by default.
pub fn fails_the_run(outcome: Outcome) -> bool {
    match outcome {
        Outcome::Invalid | Outcome::Failed | Outcome::Cancelled | Outcome::Stale => true,
        Outcome::Updated
        | Outcome::Unchanged
        | Outcome::Planned
        | Outcome::NotFound
        | Outcome::Excluded
        | Outcome::Duplicate => false,
    }
}

impl ExitCode {
    /// The code for `validate` over a usable file: 3 when any row is invalid. (A file that
    /// cannot be used at all is 1, like any input `plan` cannot read.)
    pub fn for_validation(invalid_rows: usize) -> ExitCode {
        if invalid_rows > 0 {
            ExitCode::RowFailures
        } else {
            ExitCode::Success
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_rows_do_not_fail_a_run_but_invalid_ones_do() {
        let mut summary = Summary::default();
        summary.add(Outcome::Updated);
        summary.add(Outcome::NotFound);
        assert_eq!(ExitCode::for_summary(&summary), ExitCode::Success);
        summary.add(Outcome::Invalid);
        assert_eq!(ExitCode::for_summary(&summary), ExitCode::RowFailures);
    }

    #[test]
    fn duplicate_rows_do_not_fail_a_run() {
        let mut summary = Summary::default();
        summary.add(Outcome::Updated);
        summary.add(Outcome::Duplicate);
        assert_eq!(ExitCode::for_summary(&summary), ExitCode::Success);
    }

    #[test]
    fn validate_fails_on_any_invalid_row() {
        assert_eq!(ExitCode::for_validation(0), ExitCode::Success);
        assert_eq!(ExitCode::for_validation(1), ExitCode::RowFailures);
    }
}
