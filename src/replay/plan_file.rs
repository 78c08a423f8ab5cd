//! The saved plan (`member-sync plan --out plan.json`): exactly what `apply --plan` will do,
//! with what it expects to find, so that it can refuse what no longer holds.
//!
//! Each entry of `changes` is one chain of operations, ending one report line: the fields it
//! changes (`before`, what it expects to find; `after`, what it sets) and its `steps`, the
//! operations in the order they run (`update_profile`, `change_role`; `invite`, `enable`,
//! `disable` with what they send). `format_version` is the oldest format whose readers apply
//! the plan exactly: 1 while every step is a profile or role change (format 1 readers derive
//! those steps from `fields`, and ignore `steps`), 2 as soon as a step is anything else, so
//! that a version that cannot send it refuses the plan instead of leaving the step out.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};

use super::{Recorded, value_from_json};
use crate::fields::Field;
use crate::plan::{Chain, Operation, OperationKind, Plan, RowPlan};
use crate::report::value_json;

/// The newest format this version reads; it writes [`FORMAT_PROFILE_ONLY`] or this one (see
/// the module's documentation). `apply --plan` refuses any other.
pub const FORMAT_VERSION: u32 = 2;
/// The format of a plan of profile and role changes only: every version reads it.
pub const FORMAT_PROFILE_ONLY: u32 = 1;
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

/// One chain of the plan: the member, the fields it changes, and its steps.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PlannedMember {
    /// The input row whose line the chain ends.
    pub row: usize,
    pub member_id: u64,
    pub email: String,
    /// Field name → `{"before": ..., "after": ...}`.
    pub fields: Map<String, Json>,
    /// The operations, in the order they run. Absent in plans written before operations
    /// were (format 1): derived from `fields` then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<PlannedStep>>,
}

/// One operation of a saved chain, with what it sends beyond the chain's `fields`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum PlannedStep {
    /// Sets the chain's profile fields (every field but `role`).
    UpdateProfile,
    /// Sets the chain's `role`.
    ChangeRole,
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

impl PlanFile {
    pub fn new(plan: &Plan, org: &str, base_url: &str, input: &Path) -> std::io::Result<PlanFile> {
        let bytes = std::fs::read(input)?;
        let input = InputFile::of(&input.display().to_string(), &bytes);
        Ok(PlanFile::for_input(plan, org, base_url, input))
    }

    /// The plan of an input already read (standard input cannot be read again to hash it).
    pub fn for_input(plan: &Plan, org: &str, base_url: &str, input: InputFile) -> PlanFile {
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
        let changes: Vec<PlannedMember> = plan.chains().map(planned).collect();
        let profile_only = changes
            .iter()
            .flat_map(|c| c.steps.iter().flatten())
            .all(PlannedStep::is_field_change);
        PlanFile {
            format: FORMAT.into(),
            format_version: match profile_only {
                true => FORMAT_PROFILE_ONLY,
                false => FORMAT_VERSION,
            },
            tool_version: env!("CARGO_PKG_VERSION").into(),
            org: org.into(),
            base_url: base_url.into(),
            created_at: jiff::Timestamp::now()
                .strftime("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
            input,
            counts,
            changes,
        }
    }

    /// Reads a plan and checks it was made for this organization and API by a compatible
    /// version; errors say which and what to do.
    pub fn load(path: &Path, org: &str, base_url: &str) -> Result<PlanFile, String> {
        let shown = path.display();
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the plan {shown}: {e}"))?;
        let plan: PlanFile = serde_json::from_str(&text)
            .map_err(|e| format!("{shown} is not a member-sync plan: {e}"))?;
        if plan.format != FORMAT || !(1..=FORMAT_VERSION).contains(&plan.format_version) {
            return Err(format!(
                "{shown} is a plan of format {} made by member-sync {}; this version reads formats 1 to {FORMAT_VERSION}: make the plan again",
                plan.format_version, plan.tool_version
            ));
        }
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

    /// The plan's changes, each with the values it expects to find. A step this version
    /// cannot send is refused, naming its row, rather than left out.
    pub fn recorded(&self) -> Result<Vec<Recorded>, String> {
        self.changes.iter().map(PlannedMember::recorded).collect()
    }
}

impl PlannedMember {
    fn recorded(&self) -> Result<Recorded, String> {
        let row = self.row;
        if let Some(step) = self.steps.iter().flatten().find(|s| !s.is_field_change()) {
            return Err(format!(
                "row {row}: the plan asks to `{}` member {}, which this version of member-sync cannot send",
                step.kind(),
                self.member_id
            ));
        }
        let mut fields = BTreeMap::new();
        for (name, pair) in &self.fields {
            let field = Field::from_name(name)
                .ok_or_else(|| format!("row {row}: unknown field `{name}` in the plan"))?;
            let get = |key: &str| {
                value_from_json(field, pair.get(key).unwrap_or(&Json::Null))
                    .map_err(|e| format!("row {row}: {e}"))
            };
            fields.insert(field, (get("before")?, get("after")?));
        }
        Ok(Recorded {
            row,
            member_id: self.member_id,
            email: self.email.clone(),
            fields,
        })
    }
}

/// A chain as the plan file holds it. Chains of this version are all a row's, on a member
/// that exists (the planner makes no invite and no subject yet).
fn planned(chain: &Chain) -> PlannedMember {
    PlannedMember {
        row: chain.line.row().unwrap_or_default(),
        member_id: chain.member_id.unwrap_or_default(),
        email: chain.email.clone().unwrap_or_default(),
        fields: chain
            .changes()
            .map(|c| {
                let pair =
                    serde_json::json!({ "before": value_json(&c.before), "after": value_json(&c.after) });
                (c.field.name().to_string(), pair)
            })
            .collect(),
        steps: Some(chain.steps.iter().map(PlannedStep::of).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(dir: &Path, edit: impl FnOnce(&mut Json)) -> std::path::PathBuf {
        let input = dir.join("in.csv");
        std::fs::write(&input, "email\n").unwrap();
        let plan = PlanFile::new(
            &Plan::default(),
            "acme",
            "https://go.tallyfy.com/api",
            &input,
        )
        .unwrap();
        let mut json = serde_json::to_value(&plan).unwrap();
        edit(&mut json);
        let path = dir.join("plan.json");
        std::fs::write(&path, json.to_string()).unwrap();
        path
    }

    #[test]
    fn plans_of_another_org_api_or_format_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let url = "https://go.tallyfy.com/api";
        let ok = saved(dir.path(), |_| {});
        assert!(PlanFile::load(&ok, "acme", url).is_ok());
        assert!(PlanFile::load(&ok, "acme", "https://go.tallyfy.com/api/").is_ok());
        let err = PlanFile::load(&ok, "other", url).unwrap_err();
        assert!(
            err.contains("made for organization `acme`, not `other`"),
            "{err}"
        );
        let err = PlanFile::load(&ok, "acme", "https://api.tallyfy.com").unwrap_err();
        assert!(err.contains("was made against"), "{err}");
        let newer = saved(dir.path(), |j| j["format_version"] = 3.into());
        let err = PlanFile::load(&newer, "acme", url).unwrap_err();
        assert!(err.contains("make the plan again"), "{err}");
        std::fs::write(dir.path().join("junk.json"), "{}").unwrap();
        let err = PlanFile::load(&dir.path().join("junk.json"), "acme", url).unwrap_err();
        assert!(err.contains("is not a member-sync plan"), "{err}");
    }

    /// A plan of one chain, profile then role, on member 1001 for row 3.
    fn plan_of_one_chain() -> Plan {
        use crate::fields::Value;
        use crate::plan::{Change, LineKey};
        let text = |s: &str| Some(Value::Text(s.into()));
        let title = Change {
            field: Field::JobTitle,
            before: text("Analyst"),
            after: text("Lead"),
        };
        let role = Change {
            field: Field::Role,
            before: text("standard"),
            after: text("admin"),
        };
        let body = serde_json::json!({"first_name": "A", "last_name": "B", "timezone": "UTC", "job_title": "Lead"});
        let chain = Chain {
            line: LineKey::Row(3),
            member_id: Some(1001),
            email: Some("a.b@acme.example".into()),
            steps: vec![
                Operation::UpdateProfile {
                    body: body.as_object().unwrap().clone(),
                    changes: vec![title],
                },
                Operation::ChangeRole { change: role },
            ],
        };
        Plan {
            rows: vec![RowPlan::Chain(Box::new(chain))],
            subjects: Vec::new(),
        }
    }

    fn write(dir: &Path, json: &Json) -> std::path::PathBuf {
        let path = dir.join("plan.json");
        std::fs::write(&path, json.to_string()).unwrap();
        path
    }

    #[test]
    fn a_saved_plan_carries_its_operations_and_reads_back_as_the_same_changes() {
        let dir = tempfile::tempdir().unwrap();
        let input = InputFile::of("in.csv", b"email\n");
        let url = "https://go.tallyfy.com/api";
        let plan = PlanFile::for_input(&plan_of_one_chain(), "acme", url, input);
        let json = serde_json::to_value(&plan).unwrap();
        // Profile and role changes only: every version reads it.
        assert_eq!(json["format_version"], 1);
        assert_eq!(
            json["changes"][0]["steps"],
            serde_json::json!([{"op": "update_profile"}, {"op": "change_role"}])
        );
        let loaded = PlanFile::load(&write(dir.path(), &json), "acme", url).unwrap();
        assert_eq!(loaded, plan);
        let recorded = loaded.recorded().unwrap();
        assert_eq!(recorded.len(), 1);
        assert_eq!((recorded[0].row, recorded[0].member_id), (3, 1001));
        let fields: Vec<Field> = recorded[0].fields.keys().copied().collect();
        assert_eq!(fields, [Field::JobTitle, Field::Role]);
        // A plan written before operations (no `steps`) reads as the same changes.
        let mut older = json.clone();
        older["changes"][0].as_object_mut().unwrap().remove("steps");
        let older = PlanFile::load(&write(dir.path(), &older), "acme", url).unwrap();
        assert_eq!(older.recorded().unwrap(), recorded);
    }

    #[test]
    fn a_step_this_version_cannot_send_refuses_the_plan_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let url = "https://go.tallyfy.com/api";
        let mut plan = plan_of_one_chain();
        let RowPlan::Chain(chain) = &mut plan.rows[0] else {
            unreachable!()
        };
        chain.steps.insert(0, Operation::Enable);
        let saved = PlanFile::for_input(&plan, "acme", url, InputFile::of("in.csv", b""));
        let json = serde_json::to_value(&saved).unwrap();
        assert_eq!(json["format_version"], 2, "older versions must refuse it");
        assert_eq!(
            json["changes"][0]["steps"][0],
            serde_json::json!({"op": "enable"})
        );
        let loaded = PlanFile::load(&write(dir.path(), &json), "acme", url).unwrap();
        assert_eq!(
            loaded.recorded().unwrap_err(),
            "row 3: the plan asks to `enable` member 1001, which this version of member-sync cannot send"
        );
    }
}
