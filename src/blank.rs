//! What a cell means for the member's current value, decided in one place.
//!
//! A blank cell keeps what the member has: exports are full of empty cells that mean "we do
//! not track this", and treating them as "erase it" would wipe data on every run. Clearing
//! is therefore explicit, with a sentinel nobody types by accident. Validation asks this module
//! and nothing else, so a later issue can add per-column policies (`blank = clear` for one
//! column) and a configurable sentinel by growing [`BlankPolicy`], without touching the rules.

use std::borrow::Cow;

use crate::fields::trim_cell;

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
    fn values_are_trimmed_including_nbsp() {
        assert_eq!(interpret("\u{a0}Sales\u{a0}"), CellIntent::Set("Sales"));
        assert_eq!(interpret(" Sales Ops "), CellIntent::Set("Sales Ops"));
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
