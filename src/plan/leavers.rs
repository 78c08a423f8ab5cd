//! Leavers: which active members the input leaves out, and what becomes of them and of the
//! rows that say their person has left, decided without I/O.
//!
//! A leaver is decided from what is *missing* from a file, so this module leans towards doing
//! nothing. A member is absent only when no row names them, invalid rows included (a row
//! whose key could be read names its member even when its other cells are wrong); a row whose
//! key cannot be read might name anyone, so while one is in the input nobody is disabled. An
//! absent member is disabled only once absent from `--leaver-grace-runs` completed runs in a
//! row (the counts are the caller's: `state::LeaverGrace`), and never an administrator, the
//! token's own account, an `--exclude` match, a bot, nor the member who takes over leavers'
//! tasks: those are `excluded`, with the reason. How many may be disabled at once is a guard
//! (`guard::check_leaver_count`), checked before the first write.

use std::collections::HashSet;

use super::lifecycle::{Note, Noted};
use super::{Chain, LineKey, MemberIndex, Operation, Plan, RowPlan};
use crate::api::{Member, MemberStatus};
use crate::guard::{DisableCandidate, Exclusions, protected_from_disable};
use crate::settings::lifecycle::Leavers;
use crate::state::Absence;
use crate::validate::MemberKey;
use crate::validate::keys::{parse_email, parse_user_id};

/// Who the input names and who it leaves out.
#[derive(Debug, Default, PartialEq)]
pub struct Presence {
    /// Active members no row names, in id order.
    pub absent: Vec<u64>,
    /// Invalid rows whose key cannot be read: any of them might name any member.
    pub unreadable_keys: Vec<usize>,
    /// Active members of the organization.
    pub active: usize,
}

/// Who of `members` the planned `rows` name, and who they leave out.
pub fn presence(rows: &[RowPlan], index: &MemberIndex, members: &[Member]) -> Presence {
    let mut named: HashSet<u64> = HashSet::with_capacity(rows.len());
    let mut unreadable_keys = Vec::new();
    for plan in rows {
        match plan {
            RowPlan::Unchanged { member_id, .. } => {
                named.insert(*member_id);
            }
            RowPlan::Chain(chain) => named.extend(chain.member_id),
            RowPlan::Invalid(invalid) => match invalid_row_keys(&invalid.email, &invalid.user_id) {
                Some(keys) => named.extend(keys.iter().filter_map(|k| index.find(k)).map(|m| m.id)),
                None => unreadable_keys.push(invalid.row),
            },
            // A repeat names its first row's member; a row of no member names nobody.
            RowPlan::Duplicate(_) | RowPlan::NotFound { .. } => {}
        }
    }
    let active = members.iter().filter(|m| is_active(m));
    let mut absent: Vec<u64> = active
        .clone()
        .filter(|m| !named.contains(&m.id))
        .map(|m| m.id)
        .collect();
    absent.sort_unstable();
    Presence {
        absent,
        unreadable_keys,
        active: active.count(),
    }
}

/// The keys an invalid row's key cells hold, or `None` when one of them cannot be read (or
/// there is none): then the row might be anyone's.
pub(crate) fn invalid_row_keys(email: &str, user_id: &str) -> Option<Vec<MemberKey>> {
    let blank = |cell: &str| crate::fields::trim_cell(cell).is_empty();
    let mut keys = Vec::with_capacity(2);
    if !blank(user_id) {
        keys.push(MemberKey::UserId(parse_user_id(user_id).ok()?));
    }
    if !blank(email) {
        keys.push(MemberKey::Email(parse_email(email).ok()?));
    }
    (!keys.is_empty()).then_some(keys)
}

fn is_active(member: &Member) -> bool {
    member.status == Some(MemberStatus::Active)
}

/// How absences are counted in this run.
pub struct Absences<'a> {
    /// A member's absence with this run counted, when the counts know it.
    pub of: &'a dyn Fn(u64) -> Option<Absence>,
    /// Why no member is disabled for being absent in this run at all (the counts could not be
    /// read, or cannot be kept), if so.
    pub not_counted: Option<String>,
}

/// What the leaver rules need besides the plan.
pub struct LeaverRules<'a> {
    pub mode: Leavers,
    pub grace_runs: u32,
    /// `--reassign-to`, resolved: who takes over a removed leaver's tasks.
    pub reassign_to: Option<&'a Member>,
    pub exclusions: &'a Exclusions,
    pub token_owner: Option<&'a str>,
    /// Why nobody is disabled in this run at all (a row whose key cannot be read, too few
    /// rows matched), if so.
    pub blocked: Option<String>,
}

/// A member without a row that the run reports and sends nothing to.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberNote {
    pub member_id: u64,
    pub email: Option<String>,
    pub note: Box<Note>,
}

/// The leavers of a run: their lines without a row, and how many active members are absent.
#[derive(Debug, Default, PartialEq)]
pub struct LeaverPlan {
    /// Absent members reported, not disabled (yet), or protected, in id order.
    pub lines: Vec<MemberNote>,
    /// Active members absent from the input (also counted under `--leavers ignore`).
    pub absent: usize,
}

/// Decides every leaver: the rows saying their person has left (planned as a `leaver` note by
/// `lifecycle.rs`) and the absent members. Under `--leavers disable` those due become disable
/// chains (a row's on its line, an absent member's in `plan.subjects`); the others are
/// reported with the reason.
pub fn leavers(
    plan: &mut Plan,
    index: &MemberIndex,
    presence: &Presence,
    absences: &Absences,
    rules: &LeaverRules,
) -> LeaverPlan {
    let mut decided = LeaverPlan {
        lines: Vec::new(),
        absent: presence.absent.len(),
    };
    if rules.mode == Leavers::Ignore {
        return decided;
    }
    for plan_row in plan.rows.iter_mut() {
        if let Some(decision) = row_leaver(plan_row, index, rules) {
            *plan_row = decision;
        }
    }
    for &id in &presence.absent {
        let Some(member) = index.find(&MemberKey::UserId(id)) else {
            continue;
        };
        let absence = (absences.of)(id);
        let why = absent_reason(absence.as_ref(), rules);
        let due = absences.not_counted.is_none()
            && absence.as_ref().map_or(1, |a| a.runs) >= rules.grace_runs.max(1);
        let not_due = (!due).then(|| match &absences.not_counted {
            Some(not_counted) => format!("{why}; not disabled in this run: {not_counted}"),
            None => why.clone(),
        });
        match decide(member, &why, not_due, rules) {
            Decision::Disable(steps) => plan.subjects.push(Chain {
                line: LineKey::Member(id),
                member_id: Some(id),
                email: member.email_key().map(|e| e.into_owned()),
                steps,
            }),
            Decision::Note(note) => decided.lines.push(MemberNote {
                member_id: id,
                email: member.email_key().map(|e| e.into_owned()),
                note,
            }),
        }
    }
    decided
}

/// A row's plan after the leaver rules, when the row says its person has left.
fn row_leaver(plan: &RowPlan, index: &MemberIndex, rules: &LeaverRules) -> Option<RowPlan> {
    let RowPlan::Unchanged {
        row,
        member_id,
        email,
        note: Some(note),
    } = plan
    else {
        return None;
    };
    if note.outcome != Noted::Leaver {
        return None;
    }
    let member = index.find(&MemberKey::UserId(*member_id))?;
    Some(match decide(member, &note.reason, None, rules) {
        Decision::Disable(steps) => RowPlan::Chain(Box::new(Chain {
            line: LineKey::Row(*row),
            member_id: Some(*member_id),
            email: email.clone(),
            steps,
        })),
        Decision::Note(note) => RowPlan::Unchanged {
            row: *row,
            member_id: *member_id,
            email: email.clone(),
            note: Some(note),
        },
    })
}

enum Decision {
    Disable(Vec<Operation>),
    Note(Box<Note>),
}

/// One leaver (`why` says how the input says so): protected, reported, not due yet
/// (`not_due` says why), blocked, or disabled.
fn decide(member: &Member, why: &str, not_due: Option<String>, rules: &LeaverRules) -> Decision {
    if let Some(protected) = protected(member, rules) {
        return Decision::Note(Note::new(
            Noted::Excluded,
            format!("{why}; never disabled: {protected}"),
        ));
    }
    if rules.mode == Leavers::Report {
        return Decision::Note(Note::new(Noted::Leaver, why));
    }
    if let Some(not_due) = not_due {
        return Decision::Note(Note::new(Noted::Leaver, not_due));
    }
    if let Some(blocked) = &rules.blocked {
        return Decision::Note(Note::new(
            Noted::Leaver,
            format!("{why}; not disabled: {blocked}"),
        ));
    }
    let reassign_to = rules.reassign_to.map(|m| m.id);
    Decision::Disable(vec![Operation::Disable { reassign_to }])
}

/// Why a member is never disabled, if they are not.
fn protected(member: &Member, rules: &LeaverRules) -> Option<String> {
    if rules.reassign_to.is_some_and(|to| to.id == member.id) {
        return Some("the member takes over leavers' tasks (--reassign-to)".into());
    }
    let email = member.email_key();
    let candidate = DisableCandidate {
        email: email.as_deref(),
        is_admin: member.is_admin() || member.is_default_admin,
        is_bot: member.is_bot,
    };
    protected_from_disable(candidate, rules.exclusions, rules.token_owner)
}

/// `absent from the input: 1 of 2 runs in a row (since ...)`, as far as the counts know.
fn absent_reason(absence: Option<&Absence>, rules: &LeaverRules) -> String {
    let runs = absence.map_or(1, |a| a.runs);
    let since = absence.map_or(String::new(), |a| format!(" (since {})", a.since));
    match rules.mode {
        Leavers::Disable if runs < rules.grace_runs => format!(
            "absent from the input {runs} of {} runs in a row{since}: disabled when absent from {} (--leaver-grace-runs)",
            rules.grace_runs, rules.grace_runs
        ),
        _ if runs == 1 => format!("absent from the input{since}"),
        _ => format!("absent from the input {runs} runs in a row{since}"),
    }
}

#[cfg(test)]
#[path = "leavers_tests.rs"]
mod tests;
