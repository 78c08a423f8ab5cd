//! Group membership settings (`--groups-from` and the flags beside it), resolved into one
//! [`GroupSync`]. `None` on the run's settings when no column names groups: no group is read
//! or written.
//!
//! Which groups member-sync may touch is decided here once ([`GroupSync::manages`]): the
//! groups the export names, or those `--manage-groups` patterns match, never any other.

use crate::cli::{GroupArgs, GroupColumnArgs};
use crate::guard::groups::RemovalLimit;
use crate::ingest::{LoadOptions, Mapping};
use crate::validate::groups::GroupSeparator;

use super::SettingsError;

/// `--groups`: what a managed group's members not placed there by the file become.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum GroupMode {
    /// Removed: the managed group holds exactly the members the file places there.
    #[default]
    Sync,
    /// Kept: the file only adds.
    Additive,
}

/// `--manage-groups NAME|GLOB`: a group name, or a pattern with `*` and `?`, matched as group
/// names are (case and spaces aside: [`group_key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupPattern {
    /// As typed (for messages).
    pub written: String,
    /// [`group_key`] of it.
    pub key: String,
}

impl GroupPattern {
    pub fn new(written: &str) -> GroupPattern {
        GroupPattern {
            written: written.to_string(),
            key: group_key(written),
        }
    }

    /// Whether a group's name (any spelling) matches.
    pub fn matches(&self, name: &str) -> bool {
        glob_match(self.key.as_bytes(), group_key(name).as_bytes())
    }
}

/// `*` any run of characters, `?` one; nothing else is special.
fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.split_first(), text.split_first()) {
        (None, None) => true,
        (Some((b'*', rest)), _) => {
            glob_match(rest, text) || (!text.is_empty() && glob_match(pattern, &text[1..]))
        }
        (Some((b'?', rest)), Some((_, text_rest))) => glob_match(rest, text_rest),
        (Some((p, rest)), Some((t, text_rest))) if p == t => glob_match(rest, text_rest),
        _ => false,
    }
}

/// How group names compare: lower-cased, spaces trimmed and runs of white space as one
/// (`" Customer  Success"` is `customer success`).
pub fn group_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The resolved group settings of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSync {
    /// `--manage-groups`: empty means the groups the export names.
    pub manage: Vec<GroupPattern>,
    pub mode: GroupMode,
    /// `--create-groups`.
    pub create: bool,
    /// `--max-group-removals`.
    pub max_removals: RemovalLimit,
}

impl GroupSync {
    /// Whether member-sync may change this group's members: `named` says whether the export
    /// names it.
    pub fn manages(&self, name: &str, named: bool) -> bool {
        if self.manage.is_empty() {
            named
        } else {
            self.manage.iter().any(|pattern| pattern.matches(name))
        }
    }
}

/// The run's group settings: `Some` when a column names groups (`--groups-from`, the profile's
/// `groups_from`, or the mapping file's `groups`), with the flags beside it (or the profile's
/// keys `config` filled in). A group flag without a group column would do nothing, silently:
/// it is refused, naming the flag.
pub fn resolve(
    args: &GroupArgs,
    mapping: Option<&Mapping>,
) -> Result<Option<GroupSync>, SettingsError> {
    check_columns(&args.columns)?;
    let named =
        !args.columns.groups_from.is_empty() || mapping.is_some_and(|m| !m.groups.is_empty());
    if !named {
        return match given_flag(args) {
            Some(flag) => Err(SettingsError {
                message: format!("{flag} is given, but no column names groups"),
                hint: Some(NAME_A_COLUMN.into()),
            }),
            None => Ok(None),
        };
    }
    Ok(Some(GroupSync {
        manage: args
            .manage_groups
            .iter()
            .map(|p| GroupPattern::new(p))
            .collect(),
        mode: args.mode,
        create: args.create_groups,
        max_removals: args.max_group_removals,
    }))
}

/// What to do when no column names groups.
const NAME_A_COLUMN: &str = "name the column whose cells name each person's groups: \
    --groups-from COLUMN (profile key groups_from; mapping file: groups = [\"COLUMN\"])";

/// The first group flag given a value other than its default, as typed.
fn given_flag(args: &GroupArgs) -> Option<&'static str> {
    let given = [
        (
            args.columns.groups_separator.is_some(),
            "--groups-separator",
        ),
        (!args.manage_groups.is_empty(), "--manage-groups"),
        (args.mode != GroupMode::Sync, "--groups additive"),
        (args.create_groups, "--create-groups"),
        (
            args.max_group_removals != RemovalLimit::DEFAULT,
            "--max-group-removals",
        ),
    ];
    given
        .into_iter()
        .find(|(given, _)| *given)
        .map(|(_, flag)| flag)
}

/// A blank `--groups-from` names no column.
fn check_columns(args: &GroupColumnArgs) -> Result<(), SettingsError> {
    if args
        .groups_from
        .iter()
        .any(|c| crate::fields::trim_cell(c).is_empty())
    {
        return Err(SettingsError {
            message: "--groups-from is blank: name the column whose cells name groups".into(),
            hint: Some("give a header of the export, e.g. --groups-from Department".into()),
        });
    }
    Ok(())
}

/// How the input is read for groups (`plan`, `apply`, `validate`): the columns named and the
/// separator, into the load options.
pub fn load_options(
    args: &GroupColumnArgs,
    options: LoadOptions,
) -> Result<LoadOptions, SettingsError> {
    check_columns(args)?;
    let separator = args
        .groups_separator
        .as_deref()
        .map_or_else(GroupSeparator::default, GroupSeparator::from_flag);
    Ok(options.with_group_columns(args.groups_from.clone(), separator))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_without_case_or_extra_spaces() {
        assert_eq!(group_key("  Customer \t Success "), "customer success");
        assert!(GroupPattern::new("dept: *").matches("Dept:  Sales"));
        assert!(GroupPattern::new("Sales").matches(" SALES"));
        assert!(!GroupPattern::new("Sales").matches("Sales EMEA"));
        assert!(GroupPattern::new("team-?").matches("Team-A"));
        assert!(!GroupPattern::new("team-?").matches("Team-AB"));
    }
}
