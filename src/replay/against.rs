//! A replay met with the organization as it is now, before anything is sent: which recorded
//! lines the planner plans (a row's field changes, as an export's row would be), which the
//! replay makes chains for itself (an invite, an enable, a disable, a line without a row), and
//! which end here with nothing sent: `stale` (the member moved on), `unchanged` (done
//! already) or `pending` (invited already).
//!
//! The planner cannot make the lifecycle chains: it decides joiners and leavers from an
//! export and the lifecycle flags, and a replay has neither. What the saved plan or the report
//! says is the decision; the member's status as it is now only confirms or refuses it.

use std::collections::{HashMap, HashSet};

use compact_str::ToCompactString;

use super::{Lifecycle, Recorded};
use crate::api::{Member, MemberStatus};
use crate::fields::{Field, Value};
use crate::plan::{self, Chain, LineKey, Operation, Plan, RowPlan};
use crate::report::{Outcome, ReportRow};

/// What a replay does, line by line, against the organization.
#[derive(Debug, Default)]
pub struct Replayed<'a> {
    /// Rows of field changes found stale: the planner must leave them out.
    stale_rows: HashSet<usize>,
    /// The chains the replay makes itself, to go into the plan.
    chains: Vec<Chain>,
    /// The lines that end before the plan: `stale`, `unchanged`, `invalid`.
    lines: Vec<ReportRow<'a>>,
}

impl<'a> Replayed<'a> {
    /// Whether the planner plans `row`'s recorded field changes.
    pub fn plans_row(&self, row: usize) -> bool {
        !self.stale_rows.contains(&row)
    }

    /// The lines that end before anything is sent, to write as they are.
    pub fn take_lines(&mut self) -> Vec<ReportRow<'a>> {
        std::mem::take(&mut self.lines)
    }

    /// Puts the replay's own chains into `plan`: a row's among the rows, in row order, and
    /// one without a row among the subjects.
    pub fn add_to(self, plan: &mut Plan) {
        let mut rows_added = false;
        for chain in self.chains {
            match chain.line {
                LineKey::Row(_) => {
                    plan.rows.push(RowPlan::Chain(Box::new(chain)));
                    rows_added = true;
                }
                // A replay's group writes are not chains (`replay::groups`).
                LineKey::Member(_) | LineKey::Group(_) => plan.subjects.push(chain),
            }
        }
        if rows_added {
            plan.rows.sort_by_key(RowPlan::row);
        }
    }
}

/// Each recorded line against `members`; `force` (a rollback's `--force`) sends what is stale.
pub fn against<'a>(recorded: &'a [Recorded], members: &[Member], force: bool) -> Replayed<'a> {
    let org = Org::of(recorded, members);
    let mut replayed = Replayed::default();
    for record in recorded {
        match decide(record, &org, force) {
            Decision::Planner => {}
            Decision::Send(chain) => replayed.chains.push(chain),
            Decision::End(outcome, why) => {
                if let (Outcome::Stale, LineKey::Row(row), None) =
                    (outcome, record.line, &record.lifecycle)
                {
                    replayed.stale_rows.insert(row);
                }
                replayed.lines.push(ended(record, outcome, why));
            }
        }
    }
    replayed
}

/// The members a replay looks at: by id, and by email for its invites.
struct Org<'m> {
    by_id: HashMap<u64, &'m Member>,
    by_email: HashMap<String, &'m Member>,
}

impl<'m> Org<'m> {
    fn of(recorded: &[Recorded], members: &'m [Member]) -> Org<'m> {
        let ids: HashSet<u64> = recorded.iter().filter_map(|r| r.member_id).collect();
        let emails: HashSet<String> = recorded
            .iter()
            .filter(|r| matches!(r.lifecycle, Some(Lifecycle::Invite(_))))
            .map(|r| r.email.trim().to_lowercase())
            .collect();
        let mut org = Org {
            by_id: HashMap::with_capacity(ids.len()),
            by_email: HashMap::with_capacity(emails.len()),
        };
        for member in members {
            if ids.contains(&member.id) {
                org.by_id.insert(member.id, member);
            }
            if let Some(key) = member.email_key().filter(|key| emails.contains(&**key)) {
                org.by_email.insert(key.into_owned(), member);
            }
        }
        org
    }
}

/// One recorded line's fate.
enum Decision {
    /// A row's field changes: the planner plans them as an export's row.
    Planner,
    /// A chain the replay made.
    Send(Chain),
    /// Nothing is sent: the line ends so, for this reason.
    End(Outcome, String),
}

fn decide(record: &Recorded, org: &Org, force: bool) -> Decision {
    if record.is_a_rows_fields() {
        let member = record.member_id.and_then(|id| org.by_id.get(&id));
        return match member.and_then(|m| record.stale_reason(m)) {
            Some(reason) if !force => Decision::End(Outcome::Stale, reason),
            _ => Decision::Planner,
        };
    }
    match &record.lifecycle {
        Some(Lifecycle::Invite(planned)) => invite(record, planned, org),
        _ => member_chain(record, org, force),
    }
}

/// An invite is sent only while nobody has the email; an invitation already out is `pending`
/// (a plan applied again after it was stopped, or someone invited the person since), as a
/// sync's row of an invited member is: never sent twice.
fn invite(record: &Recorded, invite: &plan::Invite, org: &Org) -> Decision {
    let email = invite.email.trim().to_lowercase();
    match org.by_email.get(&email) {
        None => Decision::Send(Chain {
            line: record.line,
            member_id: None,
            email: Some(email),
            steps: vec![Operation::Invite(Box::new(invite.clone()))],
        }),
        Some(member) if member.status == Some(MemberStatus::Invited) => Decision::End(
            Outcome::Pending,
            format!(
                "{email} is invited already (member {}): never invited twice",
                member.id
            ),
        ),
        Some(member) => Decision::End(
            Outcome::Stale,
            format!(
                "changed since it was recorded: {email} is a member now (member {}, {})",
                member.id,
                status_name(member.status)
            ),
        ),
    }
}

/// The chain of an existing member: enable, then the fields, then disable, each left out
/// when it is done already; stale when the member moved on, unless `force`.
fn member_chain(record: &Recorded, org: &Org, force: bool) -> Decision {
    let Some(id) = record.member_id else {
        return Decision::End(Outcome::Stale, "the line names no member".into());
    };
    let Some(member) = org.by_id.get(&id).copied() else {
        return gone(record, id);
    };
    if let Some(why) = protected(record, member) {
        return Decision::End(Outcome::Excluded, why);
    }
    let status = status_step(record.lifecycle.as_ref(), member);
    let mut moved: Vec<String> = status.as_ref().err().cloned().into_iter().collect();
    moved.extend(record.stale_reason(member).map(|reason| {
        reason
            .trim_start_matches("changed since it was recorded: ")
            .to_string()
    }));
    if !moved.is_empty() && !force {
        let reason = format!("changed since it was recorded: {}", moved.join("; "));
        return Decision::End(Outcome::Stale, reason);
    }
    let send_status = status.unwrap_or(true);
    match steps(record, member, send_status) {
        Ok(steps) if steps.is_empty() => {
            Decision::End(Outcome::Unchanged, done(record.lifecycle.as_ref()))
        }
        Ok(steps) => Decision::Send(Chain {
            line: record.line,
            member_id: Some(id),
            email: member.email_key().map(|e| e.into_owned()),
            steps,
        }),
        Err(why) => Decision::End(Outcome::Invalid, why),
    }
}

/// The steps that bring `member` to what `record` asks: the fields that differ, with the
/// enable before them or the disable after them when `send_status`.
fn steps(record: &Recorded, member: &Member, send_status: bool) -> Result<Vec<Operation>, String> {
    let row = record.line.row().unwrap_or_default();
    let changes = plan::diff(&record.desired(row, member.id), member);
    let mut steps = Vec::new();
    if !changes.is_empty() {
        let chain = plan::fields_chain(record.line, member, None, changes).map_err(|missing| {
            format!(
                "Tallyfy requires {missing} in every profile update and member {} has none: set it in Tallyfy, then replay again",
                member.id
            )
        })?;
        steps = chain.steps;
    }
    match (&record.lifecycle, send_status) {
        (Some(Lifecycle::Enable), true) => steps.insert(0, Operation::Enable),
        (Some(Lifecycle::Disable { reassign_to, .. }), true) => {
            steps.push(Operation::Disable {
                reassign_to: *reassign_to,
            });
        }
        _ => {}
    }
    Ok(steps)
}

/// Why the member may not be disabled, however the plan or the report says: bots, the
/// default administrator and administrators never are (a sync's leavers leave them out too),
/// and an administrator promoted since the plan must not be locked out on an old decision. A
/// line that makes the member a standard or light member first is not held back.
fn protected(record: &Recorded, member: &Member) -> Option<String> {
    if !matches!(record.lifecycle, Some(Lifecycle::Disable { .. })) {
        return None;
    }
    let admin_after = match record.fields.get(&Field::Role) {
        Some((_, role)) => matches!(role, Some(Value::Text(r)) if r.eq_ignore_ascii_case("admin")),
        None => member.is_admin(),
    };
    let what = if member.is_bot {
        "a bot"
    } else if member.is_default_admin {
        "the default administrator"
    } else if admin_after {
        "an administrator"
    } else {
        return None;
    };
    Some(format!(
        "not disabled: member {} is {what}, and bots and administrators are never disabled",
        member.id
    ))
}

/// A member no longer listed: removed (with their work reassigned) since. That is what a
/// removal was to do; anything else cannot be done to a member who is not there.
fn gone(record: &Recorded, id: u64) -> Decision {
    match record.lifecycle {
        Some(Lifecycle::Disable {
            reassign_to: Some(_),
            ..
        }) => Decision::End(
            Outcome::Unchanged,
            format!("member {id} is not in the organization any more: removed already"),
        ),
        _ => Decision::End(
            Outcome::Stale,
            format!(
                "changed since it was recorded: member {id} is not in the organization any more (a member removed from it cannot be enabled or changed; invite the person again)"
            ),
        ),
    }
}

/// Whether the line's enable or disable is still to be sent (`Ok(false)`: done already), or
/// why the member's status refuses it.
fn status_step(lifecycle: Option<&Lifecycle>, member: &Member) -> Result<bool, String> {
    let (from, to) = match lifecycle {
        Some(Lifecycle::Enable) => (MemberStatus::Disabled, MemberStatus::Active),
        Some(Lifecycle::Disable { .. }) => (MemberStatus::Active, MemberStatus::Disabled),
        Some(Lifecycle::Invite(_)) | None => return Ok(false),
    };
    match member.status {
        Some(status) if status == to => Ok(false),
        Some(status) if status == from => match lifecycle {
            Some(Lifecycle::Disable {
                seen_updated_at: Some(seen),
                ..
            }) => unchanged_since(*seen, member),
            _ => Ok(true),
        },
        status => Err(format!(
            "status is now {} (expected {from})",
            status_name(status)
        )),
    }
}

/// An active member to disable must be as the plan saw them: one disabled and enabled again
/// since, or edited, may have come back.
fn unchanged_since(seen: jiff::Timestamp, member: &Member) -> Result<bool, String> {
    match member.updated_at {
        Some(now) if now != seen => Err(format!(
            "the member was updated at {now}, after the plan saw them ({seen}): they may have come back"
        )),
        _ => Ok(true),
    }
}

fn status_name(status: Option<MemberStatus>) -> &'static str {
    status.map_or("unknown", MemberStatus::as_str)
}

/// Why a line with nothing left to send is `unchanged`.
fn done(lifecycle: Option<&Lifecycle>) -> String {
    match lifecycle {
        Some(Lifecycle::Enable) => "the member is active already".into(),
        Some(Lifecycle::Disable { .. }) => "the member is disabled already".into(),
        Some(Lifecycle::Invite(_)) | None => String::new(),
    }
}

/// The line of a recorded change that ends before anything is sent.
fn ended(record: &Recorded, outcome: Outcome, why: String) -> ReportRow<'_> {
    let error = match outcome {
        Outcome::Stale => {
            let verb = match &record.lifecycle {
                Some(Lifecycle::Invite(_)) => "not invited",
                Some(Lifecycle::Enable) => "not enabled",
                Some(Lifecycle::Disable { .. }) => "not disabled",
                None => "not changed",
            };
            format!("{verb}: {why}")
        }
        _ => why,
    };
    ReportRow {
        line: record.line,
        email: record.email.as_str().into(),
        user_id: record
            .member_id
            .map(|id| id.to_compact_string())
            .unwrap_or_default(),
        outcome: Some(outcome),
        error: error.into(),
        ..Default::default()
    }
}

#[cfg(test)]
#[path = "against_tests.rs"]
mod tests;
