//! The saved plan (`member-sync plan --out plan.json`): exactly what `apply --plan` will do,
//! with what it expects to find, so that it can refuse what no longer holds.
//!
//! Each entry of `changes` is one chain of operations, ending one report line: an input row's
//! (`row`), or a member's acted on without a row (`"subject": "member"`, a leaver, keyed by
//! `member_id`). It holds the fields it changes (`before`, what it expects to find; `after`,
//! what it sets) and its `steps`, the operations in the order they run (`update_profile`,
//! `change_role`; `invite`, `enable`, `disable` with what they send). A disable also keeps the
//! member's `updated_at` as the plan saw it (`member_updated_at`): a leaver changed since is
//! not disabled on Monday's decision.
//!
//! `format_version` is the oldest format whose readers apply the plan exactly: 1 while every
//! step is a profile or role change on a row's member (format 1 readers derive those steps from
//! `fields`, and ignore `steps`); 2 as soon as a step is anything else, so that a version that
//! cannot send it refuses the plan instead of leaving the step out; 3 as soon as an entry has
//! no row (a leaver) or no member yet (an invite). Format 2 plans wrote such an entry with
//! `row` 0 (and an invite's `member_id` 0): they are read as that member's line, and that
//! invite.

mod entry;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};

use super::Recorded;
use crate::api::Member;
use crate::guard::groups::RemovalLimit;
use crate::plan::groups::GroupChange;
use crate::plan::{Chain, Operation, OperationKind, Plan, RowPlan};
use crate::report::value_json;

/// The newest format this version reads and writes (see the module's documentation).
/// `apply --plan` refuses any other.
pub const FORMAT_VERSION: u32 = 4;
/// The format of a plan with lines without a row (leavers) or members yet to be invited, and
/// no group writes.
pub const FORMAT_LINES_WITHOUT_ROW: u32 = 3;
/// The format of a plan of profile and role changes only: every version reads it.
pub const FORMAT_PROFILE_ONLY: u32 = 1;
/// The format of a plan whose every entry is a row's existing member, with steps other than
/// profile and role changes.
pub const FORMAT_ROWS_ONLY: u32 = 2;
const FORMAT: &str = "member-sync plan";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PlanFile {
    pub format: String,
    pub format_version: u32,
    pub tool_version: String,
    pub org: String,
    pub base_url: String,
    pub created_at: String,
    pub input: InputFile,
    /// Rows per planned outcome (`update`, `unchanged`, `invalid`, `not_found`).
    pub counts: BTreeMap<String, usize>,
    /// One per chain of operations.
    pub changes: Vec<PlannedMember>,
    /// One per group whose members change (`--groups-from`): its whole member list before
    /// (what `apply --plan` expects to find) and after.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupChange>,
    /// The `--max-group-removals` the plan was made under, which `apply --plan` checks again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_group_removals: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InputFile {
    pub path: String,
    pub sha256: String,
}

impl InputFile {
    /// The input named `path` (as messages name it), and the SHA-256 of its bytes.
    pub fn of(path: &str, bytes: &[u8]) -> InputFile {
        InputFile {
            path: path.into(),
            sha256: format!("{:x}", Sha256::digest(bytes)),
        }
    }
}

/// One chain of the plan: its line, the member, the fields it changes, and its steps.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PlannedMember {
    /// The input row whose line the chain ends; absent for a line without a row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    /// Whose line it is when it has no row: the member's (`member_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
    /// Absent for a person still to be invited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_id: Option<u64>,
    pub email: String,
    /// Field name → `{"before": ..., "after": ...}`.
    pub fields: Map<String, Json>,
    /// The operations, in the order they run. Absent in plans written before operations
    /// were (format 1): derived from `fields` then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<PlannedStep>>,
    /// A disable's member, when the plan read it (`updated_at`, as the API sent it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_updated_at: Option<String>,
}

/// The subject of a line without an input row.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// A member of the organization (a leaver), by `member_id`.
    Member,
}

/// One operation of a saved chain, with what it sends beyond the chain's `fields`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum PlannedStep {
    /// Sets the chain's profile fields (every field but `role`).
    UpdateProfile,
    /// Sets the chain's `role`.
    ChangeRole,
    /// Invites the chain's `email`.
    Invite {
        first_name: String,
        last_name: String,
        role: String,
        message: String,
    },
    Enable,
    Disable {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reassign_to: Option<u64>,
    },
}

impl PlannedStep {
    fn of(operation: &Operation) -> PlannedStep {
        match operation {
            Operation::UpdateProfile { .. } => PlannedStep::UpdateProfile,
            Operation::ChangeRole { .. } => PlannedStep::ChangeRole,
            Operation::Invite(invite) => PlannedStep::Invite {
                first_name: invite.first_name.clone(),
                last_name: invite.last_name.clone(),
                role: invite.role.clone(),
                message: invite.message.clone(),
            },
            Operation::Enable => PlannedStep::Enable,
            Operation::Disable { reassign_to } => PlannedStep::Disable {
                reassign_to: *reassign_to,
            },
        }
    }

    fn kind(&self) -> OperationKind {
        match self {
            PlannedStep::UpdateProfile => OperationKind::UpdateProfile,
            PlannedStep::ChangeRole => OperationKind::ChangeRole,
            PlannedStep::Invite { .. } => OperationKind::Invite,
            PlannedStep::Enable => OperationKind::Enable,
            PlannedStep::Disable { .. } => OperationKind::Disable,
        }
    }

    /// Whether a format 1 reader does this step from `fields` alone.
    fn is_field_change(&self) -> bool {
        matches!(self, PlannedStep::UpdateProfile | PlannedStep::ChangeRole)
    }
}

/// What is read of a plan before the rest: whether this version reads its format at all.
#[derive(Deserialize)]
struct Header {
    format: String,
    format_version: u32,
    #[serde(default)]
    tool_version: String,
}

impl PlanFile {
    pub fn new(
        plan: &Plan,
        org: &str,
        base_url: &str,
        input: &Path,
        members: &[Member],
    ) -> std::io::Result<PlanFile> {
        let bytes = std::fs::read(input)?;
        let input = InputFile::of(&input.display().to_string(), &bytes);
        Ok(PlanFile::for_input(plan, org, base_url, input, members))
    }

    /// The plan of an input already read (standard input cannot be read again to hash it),
    /// against `members` as the plan read them.
    pub fn for_input(
        plan: &Plan,
        org: &str,
        base_url: &str,
        input: InputFile,
        members: &[Member],
    ) -> PlanFile {
        let mut counts = BTreeMap::new();
        for row in &plan.rows {
            let kind = match row {
                RowPlan::Invalid(_) => "invalid",
                RowPlan::NotFound { .. } => "not_found",
                RowPlan::Unchanged { .. } => "unchanged",
                RowPlan::Duplicate(_) => "duplicate",
                RowPlan::Chain(_) => "update",
            };
            *counts.entry(kind.to_string()).or_default() += 1;
        }
        let seen = updated_at_of_disabled(plan, members);
        let changes: Vec<PlannedMember> = plan.chains().map(|c| planned(c, &seen)).collect();
        PlanFile {
            format: FORMAT.into(),
            format_version: format_of(&changes),
            tool_version: env!("CARGO_PKG_VERSION").into(),
            org: org.into(),
            base_url: base_url.into(),
            created_at: jiff::Timestamp::now()
                .strftime("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
            input,
            counts,
            changes,
            groups: Vec::new(),
            max_group_removals: None,
        }
    }

    /// The plan with its group writes, made under `limit`. A plan that writes groups is of
    /// the newest format: a version that cannot write them refuses it.
    pub fn with_groups(mut self, groups: &[GroupChange], limit: RemovalLimit) -> PlanFile {
        if !groups.is_empty() {
            self.groups = groups.to_vec();
            self.max_group_removals = Some(limit.to_string());
            self.format_version = FORMAT_VERSION;
        }
        self
    }

    /// The group writes and the limit they were planned under.
    pub fn group_writes(&self) -> Result<(Vec<GroupChange>, RemovalLimit), String> {
        let limit = match &self.max_group_removals {
            Some(text) => text
                .parse()
                .map_err(|e| format!("max_group_removals: {e}"))?,
            None => RemovalLimit::DEFAULT,
        };
        Ok((self.groups.clone(), limit))
    }

    /// Reads a plan and checks it was made for this organization and API by a compatible
    /// version; errors say which and what to do. The format is checked before the rest is
    /// read, so that a newer plan is refused as one, whatever its entries look like.
    pub fn load(path: &Path, org: &str, base_url: &str) -> Result<PlanFile, String> {
        let shown = path.display();
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the plan {shown}: {e}"))?;
        let not_a_plan = |e: serde_json::Error| format!("{shown} is not a member-sync plan: {e}");
        let header: Header = serde_json::from_str(&text).map_err(not_a_plan)?;
        if header.format != FORMAT || !(1..=FORMAT_VERSION).contains(&header.format_version) {
            return Err(format!(
                "{shown} is a plan of format {} made by member-sync {}; this version reads formats 1 to {FORMAT_VERSION}: make the plan again",
                header.format_version, header.tool_version
            ));
        }
        let plan: PlanFile = serde_json::from_str(&text).map_err(not_a_plan)?;
        if plan.org != org {
            return Err(format!(
                "{shown} was made for organization `{}`, not `{org}`",
                plan.org
            ));
        }
        if plan.base_url.trim_end_matches('/') != base_url.trim_end_matches('/') {
            return Err(format!(
                "{shown} was made against {}, not {base_url}",
                plan.base_url
            ));
        }
        Ok(plan)
    }

    /// The plan's changes, each with what it expects to find. An entry this version cannot
    /// replay is refused, naming its line, rather than left out.
    pub fn recorded(&self) -> Result<Vec<Recorded>, String> {
        self.changes.iter().map(PlannedMember::recorded).collect()
    }
}

/// The oldest format whose readers apply these entries exactly.
fn format_of(changes: &[PlannedMember]) -> u32 {
    let steps = || changes.iter().flat_map(|c| c.steps.iter().flatten());
    if changes
        .iter()
        .any(|c| c.row.is_none() || c.member_id.is_none())
    {
        FORMAT_LINES_WITHOUT_ROW
    } else if steps().all(PlannedStep::is_field_change) {
        FORMAT_PROFILE_ONLY
    } else {
        FORMAT_ROWS_ONLY
    }
}

/// The `updated_at` of each member the plan disables, as the plan read it.
fn updated_at_of_disabled(plan: &Plan, members: &[Member]) -> HashMap<u64, jiff::Timestamp> {
    let disabled: HashSet<u64> = plan
        .chains()
        .filter(|c| c.steps.iter().any(|s| s.kind() == OperationKind::Disable))
        .filter_map(|c| c.member_id)
        .collect();
    if disabled.is_empty() {
        return HashMap::new();
    }
    members
        .iter()
        .filter(|m| disabled.contains(&m.id))
        .filter_map(|m| Some((m.id, m.updated_at?)))
        .collect()
}

/// A chain as the plan file holds it.
fn planned(chain: &Chain, seen: &HashMap<u64, jiff::Timestamp>) -> PlannedMember {
    let invited = chain.steps.iter().find_map(|s| match s {
        Operation::Invite(invite) => Some(invite.email.clone()),
        _ => None,
    });
    let disables = chain
        .steps
        .iter()
        .any(|s| s.kind() == OperationKind::Disable);
    PlannedMember {
        row: chain.line.row(),
        subject: chain.line.member().map(|_| Subject::Member),
        member_id: chain.member_id.or(chain.line.member()),
        email: chain.email.clone().or(invited).unwrap_or_default(),
        fields: chain
            .changes()
            .map(|c| {
                let pair =
                    serde_json::json!({ "before": value_json(&c.before), "after": value_json(&c.after) });
                (c.field.name().to_string(), pair)
            })
            .collect(),
        steps: Some(chain.steps.iter().map(PlannedStep::of).collect()),
        member_updated_at: chain
            .member_id
            .filter(|_| disables)
            .and_then(|id| seen.get(&id))
            .map(|at| at.to_string()),
    }
}

#[cfg(test)]
#[path = "plan_file_tests.rs"]
mod tests;
