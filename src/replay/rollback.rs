//! `member-sync rollback REPORT`: what a run changed, turned back. Each line of the report
//! holds `before` (the values the run found), `after` (what it sent), `landed` (which of those
//! fields the server took) and `action` (what its chain did); undoing it means expecting
//! `after` and setting `before` for every field that landed, enabling a member the run
//! disabled, and disabling one it enabled.
//!
//! Whatever the line's outcome: a run stopped between a row's profile and role calls leaves it
//! `cancelled` with its profile fields changed, and those members must be restored too; a
//! disable whose answer was lost may have landed, and the member's status when the rollback
//! runs says whether it did (an active member is left alone, `unchanged`).
//! Reports written before `landed` existed are read by the rule they were written by: an
//! `updated` row landed every field, and a row whose error starts with
//! [`PROFILE_ONLY`] landed all but its role.
//!
//! A line is keyed by its row, or, with an empty `row`, by the member it names (a leaver).
//! An invitation cannot be withdrawn through Tallyfy's API: each one the run sent is named, and
//! left; the rollback does not fail for it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value as Json;

use super::{Lifecycle, Recorded, value_from_json};
use crate::execute::pool::PROFILE_ONLY;
use crate::fields::Field;
use crate::plan::{LineKey, OperationKind};
use crate::progress::Progress;
use crate::report::{ReportLine, read_back};

/// The changes that undo a run, from its report.
#[derive(Debug, Default)]
pub struct Undo {
    pub changes: Vec<Recorded>,
    /// Lines of them that were not `updated`: only some of their calls landed.
    pub partly_applied: usize,
    /// The invitations the run sent (or may have sent), which no API call withdraws: one
    /// sentence each, naming the person and the line.
    pub invitations: Vec<String>,
}

/// The report's columns a rollback reads, in this order.
const COLUMNS: [&str; 10] = [
    "row", "email", "user_id", "outcome", "before", "after", "error", "landed?", "action?",
    "attempts",
];

/// The changes that undo every field and status change `report` says landed.
pub fn from_report(report: &Path, progress: &dyn Progress) -> Result<Undo, String> {
    let mut undo = Undo::default();
    for ReportLine { line, cells } in read_back(report, &COLUMNS, progress)? {
        let problem = |what: String| format!("{} line {line}: {what}", report.display());
        let cells = Cells(&cells);
        // A group's line is undone by `replay::groups`.
        if super::groups::is_group_action(&cells.0[8]) {
            continue;
        }
        let actions = cells.actions().map_err(problem)?;
        if cells.attempts() == "0" {
            continue;
        }
        if actions.contains(&OperationKind::Invite) {
            if cells.may_have_landed() {
                undo.invitations.push(cells.invitation(report, line));
            }
            continue;
        }
        let Some(recorded) = undo_of(&cells, &actions).map_err(problem)? else {
            continue;
        };
        undo.partly_applied += usize::from(!cells.done());
        undo.changes.push(recorded);
    }
    Ok(undo)
}

/// The change that undoes one line, if it changed anything.
fn undo_of(cells: &Cells, actions: &BTreeSet<OperationKind>) -> Result<Option<Recorded>, String> {
    let line = cells.line_key()?;
    let fields = landed_fields(cells)?;
    let status_landed = cells.may_have_landed();
    let lifecycle = if actions.contains(&OperationKind::Disable) && status_landed {
        Some(Lifecycle::Enable)
    } else if actions.contains(&OperationKind::Enable) && status_landed {
        Some(Lifecycle::Disable {
            reassign_to: None,
            seen_updated_at: None,
        })
    } else {
        None
    };
    if fields.is_empty() && lifecycle.is_none() {
        return Ok(None);
    }
    Ok(Some(Recorded {
        line,
        member_id: Some(cells.member_id()?),
        email: cells.0[1].clone(),
        fields,
        lifecycle,
    }))
}

/// Per field that landed: what the run wrote (expected now), and what it found (to restore).
type Restore = BTreeMap<Field, (Option<crate::fields::Value>, Option<crate::fields::Value>)>;

fn landed_fields(cells: &Cells) -> Result<Restore, String> {
    let landed = match Landed::read(cells.outcome(), cells.error(), &cells.0[7])? {
        Landed::Nothing => return Ok(BTreeMap::new()),
        landed => landed,
    };
    let object = |i: usize, name: &str| -> Result<serde_json::Map<String, Json>, String> {
        match serde_json::from_str::<Json>(&cells.0[i]) {
            Ok(Json::Object(map)) => Ok(map),
            // A line of a status change alone may have no fields at all.
            _ if cells.0[i].is_empty() => Ok(serde_json::Map::new()),
            _ => Err(format!("`{name}` is not a JSON object")),
        }
    };
    let (before, after) = (object(4, "before")?, object(5, "after")?);
    if let Landed::Fields(names) = &landed
        && let Some(name) = names.iter().find(|name| !after.contains_key(*name))
    {
        return Err(format!(
            "`landed` names `{name}`, which `after` does not hold"
        ));
    }
    let mut fields = BTreeMap::new();
    for (name, written) in &after {
        let field = Field::from_name(name).ok_or_else(|| format!("unknown field `{name}`"))?;
        if !landed.holds(field) {
            continue;
        }
        let found = before.get(name).unwrap_or(&Json::Null);
        fields.insert(
            field,
            (
                value_from_json(field, written)?,
                value_from_json(field, found)?,
            ),
        );
    }
    Ok(fields)
}

/// The outcomes of a line whose chain was done whole.
const DONE: [&str; 4] = ["updated", "invited", "enabled", "disabled"];

/// One report line's cells, in [`COLUMNS`] order.
struct Cells<'a>(&'a [String]);

impl Cells<'_> {
    fn outcome(&self) -> &str {
        &self.0[3]
    }

    fn error(&self) -> &str {
        &self.0[6]
    }

    fn attempts(&self) -> &str {
        &self.0[9]
    }

    /// The kinds of operation the line's chain did (`enable+update`): `update` stands for
    /// both field kinds. An empty `action` (reports written before it) is an update.
    fn actions(&self) -> Result<BTreeSet<OperationKind>, String> {
        let action = &self.0[8];
        if action.is_empty() {
            return Ok(BTreeSet::from([OperationKind::UpdateProfile]));
        }
        action
            .split('+')
            .map(|name| match name {
                "update" => Ok(OperationKind::UpdateProfile),
                "invite" => Ok(OperationKind::Invite),
                "enable" => Ok(OperationKind::Enable),
                "disable" => Ok(OperationKind::Disable),
                _ => Err(format!(
                    "its action `{action}` cannot be undone by this version of member-sync"
                )),
            })
            .collect()
    }

    /// Whether the line's chain ended well: `updated`, or named for its first step
    /// (`invited`, `enabled`, `disabled`).
    fn done(&self) -> bool {
        DONE.contains(&self.outcome())
    }

    /// Whether the line's invite, enable or disable may have landed: its chain ended well,
    /// went on past it (the error says what was done first), or lost the answer.
    fn may_have_landed(&self) -> bool {
        let error = self.error();
        self.done()
            || [
                "the member was invited",
                "the member was enabled",
                "the member was disabled",
            ]
            .iter()
            .any(|done| error.starts_with(done))
            || error.contains("may or may not have been applied")
    }

    /// The line's row, or its member's when the row is empty.
    fn line_key(&self) -> Result<LineKey, String> {
        match self.0[0].as_str() {
            "" => Ok(LineKey::Member(self.member_id()?)),
            row => row
                .parse()
                .map(LineKey::Row)
                .map_err(|_| "`row` is not a number".into()),
        }
    }

    fn member_id(&self) -> Result<u64, String> {
        self.0[2]
            .parse()
            .map_err(|_| "`user_id` is not a number".into())
    }

    /// What a person is told of an invitation the rollback leaves.
    fn invitation(&self, report: &Path, line: usize) -> String {
        let row = match self.0[0].as_str() {
            "" => String::new(),
            row => format!(", row {row}"),
        };
        format!(
            "{} line {line}{row}: the invitation of {} stays: Tallyfy's API cannot withdraw an invitation",
            report.display(),
            self.0[1]
        )
    }
}

/// Which of a row's changed fields landed, as its report line says.
#[derive(Debug, PartialEq)]
enum Landed {
    Nothing,
    All,
    /// Every field but the role (a report from before `landed`).
    AllButRole,
    Fields(BTreeSet<String>),
}

impl Landed {
    fn read(outcome: &str, error: &str, landed: &str) -> Result<Landed, String> {
        if !landed.is_empty() {
            let names: Vec<String> = serde_json::from_str(landed)
                .map_err(|_| format!("`landed` is not a JSON array of field names: `{landed}`"))?;
            return Ok(match names.is_empty() {
                true => Landed::Nothing,
                false => Landed::Fields(names.into_iter().collect()),
            });
        }
        Ok(match outcome {
            "updated" => Landed::All,
            "failed" | "cancelled" if error.starts_with(PROFILE_ONLY) => Landed::AllButRole,
            _ => Landed::Nothing,
        })
    }

    fn holds(&self, field: Field) -> bool {
        match self {
            Landed::Nothing => false,
            Landed::All => true,
            Landed::AllButRole => field != Field::Role,
            Landed::Fields(names) => names.contains(field.name()),
        }
    }
}

#[cfg(test)]
#[path = "rollback_tests.rs"]
mod tests;
