//! Validation: Tallyfy's field rules, applied to every row before anything is sent.
//!
//! A row either becomes a [`DesiredRow`] (canonical values, safe to diff and send) or an
//! invalid row carrying every problem found, each naming the column, the value and the rule.
//! Nothing downstream ever sees an unvalidated cell.
//!
//! Every problem of a row is collected, not just the first, so one round of fixing the file is
//! enough. What a cell *means* (keep, clear, set) is [`crate::blank`]'s decision, under the
//! policies the input carries (`table.rules`); the field rules are in [`rules`], the key rules
//! in [`keys`], and values taken from other columns (a display name split into first and last
//! names, a country turned into `country_id`) in [`derive`]. Choices the user should check are
//! returned as [`RowWarning`]s beside the verdicts.

pub mod derive;
pub mod keys;
pub mod rules;

use compact_str::CompactString;
use rustc_hash::FxHashMap;

use crate::blank::{BlankPolicy, CellIntent};
use crate::fields::timezone;
use crate::fields::{Desired, Field, FieldMap, Value, trim_cell};
use crate::ingest::{MappedColumn, Record, Table, Target, pick_among};

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
}

impl RowVerdict {
    /// The row's number in the input (the report's `row`).
    pub fn row(&self) -> usize {
        match self {
            RowVerdict::Valid(valid) => valid.row,
            RowVerdict::Invalid(invalid) => invalid.row,
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
}

/// Validates every record of the table, in order, one verdict per record.
pub fn validate(table: &Table) -> Vec<RowVerdict> {
    validate_all(table).verdicts
}

/// Validates every record, keeping the warnings too.
///
/// Rows sharing a key (email compared lower-cased, user id numerically) are all invalid, each
/// naming the others, even when they are also invalid for other reasons.
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
    let duplicates = keys::duplicates(verdicts.iter().enumerate().map(
        |(i, verdict)| match verdict {
            RowVerdict::Valid(valid) => Some(&valid.key),
            RowVerdict::Invalid(_) => invalid_keys.next_if(|(at, _)| *at == i).map(|(_, key)| key),
        },
    ));
    for (i, others) in duplicates {
        let rows: Vec<String> = others
            .iter()
            .map(|&j| verdicts[j].row().to_string())
            .collect();
        // The cells the message quotes, read again for these few rows.
        let cells = Draft::new(&key_columns, &table.records[i], 0);
        let plural = if rows.len() == 1 { "" } else { "s" };
        let problem = RowProblem {
            column: cells.key_column.to_string(),
            value: cells.key_value.to_string(),
            rule: format!("duplicate key, also on row{plural} {}", rows.join(", ")),
        };
        match &mut verdicts[i] {
            RowVerdict::Invalid(invalid) => invalid.problems.push(problem),
            RowVerdict::Valid(valid) => {
                verdicts[i] = RowVerdict::Invalid(InvalidRow {
                    row: valid.row,
                    email: cells.raw_email.to_string(),
                    user_id: cells.raw_user_id.to_string(),
                    problems: vec![problem],
                });
            }
        }
    }
    Validation { verdicts, warnings }
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
    let mut verdicts = Vec::with_capacity(rows);
    verdicts.extend(records.iter().enumerate().map(|(i, record)| {
        let mut draft = Draft::new(key_columns, record, fields.len());
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

/// Time zone readings already made in this run: exports repeat a handful of values, often row
/// after row. Keyed by country, then by cell, so a reading already made is found without
/// copying the cell; the last one is checked first, without hashing.
#[derive(Default)]
struct ZoneMemo {
    readings: FxHashMap<Option<&'static str>, FxHashMap<String, Result<ZoneReading, String>>>,
    last: Option<(Option<&'static str>, String, Result<ZoneReading, String>)>,
}

/// A time zone read from a cell: the name (inline: cloning it for each row costs nothing), and
/// what the user should know about how it was read.
#[derive(Clone)]
struct ZoneReading {
    name: CompactString,
    note: Option<String>,
}

impl ZoneMemo {
    fn resolve(
        &mut self,
        cell: &str,
        country: Option<&'static str>,
        table: &Table,
    ) -> Result<ZoneReading, String> {
        if let Some((last_country, last_cell, reading)) = &self.last
            && *last_country == country
            && last_cell == cell
        {
            return reading.clone();
        }
        let readings = self.readings.entry(country).or_default();
        let reading = match readings.get(cell) {
            Some(reading) => reading.clone(),
            None => {
                let reading =
                    timezone::resolve(cell, country, &table.rules.timezones).map(|resolved| {
                        ZoneReading {
                            name: resolved.name.into(),
                            note: resolved.note,
                        }
                    });
                readings.insert(cell.to_string(), reading.clone());
                reading
            }
        };
        // The last cell's text is kept in the same buffer: no allocation when values alternate.
        match &mut self.last {
            Some((last_country, last_cell, last_reading)) => {
                *last_country = country;
                last_cell.clear();
                last_cell.push_str(cell);
                *last_reading = reading.clone();
            }
            None => self.last = Some((country, cell.to_string(), reading.clone())),
        }
        reading
    }
}

/// One line for a report: `timezone: "Mars/Base" is not an IANA time zone name (e.g.
/// Europe/London); first_name: "https://x.io" must not be a URL`. A problem about a blank
/// cell shows no value.
pub fn describe(problems: &[RowProblem]) -> String {
    problems
        .iter()
        .map(|p| {
            if trim_cell(&p.value).is_empty() {
                format!("{}: {}", p.column, p.rule)
            } else {
                format!("{}: {:?} {}", p.column, p.value, p.rule)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A row being checked: what parsed so far, and what did not.
pub struct Draft<'t> {
    row: usize,
    key: Option<MemberKey>,
    /// The parsed email; once the key is decided, only when it is not the key (as
    /// [`DesiredRow::email_beside_id`]).
    email: Option<String>,
    user_id: Option<u64>,
    raw_email: &'t str,
    raw_user_id: &'t str,
    /// The column and cell the key came from, for the duplicate message.
    key_column: &'t str,
    key_value: &'t str,
    fields: FieldMap,
    problems: Vec<RowProblem>,
    warnings: Vec<RowWarning>,
}

impl<'t> Draft<'t> {
    /// Reads the key cells: the user id when there is one, else the email; an email beside a
    /// user id is checked too. A blank main column falls back as the table says.
    fn new(key_columns: &KeyColumns<'t>, record: &'t Record, field_count: usize) -> Draft<'t> {
        let email = pick_among(key_columns.email.iter().copied(), record);
        let user_id = pick_among(key_columns.user_id.iter().copied(), record);
        let cell =
            |picked: Option<(&'t MappedColumn, &'t str)>| trim_cell(picked.map_or("", |(_, c)| c));
        let mut draft = Draft {
            row: record.row,
            key: None,
            email: None,
            user_id: None,
            raw_email: cell(email),
            raw_user_id: cell(user_id),
            key_column: "",
            key_value: "",
            fields: FieldMap::with_capacity(field_count),
            problems: Vec::new(),
            warnings: Vec::new(),
        };
        let policy = &key_columns.policy;
        if let Some((column, raw)) = user_id {
            draft.user_id = draft.key_cell(column, raw, policy, keys::parse_user_id);
        }
        if let Some((column, raw)) = email {
            draft.email = draft.key_cell(column, raw, policy, keys::parse_email);
        }
        let user_id_blank = draft.raw_user_id.is_empty();
        // An email that is the key moves into it; beside a user id it stays.
        draft.key = match (draft.user_id, draft.email.take()) {
            (None, Some(email)) if user_id_blank => Some(MemberKey::Email(email)),
            (user_id, email) => {
                draft.email = email;
                user_id.map(MemberKey::UserId)
            }
        };
        let key_source = match draft.key {
            Some(MemberKey::UserId(_)) => user_id,
            _ => email.or(user_id),
        };
        if let Some((column, raw)) = key_source {
            draft.key_column = &column.header;
            draft.key_value = trim_cell(raw);
        }
        if user_id_blank && draft.raw_email.is_empty() {
            draft.problems.push(RowProblem {
                column: draft.key_column.to_string(),
                value: String::new(),
                rule: "no email or user_id: a row needs one to find its member".to_string(),
            });
        }
        draft
    }

    /// A key cell: blank is absent, anything else must parse.
    fn key_cell<T>(
        &mut self,
        column: &MappedColumn,
        raw: &str,
        policy: &BlankPolicy,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        let result = match policy.interpret(raw) {
            CellIntent::Keep => return None,
            CellIntent::Clear => Err(format!(
                "`{}` cannot be used in a key column",
                policy.clear_sentinel
            )),
            CellIntent::Set(cell) => parse(cell),
        };
        result.map_err(|rule| self.problem(column, raw, rule)).ok()
    }

    fn check_field(
        &mut self,
        column: &MappedColumn,
        raw: &str,
        field: Field,
        policy: &BlankPolicy,
    ) {
        match policy.interpret(raw) {
            CellIntent::Keep => {}
            CellIntent::Clear => self.clear(column, raw, field, policy),
            CellIntent::Set(cell) => match rules::check(field, cell) {
                Ok(value) => {
                    self.fields.insert(field, Desired::Set(value));
                }
                Err(broken) => {
                    for rule in broken {
                        self.problem(column, raw, rule);
                    }
                }
            },
        }
    }

    fn check_timezone(
        &mut self,
        column: &MappedColumn,
        raw: &str,
        policy: &BlankPolicy,
        country: Option<&'static str>,
        table: &Table,
        zones: &mut ZoneMemo,
    ) {
        match policy.interpret(raw) {
            CellIntent::Keep => {}
            CellIntent::Clear => self.clear(column, raw, Field::Timezone, policy),
            CellIntent::Set(cell) => match zones.resolve(cell, country, table) {
                Ok(resolved) => {
                    if let Some(note) = resolved.note {
                        self.warn(column, note);
                    }
                    let value = Value::Text(resolved.name);
                    self.fields.insert(Field::Timezone, Desired::Set(value));
                }
                Err(rule) => self.problem(column, raw, rule),
            },
        }
    }

    fn clear(&mut self, column: &MappedColumn, raw: &str, field: Field, policy: &BlankPolicy) {
        if field.is_clearable() {
            self.fields.insert(field, Desired::Clear);
        } else {
            let rule = format!(
                "`{}` is only allowed in {}; {field} cannot be cleared",
                policy.clear_sentinel,
                crate::blank::clearable_names()
            );
            self.problem(column, raw, rule);
        }
    }

    fn problem(&mut self, column: &MappedColumn, raw: &str, rule: String) {
        self.problems.push(RowProblem {
            column: column.header.clone(),
            value: raw.to_string(),
            rule,
        });
    }

    fn warn(&mut self, column: &MappedColumn, message: String) {
        self.warnings.push(RowWarning {
            row: self.row,
            column: column.header.clone(),
            message,
        });
    }

    /// The verdict, and the key of an invalid row that has one (a valid row's is in its
    /// verdict): rows sharing a key are found among both.
    fn into_verdict(self) -> (RowVerdict, Option<MemberKey>) {
        match self.key {
            Some(key) if self.problems.is_empty() => (
                RowVerdict::Valid(DesiredRow {
                    row: self.row,
                    key,
                    email_beside_id: self.email,
                    user_id: self.user_id,
                    fields: self.fields,
                }),
                None,
            ),
            key => (
                RowVerdict::Invalid(InvalidRow {
                    row: self.row,
                    email: self.raw_email.to_string(),
                    user_id: self.raw_user_id.to_string(),
                    problems: self.problems,
                }),
                key,
            ),
        }
    }
}

#[cfg(test)]
mod tests;
