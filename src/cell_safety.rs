//! Which cells a spreadsheet would run as a formula, and the escape that stops it: the one
//! rule for every CSV member-sync writes (the run report, `validate`'s report, `export`) and
//! every cell it reads back (reports, exports, inputs).
//!
//! A spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
//! (CWE-1236): a member who sets their job title to `=HYPERLINK(...)` in Tallyfy would put a
//! live link in the file of whoever opens an export. Such a cell gets a leading `'`, the prefix
//! Excel itself uses to mean "text".
//!
//! The escape must also be undone exactly, because these files are read back: a report is the
//! undo data and the retry list, and an export is a backup that is applied again. A `'` put in
//! front of `=1+1` cannot be told from a `'` the value had, so a value that already starts
//! with one or more `'` followed by a formula character (`'=1+1`, `''+3`) gets one more `'`
//! too. Reading strips one `'` exactly when what follows is some `'`s and a formula character.
//! Every other value, `'quoted by the user` included, is written and read as it is, and
//! `unescape_cell(&escape_cell(v)) == v` for every string `v`.

use std::borrow::Cow;

/// The characters that make a spreadsheet run a cell that starts with them.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `cell` is written with a leading `'`: it starts, after any `'`s, with a character
/// that starts a formula.
pub fn needs_escape(cell: &str) -> bool {
    cell.trim_start_matches('\'').starts_with(FORMULA_STARTS)
}

/// The cell as written to a file a spreadsheet may open.
pub fn escape_cell(cell: &str) -> Cow<'_, str> {
    if needs_escape(cell) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// The value of a cell written by [`escape_cell`] (or by anything following the same rule).
pub fn unescape_cell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_escape(rest) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Every string comes back as it was, and no escaped cell starts a formula.
        #[test]
        fn escaping_is_reversible_for_every_string(
            value in prop_oneof![any::<String>(), "['=+@\\-\t\r a]{0,6}.{0,4}"]
        ) {
            let escaped = escape_cell(&value);
            prop_assert_eq!(unescape_cell(&escaped), value.as_str());
            prop_assert!(!escaped.starts_with(FORMULA_STARTS), "{:?}", escaped);
        }
    }

    #[test]
    fn formula_cells_get_one_quote_and_others_none() {
        for (value, written) in [
            ("=SUM(A1)", "'=SUM(A1)"),
            ("+44 20 7946 0000", "'+44 20 7946 0000"),
            ("-1", "'-1"),
            ("@cmd", "'@cmd"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'=quote@example.com", "''=quote@example.com"),
            ("''-1", "'''-1"),
            ("plain", "plain"),
            ("'quoted by the user", "'quoted by the user"),
            ("'", "'"),
            ("", ""),
        ] {
            assert_eq!(escape_cell(value), written, "{value:?}");
            assert_eq!(unescape_cell(written), value, "{written:?}");
        }
    }
}
