//! The groups a row places its person in, read from the columns `--groups-from` (or the
//! mapping file's `groups`) names.
//!
//! A group cell holds one name or several (`Sales; EMEA`): the pieces are trimmed, empty ones
//! dropped, and a name repeated in any spelling ([`group_key`]) counted once, keeping its first.
//! All the columns of a row contribute, in the order they were named. What a blank cell or the
//! clear sentinel means is [`crate::blank`]'s decision ([`BlankPolicies::for_groups`]): every
//! group cell blank says nothing (the person's groups stay as they are), the sentinel says "in
//! none of the managed groups". A name the group API would refuse or show garbled (over
//! [`MAX_GROUP_NAME`] characters, a control character or a line break) makes the row invalid,
//! so a row with a bad cell never acts.
//!
//! [`BlankPolicies::for_groups`]: crate::blank::BlankPolicies::for_groups

use super::Draft;
use super::chars::{self, Allowed};
use crate::blank::{BlankPolicy, CellIntent};
use crate::ingest::{MappedColumn, Record, Table, Target};
use crate::settings::groups::group_key;

/// The longest group name read, in characters.
pub const MAX_GROUP_NAME: usize = 200;

/// `--groups-separator`: where a group cell is cut into names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum GroupSeparator {
    /// The default: both `;` and `,`.
    #[default]
    SemicolonOrComma,
    /// The text given (`|`, ` / `).
    Text(String),
    /// `--groups-separator ""`: a cell is one name, commas and all.
    Whole,
}

impl GroupSeparator {
    /// The flag's (or profile key's) text: empty means no splitting.
    pub fn from_flag(text: &str) -> GroupSeparator {
        match text {
            "" => GroupSeparator::Whole,
            text => GroupSeparator::Text(text.to_string()),
        }
    }

    /// The pieces of a cell, untrimmed.
    fn split<'a>(&self, cell: &'a str) -> Vec<&'a str> {
        match self {
            GroupSeparator::SemicolonOrComma => cell.split([';', ',']).collect(),
            GroupSeparator::Text(separator) => cell.split(separator.as_str()).collect(),
            GroupSeparator::Whole => vec![cell],
        }
    }

    /// For people: `split at ; and ,`.
    pub fn describe(&self) -> String {
        match self {
            GroupSeparator::SemicolonOrComma => "split at `;` and `,`".into(),
            GroupSeparator::Text(separator) => format!("split at `{separator}`"),
            GroupSeparator::Whole => "one name per cell".into(),
        }
    }
}

/// The group columns of an input, found once for all its rows.
pub(super) struct GroupColumns<'t> {
    columns: Vec<&'t MappedColumn>,
    separator: &'t GroupSeparator,
    policy: BlankPolicy,
}

impl<'t> GroupColumns<'t> {
    /// `None` when no column names groups: the rows then say nothing of groups.
    pub(super) fn of(table: &'t Table) -> Option<GroupColumns<'t>> {
        let columns = table.columns_of(Target::Groups);
        (!columns.is_empty()).then(|| GroupColumns {
            columns,
            separator: &table.rules.group_separator,
            policy: table.rules.blank.for_groups(),
        })
    }

    /// Reads a record's group cells into the draft, or its problems.
    pub(super) fn read(&self, record: &'t Record, draft: &mut Draft<'t>) {
        let mut said = false;
        let mut names: Vec<(String, &str)> = Vec::new();
        for column in &self.columns {
            let raw = column.cell(record);
            match self.policy.interpret(raw) {
                CellIntent::Keep => {}
                CellIntent::Clear => said = true,
                CellIntent::Set(cell) => {
                    said = true;
                    self.names(column, raw, cell, draft, &mut names);
                }
            }
        }
        if said {
            draft.groups = Some(names.into_iter().map(|(_, n)| n.to_string()).collect());
        }
    }

    /// The names of one cell, added to `names` unless a spelling of them is there already.
    fn names(
        &self,
        column: &MappedColumn,
        raw: &str,
        cell: &'t str,
        draft: &mut Draft<'t>,
        names: &mut Vec<(String, &'t str)>,
    ) {
        for piece in self.separator.split(cell) {
            let name = crate::fields::trim_cell(piece);
            if name.is_empty() {
                continue;
            }
            if let Err(rule) = self.check(name) {
                draft.problem(column, raw, rule);
                continue;
            }
            if self.policy.near_sentinel(name) {
                let sentinel = &self.policy.clear_sentinel;
                draft.warn(
                    column,
                    format!(
                        "{name:?} is read as a group name: only {sentinel}, alone in the cell \
                         and in this exact case, means none of the managed groups"
                    ),
                );
            }
            let key = group_key(name);
            if !names.iter().any(|(k, _)| *k == key) {
                names.push((key, name));
            }
        }
    }

    /// Why a name cannot be a group's, with what to do.
    fn check(&self, name: &str) -> Result<(), String> {
        let sentinel = &self.policy.clear_sentinel;
        if name == sentinel {
            return Err(format!(
                "`{sentinel}` must be alone in its cell (it means: in none of the managed \
                 groups); remove it, or the group names beside it"
            ));
        }
        let length = name.chars().count();
        if length > MAX_GROUP_NAME {
            return Err(format!(
                "has a group name of {length} characters; at most {MAX_GROUP_NAME}: shorten it \
                 in the export (or split the cell with --groups-separator)"
            ));
        }
        match chars::check(name, Allowed::OneLine) {
            Some(rule) => Err(format!("{rule} in a group name; remove it from the cell")),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{LoadOptions, load_bytes_with};
    use crate::validate::{RowVerdict, validate_all};

    /// `csv` read with `columns` as group columns and `separator`: each row's groups, or its
    /// problems.
    fn read(
        csv: &str,
        columns: &[&str],
        separator: GroupSeparator,
    ) -> Vec<Result<Option<Vec<String>>, String>> {
        let options = LoadOptions::default()
            .with_group_columns(columns.iter().map(|c| c.to_string()).collect(), separator);
        let table =
            load_bytes_with(csv.as_bytes(), std::path::Path::new("t.csv"), &options).unwrap();
        validate_all(&table)
            .verdicts
            .into_iter()
            .map(|verdict| match verdict {
                RowVerdict::Valid(row) => Ok(row.groups),
                RowVerdict::Invalid(row) => Err(crate::validate::describe(&row.problems)),
                RowVerdict::Duplicate(row) => Err(row.reason()),
            })
            .collect()
    }

    fn names(names: &[&str]) -> Result<Option<Vec<String>>, String> {
        Ok(Some(names.iter().map(|n| n.to_string()).collect()))
    }

    #[test]
    fn cells_split_at_semicolons_and_commas_trimmed_repeats_once_in_column_order() {
        let rows = read(
            "email,Department,Division\n\
             a@x.io,Sales; EMEA ,\"Customer  Success, sales\"\n\
             b@x.io,\" ;, \",Support\n\
             c@x.io,,\n",
            &["Department", "Division"],
            GroupSeparator::default(),
        );
        assert_eq!(rows[0], names(&["Sales", "EMEA", "Customer  Success"]));
        assert_eq!(rows[1], names(&["Support"]));
        assert_eq!(rows[2], Ok(None), "every group cell blank: nothing said");
    }

    #[test]
    fn a_column_feeds_a_profile_field_and_the_groups_alike() {
        let options = LoadOptions::default()
            .with_group_columns(vec!["department".into()], GroupSeparator::default());
        let csv = "email,Department,Salary\na@x.io,Sales,100\n";
        let table =
            load_bytes_with(csv.as_bytes(), std::path::Path::new("t.csv"), &options).unwrap();
        assert_eq!(table.unknown_columns, ["Salary"]);
        assert_eq!(
            table.describe_columns(),
            [
                "column 1 `email` → email",
                "column 2 `Department` → team",
                "column 2 `Department` → groups (group names, split at `;` and `,`; blank keeps \
                 the person's groups)",
            ]
        );
        let RowVerdict::Valid(row) = &validate_all(&table).verdicts[0] else {
            panic!("valid")
        };
        assert_eq!(row.groups, Some(vec!["Sales".to_string()]));
        let team = row.fields.get(&crate::fields::Field::Team);
        assert!(
            matches!(team, Some(crate::fields::Desired::Set(_))),
            "{team:?}"
        );
    }

    #[test]
    fn a_group_column_not_in_the_file_is_refused_naming_the_headers_found() {
        let options = LoadOptions::default()
            .with_group_columns(vec!["Dept".into()], GroupSeparator::default());
        let csv = "email,Department,Cost Center\na@x.io,Sales,42\n";
        let error =
            load_bytes_with(csv.as_bytes(), std::path::Path::new("t.csv"), &options).unwrap_err();
        assert_eq!(
            error.to_string(),
            "t.csv: --groups-from names `Dept`, but the file has no such column; headers found: \
             `email`, `Department`, `Cost Center`"
        );
        assert!(
            error
                .hint()
                .unwrap()
                .contains("case, spaces, `_` and `-` aside")
        );
    }

    #[test]
    fn a_given_separator_replaces_both_and_an_empty_one_splits_nothing() {
        let csv = "email,Groups\na@x.io,\"R&D, Berlin|Ops\"\n";
        assert_eq!(
            read(csv, &["groups"], GroupSeparator::from_flag("|"))[0],
            names(&["R&D, Berlin", "Ops"])
        );
        assert_eq!(
            read(csv, &["Groups"], GroupSeparator::from_flag(""))[0],
            names(&["R&D, Berlin|Ops"])
        );
    }

    #[test]
    fn the_sentinel_says_none_of_the_managed_groups_and_must_be_alone() {
        let rows = read(
            "email,Department,Division\n\
             a@x.io,__CLEAR__,\n\
             b@x.io,__CLEAR__,Ops\n\
             c@x.io,Sales;__CLEAR__,\n\
             d@x.io,clear,\n",
            &["Department", "Division"],
            GroupSeparator::default(),
        );
        assert_eq!(rows[0], names(&[]));
        assert_eq!(rows[1], names(&["Ops"]));
        assert_eq!(
            rows[2],
            Err(
                "Department: \"Sales;__CLEAR__\" `__CLEAR__` must be alone in its cell (it \
                 means: in none of the managed groups); remove it, or the group names beside \
                 it"
                .into()
            )
        );
        assert_eq!(rows[3], names(&["clear"]));
    }

    #[test]
    fn a_name_too_long_or_with_a_control_character_makes_the_row_invalid() {
        let long = "G".repeat(201);
        let csv = format!(
            "email,Groups\na@x.io,{long}\nb@x.io,\"Sales\u{7}Ops\"\nc@x.io,{}\n",
            "G".repeat(200)
        );
        let rows = read(&csv, &["Groups"], GroupSeparator::default());
        assert_eq!(
            rows[0],
            Err(format!(
                "Groups: \"{long}\" has a group name of 201 characters; at most 200: shorten \
                 it in the export (or split the cell with --groups-separator)"
            ))
        );
        assert_eq!(
            rows[1],
            Err(
                "Groups: \"Sales\\u{7}Ops\" contains U+0007 BELL at character 6: control \
                 characters are not allowed in a group name; remove it from the cell"
                    .into()
            )
        );
        assert_eq!(rows[2], names(&[&"G".repeat(200)]));
    }
}
