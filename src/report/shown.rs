//! Values as a person reads them: in the report's `changes`, in the plan on stderr, in a stale
//! row's `error`.
//!
//! Text is shown as itself between quotes, so `Dev 👩‍💻 Lead` reads as that and not as Rust's
//! escapes of its zero-width joiners. Only what would change how the rest of the line reads
//! is escaped: control characters (a line break would start a new line on stderr, an escape
//! sequence would recolour a terminal) and the bidirectional controls that reorder what
//! follows them. A long value is cut at [`SHOWN_CHARS`] characters, ending `…`: a
//! 6,000-character job title would bury the plan, and the report's `after` keeps it whole.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use crate::fields::Value;
use crate::plan::Change;

/// The longest value shown, in characters, `…` included.
pub const SHOWN_CHARS: usize = 80;

/// A field's value as messages show it: `"Sales"`, `42`, or `(empty)`.
pub fn show_value(value: &Option<Value>) -> String {
    Shown(value).to_string()
}

/// `job_title: "A" -> "B"; team: (empty) -> "Sales"`
pub fn describe_changes<'c>(changes: impl IntoIterator<Item = &'c Change>) -> String {
    let mut text = String::new();
    for (i, c) in changes.into_iter().enumerate() {
        if i > 0 {
            text.push_str("; ");
        }
        let (before, after) = (Shown(&c.before), Shown(&c.after));
        let _ = write!(text, "{}: {before} -> {after}", c.field);
    }
    text
}

/// `text` cut to `max` characters, the last of them `…`, when it is longer.
pub fn cut(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max.saturating_sub(1)) {
        Some((end, _)) if text[end..].chars().nth(1).is_some() => {
            format!("{}…", &text[..end]).into()
        }
        _ => text.into(),
    }
}

/// Text on one line as messages show it, without quotes: control and bidirectional
/// characters escaped, cut at `max` characters (an email or a reason on stderr).
pub fn shown_text(text: &str, max: usize) -> String {
    struct Text<'t>(&'t str);
    impl fmt::Display for Text<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write_text(f, self.0)
        }
    }
    Text(&cut(text, max)).to_string()
}

/// [`show_value`] as `Display`, to write in place.
struct Shown<'v>(&'v Option<Value>);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(Value::Text(text)) => {
                f.write_char('"')?;
                write_text(f, &cut(text, SHOWN_CHARS))?;
                f.write_char('"')
            }
            Some(value) => value.fmt(f),
            None => f.write_str("(empty)"),
        }
    }
}

/// `text` as itself, but for the characters that would change how the line reads.
fn write_text(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    for c in text.chars() {
        match c {
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if c.is_control() || is_bidi_control(c) => write!(f, "\\u{{{:x}}}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    Ok(())
}

/// The characters that reorder the text after them (embeddings, overrides, isolates, marks).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> String {
        show_value(&Some(Value::Text(s.into())))
    }

    #[test]
    fn text_is_shown_as_itself() {
        assert_eq!(text("Café"), "\"Café\"");
        assert_eq!(text("Dev 👩\u{200d}💻"), "\"Dev 👩\u{200d}💻\"");
        assert_eq!(text("O'Brien \"Bob\""), "\"O'Brien \"Bob\"\"");
        assert_eq!(show_value(&None), "(empty)");
        assert_eq!(show_value(&Some(Value::Integer(42))), "42");
    }

    #[test]
    fn what_would_change_the_line_is_escaped() {
        assert_eq!(text("a\nb\tc\r"), "\"a\\nb\\tc\\r\"");
        assert_eq!(text("\u{1b}[31mred"), "\"\\u{1b}[31mred\"");
        assert_eq!(text("abc\u{202e}fed"), "\"abc\\u{202e}fed\"");
        assert_eq!(text("\u{7f}\u{85}"), "\"\\u{7f}\\u{85}\"");
    }

    #[test]
    fn long_values_are_cut_at_80_characters() {
        let exactly = "é".repeat(SHOWN_CHARS);
        assert_eq!(text(&exactly), format!("\"{exactly}\""));
        let longer = "é".repeat(SHOWN_CHARS + 1);
        let shown = text(&longer);
        assert_eq!(shown, format!("\"{}…\"", "é".repeat(SHOWN_CHARS - 1)));
        assert_eq!(shown.chars().count(), SHOWN_CHARS + 2);
        assert_eq!(cut("short", 80), "short");
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abcd", 4), "abcd");
    }
}
