//! `member-sync rollback REPORT`: what a run changed, turned back. Each row's report line holds
//! `before` (the values the run found), `after` (what it sent) and `landed` (which of those
//! fields the server took); undoing it means expecting `after` and setting `before`, for every
//! field that landed.
//!
//! Whatever the row's outcome: a run stopped between a row's profile and role calls leaves it
//! `cancelled` with its profile fields changed, and those members must be restored too.
//! Reports written before `landed` existed are read by the rule they were written by: an
//! `updated` row landed every field, and a row whose error starts with
//! [`PROFILE_ONLY`] landed all but its role.
//!
//! A line is keyed by its row, or, with an empty `row`, by the member it names (a subject acted
//! on without an input row). The `action` column says what a line's chain did: this version
//! undoes an `update`; a line whose chain sent anything else (an invite, an enable, a disable)
//! is refused, naming its line, rather than half undone.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value as Json;

use super::{Recorded, value_from_json};
use crate::execute::pool::PROFILE_ONLY;
use crate::fields::Field;
use crate::progress::Progress;
use crate::report::{ReportLine, read_back};

/// The changes that undo a run, from its report.
#[derive(Debug, Default)]
pub struct Undo {
    pub changes: Vec<Recorded>,
    /// Rows of them that were not `updated`: only some of their calls landed.
    pub partly_applied: usize,
}

/// The changes that undo every field `report` says landed.
pub fn from_report(report: &Path, progress: &dyn Progress) -> Result<Undo, String> {
    let columns = [
        "row", "email", "user_id", "outcome", "before", "after", "error", "landed?", "action?",
        "attempts",
    ];
    let mut undo = Undo::default();
    for ReportLine { line, cells } in read_back(report, &columns, progress)? {
        let problem = |what: String| format!("{} line {line}: {what}", report.display());
        let (outcome, error, landed) = (&cells[3], &cells[6], &cells[7]);
        let (action, attempts) = (&cells[8], &cells[9]);
        if !matches!(action.as_str(), "" | "update") && attempts != "0" {
            return Err(problem(format!(
                "its action `{action}` cannot be undone by this version of member-sync"
            )));
        }
        let landed = match Landed::read(outcome, error, landed).map_err(problem)? {
            Landed::Nothing => continue,
            landed => landed,
        };
        if cells[0].is_empty() {
            return Err(problem(format!(
                "member {} was changed without an input row; this version of member-sync cannot undo such a line",
                cells[2]
            )));
        }
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
        if let Landed::Fields(names) = &landed
            && let Some(name) = names.iter().find(|name| !after.contains_key(*name))
        {
            return Err(problem(format!(
                "`landed` names `{name}`, which `after` does not hold"
            )));
        }
        let mut fields = BTreeMap::new();
        for (name, written) in &after {
            let field =
                Field::from_name(name).ok_or_else(|| problem(format!("unknown field `{name}`")))?;
            if !landed.holds(field) {
                continue;
            }
            let found = before.get(name).unwrap_or(&Json::Null);
            let expect = value_from_json(field, written).map_err(problem)?;
            let restore = value_from_json(field, found).map_err(problem)?;
            fields.insert(field, (expect, restore));
        }
        if fields.is_empty() {
            continue;
        }
        undo.partly_applied += usize::from(outcome != "updated");
        undo.changes.push(Recorded {
            row,
            member_id,
            email: cells[1].clone(),
            fields,
        });
    }
    Ok(undo)
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
mod tests {
    use super::*;

    #[test]
    fn a_report_without_landed_is_read_by_its_outcome_and_error() {
        assert_eq!(Landed::read("updated", "", ""), Ok(Landed::All));
        let partial = format!("{PROFILE_ONLY}not sent: the run was stopped");
        assert_eq!(
            Landed::read("cancelled", &partial, ""),
            Ok(Landed::AllButRole)
        );
        assert_eq!(Landed::read("failed", &partial, ""), Ok(Landed::AllButRole));
        let cut = "the run was stopped while this request was in flight";
        assert_eq!(Landed::read("cancelled", cut, ""), Ok(Landed::Nothing));
        assert_eq!(Landed::read("planned", "", ""), Ok(Landed::Nothing));
    }

    #[test]
    fn landed_says_which_fields_whatever_the_outcome() {
        let landed = Landed::read("cancelled", "", r#"["job_title","team"]"#).unwrap();
        assert!(landed.holds(Field::JobTitle) && landed.holds(Field::Team));
        assert!(!landed.holds(Field::Role));
        assert_eq!(Landed::read("failed", "", "[]"), Ok(Landed::Nothing));
        assert!(Landed::read("updated", "", "job_title").is_err());
    }

    #[test]
    fn a_line_whose_chain_sent_what_this_version_cannot_undo_is_refused_by_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("r.csv");
        let header = "row,email,user_id,outcome,before,after,error,landed,action,attempts";
        let planned = "5,p@x.example,1005,planned,{},{},,,disable,0";
        let disabled = ",l@x.example,1042,updated,{},{},,[],disable,1";
        std::fs::write(&report, format!("{header}\n{planned}\n{disabled}\n")).unwrap();
        let error = from_report(&report, &crate::progress::Quiet).unwrap_err();
        assert!(
            error.ends_with(
                "line 3: its action `disable` cannot be undone by this version of member-sync"
            ),
            "{error}"
        );
        // A line of a subject that changed fields: keyed by its member, refused too.
        let subject = r#",l@x.example,1042,updated,"{""team"":""A""}","{""team"":""B""}",,"[""team""]",update,1"#;
        std::fs::write(&report, format!("{header}\n{subject}\n")).unwrap();
        let error = from_report(&report, &crate::progress::Quiet).unwrap_err();
        assert!(
            error.contains("line 2: member 1042 was changed without an input row"),
            "{error}"
        );
    }
}
