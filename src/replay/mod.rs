//! Replaying recorded changes instead of reading an export: a saved plan (`apply --plan`) or
//! the changes that landed in an earlier run, per its report (`rollback`).
//!
//! Both are the same thing, a list of "this member's field should go from `expect` to `set`",
//! and both meet the same hazard: the organization moved on since the changes were recorded.
//! A member whose fields no longer hold what was expected is not touched (outcome `stale`,
//! saying what changed): writing anyway would silently undo someone else's edit, which is what
//! Terraform's stale-plan refusal exists to prevent. A field that holds what was to be set
//! already is not stale but done: a replay stopped part-way is finished by running it again,
//! and the members it reached are `unchanged`. Everything else goes through the normal plan,
//! guards, pacing and report.

pub mod plan_file;
pub mod rollback;

use std::collections::BTreeMap;

use crate::api::Member;
use crate::fields::{Desired, Field, Value};
use crate::report::show_value;
use crate::validate::{DesiredRow, MemberKey, RowVerdict};

/// One member's recorded change.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// The row number it came from (plan row or report row): the report's `row` column.
    pub row: usize,
    pub member_id: u64,
    pub email: String,
    /// Per field: the value it must hold now (`None` = empty), and the value to set.
    pub fields: BTreeMap<Field, (Option<Value>, Option<Value>)>,
}

impl Recorded {
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

    /// The row as the planner takes it: this member, these values.
    pub fn verdict(&self) -> RowVerdict {
        RowVerdict::Valid(DesiredRow {
            row: self.row,
            key: MemberKey::UserId(self.member_id),
            email_beside_id: Some(self.email.to_lowercase()).filter(|e| !e.is_empty()),
            user_id: Some(self.member_id),
            fields: self
                .fields
                .iter()
                .map(|(field, (_, set))| {
                    let desired = set.clone().map_or(Desired::Clear, Desired::Set);
                    (*field, desired)
                })
                .collect(),
            employment: Default::default(),
        })
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
