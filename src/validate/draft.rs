//! A row being checked ([`Draft`]): its key cells read, each mapped cell checked against its
//! field's rule under the input's blank policy, and every problem and warning collected on the
//! way, until it is turned into a verdict.
//!
//! Apart from the loop over all rows ([`super::validate_all`]) so that the per-row checks
//! read on their own; the values taken from other columns are added by [`super::derive`].

use compact_str::CompactString;
use rustc_hash::FxHashMap;

use super::{
    DesiredRow, Employment, InvalidRow, KeyColumns, MemberKey, RowProblem, RowVerdict, RowWarning,
    keys, rules,
};
use crate::blank::{BlankPolicy, CellIntent};
use crate::fields::timezone;
use crate::fields::{Desired, Field, FieldMap, Value, trim_cell};
use crate::ingest::{MappedColumn, Record, Table, pick_among};

/// A row being checked: what parsed so far, and what did not.
pub struct Draft<'t> {
    row: usize,
    key: Option<MemberKey>,
    /// The parsed email; once the key is decided, only when it is not the key (as
    /// [`DesiredRow::email_beside_id`]).
    email: Option<String>,
    user_id: Option<u64>,
    pub(super) raw_email: &'t str,
    pub(super) raw_user_id: &'t str,
    /// The column and cell the key came from, for the duplicate message.
    pub(super) key_column: &'t str,
    pub(super) key_value: &'t str,
    pub(super) fields: FieldMap,
    pub(super) employment: Employment,
    /// What the row's group cells say (`validate::groups`).
    pub(super) groups: Option<Vec<String>>,
    problems: Vec<RowProblem>,
    pub(super) warnings: Vec<RowWarning>,
}

impl<'t> Draft<'t> {
    /// Reads the key cells: the user id when there is one, else the email; an email beside a
    /// user id is checked too. A blank main column falls back as the table says.
    pub(super) fn new(
        key_columns: &KeyColumns<'t>,
        record: &'t Record,
        field_count: usize,
    ) -> Draft<'t> {
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
            employment: Employment::default(),
            groups: None,
            problems: Vec::new(),
            warnings: Vec::new(),
        };
        let policy = &key_columns.policy;
        if let Some((column, raw)) = user_id {
            draft.user_id = draft.key_cell(column, raw, policy, keys::parse_user_id);
        }
        if let Some((column, raw)) = email
            && let Some((address, unwrapped)) =
                draft.key_cell(column, raw, policy, keys::read_email)
        {
            if let Some(note) = unwrapped {
                draft.warn(column, note);
            }
            draft.email = Some(address);
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
    pub(super) fn key_cell<T>(
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

    pub(super) fn check_field(
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
                    if field.is_clearable() && policy.near_sentinel(cell) {
                        let sentinel = &policy.clear_sentinel;
                        let message = format!(
                            "{cell:?} is set as text: only {sentinel}, in this exact case, clears {field}"
                        );
                        self.warn(column, message);
                    }
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

    pub(super) fn check_timezone(
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

    pub(super) fn clear(
        &mut self,
        column: &MappedColumn,
        raw: &str,
        field: Field,
        policy: &BlankPolicy,
    ) {
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

    pub(super) fn problem(&mut self, column: &MappedColumn, raw: &str, rule: String) {
        self.problems.push(RowProblem {
            column: column.header.clone(),
            value: raw.to_string(),
            rule,
        });
    }

    /// A problem of the whole row, not of one cell (more cells than the header).
    pub(super) fn row_problem(&mut self, rule: String) {
        self.problems.push(RowProblem {
            column: String::new(),
            value: String::new(),
            rule,
        });
    }

    pub(super) fn warn(&mut self, column: &MappedColumn, message: String) {
        self.warnings.push(RowWarning {
            row: self.row,
            column: column.header.clone(),
            message,
        });
    }

    /// The verdict, and the key of an invalid row that has one (a valid row's is in its
    /// verdict): rows sharing a key are found among both.
    pub(super) fn into_verdict(self) -> (RowVerdict, Option<MemberKey>) {
        match self.key {
            Some(key) if self.problems.is_empty() => (
                RowVerdict::Valid(DesiredRow {
                    row: self.row,
                    key,
                    email_beside_id: self.email,
                    user_id: self.user_id,
                    fields: self.fields,
                    employment: self.employment,
                    groups: self.groups,
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

/// Time zone readings already made in this run: exports repeat a handful of values, often row
/// after row. Keyed by country, then by cell, so a reading already made is found without
/// copying the cell; the last one is checked first, without hashing.
#[derive(Default)]
pub(super) struct ZoneMemo {
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
