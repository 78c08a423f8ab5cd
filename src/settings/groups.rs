//! Group membership settings (`--groups-from` and the flags beside it), resolved into one
//! [`GroupSync`]. `None` on the run's settings when no column names groups: no group is read
//! or written.
//!
//! Which groups member-sync may touch is decided here once ([`GroupSync::manages`]): the
//! groups the export names, or those `--manage-groups` patterns match, never any other.

use crate::guard::groups::RemovalLimit;

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
