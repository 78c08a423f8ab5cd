//! Joiners and rehires, and what a row says of a member who is not simply active: the
//! lifecycle rules on top of a row's plan, decided without I/O (the leavers, who mostly have
//! no row, are in `leavers.rs`).
//!
//! A row's member decides first: an invited member is `pending` (never invited twice), a
//! disabled one stays `disabled` unless `--rehires enable` asks for an enable before the
//! row's updates, and a row saying the person has left is a leaver candidate when `--leavers`
//! is not `ignore` (whether it is disabled is decided with the absent members, in
//! `leavers.rs`). A row without a member is a joiner: reported (`not_found`), or with
//! `--joiners invite` an invite, held back by a start date still to come, and past
//! `--max-invites` deferred. Each decision that sends nothing carries a [`Note`]: the outcome
//! it ends in and why, in the words the report prints.

use std::fmt;

/// The reason on a joiner's line under `--joiners report` (the default).
pub const JOINER_REPORTED: &str =
    "no member has this email: a joiner, not invited (--joiners invite invites them)";

use jiff::Timestamp;
use jiff::civil::Date;

use super::{Chain, Invite, LineKey, Operation, RowPlan};
use crate::api::{Member, MemberStatus};
use crate::fields::{Desired, Field, Value};
use crate::settings::Lifecycle;
use crate::settings::lifecycle::{Joiners, Leavers, Rehires};
use crate::validate::{DesiredRow, LeaverCheck, MemberKey};

/// The lifecycle settings of a run, and the day it plans for.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    pub lifecycle: &'a Lifecycle,
    /// Today, where the run is: start and end dates are days.
    pub today: Date,
    /// For how long an invitation has been pending.
    pub now: Timestamp,
}

impl<'a> Rules<'a> {
    /// `lifecycle`, today.
    pub fn now(lifecycle: &'a Lifecycle) -> Rules<'a> {
        let now = jiff::ZonedDateTime::now();
        Rules {
            lifecycle,
            today: now.date(),
            now: now.timestamp(),
        }
    }
}

/// The outcome of a row or member the lifecycle rules decided sends nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Noted {
    /// No member, and none invited (`--joiners report`, or a row that cannot be invited).
    NotFound,
    /// Nothing to change; the note says something worth knowing (a last day to come).
    Unchanged,
    /// The member is invited and has not joined.
    Pending,
    /// An invite a later run sends (`--max-invites`, a start date to come).
    Deferred,
    /// The member is disabled and stays so.
    Disabled,
    /// A leaver, reported and not disabled (yet).
    Leaver,
    /// A leaver the rules never disable (an administrator, the token's account, ...).
    Excluded,
}

/// Why nothing is sent for a row or member: its outcome and the reason the report prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub outcome: Noted,
    pub reason: String,
}

impl Note {
    pub fn new(outcome: Noted, reason: impl Into<String>) -> Box<Note> {
        Box::new(Note {
            outcome,
            reason: reason.into(),
        })
    }
}

impl fmt::Display for Noted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Noted::NotFound => "not found",
            Noted::Unchanged => "unchanged",
            Noted::Pending => "pending",
            Noted::Deferred => "deferred",
            Noted::Disabled => "disabled",
            Noted::Leaver => "leaver",
            Noted::Excluded => "excluded",
        })
    }
}

/// What the rules make of a row whose member was found, before its fields are compared.
#[derive(Debug)]
pub(super) enum MemberRow {
    /// Nothing is sent: the note says why.
    Decided(Box<Note>),
    /// A rehire: the member is enabled, then the row's updates follow.
    Rehire,
    /// The row's updates, as for any member; a note for the line when nothing changes.
    Sync(Option<Box<Note>>),
}

/// The rules for a row and the member it names.
pub(super) fn member_row(desired: &DesiredRow, member: &Member, rules: &Rules) -> MemberRow {
    let lifecycle = rules.lifecycle;
    let check = desired.employment.leaver_check(rules.today);
    match (member.status, &check) {
        (Some(MemberStatus::Invited), _) => MemberRow::Decided(pending(member, rules.now)),
        (Some(MemberStatus::Disabled), LeaverCheck::Left(why)) => MemberRow::Decided(Note::new(
            Noted::Disabled,
            format!("the member is disabled, and {why}: nothing to do"),
        )),
        (Some(MemberStatus::Disabled), _) if lifecycle.rehires == Rehires::Enable => {
            MemberRow::Rehire
        }
        (Some(MemberStatus::Disabled), _) => MemberRow::Decided(Note::new(
            Noted::Disabled,
            "the member is disabled: --rehires enable enables them (Tallyfy emails them) and \
             then updates the profile",
        )),
        (Some(MemberStatus::Active), LeaverCheck::Left(why))
            if lifecycle.leavers != Leavers::Ignore =>
        {
            MemberRow::Decided(Note::new(Noted::Leaver, why.clone()))
        }
        (_, LeaverCheck::NotYet(why)) if lifecycle.leavers != Leavers::Ignore => {
            MemberRow::Sync(Some(Note::new(Noted::Unchanged, why.clone())))
        }
        _ => MemberRow::Sync(None),
    }
}

/// `invited 2025-01-15, 54 days ago; not joined yet: never invited again`.
fn pending(member: &Member, now: Timestamp) -> Box<Note> {
    let since = match member.created_at {
        Some(at) => {
            let days = now.duration_since(at).as_secs().max(0) / 86_400;
            let day = at.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
            match days {
                0 => format!("invited {day}, today"),
                1 => format!("invited {day}, 1 day ago"),
                n => format!("invited {day}, {n} days ago"),
            }
        }
        None => "invited".to_string(),
    };
    Note::new(
        Noted::Pending,
        format!(
            "{since}; not joined yet: never invited again, the profile is synced once they join"
        ),
    )
}

/// A valid row no member has: reported, or with `--joiners invite` an invite (when the row
/// can be one and nothing holds it back).
pub(super) fn joiner(mut desired: DesiredRow, rules: &Rules) -> RowPlan {
    let lifecycle = rules.lifecycle;
    let not_found = |desired: &mut DesiredRow, note: Option<Box<Note>>| RowPlan::NotFound {
        row: desired.row,
        email: desired.take_email(),
        user_id: desired.user_id,
        note,
    };
    if lifecycle.joiners == Joiners::Report {
        // Matched by email, a row with no member is a joiner (unless it says the person has
        // left): its line says so, and how to act.
        let left = matches!(
            desired.employment.leaver_check(rules.today),
            LeaverCheck::Left(_)
        );
        let note = (matches!(desired.key, MemberKey::Email(_)) && !left)
            .then(|| Note::new(Noted::NotFound, JOINER_REPORTED));
        return not_found(&mut desired, note);
    }
    let MemberKey::Email(email) = &desired.key else {
        let why = "no member has this user_id; only a row matched by email is invited";
        return not_found(&mut desired, Some(Note::new(Noted::NotFound, why)));
    };
    let email = email.clone();
    let held = desired
        .employment
        .invite_hold(rules.today, lifecycle.invite_days_before);
    if let Some(why) = held {
        let outcome = match desired.employment.leaver_check(rules.today) {
            LeaverCheck::Left(_) => Noted::NotFound,
            _ => Noted::Deferred,
        };
        return not_found(&mut desired, Some(Note::new(outcome, why)));
    }
    let names = (
        name(&desired, Field::FirstName),
        name(&desired, Field::LastName),
    );
    let (Some(first_name), Some(last_name)) = names else {
        let missing = match names.0 {
            None => Field::FirstName,
            Some(_) => Field::LastName,
        };
        return super::invalid(
            &desired,
            missing.name(),
            "",
            format!(
                "an invite needs a {missing} (--joiners invite): add a {missing} column with a value for this row"
            ),
        );
    };
    let role = match desired.fields.get(&Field::Role).and_then(Desired::target) {
        Some(Value::Text(role)) => role.to_string(),
        _ => lifecycle.invite_role.as_str().to_string(),
    };
    let invite = Invite {
        email: email.clone(),
        first_name,
        last_name,
        role,
        message: lifecycle.invite_message.clone(),
    };
    RowPlan::Chain(Box::new(Chain {
        line: LineKey::Row(desired.row),
        member_id: None,
        email: Some(email),
        steps: vec![Operation::Invite(Box::new(invite))],
    }))
}

fn name(desired: &DesiredRow, field: Field) -> Option<String> {
    match desired.fields.get(&field)?.target()? {
        Value::Text(text) if !text.trim().is_empty() => Some(text.to_string()),
        _ => None,
    }
}

/// The invites past `--max-invites`, in row order, end `deferred` (`guard::invite_deferred`):
/// the first `max_invites` go.
pub fn cap_invites(rows: &mut [RowPlan], max_invites: u32) {
    let mut position = 0;
    for plan in rows.iter_mut() {
        if !is_invite(plan) {
            continue;
        }
        if let Some(why) = crate::guard::invite_deferred(position, max_invites) {
            *plan = deferred(plan, why);
        }
        position += 1;
    }
}

/// Every invite of the plan waits for a later run, for `why` (too few rows matched a member:
/// a wrong file must not send emails).
pub fn hold_invites(rows: &mut [RowPlan], why: &str) {
    for plan in rows.iter_mut().filter(|plan| is_invite(plan)) {
        *plan = deferred(plan, why.to_string());
    }
}

/// Whether the row's plan is an invite.
pub fn is_invite(plan: &RowPlan) -> bool {
    matches!(plan, RowPlan::Chain(chain)
        if matches!(chain.steps.first(), Some(Operation::Invite(_))))
}

fn deferred(plan: &RowPlan, why: String) -> RowPlan {
    let (row, email) = match plan {
        RowPlan::Chain(chain) => (plan.row(), chain.email.clone()),
        _ => unreachable!("only invites are deferred"),
    };
    RowPlan::NotFound {
        row,
        email,
        user_id: None,
        note: Some(Note::new(Noted::Deferred, why)),
    }
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod tests;
