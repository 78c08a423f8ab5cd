//! Plan: compare what each valid row wants with the member as it is now, and decide, per row,
//! what to send: the row's outcome when no request is needed, else a [`Chain`] of typed
//! [`Operation`]s (see `operation.rs`). Pure: no I/O, so it is the same for `plan`, `apply`
//! and tests.
//!
//! Both sides are canonical [`Value`]s (see `fields`), so a second run over the same file finds
//! nothing to do. A profile update's body carries the member's current `first_name`,
//! `last_name` and `timezone` (the endpoint requires them) merged with the changed profile
//! fields, and only those; a role change is an operation of its own, after it.

pub mod groups;
#[cfg(test)]
mod groups_tests;
pub mod leavers;
pub mod lifecycle;
mod member_index;
mod operation;

use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use rustc_hash::{FxBuildHasher, FxHashMap};

pub use lifecycle::{Note, Noted, Rules};
pub use member_index::{MemberIndex, MemberLookup};
pub use operation::{Chain, Expect, Invite, LineKey, MemberStatus, Operation, OperationKind};

use serde_json::{Map, Value as Json};

use crate::api::Member;
use crate::fields::{Field, Raw, Value};
use crate::validate::{DesiredRow, DuplicateRow, InvalidRow, MemberKey, RowProblem, RowVerdict};

/// One field that will change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub field: Field,
    /// `None` = null / empty.
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// A run's plan: what happens to every input row, and to every subject acted on without a
/// row (a member: leavers, later). Each ends one report line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    /// One per input row, in input order.
    pub rows: Vec<RowPlan>,
    /// Chains for members the input has no row for, each ending a line of its own.
    pub subjects: Vec<Chain>,
}

impl Plan {
    /// Every chain of the plan: the rows' (in input order), then the subjects'.
    pub fn chains(&self) -> impl Iterator<Item = &Chain> {
        let rows = self.rows.iter().filter_map(|plan| match plan {
            RowPlan::Chain(chain) => Some(&**chain),
            _ => None,
        });
        rows.chain(&self.subjects)
    }
}

/// What happens to one input row. The rare, large outcomes are boxed, so the list of 100,000
/// plans is mostly rows left unchanged at their own size (56 bytes, not 120).
#[derive(Debug, Clone, PartialEq)]
pub enum RowPlan {
    Invalid(Box<InvalidRow>),
    /// No member has the row's key, and nothing is sent for it.
    NotFound {
        row: usize,
        email: Option<String>,
        user_id: Option<u64>,
        /// When the lifecycle rules decided more: a joiner not invited and why (`deferred`
        /// past `--max-invites` or before a start date, or not invited at all).
        note: Option<Box<Note>>,
    },
    /// The row's member needs no request.
    Unchanged {
        row: usize,
        member_id: u64,
        email: Option<String>,
        /// When the lifecycle rules decided more: the member is `pending` or `disabled`, a
        /// `leaver` or `excluded` one, or a note on an unchanged row (a last day to come).
        note: Option<Box<Note>>,
    },
    /// Requests to send: the row's member chain (today a profile update, a role change, or
    /// both).
    Chain(Box<Chain>),
    /// The same request as an earlier row, which acts for it: nothing to look up or send.
    Duplicate(Box<DuplicateRow>),
}

impl RowPlan {
    pub fn row(&self) -> usize {
        match self {
            RowPlan::Invalid(r) => r.row,
            RowPlan::NotFound { row, .. } | RowPlan::Unchanged { row, .. } => *row,
            RowPlan::Chain(chain) => chain.line.row().expect("a row's chain ends its row"),
            RowPlan::Duplicate(d) => d.row,
        }
    }
}

/// [`plan_with`] under the default lifecycle settings (joiners and rehires reported, leavers
/// ignored), today.
pub fn plan(verdicts: Vec<RowVerdict>, members: &MemberIndex) -> Plan {
    let defaults = crate::settings::Lifecycle::default();
    plan_with(verdicts, members, &Rules::now(&defaults))
}

/// Plans every row, in input order, under the lifecycle `rules` (`lifecycle.rs`). Rows that
/// would write to the same member (one by email, one by user id) are both made invalid: which
/// one should win is not ours to guess. Large inputs are planned on two threads (see
/// `halves.rs`). The verdicts are consumed: their emails and problems move into the plan
/// instead of being copied. Invites past `--max-invites` are deferred, in row order.
pub fn plan_with(mut verdicts: Vec<RowVerdict>, members: &MemberIndex, rules: &Rules) -> Plan {
    let rows = verdicts.len();
    let plan_rows = |verdicts: &mut [RowVerdict]| -> Vec<RowPlan> {
        // Room for every row: the first half's list takes the second's without moving.
        let mut plans = Vec::with_capacity(rows);
        // A few rows at a time: their members are found first, then diffed. Each lookup
        // waits on memory (a hash slot, then the member); done back to back, independent of
        // each other, those waits overlap instead of adding up.
        for batch in verdicts.chunks_mut(LOOKUP_BATCH) {
            let mut found = [None; LOOKUP_BATCH];
            for (verdict, member) in batch.iter().zip(&mut found) {
                if let RowVerdict::Valid(desired) = verdict {
                    *member = members.find(&desired.key);
                    if let Some(member) = member {
                        member.touch();
                    }
                }
            }
            plans.extend(batch.iter_mut().zip(found).map(|(verdict, member)| {
                let placeholder = RowVerdict::Invalid(InvalidRow::default());
                match std::mem::replace(verdict, placeholder) {
                    RowVerdict::Invalid(invalid) => RowPlan::Invalid(Box::new(invalid)),
                    RowVerdict::Duplicate(repeat) => RowPlan::Duplicate(Box::new(repeat)),
                    RowVerdict::Valid(desired) => match members.ambiguity(&desired.key, member) {
                        Some(why) => {
                            let (column, value) = match &desired.key {
                                MemberKey::Email(email) => ("email", email.to_string()),
                                MemberKey::UserId(id) => ("user_id", id.to_string()),
                            };
                            invalid(&desired, column, &value, why)
                        }
                        None => plan_row(desired, member, rules),
                    },
                }
            }));
        }
        plans
    };
    let (mut plans, rest) = crate::halves::in_two_halves_mut(&mut verdicts, plan_rows);
    plans.extend(rest.into_iter().flatten());
    reject_rows_sharing_a_member(&mut plans);
    lifecycle::cap_invites(&mut plans, rules.lifecycle.max_invites);
    Plan {
        rows: plans,
        subjects: Vec::new(),
    }
}

/// Rows whose members are looked up together before they are diffed (see `plan`).
const LOOKUP_BATCH: usize = 16;

/// One valid row against its member (`None`: no member has the row's key: a joiner).
fn plan_row(mut desired: DesiredRow, member: Option<&Member>, rules: &Rules) -> RowPlan {
    let Some(member) = member else {
        return lifecycle::joiner(desired, rules);
    };
    if let (MemberKey::UserId(id), Some(email)) = (&desired.key, desired.email())
        && member.email_key().as_deref() != Some(email)
    {
        return invalid(
            &desired,
            "email",
            email,
            format!(
                "user_id {id} belongs to {}, not to this email; fix whichever is wrong",
                member
                    .email
                    .as_deref()
                    .unwrap_or("a member without an email")
            ),
        );
    }
    let (enable, note) = match lifecycle::member_row(&desired, member, rules) {
        lifecycle::MemberRow::Decided(note) => (false, Some(note)),
        lifecycle::MemberRow::Rehire => (true, None),
        lifecycle::MemberRow::Sync(note) => (false, note),
    };
    let decided = !enable && note.as_ref().is_some_and(|n| n.outcome != Noted::Unchanged);
    let changes = match decided {
        true => Vec::new(),
        false => diff(&desired, member),
    };
    // Found by email: the row's email is the member's, lower-cased, as `email_key` would make it.
    let member_email = match desired.key {
        MemberKey::Email(ref mut email) => Some(std::mem::take(email)),
        MemberKey::UserId(_) => member.email_key().map(Cow::into_owned),
    };
    if changes.is_empty() && !enable {
        return RowPlan::Unchanged {
            row: desired.row,
            member_id: member.id,
            email: member_email,
            note,
        };
    }
    match member_chain(desired.row, member, member_email, changes, enable) {
        Ok(chain) => RowPlan::Chain(Box::new(chain)),
        Err(missing) => invalid(
            &desired,
            missing.name(),
            "",
            format!(
                "Tallyfy requires {missing} in every profile update and this member has none; add a {missing} column with a value for this row"
            ),
        ),
    }
}

/// The chain that makes `changes` to `member` for input row `row`: an enable first when
/// `enable` (a rehire), a profile update for the profile fields, then a role change; `Err`
/// names a required field neither the member nor the row has.
fn member_chain(
    row: usize,
    member: &Member,
    email: Option<String>,
    mut changes: Vec<Change>,
    enable: bool,
) -> Result<Chain, Field> {
    // The role is the last field: what precedes it is the profile's.
    let role = match changes.last() {
        Some(change) if change.field == Field::Role => changes.pop(),
        _ => None,
    };
    let mut steps = Vec::with_capacity(3);
    if enable {
        steps.push(Operation::Enable);
    }
    if !changes.is_empty() {
        let body = profile_body(member, &changes)?;
        steps.push(Operation::UpdateProfile { body, changes });
    }
    if let Some(change) = role {
        steps.push(Operation::ChangeRole { change });
    }
    Ok(Chain {
        line: LineKey::Row(row),
        member_id: Some(member.id),
        email,
        steps,
    })
}

/// The chain that makes `changes` to `member` for `line`, as `member_chain` makes a row's:
/// for the lines a replay plans itself (`replay::against`: a line without a row, or fields
/// set around an enable or a disable). `Err` names a required field the member lacks.
pub fn fields_chain(
    line: LineKey,
    member: &Member,
    email: Option<String>,
    changes: Vec<Change>,
) -> Result<Chain, Field> {
    let mut chain = member_chain(0, member, email, changes, false)?;
    chain.line = line;
    Ok(chain)
}

/// The fields whose canonical value differs between the row and the member.
pub fn diff(desired: &DesiredRow, member: &Member) -> Vec<Change> {
    desired
        .fields
        .iter()
        .filter_map(|(&field, want)| {
            let after = want.target();
            let unchanged = match member.raw(field) {
                Some(raw) => crate::fields::raw_is(field, raw, after),
                None => after.is_none(),
            };
            (!unchanged).then(|| Change {
                field,
                before: member.current(field),
                after: after.cloned(),
            })
        })
        .collect()
}

/// The member's required fields as they are now, overlaid with the changes.
fn profile_body(member: &Member, changes: &[Change]) -> Result<Map<String, Json>, Field> {
    let mut body = Map::new();
    for field in Field::ALL.into_iter().filter(|f| f.is_required_on_update()) {
        match member.raw(field) {
            Some(Raw::Text(s)) if !s.trim().is_empty() => {
                body.insert(field.name().into(), Json::String(s.to_string()));
            }
            _ if changes
                .iter()
                .any(|c| c.field == field && c.after.is_some()) => {}
            _ => return Err(field),
        }
    }
    for change in changes {
        let value = change.after.as_ref().map_or(Json::Null, Value::to_json);
        body.insert(change.field.name().into(), value);
    }
    Ok(body)
}

pub(super) fn invalid(desired: &DesiredRow, column: &str, value: &str, rule: String) -> RowPlan {
    RowPlan::Invalid(Box::new(InvalidRow {
        row: desired.row,
        email: desired.email().unwrap_or_default().to_string(),
        user_id: desired.user_id.map(|id| id.to_string()).unwrap_or_default(),
        problems: vec![RowProblem {
            column: column.into(),
            value: value.into(),
            rule,
        }],
    }))
}

fn reject_rows_sharing_a_member(plans: &mut [RowPlan]) {
    // The first row of each member; a list only for the members that more than one row writes.
    let mut first_row: FxHashMap<u64, usize> =
        FxHashMap::with_capacity_and_hasher(plans.len(), FxBuildHasher);
    let mut repeated: HashMap<u64, Vec<usize>> = HashMap::new();
    for plan in plans.iter() {
        let (member_id, row) = match plan {
            RowPlan::Unchanged { member_id, row, .. } => (*member_id, *row),
            RowPlan::Chain(chain) => match chain.member_id {
                Some(member_id) => (member_id, plan.row()),
                None => continue,
            },
            _ => continue,
        };
        match first_row.entry(member_id) {
            Entry::Vacant(slot) => {
                slot.insert(row);
            }
            Entry::Occupied(first) => repeated
                .entry(member_id)
                .or_insert_with(|| vec![*first.get()])
                .push(row),
        }
    }
    let shared: HashMap<usize, Vec<usize>> = repeated
        .into_values()
        .flat_map(|rows| {
            rows.iter()
                .map(|&row| (row, rows.iter().copied().filter(|&r| r != row).collect()))
                .collect::<Vec<_>>()
        })
        .collect();
    if shared.is_empty() {
        return;
    }
    for plan in plans.iter_mut() {
        let Some(others) = shared.get(&plan.row()) else {
            continue;
        };
        let (email, user_id) = match plan {
            RowPlan::Chain(chain) => (chain.email.clone(), chain.member_id),
            RowPlan::Unchanged {
                email, member_id, ..
            } => (email.clone(), Some(*member_id)),
            _ => continue,
        };
        let list: Vec<String> = others.iter().map(usize::to_string).collect();
        *plan = RowPlan::Invalid(Box::new(InvalidRow {
            row: plan.row(),
            email: email.unwrap_or_default(),
            user_id: user_id.map(|id| id.to_string()).unwrap_or_default(),
            problems: vec![RowProblem {
                column: "email/user_id".into(),
                value: String::new(),
                rule: format!("duplicate key: the same member as row {}", list.join(", ")),
            }],
        }));
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
