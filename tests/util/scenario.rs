//! The "twenty changes" scenario several tests share: an export that touches members
//! 1001–1020 of the sample org in every way the README describes, and what the org must look
//! like afterwards, worked out from the README's rules rather than from the tool's code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::{Value, json};

use super::org::TestOrg;

/// The export's columns, spelled as an HR system spells them.
pub const HEADERS: [&str; 8] = [
    "Work Email",
    "First Name",
    "Last Name",
    "Job Title",
    "Department",
    "Phone",
    "Time Zone",
    "Role",
];

/// An export and its expected effect.
pub struct Scenario {
    pub input: PathBuf,
    /// Every member before the run, by id.
    pub before: BTreeMap<u64, Value>,
    /// What each member in the export must look like afterwards, by id.
    pub expected: BTreeMap<u64, Value>,
    /// The input row of each member in the export.
    pub row_of: BTreeMap<u64, usize>,
}

impl Scenario {
    /// Members whose profile (anything but the role) must change.
    pub fn profile_changes(&self) -> BTreeSet<u64> {
        self.changed(|before, after| {
            let (mut before, mut after) = (comparable(before), comparable(after));
            before["role"] = Value::Null;
            after["role"] = Value::Null;
            before != after
        })
    }

    /// Members whose role must change.
    pub fn role_changes(&self) -> BTreeSet<u64> {
        self.changed(|before, after| comparable(before)["role"] != comparable(after)["role"])
    }

    fn changed(&self, differs: impl Fn(&Value, &Value) -> bool) -> BTreeSet<u64> {
        self.expected
            .iter()
            .filter(|(id, after)| differs(&self.before[id], after))
            .map(|(id, _)| *id)
            .collect()
    }
}

/// Writes the export for `org` (the sample org) and works out the expected end state.
///
/// Row by row, cycling: a new job title; a new team; a new phone; a time zone typed in lower
/// case; a role typed in odd casing together with a new title (two calls); `__CLEAR__` of the
/// job title; a blank (white space) job title that must keep its value beside a padded team
/// and a new last name. Emails alternate between lower and upper case.
pub fn twenty_changes(org: &TestOrg, extra_rows: &[Vec<String>]) -> Scenario {
    let before: BTreeMap<u64, Value> = org
        .members()
        .into_iter()
        .map(|m| (m["id"].as_u64().expect("member id"), m))
        .collect();
    let mut rows = Vec::new();
    let mut expected = BTreeMap::new();
    let mut row_of = BTreeMap::new();
    for (i, id) in (1001..=1020u64).enumerate() {
        let member = &before[&id];
        let email = member["email"].as_str().expect("email");
        let mut row = vec![String::new(); HEADERS.len()];
        row[0] = if i % 2 == 0 {
            email.to_uppercase()
        } else {
            email.to_string()
        };
        let mut want = member.clone();
        match i % 7 {
            0 => {
                row[3] = format!("Title {id}");
                want["job_title"] = json!(format!("Title {id}"));
            }
            1 => {
                row[4] = format!("Team {id}");
                want["team"] = json!(format!("Team {id}"));
            }
            2 => {
                row[5] = format!("+1 555 0{id}");
                want["phone"] = json!(format!("+1 555 0{id}"));
            }
            3 => {
                row[6] = "america/new_york".into();
                want["timezone"] = json!("America/New_York");
            }
            4 => {
                let role = if member["role"].as_str() == Some("Admin") {
                    "LiGhT"
                } else {
                    "aDmIn"
                };
                row[7] = role.into();
                want["role"] = json!(role.to_lowercase());
                row[3] = format!("Lead {id}");
                want["job_title"] = json!(format!("Lead {id}"));
            }
            5 => {
                row[3] = "__CLEAR__".into();
                want["job_title"] = Value::Null;
            }
            _ => {
                row[3] = "   ".into();
                row[4] = "  Ops  ".into();
                want["team"] = json!("Ops");
                let last = format!("{}-Smith", member["last_name"].as_str().expect("name"));
                row[2] = last.clone();
                want["last_name"] = json!(last);
            }
        }
        rows.push(row);
        row_of.insert(id, i + 1);
        expected.insert(id, want);
    }
    rows.extend(extra_rows.iter().cloned());
    let input = org.input("twenty-changes.csv", &HEADERS, rows);
    Scenario {
        input,
        before,
        expected,
        row_of,
    }
}

/// A member reduced to what a sync decides: without the fields the server derives
/// (`updated_at`, `UTC_offset`, `full_name`), and with the role in lower case (lists show
/// `Admin`, the tool writes `admin`; both mean the same role).
pub fn comparable(member: &Value) -> Value {
    let mut member = member.clone();
    let object = member.as_object_mut().expect("a member is an object");
    for derived in ["updated_at", "UTC_offset", "full_name"] {
        object.remove(derived);
    }
    if let Some(Value::String(role)) = object.get("role") {
        let lower = role.to_lowercase();
        object.insert("role".into(), Value::String(lower));
    }
    member
}
