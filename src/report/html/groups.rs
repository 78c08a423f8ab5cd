//! A group's line (`--groups-from`) as the page shows it: the group by its name, the members
//! its write added and removed, its size before and after.
//!
//! The report names those members by id (what Tallyfy keeps, and what a rollback restores),
//! which tells a reader nothing; the rows of the same report name them by email, so the page
//! does too. The ids are looked up in a second read of the report, and only those the listed
//! group lines show ([`MEMBERS_NAMED`] per cell at most), so memory follows the page, not the
//! run. A member with no line in the report (one the export does not list) keeps its id.
//!
//! The `before` and `after` member lists are the group's state, not a field of a person:
//! they are never shown as a field's change.

use std::collections::{BTreeMap, BTreeSet};

use maud::{Markup, html};
use serde_json::Value as Json;

use super::lines::Table;

/// The most members a cell names; the others are counted (`and 40 more`).
const MEMBERS_NAMED: usize = 50;

/// One group's line, as its table shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct GroupLine {
    /// The group's name, as the page shows text.
    pub name: String,
    pub outcome: String,
    pub action: String,
    pub added: Vec<u64>,
    pub removed: Vec<u64>,
    /// How many members it had before and after; `None` when the line's list does not read.
    pub before: Option<usize>,
    pub after: Option<usize>,
}

impl GroupLine {
    /// A line from its cells: `before` and `after` are `{"members":[…]}`.
    pub fn of(name: String, outcome: String, action: String, before: &str, after: &str) -> Self {
        let (before, after) = (members(before), members(after));
        let missing = |from: &Option<BTreeSet<u64>>, to: &Option<BTreeSet<u64>>| match (from, to) {
            (Some(from), Some(to)) => to.difference(from).copied().collect(),
            _ => Vec::new(),
        };
        GroupLine {
            name,
            outcome,
            action,
            added: missing(&before, &after),
            removed: missing(&after, &before),
            before: before.as_ref().map(BTreeSet::len),
            after: after.as_ref().map(BTreeSet::len),
        }
    }

    /// The members its cells name.
    fn named(&self) -> impl Iterator<Item = u64> + '_ {
        let first = |ids: &'_ [u64]| ids.iter().take(MEMBERS_NAMED).copied().collect::<Vec<_>>();
        first(&self.added).into_iter().chain(first(&self.removed))
    }
}

/// `{"members":[1,2]}` → `{1, 2}`; `None` when the cell is not such a list.
fn members(cell: &str) -> Option<BTreeSet<u64>> {
    let json: Json = serde_json::from_str(cell).ok()?;
    let list = json.get("members")?.as_array()?;
    list.iter().map(Json::as_u64).collect()
}

/// The member ids the listed lines name, to look up in the report.
pub(super) fn ids_named(table: &Table<GroupLine>) -> BTreeSet<u64> {
    table
        .listed()
        .into_iter()
        .flat_map(GroupLine::named)
        .collect()
}

/// The groups written (or to write), one line each.
pub(super) fn table(table: &Table<GroupLine>, names: &BTreeMap<u64, String>) -> Markup {
    html! {
        table {
            thead { tr {
                th { "group" } th { "outcome" } th { "action" }
                th { "members added" } th { "members removed" } th.num { "members" }
            } }
            tbody {
                @for line in table.listed() { tr {
                    td { (line.name) } td { (line.outcome) } td { (line.action) }
                    td { (members_text(&line.added, names)) }
                    td { (members_text(&line.removed, names)) }
                    td.num { (count(line.before)) " → " (count(line.after)) }
                } }
            }
        }
    }
}

/// `ann@acme.example, id 1031, and 12 more`: by email where the report has the member's row.
fn members_text(ids: &[u64], names: &BTreeMap<u64, String>) -> String {
    let mut named: Vec<String> = ids
        .iter()
        .take(MEMBERS_NAMED)
        .map(|id| names.get(id).cloned().unwrap_or_else(|| format!("id {id}")))
        .collect();
    if ids.len() > MEMBERS_NAMED {
        named.push(format!("and {} more", ids.len() - MEMBERS_NAMED));
    }
    named.join(", ")
}

fn count(members: Option<usize>) -> String {
    members.map_or_else(|| "?".to_string(), |n| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_reads_its_members_added_and_removed_from_its_lists() {
        let line = GroupLine::of(
            "Sales".into(),
            "updated".into(),
            "group".into(),
            r#"{"members":[1,2,5]}"#,
            r#"{"members":[1,4]}"#,
        );
        assert_eq!((line.added, line.removed), (vec![4], vec![2, 5]));
        assert_eq!((line.before, line.after), (Some(3), Some(2)));
        let unread = GroupLine::of("S".into(), "x".into(), "group".into(), "{}", "nope");
        assert_eq!((unread.before, unread.after), (None, None));
        assert!(unread.added.is_empty() && unread.removed.is_empty());
    }

    #[test]
    fn members_are_named_by_email_where_known_and_counted_past_the_limit() {
        let names = BTreeMap::from([(1, "ann@acme.example".to_string())]);
        assert_eq!(members_text(&[1, 7], &names), "ann@acme.example, id 7");
        let many: Vec<u64> = (100..160).collect();
        assert!(members_text(&many, &names).ends_with("id 149, and 10 more"));
    }
}
