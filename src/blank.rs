//! What a cell means for the member's current value, decided in one place.
//!
//! A blank cell keeps what the member has: exports are full of empty cells that mean "we do
//! not track this", and treating them as "erase it" would wipe data on every run. Clearing
//! is therefore explicit, with a sentinel nobody types by accident. Validation asks this module
//! and nothing else. A mapping file may change the sentinel and make blank mean "clear" for
//! chosen fields ([`BlankPolicies`]); both are checked here, so no other module repeats the
//! rules of what a cell can mean.

use std::borrow::Cow;
use std::collections::BTreeSet;

use crate::fields::{Field, trim_cell};

/// The cell that sets a clearable field to null.
pub const CLEAR_SENTINEL: &str = "__CLEAR__";

/// What a row asks for one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellIntent<'a> {
    /// Leave the member's current value alone.
    Keep,
    /// Set the field to null.
    Clear,
    /// Set the field to this value (trimmed, not yet validated).
    Set(&'a str),
}

/// What a blank cell means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BlankMeaning {
    #[default]
    Keep,
    Clear,
}

/// How cells are read for one column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlankPolicy {
    pub blank: BlankMeaning,
    /// Compared with the trimmed cell, case-sensitively.
    pub clear_sentinel: Cow<'static, str>,
}

impl BlankPolicy {
    /// Blank keeps, `__CLEAR__` clears.
    pub const DEFAULT: BlankPolicy = BlankPolicy {
        blank: BlankMeaning::Keep,
        clear_sentinel: Cow::Borrowed(CLEAR_SENTINEL),
    };

    /// Trims the cell (NBSP included) and says what it asks for.
    pub fn interpret<'a>(&self, raw: &'a str) -> CellIntent<'a> {
        let cell = trim_cell(raw);
        if cell.is_empty() {
            match self.blank {
                BlankMeaning::Keep => CellIntent::Keep,
                BlankMeaning::Clear => CellIntent::Clear,
            }
        } else if cell == self.clear_sentinel {
            CellIntent::Clear
        } else {
            CellIntent::Set(cell)
        }
    }

    /// Whether a cell that sets a value looks meant as the sentinel: the sentinel in another
    /// case (`__clear__`), or the word `clear` with or without underscores (`Clear`,
    /// `_CLEAR_`). It is set as text, as written (the sentinel is matched exactly, so that
    /// nothing typed by accident clears a field), and the row gets a warning.
    pub fn near_sentinel(&self, cell: &str) -> bool {
        let cell = trim_cell(cell);
        cell != self.clear_sentinel
            && (cell.eq_ignore_ascii_case(&self.clear_sentinel)
                || cell.trim_matches('_').eq_ignore_ascii_case("clear"))
    }
}

impl Default for BlankPolicy {
    fn default() -> Self {
        BlankPolicy::DEFAULT
    }
}

/// [`BlankPolicy::interpret`] with the default policy.
pub fn interpret(raw: &str) -> CellIntent<'_> {
    BlankPolicy::DEFAULT.interpret(raw)
}

/// True when a cell is empty or only white space (NBSP included): what "blank" means for every
/// policy, and for choosing a fallback column (`mail` blank → `userPrincipalName`).
pub fn is_blank(raw: &str) -> bool {
    trim_cell(raw).is_empty()
}

/// The policies of one input: the sentinel, and the fields where a blank cell clears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlankPolicies {
    sentinel: Cow<'static, str>,
    clear_when_blank: BTreeSet<Field>,
}

impl Default for BlankPolicies {
    fn default() -> Self {
        BlankPolicies {
            sentinel: Cow::Borrowed(CLEAR_SENTINEL),
            clear_when_blank: BTreeSet::new(),
        }
    }
}

impl BlankPolicies {
    /// Replaces `__CLEAR__`. A sentinel must be something nobody types by accident: not blank,
    /// not padded.
    pub fn set_sentinel(&mut self, sentinel: &str) -> Result<(), String> {
        if trim_cell(sentinel).is_empty() || trim_cell(sentinel) != sentinel {
            return Err(format!(
                "the clear sentinel {sentinel:?} must be visible text without surrounding spaces"
            ));
        }
        self.sentinel = Cow::Owned(sentinel.to_string());
        Ok(())
    }

    /// Makes a blank cell clear `field`; only fields Tallyfy lets a client null can.
    pub fn clear_when_blank(&mut self, field: Field) -> Result<(), String> {
        if !field.is_clearable() {
            return Err(format!(
                "{field} cannot be cleared, so a blank {field} cannot mean \"clear\" (only {} can)",
                clearable_names()
            ));
        }
        self.clear_when_blank.insert(field);
        Ok(())
    }

    pub fn sentinel(&self) -> &str {
        &self.sentinel
    }

    /// The policy for a field's column.
    pub fn for_field(&self, field: Field) -> BlankPolicy {
        BlankPolicy {
            blank: if self.clear_when_blank.contains(&field) {
                BlankMeaning::Clear
            } else {
                BlankMeaning::Keep
            },
            clear_sentinel: self.sentinel.clone(),
        }
    }

    /// The policy for a group column (`--groups-from`): blank says nothing of the person's
    /// groups (they stay as they are), never "clear", or an export with an empty Department
    /// cell would take its person out of every managed group; the sentinel says "in none of
    /// the managed groups".
    pub fn for_groups(&self) -> BlankPolicy {
        BlankPolicy {
            blank: BlankMeaning::Keep,
            clear_sentinel: self.sentinel.clone(),
        }
    }

    /// The policy for a key column (email, user_id): blank is "no key", never "clear".
    pub fn for_key(&self) -> BlankPolicy {
        BlankPolicy {
            blank: BlankMeaning::Keep,
            clear_sentinel: self.sentinel.clone(),
        }
    }
}

/// `phone, job_title, job_description, team`: the fields a clear applies to.
pub fn clearable_names() -> String {
    Field::ALL
        .iter()
        .filter(|f| f.is_clearable())
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_cells_keep_the_current_value() {
        for raw in ["", "   ", "\t", "\u{a0}", " \u{a0} \r\n"] {
            assert_eq!(interpret(raw), CellIntent::Keep, "{raw:?}");
        }
    }

    #[test]
    fn the_sentinel_clears_after_trimming_and_only_in_its_exact_case() {
        assert_eq!(interpret("__CLEAR__"), CellIntent::Clear);
        assert_eq!(interpret(" __CLEAR__\u{a0}"), CellIntent::Clear);
        assert_eq!(interpret("__clear__"), CellIntent::Set("__clear__"));
        assert_eq!(interpret("__CLEAR__x"), CellIntent::Set("__CLEAR__x"));
    }

    #[test]
    fn cells_meant_as_the_sentinel_are_recognised() {
        let policy = BlankPolicy::DEFAULT;
        for cell in [
            "__clear__",
            "__Clear__",
            "Clear",
            "CLEAR",
            "_clear_",
            " clear ",
        ] {
            assert!(policy.near_sentinel(cell), "{cell}");
        }
        for cell in ["__CLEAR__", "Clearance", "Sales", "", "__"] {
            assert!(!policy.near_sentinel(cell), "{cell}");
        }
        let custom = BlankPolicy {
            blank: BlankMeaning::Keep,
            clear_sentinel: Cow::Borrowed("<none>"),
        };
        assert!(custom.near_sentinel("<NONE>"));
        assert!(custom.near_sentinel("__CLEAR__"));
        assert!(!custom.near_sentinel("<none>"));
    }

    #[test]
    fn values_are_trimmed_including_nbsp() {
        assert_eq!(interpret("\u{a0}Sales\u{a0}"), CellIntent::Set("Sales"));
        assert_eq!(interpret(" Sales Ops "), CellIntent::Set("Sales Ops"));
    }

    #[test]
    fn policies_per_field_and_a_custom_sentinel() {
        let mut policies = BlankPolicies::default();
        policies.clear_when_blank(Field::Phone).unwrap();
        policies.set_sentinel("<none>").unwrap();
        assert_eq!(
            policies.for_field(Field::Phone).interpret(""),
            CellIntent::Clear
        );
        assert_eq!(
            policies.for_field(Field::Team).interpret(""),
            CellIntent::Keep
        );
        assert_eq!(
            policies.for_field(Field::Team).interpret("<none>"),
            CellIntent::Clear
        );
        assert_eq!(policies.for_key().interpret(""), CellIntent::Keep);
        assert_eq!(policies.for_groups().interpret(" "), CellIntent::Keep);
        assert_eq!(policies.for_groups().interpret("<none>"), CellIntent::Clear);
        let err = policies.clear_when_blank(Field::FirstName).unwrap_err();
        assert!(
            err.contains("phone, job_title, job_description, team"),
            "{err}"
        );
        assert!(policies.set_sentinel(" x").is_err());
        assert!(policies.set_sentinel("").is_err());
        assert_eq!(BlankPolicies::default().sentinel(), CLEAR_SENTINEL);
    }

    #[test]
    fn a_policy_can_make_blank_clear_and_change_the_sentinel() {
        let policy = BlankPolicy {
            blank: BlankMeaning::Clear,
            clear_sentinel: Cow::Borrowed("<none>"),
        };
        assert_eq!(policy.interpret(" "), CellIntent::Clear);
        assert_eq!(policy.interpret("<none>"), CellIntent::Clear);
        assert_eq!(policy.interpret("__CLEAR__"), CellIntent::Set("__CLEAR__"));
        assert_eq!(BlankPolicy::default(), BlankPolicy::DEFAULT);
    }
}
