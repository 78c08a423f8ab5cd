//! Replaying recorded changes instead of reading an export: a saved plan (`apply --plan`) or
//! the changes that landed in an earlier run, per its report (`rollback`).
//!
//! Both are the same thing, a list of "this member's field should go from `expect` to `set`",
//! and perhaps "this member should be invited, enabled or disabled", and both meet the same
//! hazard: the organization moved on since the changes were recorded. A member whose fields or
//! status no longer hold what was expected is not touched (outcome `stale`, saying what
//! changed): writing anyway would silently undo someone else's edit, which is what Terraform's
//! stale-plan refusal exists to prevent, and for a disable it would lock out a person who came
//! back. A field or a status that holds what was to be set already is not stale but done: a
//! replay stopped part-way is finished by running it again, and the members it reached are
//! `unchanged`. Everything else goes through the normal plan, guards, pacing and report.

mod against;
pub mod groups;
pub mod plan_file;
pub mod rollback;

use std::collections::BTreeMap;

pub use against::{Replayed, against};

use crate::api::Member;
use crate::fields::{Desired, Field, Value};
use crate::plan::{Invite, LineKey};
use crate::report::show_value;
use crate::validate::{DesiredRow, MemberKey, RowVerdict};

/// One line's recorded change.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// The line it came from (plan entry or report line): an input row, or the member acted
    /// on without a row.
    pub line: LineKey,
    /// `None` for a person still to be invited.
    pub member_id: Option<u64>,
    pub email: String,
    /// Per field: the value it must hold now (`None` = empty), and the value to set.
    pub fields: BTreeMap<Field, (Option<Value>, Option<Value>)>,
    /// A change of the member's standing, before the fields (invite, enable) or after them
    /// (disable).
    pub lifecycle: Option<Lifecycle>,
}

/// What a recorded line does to the member's standing in the organization.
#[derive(Debug, Clone, PartialEq)]
pub enum Lifecycle {
    /// Invite the person: no member may have the email yet.
    Invite(Box<Invite>),
    /// Enable the member, who must be disabled, before its fields are set.
    Enable,
    /// Disable the member (with `reassign_to`, remove them with their work reassigned), who
    /// must be active, after its fields are set.
    Disable {
        reassign_to: Option<u64>,
        /// The member's `updated_at` when the plan read it: a member changed since (disabled
        /// and enabled again, edited) is not disabled on an old decision.
        seen_updated_at: Option<jiff::Timestamp>,
    },
}

impl Lifecycle {
    /// The report's and the plan's name for it.
    pub fn action(&self) -> &'static str {
        match self {
            Lifecycle::Invite(_) => "invite",
            Lifecycle::Enable => "enable",
            Lifecycle::Disable { .. } => "disable",
        }
    }
}

impl Recorded {
    /// A row's recorded field changes, with nothing else to do to the member.
    pub fn of_fields(
        row: usize,
        member_id: u64,
        email: &str,
        fields: BTreeMap<Field, (Option<Value>, Option<Value>)>,
    ) -> Recorded {
        Recorded {
            line: LineKey::Row(row),
            member_id: Some(member_id),
            email: email.to_string(),
            fields,
            lifecycle: None,
        }
    }

    /// Why the member no longer matches what was recorded, if it does not:
    /// `job_title is now "C" (expected "A")`. A field that already holds the value to set is
    /// not stale: the change was made already (a rollback or plan run a second time, after
    /// it was interrupted), and the plan finds nothing to send for it.
    pub fn stale_reason(&self, member: &Member) -> Option<String> {
        let moved: Vec<String> = self
            .fields
            .iter()
            .filter_map(|(field, (expect, set))| {
                let now = member.current(*field);
                (now != *expect && now != *set).then(|| {
                    format!(
                        "{field} is now {} (expected {})",
                        show_value(&now),
                        show_value(expect)
                    )
                })
            })
            .collect();
        (!moved.is_empty()).then(|| format!("changed since it was recorded: {}", moved.join("; ")))
    }

    /// The row as the planner takes it: this member, these values. `None` for what the
    /// planner does not make from a row: a line without a row, or one that invites, enables
    /// or disables (the replay makes those chains itself, see [`against`]).
    pub fn verdict(&self) -> Option<RowVerdict> {
        match (self.line, self.member_id, &self.lifecycle) {
            (LineKey::Row(row), Some(member_id), None) => {
                Some(RowVerdict::Valid(self.desired(row, member_id)))
            }
            _ => None,
        }
    }

    /// Whether the planner plans it ([`Recorded::verdict`] is `Some`).
    fn is_a_rows_fields(&self) -> bool {
        matches!(
            (self.line, self.member_id, &self.lifecycle),
            (LineKey::Row(_), Some(_), None)
        )
    }

    /// The fields to set on `member_id`, as a row would ask for them.
    fn desired(&self, row: usize, member_id: u64) -> DesiredRow {
        DesiredRow {
            row,
            key: MemberKey::UserId(member_id),
            email_beside_id: Some(self.email.to_lowercase()).filter(|e| !e.is_empty()),
            user_id: Some(member_id),
            fields: self
                .fields
                .iter()
                .map(|(field, (_, set))| {
                    let desired = set.clone().map_or(Desired::Clear, Desired::Set);
                    (*field, desired)
                })
                .collect(),
            employment: Default::default(),
            groups: None,
        }
    }
}

/// A field's JSON value (as in plans and reports) in canonical form; `Err` names the problem.
pub(crate) fn value_from_json(
    field: Field,
    json: &serde_json::Value,
) -> Result<Option<Value>, String> {
    if json.is_null() {
        return Ok(None);
    }
    crate::fields::canonical_from_json(field, json)
        .map(Some)
        .ok_or_else(|| format!("`{json}` is not a {field} value"))
}
