//! The saved plan (`member-sync plan --out plan.json`): exactly what `apply --plan` will do,
//! with what it expects to find, so that it can refuse what no longer holds.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};

use super::{Recorded, value_from_json};
use crate::fields::Field;
use crate::plan::{RowPlan, Update};
use crate::report::value_json;

/// Bumped when the file's meaning changes; `apply --plan` refuses any other.
pub const FORMAT_VERSION: u32 = 1;
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

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PlannedMember {
    pub row: usize,
    pub member_id: u64,
    pub email: String,
    /// Field name → `{"before": ..., "after": ...}`.
    pub fields: Map<String, Json>,
}

impl PlanFile {
    pub fn new(
        plans: &[RowPlan],
        org: &str,
        base_url: &str,
        input: &Path,
    ) -> std::io::Result<PlanFile> {
        let bytes = std::fs::read(input)?;
        let input = InputFile::of(&input.display().to_string(), &bytes);
        Ok(PlanFile::for_input(plans, org, base_url, input))
    }

    /// The plan of an input already read (standard input cannot be read again to hash it).
    pub fn for_input(plans: &[RowPlan], org: &str, base_url: &str, input: InputFile) -> PlanFile {
        let mut counts = BTreeMap::new();
        let mut changes = Vec::new();
        for plan in plans {
            let kind = match plan {
                RowPlan::Invalid(_) => "invalid",
                RowPlan::NotFound { .. } => "not_found",
                RowPlan::Unchanged { .. } => "unchanged",
                RowPlan::Duplicate(_) => "duplicate",
                RowPlan::Update(update) => {
                    changes.push(planned(update));
                    "update"
                }
            };
            *counts.entry(kind.to_string()).or_default() += 1;
        }
        PlanFile {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
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
        if plan.format != FORMAT || plan.format_version != FORMAT_VERSION {
            return Err(format!(
                "{shown} is a plan of format {} made by member-sync {}; this version reads format {FORMAT_VERSION}: make the plan again",
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

    /// The plan's changes, each with the values it expects to find.
    pub fn recorded(&self) -> Result<Vec<Recorded>, String> {
        self.changes
            .iter()
            .map(|member| {
                let mut fields = BTreeMap::new();
                for (name, pair) in &member.fields {
                    let field = Field::from_name(name).ok_or_else(|| {
                        format!("row {}: unknown field `{name}` in the plan", member.row)
                    })?;
                    let get = |key: &str| {
                        value_from_json(field, pair.get(key).unwrap_or(&Json::Null))
                            .map_err(|e| format!("row {}: {e}", member.row))
                    };
                    fields.insert(field, (get("before")?, get("after")?));
                }
                Ok(Recorded {
                    row: member.row,
                    member_id: member.member_id,
                    email: member.email.clone(),
                    fields,
                })
            })
            .collect()
    }
}

fn planned(update: &Update) -> PlannedMember {
    PlannedMember {
        row: update.row,
        member_id: update.member_id,
        email: update.email.clone().unwrap_or_default(),
        fields: update
            .changes
            .iter()
            .map(|c| {
                let pair =
                    serde_json::json!({ "before": value_json(&c.before), "after": value_json(&c.after) });
                (c.field.name().to_string(), pair)
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(dir: &Path, edit: impl FnOnce(&mut Json)) -> std::path::PathBuf {
        let input = dir.join("in.csv");
        std::fs::write(&input, "email\n").unwrap();
        let plan = PlanFile::new(&[], "acme", "https://go.tallyfy.com/api", &input).unwrap();
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
        let newer = saved(dir.path(), |j| j["format_version"] = 2.into());
        let err = PlanFile::load(&newer, "acme", url).unwrap_err();
        assert!(err.contains("make the plan again"), "{err}");
        std::fs::write(dir.path().join("junk.json"), "{}").unwrap();
        let err = PlanFile::load(&dir.path().join("junk.json"), "acme", url).unwrap_err();
        assert!(err.contains("is not a member-sync plan"), "{err}");
    }
}
