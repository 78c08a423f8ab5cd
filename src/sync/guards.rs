//! Where a run meets the guards: which rows `--exclude` takes out, and the checks `apply`
//! makes before its first write. The rules themselves are in `guard.rs`.

use std::collections::HashMap;

use crate::api::Member;
use crate::exit_code::ExitCode;
use crate::guard::{self, Exclusions, Refusal};
use crate::plan::{RowPlan, Update};
use crate::progress::Progress;
use crate::state::{self, Lock, LockError, StateDir};

use super::{ApplyGuards, RunError};

/// Rows that would change a protected member: row number → why it is left alone. Protected
/// are members matching `--exclude`, and the role of the token's own account
/// (`--token-owner`): an admin demoting themselves mid-sync locks the sync out.
pub(super) fn excluded_rows(
    plans: &[RowPlan],
    members: &[Member],
    exclusions: &Exclusions,
    token_owner: Option<&str>,
) -> HashMap<usize, String> {
    // Most runs protect nobody: no index of every member for them.
    if exclusions.is_empty() && token_owner.is_none() {
        return HashMap::new();
    }
    let email_of: HashMap<u64, &str> = members
        .iter()
        .filter_map(|m| Some((m.id, m.email.as_deref()?)))
        .collect();
    plans
        .iter()
        .filter_map(|plan| match plan {
            RowPlan::Update(update) => {
                let email = email_of.get(&update.member_id)?;
                if let Some(pattern) = exclusions.matching(email) {
                    return Some((
                        update.row,
                        format!("the member matches --exclude {pattern}"),
                    ));
                }
                let owner = token_owner?;
                (update.role.is_some() && owner.trim().eq_ignore_ascii_case(email)).then(|| {
                    let reason =
                        "it would change the role of the token's own account (--token-owner)";
                    (update.row, reason.to_string())
                })
            }
            _ => None,
        })
        .collect()
}

/// The guards of `apply`, in order: source size, number of changes, last admin.
pub(super) fn check_apply(
    input_rows: usize,
    last_rows: Option<usize>,
    updates: &[Update],
    members: &[Member],
    guards: ApplyGuards,
) -> Result<(), Refusal> {
    if !guards.force {
        guard::check_source_size(input_rows, last_rows, guards.shrink_limit)?;
        guard::check_change_count(updates.len(), members.len(), guards.max_changes)?;
    }
    guard::check_admins_remain(updates, members)
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

/// The per-org lock, or why not: another live run holds it (exit 1, naming the holder).
pub(super) fn take_lock(
    dir: &StateDir,
    org: &str,
    progress: &dyn Progress,
) -> Result<Lock, RunError> {
    match dir.lock(org, state::this_process()) {
        Ok(lock) => {
            if let Some(stale) = &lock.took_over {
                progress.note(&format!(
                    "warning: took over the lock of a run that is gone ({stale})"
                ));
            }
            Ok(lock)
        }
        Err(e @ LockError::Held(_)) => Err(RunError::new(e.to_string()).hint(format!(
            "wait for it to finish; if that process is not running, delete the lock file in {}",
            dir.root().join("orgs").display()
        ))),
        Err(e) => Err(RunError::new(e.to_string())),
    }
}
