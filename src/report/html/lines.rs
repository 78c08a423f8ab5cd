//! The report's lines, read back from the file as written and sorted into the page's sections:
//! what needs a person, the changes by field (and actions by name), and the rest.
//!
//! The page is built from the file, not from the run's memory, so it shows exactly what the
//! report holds, and a line of a kind this module has never seen (a new outcome, a new action,
//! a line without a row) lands in a section by the same rules. Columns are found by name:
//! `action` is shown when the report has it. Only the first [`ROWS_LISTED`] lines of each table
//! are kept (the lowest-numbered), so memory and the page stay bounded whatever the run's size;
//! every line is counted.

use std::collections::{BTreeMap, BinaryHeap};
use std::io;
use std::path::Path;

use serde_json::Value as Json;

use super::ROWS_LISTED;
use super::groups::{GroupLine, ids_named};
use crate::report::{shown_text, unescape_cell};

/// The longest text shown in a cell, in characters; the CSV has the whole value.
const CELL_CHARS: usize = 300;

/// Outcomes that need a person, in the order the page lists them.
pub(super) const NEEDS_ATTENTION: [&str; 4] = ["failed", "cancelled", "invalid", "stale"];

/// Outcomes whose changes are listed by field.
const CHANGED: [&str; 2] = ["updated", "planned"];

/// One report line as the page shows it: every cell is text to escape, control and
/// direction-changing characters already made visible (`\u{202e}`), long ones cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Line {
    /// The input row; `None` for a line without one (a member acted on without a row).
    pub row: Option<usize>,
    pub email: String,
    pub user_id: String,
    pub outcome: String,
    pub action: String,
    pub changes: String,
    pub error: String,
    pub http_status: String,
    pub attempts: String,
}

/// One field's change on one line: `before → after` (`None`: empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FieldChange {
    pub row: Option<usize>,
    pub email: String,
    pub outcome: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The lowest-numbered [`ROWS_LISTED`] of a table's lines, and how many it has in all.
#[derive(Debug)]
pub(super) struct Table<T> {
    kept: BinaryHeap<Keyed<T>>,
    pub total: usize,
}

/// A table entry ordered by where its line is: its row, then lines without a row in file order.
#[derive(Debug)]
struct Keyed<T> {
    key: (usize, usize),
    item: T,
}

impl<T> PartialEq for Keyed<T> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<T> Eq for Keyed<T> {}
impl<T> PartialOrd for Keyed<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Keyed<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table {
            kept: BinaryHeap::new(),
            total: 0,
        }
    }
}

impl<T> Table<T> {
    /// Counts a line, and keeps it if it is among the first [`ROWS_LISTED`] (`make` is only
    /// called then: a run of 100,000 unchanged rows builds 1,000 of them).
    fn add(&mut self, key: (usize, usize), make: impl FnOnce() -> T) {
        self.total += 1;
        if self.kept.len() >= ROWS_LISTED && self.kept.peek().is_some_and(|last| key > last.key) {
            return;
        }
        self.kept.push(Keyed { key, item: make() });
        if self.kept.len() > ROWS_LISTED {
            self.kept.pop();
        }
    }

    /// The lines kept, in row order.
    pub fn listed(&self) -> Vec<&T> {
        let mut listed: Vec<&Keyed<T>> = self.kept.iter().collect();
        listed.sort_by_key(|keyed| keyed.key);
        listed.into_iter().map(|keyed| &keyed.item).collect()
    }

    /// Lines counted but not listed.
    pub fn unlisted(&self) -> usize {
        self.total - self.kept.len()
    }
}

/// The report sorted into the page's sections.
#[derive(Debug, Default)]
pub(super) struct Sections {
    /// Lines by outcome: those [`NEEDS_ATTENTION`], and the rest (unchanged, not_found, ...).
    pub by_outcome: BTreeMap<String, Table<Line>>,
    /// Each changed field's changes, by field name.
    pub by_field: BTreeMap<String, Table<FieldChange>>,
    /// Lines whose action is more than a profile `update` (`invite`, `disable`,
    /// `enable+update`), by action.
    pub by_action: BTreeMap<String, Table<Line>>,
    /// The groups written (or to write): their lines updated or planned.
    pub groups: Table<GroupLine>,
    /// The emails of the members the listed group lines name, by id
    /// ([`Sections::name_members`]).
    pub names: BTreeMap<u64, String>,
    /// Lines updated or planned.
    pub changed: usize,
    /// Lines per outcome, as the file has them.
    pub counted: BTreeMap<String, usize>,
    /// Of the lines counted, those of members without a row, and of groups.
    pub counted_members: usize,
    pub counted_groups: usize,
    /// Whether the report has an `action` column.
    pub has_action: bool,
}

/// Where each column the page reads is in the header, by name.
struct Columns {
    at: BTreeMap<&'static str, usize>,
}

const READ: [&str; 12] = [
    "row",
    "email",
    "user_id",
    "outcome",
    "changes",
    "before",
    "after",
    "http_status",
    "attempts",
    "error",
    "action",
    "groups",
];

impl Columns {
    fn of(header: &csv::StringRecord) -> Columns {
        let at = READ
            .iter()
            .filter_map(|name| Some((*name, header.iter().position(|h| h == *name)?)))
            .collect();
        Columns { at }
    }

    /// A cell, unescaped (the report's Excel-safety prefix removed); empty when the report has
    /// no such column.
    fn cell<'r>(&self, record: &'r csv::StringRecord, name: &str) -> &'r str {
        let cell = self.at.get(name).and_then(|&i| record.get(i));
        unescape_cell(cell.unwrap_or(""))
    }
}

impl Sections {
    /// Reads the report at `path` (a CSV report, or a workbook's journal), line by line. A line
    /// that does not read (the torn last line of a killed run) is left out: the page shows what
    /// the file holds.
    pub fn read(path: &Path) -> io::Result<Sections> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(path)?;
        let columns = Columns::of(reader.headers()?);
        let mut sections = Sections {
            has_action: columns.at.contains_key("action"),
            ..Sections::default()
        };
        for (at, record) in reader.records().enumerate() {
            if let Ok(record) = record {
                sections.add(&columns, &record, at);
            }
        }
        Ok(sections)
    }

    fn add(&mut self, columns: &Columns, record: &csv::StringRecord, at: usize) {
        let outcome = shown(columns.cell(record, "outcome"));
        let row = columns.cell(record, "row").trim().parse::<usize>().ok();
        let key = (row.unwrap_or(usize::MAX), at);
        *self.counted.entry(outcome.clone()).or_default() += 1;
        let is_group = crate::replay::groups::is_group_action(columns.cell(record, "action"));
        match (is_group, row) {
            (true, _) => self.counted_groups += 1,
            (false, None) => self.counted_members += 1,
            (false, Some(_)) => {}
        }
        let line = || Line {
            row,
            email: shown(&subject(columns, record, is_group)),
            user_id: shown(columns.cell(record, "user_id")),
            outcome: outcome.clone(),
            action: shown(columns.cell(record, "action")),
            changes: shown(&changes(columns, record, is_group)),
            error: shown(columns.cell(record, "error")),
            http_status: shown(columns.cell(record, "http_status")),
            attempts: shown(columns.cell(record, "attempts")),
        };
        if !CHANGED.contains(&outcome.as_str()) {
            let table = self.by_outcome.entry(outcome.clone()).or_default();
            table.add(key, line);
            return;
        }
        self.changed += 1;
        let action = columns.cell(record, "action");
        if is_group {
            self.groups.add(key, || {
                let cell = |name| columns.cell(record, name);
                let (name, action) = (shown(cell("groups")), shown(action));
                let outcome = outcome.clone();
                GroupLine::of(name, outcome, action, cell("before"), cell("after"))
            });
        } else if !action.is_empty() && action != "update" {
            let table = self.by_action.entry(shown(action)).or_default();
            table.add(key, line);
        }
        if !is_group {
            self.add_field_changes(columns, record, key, row, &outcome);
        }
    }

    /// Reads the report at `path` again for the emails of the members the listed group lines
    /// name (their lines hold only ids); nothing to read when no group was written.
    pub fn name_members(&mut self, path: &Path) -> io::Result<()> {
        let wanted = ids_named(&self.groups);
        if wanted.is_empty() {
            return Ok(());
        }
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(path)?;
        let columns = Columns::of(reader.headers()?);
        for record in reader.records().flatten() {
            let id = columns.cell(&record, "user_id").trim().parse::<u64>().ok();
            let email = columns.cell(&record, "email");
            if let Some(id) = id.filter(|id| wanted.contains(id) && !email.is_empty()) {
                self.names.entry(id).or_insert_with(|| shown(email));
            }
        }
        Ok(())
    }

    /// One entry per field the line changes, from its `before` and `after` objects.
    fn add_field_changes(
        &mut self,
        columns: &Columns,
        record: &csv::StringRecord,
        key: (usize, usize),
        row: Option<usize>,
        outcome: &str,
    ) {
        let object = |name| match serde_json::from_str(columns.cell(record, name)) {
            Ok(Json::Object(object)) => object,
            _ => serde_json::Map::new(),
        };
        let (before, after) = (object("before"), object("after"));
        for field in after.keys() {
            let table = self.by_field.entry(shown(field)).or_default();
            table.add(key, || FieldChange {
                row,
                email: shown(columns.cell(record, "email")),
                outcome: outcome.to_string(),
                before: before.get(field).and_then(value_text),
                after: after.get(field).and_then(value_text),
            });
        }
    }
}

/// Who a line is about: its email, or for a group's line the group (`group Sales`).
fn subject(columns: &Columns, record: &csv::StringRecord, is_group: bool) -> String {
    match is_group {
        true => format!("group {}", columns.cell(record, "groups")),
        false => columns.cell(record, "email").to_string(),
    }
}

/// What a line changes: its fields, and for a row the groups it joins and leaves (a group's
/// line says its members added and removed in `changes` already).
fn changes(columns: &Columns, record: &csv::StringRecord, is_group: bool) -> String {
    let fields = columns.cell(record, "changes");
    match (is_group, columns.cell(record, "groups")) {
        (true, _) | (false, "") => fields.to_string(),
        (false, groups) if fields.is_empty() => format!("groups: {groups}"),
        (false, groups) => format!("{fields}; groups: {groups}"),
    }
}

/// A value of `before` or `after` as text (`None`: empty).
fn value_text(value: &Json) -> Option<String> {
    match value {
        Json::Null => None,
        Json::String(text) => Some(shown(text)),
        other => Some(shown(&other.to_string())),
    }
}

/// A cell as the page shows it: control and direction-changing characters as escapes, cut at
/// [`CELL_CHARS`].
fn shown(text: &str) -> String {
    shown_text(text, CELL_CHARS)
}
