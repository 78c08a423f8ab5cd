//! Validation: Tallyfy's field rules, applied to every row before anything is sent.
//!
//! A row either becomes a [`DesiredRow`] (canonical values, safe to diff and send) or an
//! invalid row carrying every problem found, each naming the column, the value and the rule.
//! Nothing downstream ever sees an unvalidated cell.
//!
//! Every problem of a row is collected, not just the first, so one round of fixing the file is
//! enough. What a cell *means* (keep, clear, set) is [`crate::blank`]'s decision, under the
//! policies the input carries (`table.rules`); the field rules are in [`rules`] (and the
//! characters a text may hold in [`chars`]), the key rules in [`keys`], rows sharing a key in
//! `duplicates`, group cells in [`groups`], and values taken from other columns (a display
//! name split into first and last names, a country turned into `country_id`) in
//! [`mod@derive`]. Choices the user should
//! check are returned as [`RowWarning`]s beside the verdicts.

pub mod chars;
pub mod derive;
mod draft;
mod duplicates;
pub mod employment;
pub mod groups;
pub mod keys;
pub mod rules;

pub use draft::Draft;
pub use employment::{Employment, LeaverCheck, Status};

use crate::blank::BlankPolicy;
use crate::fields::{Field, FieldMap, trim_cell};
use crate::ingest::{MappedColumn, Record, Table, Target, pick_among};
use draft::ZoneMemo;

/// How a row identifies its member.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MemberKey {
    /// Lower-cased email.
    Email(String),
    UserId(u64),
}

/// A valid row: what the member should look like afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredRow {
    pub row: usize,
    pub key: MemberKey,
    /// The row's email, lower-cased, when the key is the user id. When the email is the key it
    /// is held there only, not twice; [`DesiredRow::email`] reads it from either place.
    pub email_beside_id: Option<String>,
    pub user_id: Option<u64>,
    /// Only the fields the row asks to set or clear; blank cells are absent (keep).
    pub fields: FieldMap,
    /// What the row says of the person's employment (status, start and end dates), for
    /// joiners and leavers: all unknown when the input has no such columns.
    pub employment: Employment,
    /// The groups the row places its person in (`--groups-from`), as written, trimmed, one
    /// per name. `None`: the row says nothing of groups (no such column, or blank cells), and
    /// the person's groups stay as they are.
    pub groups: Option<Vec<String>>,
}

impl DesiredRow {
    /// The row's email, lower-cased, when it has one (also when the key is the user id).
    pub fn email(&self) -> Option<&str> {
        match &self.key {
            MemberKey::Email(email) => Some(email),
            MemberKey::UserId(_) => self.email_beside_id.as_deref(),
        }
    }

    /// [`DesiredRow::email`], taken out of the row.
    pub fn take_email(&mut self) -> Option<String> {
        match &mut self.key {
            MemberKey::Email(email) => Some(std::mem::take(email)),
            MemberKey::UserId(_) => self.email_beside_id.take(),
        }
    }

    /// Whether two rows ask for exactly the same thing (the same key, email and values; the
    /// row number aside): sending the second would change nothing.
    pub fn same_request(&self, other: &DesiredRow) -> bool {
        self.key == other.key
            && self.email_beside_id == other.email_beside_id
            && self.user_id == other.user_id
            && self.fields == other.fields
            && self.employment == other.employment
            && self.groups == other.groups
    }
}

/// A valid row that repeats an earlier one exactly ([`DesiredRow::same_request`]): it is never
/// sent, and fails nothing (the outcome `duplicate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateRow {
    pub row: usize,
    /// The row it repeats, which acts for both.
    pub of: usize,
    /// The row's email, lower-cased, when it has one.
    pub email: Option<String>,
    pub user_id: Option<u64>,
}

impl DuplicateRow {
    /// What the report says of it: `same as row 1`.
    pub fn reason(&self) -> String {
        format!("same as row {}", self.of)
    }
}

/// One broken rule in one cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// The column header as in the file.
    pub column: String,
    /// The cell as in the file.
    pub value: String,
    /// The rule, in words (`at most 32 characters`).
    pub rule: String,
}

/// An invalid row: reported, never sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvalidRow {
    pub row: usize,
    /// The raw key cells, for the report.
    pub email: String,
    pub user_id: String,
    pub problems: Vec<RowProblem>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowVerdict {
    Valid(DesiredRow),
    Invalid(InvalidRow),
    Duplicate(DuplicateRow),
}

impl RowVerdict {
    /// The row's number in the input (the report's `row`).
    pub fn row(&self) -> usize {
        match self {
            RowVerdict::Valid(valid) => valid.row,
            RowVerdict::Invalid(invalid) => invalid.row,
            RowVerdict::Duplicate(duplicate) => duplicate.row,
        }
    }
}

/// Something valid but worth checking, on one row: a name split from the display name, a time
/// zone read from an offset, a country with no `country_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowWarning {
    pub row: usize,
    /// The column the warning is about, as in the file.
    pub column: String,
    pub message: String,
}

/// Every verdict, and the warnings of every row, in row order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validation {
    pub verdicts: Vec<RowVerdict>,
    pub warnings: Vec<RowWarning>,
    /// Lines about the rows together, for stderr: how many share a key, how many repeat one.
    pub notes: Vec<String>,
}

/// Validates every record of the table, in order, one verdict per record.
pub fn validate(table: &Table) -> Vec<RowVerdict> {
    validate_all(table).verdicts
}

/// Validates every record, keeping the warnings too.
///
/// Rows sharing a key (email compared lower-cased, user id numerically) are settled by
/// `duplicates`: identical ones count once, the others are all invalid, each naming a few of
/// the others, even when they are also invalid for other reasons.
pub fn validate_all(table: &Table) -> Validation {
    // Main columns in file order, constants last: problems read left to right.
    let fields: Vec<Field> = table
        .columns
        .iter()
        .filter(|c| c.rank == 0)
        .filter_map(|c| match c.target {
            Target::Field(field) => Some(field),
            _ => None,
        })
        .collect();
    let key_columns = KeyColumns {
        email: table.columns_of(Target::Email),
        user_id: table.columns_of(Target::UserId),
        policy: table.rules.blank.for_key(),
    };
    // Each row on its own; large inputs in two halves on two threads (see `halves.rs`).
    let rows = table.records.len();
    let (mut first, rest) = crate::halves::in_two_halves(&table.records, |records| {
        validate_records(table, &key_columns, &fields, records, rows)
    });
    if let Some(second) = rest {
        let offset = first.verdicts.len();
        first.verdicts.extend(second.verdicts);
        let second_keys = second.invalid_keys.into_iter();
        first
            .invalid_keys
            .extend(second_keys.map(|(i, key)| (i + offset, key)));
        first.warnings.extend(second.warnings);
    }
    let Checked {
        mut verdicts,
        invalid_keys,
        warnings,
    } = first;

    // Every row's key: a valid row's is in its verdict, an invalid row's (when it has one)
    // in the short list beside them, in row order.
    let mut invalid_keys = invalid_keys.iter().peekable();
    let shared = keys::shared_keys(
        verdicts
            .iter()
            .enumerate()
            .map(|(i, verdict)| match verdict {
                RowVerdict::Valid(valid) => Some(&valid.key),
                _ => invalid_keys.next_if(|(at, _)| *at == i).map(|(_, key)| key),
            }),
    );
    let notes = duplicates::settle(&mut verdicts, shared, |i| {
        Draft::new(&key_columns, &table.records[i], 0)
    });
    Validation {
        verdicts,
        warnings,
        notes,
    }
}

/// Some records checked: a verdict for each, in order, and the keys of the invalid rows that
/// have one (by position among these verdicts), which the check for rows sharing a key needs
/// beside the valid rows' (the verdicts are made at once, not held as drafts until then).
struct Checked {
    verdicts: Vec<RowVerdict>,
    invalid_keys: Vec<(usize, MemberKey)>,
    warnings: Vec<RowWarning>,
}

/// Checks some records, in order; the verdicts' list has room for `rows` (all the rows, so the
/// first half's takes the second's without moving).
fn validate_records<'t>(
    table: &'t Table,
    key_columns: &KeyColumns<'t>,
    fields: &[Field],
    records: &'t [Record],
    rows: usize,
) -> Checked {
    let mut zones = ZoneMemo::default();
    let mut warnings = Vec::new();
    let mut invalid_keys = Vec::new();
    // What is the same for every row, found once: each field's columns and blank policy.
    let columns: Vec<(Field, Vec<&MappedColumn>, BlankPolicy)> = fields
        .iter()
        .map(|&field| {
            let columns = table.columns_of(Target::Field(field));
            (field, columns, policy_for(table, field))
        })
        .collect();
    let employment = employment::EmploymentColumns::of(table);
    let groups = groups::GroupColumns::of(table);
    let mut verdicts = Vec::with_capacity(rows);
    verdicts.extend(records.iter().enumerate().map(|(i, record)| {
        let mut draft = Draft::new(key_columns, record, fields.len());
        if let Some(rule) = table.overflow_problem(record) {
            draft.row_problem(rule);
        }
        let country = derive::country_code(table, record);
        for (field, columns, policy) in &columns {
            let field = *field;
            let Some((column, cell)) = pick_among(columns.iter().copied(), record) else {
                continue;
            };
            if field == Field::Timezone {
                draft.check_timezone(column, cell, policy, country, table, &mut zones);
            } else {
                draft.check_field(column, cell, field, policy);
            }
        }
        if let Some(employment) = &employment {
            employment.read(record, &mut draft);
        }
        if let Some(groups) = &groups {
            groups.read(record, &mut draft);
        }
        derive::display_name(table, record, &mut draft);
        derive::country_id(table, record, &mut draft);
        warnings.append(&mut draft.warnings);
        let (verdict, key) = draft.into_verdict();
        invalid_keys.extend(key.map(|key| (i, key)));
        verdict
    }));
    Checked {
        verdicts,
        invalid_keys,
        warnings,
    }
}

/// The key columns of an input, and the blank policy of key cells.
struct KeyColumns<'t> {
    email: Vec<&'t MappedColumn>,
    user_id: Vec<&'t MappedColumn>,
    policy: BlankPolicy,
}

/// The blank policy for a field's column: the input's (a mapping file may make blank clear).
fn policy_for(table: &Table, field: Field) -> BlankPolicy {
    table.rules.blank.for_field(field)
}

/// One line for a report: `timezone: "Mars/Base" is not an IANA time zone name (e.g.
/// Europe/London); first_name: "https://x.io" must not be a URL`. A problem about a blank
/// cell shows no value; one about the whole row, no column.
pub fn describe(problems: &[RowProblem]) -> String {
    problems
        .iter()
        .map(|p| {
            if p.column.is_empty() {
                p.rule.clone()
            } else if trim_cell(&p.value).is_empty() {
                format!("{}: {}", p.column, p.rule)
            } else {
                format!("{}: {:?} {}", p.column, p.value, p.rule)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests;
