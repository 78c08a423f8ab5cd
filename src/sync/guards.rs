//! Where a run meets the guards: which rows `--exclude` takes out, the checks `apply` makes
//! before its first write, the source-shrink guard's baseline, and the organization's lock.
//! The rules themselves are in `guard.rs`; what is kept between runs, in `state`.

use std::collections::HashMap;
use std::path::Path;

use crate::api::{Member, MemberStatus};
use crate::exit_code::ExitCode;
use crate::guard::{self, Exclusions, Refusal};
use crate::plan::{Chain, LineKey, Operation, Plan};
use crate::progress::Progress;
use crate::settings::{RunSettings, Target};
use crate::state::{self, LastRun, Lock, LockError, StateDir, SyncIdentity};

use super::planning::Planned;
use super::{ApplyGuards, Mode, RunError};

/// Chains that would change a protected member: their line → why they are left alone.
/// Protected are members matching `--exclude`, and the role of the token's own account
/// (`--token-owner`): an admin demoting themselves mid-sync locks the sync out.
pub(super) fn excluded_lines(
    plan: &Plan,
    members: &[Member],
    exclusions: &Exclusions,
    token_owner: Option<&str>,
) -> HashMap<LineKey, String> {
    // Most runs protect nobody: no index of every member for them.
    if exclusions.is_empty() && token_owner.is_none() {
        return HashMap::new();
    }
    let email_of: HashMap<u64, &str> = members
        .iter()
        .filter_map(|m| Some((m.id, m.email.as_deref()?)))
        .collect();
    plan.chains()
        .filter_map(|chain| {
            // An invite's member does not exist yet: its email is the row's.
            let email = match chain.member_id {
                Some(id) => email_of.get(&id)?,
                None => chain.email.as_deref()?,
            };
            if let Some(pattern) = exclusions.matching(email) {
                return Some((
                    chain.line,
                    format!("the member matches --exclude {pattern}"),
                ));
            }
            let owner = token_owner?;
            let role_changes = chain.new_role().is_some();
            (role_changes && owner.trim().eq_ignore_ascii_case(email)).then(|| {
                let reason = "it would change the role of the token's own account (--token-owner)";
                (chain.line, reason.to_string())
            })
        })
        .collect()
}

/// The guards of `apply`, in order: source size (when the run has a [`Baseline`]), number of
/// changes, last admin.
pub(super) fn check_apply(
    baseline: Option<&Baseline>,
    chains: &[Chain],
    members: &[Member],
    guards: ApplyGuards,
) -> Result<(), Refusal> {
    if !guards.force {
        if let Some(b) = baseline {
            guard::check_source_size(b.matched, b.last, guards.shrink_limit, b.sync)?;
        }
        guard::check_change_count(chains.len(), members.len(), guards.max_changes)?;
    }
    guard::check_admins_remain(chains, members)
}

/// The max-leavers guard: the disables among `chains` against the organization's active
/// members. `--force` does not lift it (only `--max-leavers`).
pub(super) fn check_leavers(
    chains: &[Chain],
    members: &[Member],
    limit: guard::LeaverLimit,
) -> Result<(), Refusal> {
    let disables = chains
        .iter()
        .filter(|chain| matches!(chain.steps.first(), Some(Operation::Disable { .. })))
        .count();
    if disables == 0 {
        return Ok(());
    }
    let active = members
        .iter()
        .filter(|m| m.status == Some(MemberStatus::Active))
        .count();
    guard::check_leaver_count(disables, active, limit)
}

/// Where the run keeps state: the state directory and the organization, for real
/// organizations only (the in-process sandbox starts fresh every run, an export is offline).
pub(super) fn state_of(settings: &RunSettings) -> Option<(&StateDir, &str)> {
    match &settings.target {
        Target::Api(connection) => settings
            .state_dir
            .as_ref()
            .map(|dir| (dir, connection.org_id.as_str())),
        Target::Sandbox | Target::Export(_) => None,
    }
}

/// The lock stage: one `apply` per organization at a time (`plan` takes none).
pub(super) fn lock_for(
    mode: Mode,
    state: Option<(&StateDir, &str)>,
    settings: &RunSettings,
    progress: &dyn Progress,
) -> Result<Option<Lock>, RunError> {
    match (mode, state) {
        (Mode::Apply { .. }, Some((dir, org))) => {
            take_lock(dir, org, settings.sync.as_ref(), progress).map(Some)
        }
        _ => Ok(None),
    }
}

/// The source-shrink guard's baseline of an `apply` ([`Baseline::read`]).
pub(super) fn baseline<'a>(
    settings: &'a RunSettings,
    mode: Mode,
    state: Option<(&'a StateDir, &'a str)>,
    planned: &Planned,
    progress: &dyn Progress,
) -> Option<Baseline<'a>> {
    match mode {
        Mode::Apply { .. } => Baseline::read(settings, state, &planned.plan.rows, progress),
        Mode::Plan => None,
    }
}

/// An `apply` of an export, as the source-shrink guard sees it: the rows that matched now, and
/// in the last complete run of the same sync.
pub(super) struct Baseline<'a> {
    dir: &'a StateDir,
    org: &'a str,
    sync: &'a SyncIdentity,
    /// Rows of this run that matched a member.
    matched: usize,
    /// The same count in the sync's last complete run.
    last: Option<usize>,
}

impl<'a> Baseline<'a> {
    /// The baseline of this run, if it has one: an export (a saved plan or a rollback has
    /// none), in full (a run of `--only-rows-from` is a repair, not the directory), of a real
    /// organization with a state directory.
    pub(super) fn read(
        settings: &'a RunSettings,
        state: Option<(&'a StateDir, &'a str)>,
        plans: &[crate::plan::RowPlan],
        progress: &dyn Progress,
    ) -> Option<Baseline<'a>> {
        let ((dir, org), sync) = (state?, settings.sync.as_ref()?);
        if settings.only_rows_from.is_some() {
            return None;
        }
        let last = match dir.last_run(org, sync) {
            Ok(last) => last.map(|run| run.matched),
            Err(e) => {
                progress.note(&format!(
                    "warning: {e}; the source-shrink guard has nothing to compare with this time"
                ));
                None
            }
        };
        if last.is_none() {
            progress.note(&format!(
                "the source-shrink guard has no earlier complete run of this sync ({sync}) to compare with"
            ));
        }
        Some(Baseline {
            dir,
            org,
            sync,
            matched: guard::matched_rows(plans),
            last,
        })
    }

    /// Keeps this run as its sync's baseline: called for a run that reached its end.
    pub(super) fn record(&self, rows: usize, report: &Path, progress: &dyn Progress) {
        let run = LastRun {
            matched: self.matched,
            rows,
            finished_at: jiff::Timestamp::now()
                .strftime("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
            report: report.display().to_string(),
        };
        if let Err(e) = self.dir.record_run(self.org, self.sync, &run) {
            let dir = self.dir.root().display();
            progress.warn(&format!("cannot record this run in {dir}: {e}"), None);
        }
    }
}

/// Prints a guard's refusal (even with `-q`: it is an error) and gives its exit code.
pub(super) fn refuse(refusal: &guard::Refusal) -> ExitCode {
    crate::progress::print_error(&refusal_message(refusal), Some(&refusal.hint));
    ExitCode::GuardRefused
}

/// What a refusal says, printed and in the summary JSON.
pub(super) fn refusal_message(refusal: &guard::Refusal) -> String {
    format!("{refusal}; nothing was written")
}

/// The per-org lock, or why not: another run holds it (exit 1, naming the holder).
fn take_lock(
    dir: &StateDir,
    org: &str,
    sync: Option<&SyncIdentity>,
    progress: &dyn Progress,
) -> Result<Lock, RunError> {
    match dir.lock(org, state::this_process(sync.map(ToString::to_string))) {
        Ok(lock) => {
            if let Some(gone) = &lock.took_over {
                progress.note(&format!(
                    "warning: took over the lock of a run that is gone ({gone}); it ended without finishing (killed?), so its report may stop short"
                ));
            }
            Ok(lock)
        }
        Err(e @ LockError::Held { .. }) => Err(RunError::new(e.to_string()).hint(
            "wait for it to finish: the lock is released the moment that process ends, however it ends (never delete the lock file)",
        )),
        Err(e) => Err(RunError::new(e.to_string())),
    }
}
