//! Where a run meets its leavers: who the input leaves out, this run's absences counted in the
//! sync's grace state, the `--reassign-to` member found, and the reasons that disable nobody
//! in this run; the rules themselves are `plan::leavers`, the counts `state::LeaverGrace`, the
//! limit `guard::check_leaver_count`.

use crate::api::{Member, MemberStatus};
use crate::plan::leavers::{self, Absences, LeaverPlan, LeaverRules};
use crate::plan::{MemberIndex, Plan};
use crate::progress::Progress;
use crate::settings::RunSettings;
use crate::settings::lifecycle::Leavers;
use crate::state::{GraceRun, LeaverGrace};
use crate::validate::MemberKey;

use super::{RunError, guards};

/// Why every invite waits when too few rows matched a member.
pub(super) const FEW_MATCHED_HOLD: &str = "too few rows matched a member (see the warning above): no invite is sent from what may be the wrong file";

/// The leavers of a run that read the whole directory, and its absences counted (to keep when
/// an `apply` completes; `None` when they cannot be kept, or `--leavers ignore`).
pub(super) fn decide(
    settings: &RunSettings,
    plan: &mut Plan,
    index: &MemberIndex,
    members: &[Member],
    few_matched: bool,
    progress: &dyn Progress,
) -> Result<(LeaverPlan, Option<GraceRun>), RunError> {
    let lifecycle = &settings.lifecycle;
    let presence = leavers::presence(&plan.rows, index, members);
    let reassign_to = match (&lifecycle.reassign_to, lifecycle.leavers) {
        (Some(email), Leavers::Disable) => Some(reassignee(email, index)?),
        _ => None,
    };
    let grace = match lifecycle.leavers {
        Leavers::Ignore => None,
        _ => counted(settings, &presence.absent, progress),
    };
    let of = |id: u64| grace.as_ref().and_then(|g| g.absence(id)).cloned();
    let absences = Absences {
        of: &of,
        not_counted: grace
            .as_ref()
            .and_then(GraceRun::warning)
            .map(|_| "the leaver counts could not be read (see the warning above)".to_string()),
    };
    let blocked = blocked(&presence.unreadable_keys, few_matched);
    if let (Some(why), Leavers::Disable) = (&blocked, lifecycle.leavers) {
        progress.warn(&format!("nobody is disabled in this run: {why}"), None);
    }
    let rules = LeaverRules {
        mode: lifecycle.leavers,
        grace_runs: lifecycle.leaver_grace_runs,
        reassign_to,
        exclusions: &settings.exclusions,
        token_owner: settings.token_owner.as_deref(),
        blocked,
    };
    let decided = leavers::leavers(plan, index, &presence, &absences, &rules);
    Ok((decided, grace))
}

/// The absences of the run's sync with this run counted; the counts cannot be kept without a
/// state directory, an organization of the API and a sync (the in-process sandbox starts fresh,
/// an export is offline): then each absence is this run's only, and the run says so once.
fn counted(settings: &RunSettings, absent: &[u64], progress: &dyn Progress) -> Option<GraceRun> {
    let (Some((dir, org)), Some(sync)) = (guards::state_of(settings), settings.sync.as_ref())
    else {
        if settings.lifecycle.leaver_grace_runs > 1 && !absent.is_empty() {
            progress.note(
                "the leaver counts are kept only for an organization of the API with a state \
                 directory: each absent member counts as absent from this run only",
            );
        }
        return None;
    };
    let grace = LeaverGrace::load(dir, org, sync);
    if let Some(warning) = grace.warning() {
        progress.warn(&warning, None);
    }
    let now = jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    Some(grace.record_run(absent, &now))
}

/// Why nobody is disabled in this run at all: a row whose key cannot be read may be any
/// member's, and a file whose rows mostly match no member may be the wrong one.
fn blocked(unreadable_keys: &[usize], few_matched: bool) -> Option<String> {
    let rows: Vec<String> = unreadable_keys.iter().map(usize::to_string).collect();
    match (rows.as_slice(), few_matched) {
        ([], false) => None,
        ([], true) => Some("too few rows matched a member: the input may be the wrong file".into()),
        ([one], _) => Some(format!(
            "row {one} is invalid and its key cannot be read, so it may be any member's; fix the row, then run again"
        )),
        (many, _) => {
            let shown: Vec<&str> = many.iter().take(10).map(String::as_str).collect();
            let more = match many.len() - shown.len() {
                0 => String::new(),
                n => format!(" and {n} more"),
            };
            Some(format!(
                "rows {}{more} are invalid and their keys cannot be read, so they may be any member's; fix them, then run again",
                shown.join(", ")
            ))
        }
    }
}

/// The active member `--reassign-to` names, or why it names none (the run stops: a removal
/// without a valid target would be refused member by member).
fn reassignee<'m>(email: &str, index: &MemberIndex<'m>) -> Result<&'m Member, RunError> {
    match index.find(&MemberKey::Email(email.to_string())) {
        Some(member) if member.status == Some(MemberStatus::Active) => Ok(member),
        found => {
            let why = match found.and_then(|m| m.status) {
                Some(status) => format!("the member with this email is {status}, not active"),
                None if found.is_some() => "the member with this email has no known status".into(),
                None => "no member of the organization has this email".into(),
            };
            Err(RunError::new(format!("--reassign-to {email}: {why}")).hint(
                "name an active member who takes over leavers' tasks, or leave --reassign-to out to only disable them",
            ))
        }
    }
}
