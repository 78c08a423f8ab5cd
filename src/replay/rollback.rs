//! `member-sync rollback REPORT`: the `updated` rows of a run, turned back. Each row's report
//! line holds `before` (the values the run found) and `after` (what it wrote); undoing it means
//! expecting `after` and setting `before`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value as Json;

use super::{Recorded, value_from_json};
use crate::fields::Field;
use crate::progress::Progress;
use crate::report::{ReportLine, read_back};

/// The changes that undo the `updated` rows of `report`.
pub fn from_report(report: &Path, progress: &dyn Progress) -> Result<Vec<Recorded>, String> {
    let columns = ["row", "email", "user_id", "outcome", "before", "after"];
    let mut undo = Vec::new();
    for ReportLine { line, cells } in read_back(report, &columns, progress)? {
        if cells[3] != "updated" {
            continue;
        }
        let problem = |what: String| format!("{} line {line}: {what}", report.display());
        let row = cells[0]
            .parse()
            .map_err(|_| problem("`row` is not a number".into()))?;
        let member_id = cells[2]
            .parse()
            .map_err(|_| problem("`user_id` is not a number".into()))?;
        let object = |i: usize, name: &str| -> Result<serde_json::Map<String, Json>, String> {
            match serde_json::from_str::<Json>(&cells[i]) {
                Ok(Json::Object(map)) => Ok(map),
                _ => Err(problem(format!("`{name}` is not a JSON object"))),
            }
        };
        let (before, after) = (object(4, "before")?, object(5, "after")?);
        let mut fields = BTreeMap::new();
        for (name, written) in &after {
            let field =
                Field::from_name(name).ok_or_else(|| problem(format!("unknown field `{name}`")))?;
            let found = before.get(name).unwrap_or(&Json::Null);
            let expect = value_from_json(field, written).map_err(problem)?;
            let restore = value_from_json(field, found).map_err(problem)?;
            fields.insert(field, (expect, restore));
        }
        undo.push(Recorded {
            row,
            member_id,
            email: cells[1].clone(),
            fields,
        });
    }
    Ok(undo)
}
