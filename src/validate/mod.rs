//! Validation: Tallyfy's field rules, applied to every row before anything is sent.
//!
//! A row either becomes a [`DesiredRow`] (canonical values, safe to diff and send) or an
//! invalid row carrying every problem found, each naming the column, the value and the rule.
//! Nothing downstream ever sees an unvalidated cell.
//!
//! Every problem of a row is collected, not just the first, so one round of fixing the file is
//! enough. What a cell *means* (keep, clear, set) is [`crate::blank`]'s decision; the field
//! rules are in [`rules`], the key rules in [`keys`].

pub mod keys;
pub mod rules;

use std::collections::BTreeMap;

use crate::blank::{BlankPolicy, CellIntent};
use crate::fields::{Desired, Field, trim_cell};
use crate::ingest::{MappedColumn, Record, Table, Target};

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
    /// The row's email, lower-cased, when it has one (also when the key is the user id).
    pub email: Option<String>,
    pub user_id: Option<u64>,
    /// Only the fields the row asks to set or clear; blank cells are absent (keep).
    pub fields: BTreeMap<Field, Desired>,
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
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// Validates every record of the table, in order, one verdict per record.
///
/// Rows sharing a key (email compared lower-cased, user id numerically) are all invalid, each
/// naming the others, even when they are also invalid for other reasons.
pub fn validate(table: &Table) -> Vec<RowVerdict> {
    let email_column = table.column(Target::Email);
    let user_id_column = table.column(Target::UserId);
    let field_columns: Vec<(&MappedColumn, Field)> = table
        .columns
        .iter()
        .filter_map(|c| match c.target {
            Target::Field(field) => Some((c, field)),
            Target::Email | Target::UserId => None,
        })
        .collect();

    let mut drafts: Vec<Draft> = table
        .records
        .iter()
        .map(|record| {
            let mut draft = Draft::new(record, email_column, user_id_column);
            for &(column, field) in &field_columns {
                draft.check_field(record, column, field, policy_for(field));
            }
            draft
        })
        .collect();

    let keys: Vec<Option<MemberKey>> = drafts.iter().map(|d| d.key.clone()).collect();
    for (i, others) in keys::duplicates(&keys).into_iter().enumerate() {
        if others.is_empty() {
            continue;
        }
        let rows: Vec<String> = others.iter().map(|&j| drafts[j].row.to_string()).collect();
        let draft = &mut drafts[i];
        let (column, value) = match draft.key {
            Some(MemberKey::UserId(_)) => (user_id_column, draft.raw_user_id.clone()),
            _ => (email_column, draft.raw_email.clone()),
        };
        let plural = if rows.len() == 1 { "" } else { "s" };
        draft.problems.push(RowProblem {
            column: column.map(|c| c.header.clone()).unwrap_or_default(),
            value,
            rule: format!("duplicate key, also on row{plural} {}", rows.join(", ")),
        });
    }

    drafts.into_iter().map(Draft::into_verdict).collect()
}

/// The blank policy for a field's column. One policy for every column today; per-column
/// policies (a later issue) are chosen here.
fn policy_for(_field: Field) -> &'static BlankPolicy {
    &BlankPolicy::DEFAULT
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
struct Draft {
    row: usize,
    key: Option<MemberKey>,
    email: Option<String>,
    user_id: Option<u64>,
    raw_email: String,
    raw_user_id: String,
    fields: BTreeMap<Field, Desired>,
    problems: Vec<RowProblem>,
}

impl Draft {
    /// Reads the key cells: the user id when there is one, else the email; an email beside a
    /// user id is checked too.
    fn new(
        record: &Record,
        email_column: Option<&MappedColumn>,
        user_id_column: Option<&MappedColumn>,
    ) -> Draft {
        let cell = |column: Option<&MappedColumn>| column.map_or("", |c| record.cell(c.index));
        let mut draft = Draft {
            row: record.row,
            key: None,
            email: None,
            user_id: None,
            raw_email: trim_cell(cell(email_column)).to_string(),
            raw_user_id: trim_cell(cell(user_id_column)).to_string(),
            fields: BTreeMap::new(),
            problems: Vec::new(),
        };
        if let Some(column) = user_id_column {
            draft.user_id = draft.key_cell(record, column, keys::parse_user_id);
        }
        if let Some(column) = email_column {
            draft.email = draft.key_cell(record, column, keys::parse_email);
        }
        let user_id_blank = draft.raw_user_id.is_empty();
        draft.key = match (draft.user_id, &draft.email) {
            (Some(id), _) => Some(MemberKey::UserId(id)),
            (None, Some(email)) if user_id_blank => Some(MemberKey::Email(email.clone())),
            _ => None,
        };
        if user_id_blank && draft.raw_email.is_empty() {
            let column = email_column.or(user_id_column);
            draft.problems.push(RowProblem {
                column: column.map(|c| c.header.clone()).unwrap_or_default(),
                value: String::new(),
                rule: "no email or user_id: a row needs one to find its member".to_string(),
            });
        }
        draft
    }

    /// A key cell: blank is absent, anything else must parse.
    fn key_cell<T>(
        &mut self,
        record: &Record,
        column: &MappedColumn,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        let raw = record.cell(column.index);
        let result = match BlankPolicy::DEFAULT.interpret(raw) {
            CellIntent::Keep => return None,
            CellIntent::Clear => Err(format!(
                "`{}` cannot be used in a key column",
                BlankPolicy::DEFAULT.clear_sentinel
            )),
            CellIntent::Set(cell) => parse(cell),
        };
        result.map_err(|rule| self.problem(column, raw, rule)).ok()
    }

    fn check_field(
        &mut self,
        record: &Record,
        column: &MappedColumn,
        field: Field,
        policy: &BlankPolicy,
    ) {
        let raw = record.cell(column.index);
        match policy.interpret(raw) {
            CellIntent::Keep => {}
            CellIntent::Clear if field.is_clearable() => {
                self.fields.insert(field, Desired::Clear);
            }
            CellIntent::Clear => {
                let clearable: Vec<&str> = Field::ALL
                    .iter()
                    .filter(|f| f.is_clearable())
                    .map(|f| f.name())
                    .collect();
                let rule = format!(
                    "`{}` is only allowed in {}; {field} cannot be cleared",
                    policy.clear_sentinel,
                    clearable.join(", ")
                );
                self.problem(column, raw, rule);
            }
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

    fn problem(&mut self, column: &MappedColumn, raw: &str, rule: String) {
        self.problems.push(RowProblem {
            column: column.header.clone(),
            value: raw.to_string(),
            rule,
        });
    }

    fn into_verdict(self) -> RowVerdict {
        match self.key {
            Some(key) if self.problems.is_empty() => RowVerdict::Valid(DesiredRow {
                row: self.row,
                key,
                email: self.email,
                user_id: self.user_id,
                fields: self.fields,
            }),
            _ => RowVerdict::Invalid(InvalidRow {
                row: self.row,
                email: self.raw_email,
                user_id: self.raw_user_id,
                problems: self.problems,
            }),
        }
    }
}

#[cfg(test)]
mod tests;
