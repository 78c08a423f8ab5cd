//! Validation: Tallyfy's field rules, applied to every row before anything is sent.
//!
//! A row either becomes a [`DesiredRow`] (canonical values, safe to diff and send) or an
//! invalid row carrying every problem found, each naming the column, the value and the rule.
//! Nothing downstream ever sees an unvalidated cell.

use std::collections::BTreeMap;

use crate::fields::{Desired, Field};
use crate::ingest::Table;

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
pub fn validate(table: &Table) -> Vec<RowVerdict> {
    let _ = table;
    todo!("validate::validate")
}
