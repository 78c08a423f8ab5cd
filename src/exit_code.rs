//! Exit codes: the contract with cron, scripts and monitoring, decided here and nowhere else.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | every row updated, unchanged, planned, not_found, excluded or duplicate, and every joiner, leaver or rehire invited, enabled, disabled, pending, deferred or reported `leaver` (`validate`: no row invalid) |
//! | 1 | the run could not proceed: token or certificate refused, API unreachable, unreadable input, bad config |
//! | 2 | usage error (bad flags or arguments) |
//! | 3 | the run finished, but some rows are invalid or failed |
//! | 4 | a guard refused the run before its first write (nothing was written) |
//! | 5 | `apply` finished, but too few valid rows matched a member: none, or under half of 10 or more (`sync/matched.rs`); a wrong key column, organization or file. `--allow-unmatched` says it is expected |
//! | 6 | `plan --detailed-exitcode` finished and changes are pending (rows `planned`), as Terraform's `-detailed-exitcode` says with 2 (taken here by usage errors) |
//! | 129 | stopped by SIGHUP (the terminal or session went away) |
//! | 130 | stopped by Ctrl-C / SIGINT |
//! | 143 | stopped by SIGTERM (systemd, `timeout`, `docker stop`, Kubernetes; Windows: Ctrl-Break) |
//!
//! When several apply, the more telling wins: 5 over 3 (a wrong file explains failed rows,
//! not the other way round), 3 over 6 (a plan with invalid rows is not ready to apply).
//!
//! A stopped run still finishes its requests in flight and writes its report and summary
//! (`stop_signals.rs`); the 128 + signal number codes are what shells and service managers
//! expect of a process a signal ended.

use crate::report::{Outcome, Summary};
use crate::stop_signals::StopSignal;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    Success,
    CouldNotRun,
    Usage,
    RowFailures,
    GuardRefused,
    FewMatched,
    ChangesPending,
    /// The run was stopped by a signal, and wound down.
    Stopped(StopSignal),
}

impl ExitCode {
    pub fn code(self) -> u8 {
        match self {
            ExitCode::Success => 0,
            ExitCode::CouldNotRun => 1,
            ExitCode::Usage => 2,
            ExitCode::RowFailures => 3,
            ExitCode::GuardRefused => 4,
            ExitCode::FewMatched => 5,
            ExitCode::ChangesPending => 6,
            ExitCode::Stopped(StopSignal::HangUp) => 129,
            ExitCode::Stopped(StopSignal::Interrupt) => 130,
            ExitCode::Stopped(StopSignal::Terminate) => 143,
        }
    }

    /// The code for a run the stop token ended: the signal that stopped it.
    pub fn stopped() -> ExitCode {
        ExitCode::Stopped(crate::stop_signals::stopped_by())
    }

    /// The code for a command that finished what it was doing though a stop signal came
    /// (`validate`): the signal's code, unless the command itself could not run.
    pub fn or_stopped(self) -> ExitCode {
        match (self, crate::stop_signals::received()) {
            (ExitCode::Success | ExitCode::RowFailures, Some(signal)) => ExitCode::Stopped(signal),
            _ => self,
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

    /// The code for an `apply` (or `rollback`) that reached its end; `few_matched`: too few of
    /// its valid rows matched a member, and the user did not say that was expected.
    pub fn for_apply(summary: &Summary, few_matched: bool) -> ExitCode {
        if few_matched {
            ExitCode::FewMatched
        } else {
            ExitCode::for_summary(summary)
        }
    }

    /// The code for a `rollback` that reached its end: an `apply`'s, and 3 as well when a
    /// line ended `deferred`. A member the rollback could not restore (a full seat pool held
    /// the enable back) waits for a person to free a seat and run it again, not for a later
    /// run of a sync.
    pub fn for_rollback(summary: &Summary) -> ExitCode {
        match ExitCode::for_summary(summary) {
            ExitCode::Success if summary.count(Outcome::Deferred) > 0 => ExitCode::RowFailures,
            code => code,
        }
    }

    /// The code for a `plan` that reached its end; with `--detailed-exitcode` (`detailed`),
    /// 6 when it would change something and no row failed it.
    pub fn for_plan(summary: &Summary, detailed: bool) -> ExitCode {
        match ExitCode::for_summary(summary) {
            ExitCode::Success if detailed && summary.count(Outcome::Planned) > 0 => {
                ExitCode::ChangesPending
            }
            code => code,
        }
    }
}

/// Whether a row ending so makes the run exit 3: such a row needs a person, and is named on
/// stderr at the end of the run even with `-q` (`sync/show.rs`). Every outcome is named: a
/// new one must be decided here, not fall into either side by default.
pub fn fails_the_run(outcome: Outcome) -> bool {
    match outcome {
        Outcome::Invalid | Outcome::Failed | Outcome::Cancelled | Outcome::Stale => true,
        Outcome::Updated
        | Outcome::Unchanged
        | Outcome::Planned
        | Outcome::NotFound
        | Outcome::Excluded
        | Outcome::Duplicate => false,
        // What the lifecycle settings asked, done or reported: an invite that waits for a
        // later run (the cap, a start date, a full seat pool) is that run's, not a person's;
        // a full seat pool is also said as a warning that `-q` keeps.
        Outcome::Invited
        | Outcome::Enabled
        | Outcome::Disabled
        | Outcome::Pending
        | Outcome::Deferred
        | Outcome::Leaver => false,
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
    fn too_few_matched_wins_over_failed_rows_in_apply() {
        let mut summary = Summary::default();
        summary.add(Outcome::NotFound);
        assert_eq!(ExitCode::for_apply(&summary, false), ExitCode::Success);
        summary.add(Outcome::Failed);
        assert_eq!(ExitCode::for_apply(&summary, true), ExitCode::FewMatched);
        assert_eq!(ExitCode::FewMatched.code(), 5);
    }

    #[test]
    fn a_deferred_line_fails_a_rollback_but_not_an_apply() {
        let mut summary = Summary::default();
        summary.add(Outcome::Enabled);
        assert_eq!(ExitCode::for_rollback(&summary), ExitCode::Success);
        summary.add(Outcome::Deferred);
        assert_eq!(ExitCode::for_apply(&summary, false), ExitCode::Success);
        assert_eq!(ExitCode::for_rollback(&summary), ExitCode::RowFailures);
    }

    #[test]
    fn a_detailed_plan_says_changes_are_pending_unless_a_row_fails_it() {
        let mut summary = Summary::default();
        summary.add(Outcome::Unchanged);
        assert_eq!(ExitCode::for_plan(&summary, true), ExitCode::Success);
        summary.add(Outcome::Planned);
        assert_eq!(ExitCode::for_plan(&summary, false), ExitCode::Success);
        assert_eq!(ExitCode::for_plan(&summary, true), ExitCode::ChangesPending);
        assert_eq!(ExitCode::ChangesPending.code(), 6);
        summary.add(Outcome::Invalid);
        assert_eq!(ExitCode::for_plan(&summary, true), ExitCode::RowFailures);
    }

    #[test]
    fn a_stop_signal_exits_128_plus_its_number() {
        assert_eq!(ExitCode::Stopped(StopSignal::HangUp).code(), 128 + 1);
        assert_eq!(ExitCode::Stopped(StopSignal::Interrupt).code(), 128 + 2);
        assert_eq!(ExitCode::Stopped(StopSignal::Terminate).code(), 128 + 15);
    }

    #[test]
    fn joiners_leavers_and_rehires_done_reported_or_deferred_do_not_fail_a_run() {
        let mut summary = Summary::default();
        for outcome in [
            Outcome::Invited,
            Outcome::Enabled,
            Outcome::Disabled,
            Outcome::Pending,
            Outcome::Deferred,
            Outcome::Leaver,
        ] {
            assert!(!fails_the_run(outcome), "{outcome}");
            summary.add(outcome);
        }
        assert_eq!(ExitCode::for_summary(&summary), ExitCode::Success);
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
