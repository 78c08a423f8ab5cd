//! Group writes replayed: a saved plan's (`apply --plan`) and those that undo a run's
//! (`rollback`). Both are [`GroupChange`]s, whose `before` is what the group must hold for the
//! write to go ahead; each is read again before it is written (`execute::groups`), and one
//! that moved on is `stale`, untouched.
//!
//! Undoing a group's line swaps its lists: the run's `after` is expected, its `before`
//! restored. Only `updated` lines are undone: a write that failed changed nothing a person can
//! rely on, and reading the group shows what it holds. A group the run created is emptied,
//! not deleted (member-sync never deletes a group); the rollback says so.

use std::path::Path;

use serde_json::Value as Json;

use crate::plan::groups::GroupChange;
use crate::progress::Progress;
use crate::report::{ReportLine, read_back};

/// The report's columns a group's undo reads, in this order.
const COLUMNS: [&str; 6] = [
    "outcome",
    "action?",
    "group_id?",
    "groups?",
    "before",
    "after",
];

/// The group writes that undo a run's, from its report; messages name the report's line.
pub fn undo_from_report(
    report: &Path,
    progress: &dyn Progress,
) -> Result<Vec<GroupChange>, String> {
    let mut undo = Vec::new();
    for ReportLine { line, cells } in read_back(report, &COLUMNS, progress)? {
        if !is_group_action(&cells[1]) || cells[0] != "updated" {
            continue;
        }
        let problem = |what: String| format!("{} line {line}: {what}", report.display());
        if cells[2].is_empty() {
            return Err(problem("a group's line without its group_id".into()));
        }
        let undone = GroupChange {
            id: Some(cells[2].clone()),
            name: cells[3].clone(),
            // The write takes the group's description and guests as it reads them then.
            description: String::new(),
            guests: Vec::new(),
            before: members(&cells[5]).map_err(|e| problem(format!("after: {e}")))?,
            after: members(&cells[4]).map_err(|e| problem(format!("before: {e}")))?,
            last_updated: None,
            invitees: Vec::new(),
        };
        if cells[1].starts_with("create_group") {
            progress.note(&format!(
                "group {} was created by that run: the rollback empties it; delete it in Tallyfy's web app if it should not stay",
                undone.name
            ));
        }
        undo.push(undone);
    }
    Ok(undo)
}

/// Whether a line's `action` is a group's (`group`, `create_group+group`).
pub fn is_group_action(action: &str) -> bool {
    action.split('+').any(|a| a == "group")
}

/// `{"members": [1, 2]}` → `[1, 2]`, sorted.
fn members(cell: &str) -> Result<Vec<u64>, String> {
    let json: Json = serde_json::from_str(cell).map_err(|e| format!("not JSON ({e})"))?;
    let list = json
        .get("members")
        .and_then(Json::as_array)
        .ok_or("no `members` list")?;
    let mut ids = list
        .iter()
        .map(|id| {
            id.as_u64()
                .ok_or_else(|| format!("`{id}` is not a member id"))
        })
        .collect::<Result<Vec<u64>, String>>()?;
    ids.sort_unstable();
    Ok(ids)
}
