//! Characters a cell must not hold, found and named.
//!
//! Three kinds, each refused where it does harm:
//! - **control characters** (C0, DEL, C1) in every text field: a terminal escape in a job title
//!   recolours the admin's screen, a NUL cuts a value short in other systems, and C1 characters
//!   are what Windows-1252 text read as Latin-1 leaves behind;
//! - **line breaks and tabs** everywhere but `job_description`, the one field that is
//!   paragraphs of text (Tallyfy shows the others on one line);
//! - **invisible and direction-changing characters** (zero-width spaces and joiners, bidi
//!   overrides, isolates and marks) in emails and names: they make two different values look
//!   the same (`ann@x.com` and `ann\u{200b}@x.com`), or reorder what an admin reads. A zero
//!   width (non-)joiner between two non-ASCII characters is kept in names: Persian and Indic
//!   scripts write one inside words, and emoji sequences use it.
//!
//! The message names the character the way Unicode does (`U+202E RIGHT-TO-LEFT OVERRIDE`) and
//! where it is, counted in characters from 1, so it can be found in a cell that looks clean.

/// Which characters a field allows beyond printable text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    /// Emails and names: one line, nothing invisible.
    Visible,
    /// Phone, job title, team: one line.
    OneLine,
    /// Job description: line breaks and tabs too.
    Paragraphs,
}

/// The first character a cell must not hold, as a rule broken: `contains U+202E
/// RIGHT-TO-LEFT OVERRIDE at character 4: …`; `None` when every character is allowed.
pub fn check(cell: &str, allowed: Allowed) -> Option<String> {
    // Printable ASCII only (most cells): nothing to look at character by character.
    if cell.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        return None;
    }
    let chars: Vec<char> = cell.chars().collect();
    let mut found = (0..chars.len()).filter_map(|i| refused(&chars, i, allowed).map(|k| (i, k)));
    let (at, kind) = found.next()?;
    let more = found.count();
    let c = chars[at];
    let name = name(c).unwrap_or("a control character");
    let more = if more > 0 {
        format!(" (and {more} more)")
    } else {
        String::new()
    };
    let why = match kind {
        Kind::Control => "control characters are not allowed",
        Kind::LineBreak => "line breaks and tabs are allowed in job_description only",
        Kind::Invisible => {
            "invisible and text-direction characters are not allowed in emails and names"
        }
    };
    Some(format!(
        "contains U+{:04X} {name} at character {}{more}: {why}",
        c as u32,
        at + 1
    ))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Control,
    LineBreak,
    Invisible,
}

/// Why `chars[i]` is refused under `allowed`, if it is.
fn refused(chars: &[char], i: usize, allowed: Allowed) -> Option<Kind> {
    let c = chars[i];
    if matches!(c, '\t' | '\n' | '\r') {
        return (allowed != Allowed::Paragraphs).then_some(Kind::LineBreak);
    }
    if c.is_control() {
        return Some(Kind::Control);
    }
    if allowed != Allowed::Visible || !is_invisible(c) {
        return None;
    }
    let joiner = matches!(c, '\u{200c}' | '\u{200d}');
    let inside_a_word = |n: Option<&char>| n.is_some_and(|&n| !n.is_ascii() && is_letterlike(n));
    let kept =
        joiner && i > 0 && inside_a_word(chars.get(i - 1)) && inside_a_word(chars.get(i + 1));
    (!kept).then_some(Kind::Invisible)
}

/// A character a joiner may sit beside: not white space, not itself invisible or a control.
fn is_letterlike(c: char) -> bool {
    !c.is_whitespace() && !c.is_control() && !is_invisible(c)
}

/// Characters that show nothing, or change the order text is shown in.
fn is_invisible(c: char) -> bool {
    invisible_name(c).is_some()
}

fn invisible_name(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{00ad}' => "SOFT HYPHEN",
        '\u{034f}' => "COMBINING GRAPHEME JOINER",
        '\u{061c}' => "ARABIC LETTER MARK",
        '\u{180e}' => "MONGOLIAN VOWEL SEPARATOR",
        '\u{200b}' => "ZERO WIDTH SPACE",
        '\u{200c}' => "ZERO WIDTH NON-JOINER",
        '\u{200d}' => "ZERO WIDTH JOINER",
        '\u{200e}' => "LEFT-TO-RIGHT MARK",
        '\u{200f}' => "RIGHT-TO-LEFT MARK",
        '\u{202a}' => "LEFT-TO-RIGHT EMBEDDING",
        '\u{202b}' => "RIGHT-TO-LEFT EMBEDDING",
        '\u{202c}' => "POP DIRECTIONAL FORMATTING",
        '\u{202d}' => "LEFT-TO-RIGHT OVERRIDE",
        '\u{202e}' => "RIGHT-TO-LEFT OVERRIDE",
        '\u{2060}' => "WORD JOINER",
        '\u{2061}' => "FUNCTION APPLICATION",
        '\u{2062}' => "INVISIBLE TIMES",
        '\u{2063}' => "INVISIBLE SEPARATOR",
        '\u{2064}' => "INVISIBLE PLUS",
        '\u{2066}' => "LEFT-TO-RIGHT ISOLATE",
        '\u{2067}' => "RIGHT-TO-LEFT ISOLATE",
        '\u{2068}' => "FIRST STRONG ISOLATE",
        '\u{2069}' => "POP DIRECTIONAL ISOLATE",
        '\u{3164}' => "HANGUL FILLER",
        '\u{feff}' => "ZERO WIDTH NO-BREAK SPACE",
        '\u{ffa0}' => "HALFWIDTH HANGUL FILLER",
        '\u{e0001}'..='\u{e007f}' => "TAG CHARACTER",
        _ => return None,
    })
}

/// The character's Unicode name (its alias, for controls, which have no name of their own).
fn name(c: char) -> Option<&'static str> {
    match c as u32 {
        n @ 0x00..=0x1f => Some(C0[n as usize]),
        0x7f => Some("DELETE"),
        n @ 0x80..=0x9f => Some(C1[(n - 0x80) as usize]),
        _ => invisible_name(c),
    }
}

const C0: [&str; 32] = [
    "NULL",
    "START OF HEADING",
    "START OF TEXT",
    "END OF TEXT",
    "END OF TRANSMISSION",
    "ENQUIRY",
    "ACKNOWLEDGE",
    "BELL",
    "BACKSPACE",
    "CHARACTER TABULATION",
    "LINE FEED",
    "LINE TABULATION",
    "FORM FEED",
    "CARRIAGE RETURN",
    "SHIFT OUT",
    "SHIFT IN",
    "DATA LINK ESCAPE",
    "DEVICE CONTROL ONE",
    "DEVICE CONTROL TWO",
    "DEVICE CONTROL THREE",
    "DEVICE CONTROL FOUR",
    "NEGATIVE ACKNOWLEDGE",
    "SYNCHRONOUS IDLE",
    "END OF TRANSMISSION BLOCK",
    "CANCEL",
    "END OF MEDIUM",
    "SUBSTITUTE",
    "ESCAPE",
    "INFORMATION SEPARATOR FOUR",
    "INFORMATION SEPARATOR THREE",
    "INFORMATION SEPARATOR TWO",
    "INFORMATION SEPARATOR ONE",
];

const C1: [&str; 32] = [
    "PADDING CHARACTER",
    "HIGH OCTET PRESET",
    "BREAK PERMITTED HERE",
    "NO BREAK HERE",
    "INDEX",
    "NEXT LINE",
    "START OF SELECTED AREA",
    "END OF SELECTED AREA",
    "CHARACTER TABULATION SET",
    "CHARACTER TABULATION WITH JUSTIFICATION",
    "LINE TABULATION SET",
    "PARTIAL LINE FORWARD",
    "PARTIAL LINE BACKWARD",
    "REVERSE LINE FEED",
    "SINGLE SHIFT TWO",
    "SINGLE SHIFT THREE",
    "DEVICE CONTROL STRING",
    "PRIVATE USE ONE",
    "PRIVATE USE TWO",
    "SET TRANSMIT STATE",
    "CANCEL CHARACTER",
    "MESSAGE WAITING",
    "START OF GUARDED AREA",
    "END OF GUARDED AREA",
    "START OF STRING",
    "SINGLE GRAPHIC CHARACTER INTRODUCER",
    "SINGLE CHARACTER INTRODUCER",
    "CONTROL SEQUENCE INTRODUCER",
    "STRING TERMINATOR",
    "OPERATING SYSTEM COMMAND",
    "PRIVACY MESSAGE",
    "APPLICATION PROGRAM COMMAND",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_text_and_accents_pass_everywhere() {
        for allowed in [Allowed::Visible, Allowed::OneLine, Allowed::Paragraphs] {
            for cell in ["Ann Lee", "José García-López", "Zoë", "李小龙", "O'Brien"] {
                assert_eq!(check(cell, allowed), None, "{cell}");
            }
        }
    }

    #[test]
    fn controls_are_named_with_their_place() {
        assert_eq!(
            check("CF\0O", Allowed::Paragraphs).as_deref(),
            Some("contains U+0000 NULL at character 3: control characters are not allowed")
        );
        assert_eq!(
            check("a\u{7f}b\u{92}", Allowed::OneLine).as_deref(),
            Some(
                "contains U+007F DELETE at character 2 (and 1 more): control characters are \
                 not allowed"
            )
        );
        assert!(
            check("\u{92}", Allowed::OneLine)
                .unwrap()
                .contains("U+0092 PRIVATE USE TWO")
        );
    }

    #[test]
    fn line_breaks_and_tabs_only_in_paragraphs() {
        assert_eq!(check("a\r\n\tb", Allowed::Paragraphs), None);
        assert_eq!(
            check("a\tb", Allowed::OneLine).as_deref(),
            Some(
                "contains U+0009 CHARACTER TABULATION at character 2: line breaks and tabs are \
                 allowed in job_description only"
            )
        );
        assert!(check("a\nb", Allowed::Visible).is_some());
    }

    #[test]
    fn invisible_characters_matter_in_emails_and_names_only() {
        for c in [
            '\u{200b}', '\u{202e}', '\u{2066}', '\u{200f}', '\u{feff}', '\u{2060}',
        ] {
            let cell = format!("ann{c}lee");
            let refused = check(&cell, Allowed::Visible).expect("refused");
            assert!(refused.contains("at character 4: invisible"), "{refused}");
            assert_eq!(check(&cell, Allowed::OneLine), None, "{c:?}");
        }
        assert_eq!(
            check("ann\u{202e}", Allowed::Visible).as_deref(),
            Some(
                "contains U+202E RIGHT-TO-LEFT OVERRIDE at character 4: invisible and \
                 text-direction characters are not allowed in emails and names"
            )
        );
    }

    #[test]
    fn joiners_are_kept_inside_non_ascii_words_only() {
        assert_eq!(check("مهر\u{200c}انگیز", Allowed::Visible), None);
        assert_eq!(check("क्\u{200d}ष", Allowed::Visible), None);
        for cell in [
            "An\u{200c}n",
            "\u{200d}ش",
            "ش\u{200d}",
            "ش\u{200d} ش",
            "ش\u{200d}\u{200d}ش",
        ] {
            assert!(check(cell, Allowed::Visible).is_some(), "{cell:?}");
        }
    }
}
