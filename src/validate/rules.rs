//! Tallyfy's rules for one profile field, turning a trimmed cell into its canonical value.
//!
//! Rules come from the Update-profile documentation (`tallyfy-api.md`); where the server has a
//! rule it does not publish (disallowed names, the country list) we do not guess. Canonical
//! forms come from [`crate::fields`], so a validated value compares equal to the same value
//! read back from the API and a second run sends nothing.
//!
//! Lengths are counted in characters (Unicode scalar values), as Laravel's `max` rule counts a
//! string (`mb_strlen`), on the trimmed cell, as Laravel trims input before checking it. A value
//! the server would refuse is refused here, so it is a row to fix before the run, not a failed
//! request in the middle of one.

use super::chars::{self, Allowed};
use crate::fields::timezone::{self, Aliases};
use crate::fields::{DATE_FORMATS, Field, ROLES, Value, canonical_text, parse_bool};

/// Longest first or last name Tallyfy accepts, in characters.
pub const MAX_NAME_CHARS: usize = 32;
/// Longest phone Tallyfy accepts, in characters.
pub const MAX_PHONE_CHARS: usize = 20;
/// Longest job title, job description or team, in characters. Tallyfy publishes no limit for
/// them (`tallyfy-api.md`, open points); 255 is what its server answers with (`The job title
/// may not be greater than 255 characters.`, Laravel's `string` column), and what the sandbox
/// enforces.
pub const MAX_TEXT_CHARS: usize = 255;

/// The canonical value of a non-blank, trimmed cell, or every rule it breaks (in words that
/// follow the quoted value: `"Mars/Base" is not an IANA time zone name`).
pub fn check(field: Field, cell: &str) -> Result<Value, Vec<String>> {
    let mut broken = Vec::new();
    match field {
        Field::FirstName | Field::LastName => {
            check_length(cell, MAX_NAME_CHARS, &mut broken);
            if looks_like_url(cell) {
                broken.push("must not be a URL".to_string());
            }
            broken.extend(chars::check(cell, Allowed::Visible));
        }
        Field::Phone => {
            if is_scientific_notation(cell) {
                broken.push(
                    "is a number in scientific notation: the spreadsheet has dropped its last \
                     digits; format the column as Text and export again"
                        .to_string(),
                );
            }
            check_length(cell, MAX_PHONE_CHARS, &mut broken);
            broken.extend(chars::check(cell, Allowed::OneLine));
        }
        Field::JobTitle | Field::Team => {
            check_length(cell, MAX_TEXT_CHARS, &mut broken);
            broken.extend(chars::check(cell, Allowed::OneLine));
        }
        Field::JobDescription => {
            check_length(cell, MAX_TEXT_CHARS, &mut broken);
            broken.extend(chars::check(cell, Allowed::Paragraphs));
        }
        Field::Timezone => {
            // Without a row's country or a mapping's aliases; validation passes those in.
            return timezone::resolve(cell, None, &Aliases::default())
                .map(|resolved| Value::Text(resolved.name.into()))
                .map_err(|rule| vec![rule]);
        }
        Field::CountryId => {
            return parse_country_id(cell).map(Value::Integer).ok_or_else(|| {
                vec!["must be a whole number (Tallyfy's numeric country id)".to_string()]
            });
        }
        Field::DateFormat => {
            check_one_of(cell, &DATE_FORMATS, "mm/dd/yyyy or dd/mm/yyyy", &mut broken)
        }
        Field::Role => check_one_of(cell, &ROLES, "admin, standard or light", &mut broken),
        Field::StepPreferences => {
            return parse_bool(cell)
                .map(Value::Bool)
                .ok_or_else(|| vec!["must be true or false (also yes/no, y/n, 1/0)".to_string()]);
        }
    }
    if broken.is_empty() {
        Ok(canonical_text(field, cell).unwrap_or_else(|| Value::Text(cell.into())))
    } else {
        Err(broken)
    }
}

fn check_length(cell: &str, max: usize, broken: &mut Vec<String>) {
    // A character is at least a byte: a short cell needs no counting.
    if cell.len() <= max {
        return;
    }
    let chars = cell.chars().count();
    if chars > max {
        broken.push(format!("must be at most {max} characters (has {chars})"));
    }
}

fn check_one_of(cell: &str, allowed: &[&str], in_words: &str, broken: &mut Vec<String>) {
    if !allowed.iter().any(|a| a.eq_ignore_ascii_case(cell)) {
        broken.push(format!("must be {in_words}"));
    }
}

/// `4.42E+09`, `4E9`, `1.2e-3`: what Excel shows (and writes to CSV) for a long number in a
/// General column. A phone read so has lost every digit past the third or so, and sending it
/// would overwrite the member's real number with a wrong one, so it is refused, not warned
/// about.
fn is_scientific_notation(cell: &str) -> bool {
    let Some((mantissa, exponent)) = cell.split_once(['e', 'E']) else {
        return false;
    };
    let mantissa = mantissa.strip_prefix(['+', '-']).unwrap_or(mantissa);
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && (fraction.is_empty() || digits(fraction)) && digits(exponent)
}

/// Digits only (`44`, `044`): a sign or a decimal point is more likely a phone prefix or a
/// spreadsheet artifact than a country id.
fn parse_country_id(cell: &str) -> Option<i64> {
    if cell.is_empty() || !cell.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    cell.parse().ok()
}

/// A deliberately simple test: a scheme (`://`), a `www.` prefix, or a `host.tld/path` start.
/// A bare `St.John` is a name, not a URL, so a dot alone is not enough.
pub fn looks_like_url(cell: &str) -> bool {
    // Every test here is blind to case: no lower-cased copy of the cell.
    let www = cell
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("www."));
    // Both other tests need a `/`: most cells (names, titles) have none, and are done with
    // after one scan for it.
    let Some((host, _path)) = cell.split_once('/') else {
        return www;
    };
    if www || cell.contains("://") {
        return true;
    }
    match host.rsplit_once('.') {
        Some((name, tld)) => {
            !name.is_empty()
                && !host.contains(char::is_whitespace)
                && tld.len() >= 2
                && tld.chars().all(|c| c.is_ascii_alphabetic())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(field: Field, cell: &str) -> Value {
        check(field, cell).unwrap_or_else(|e| panic!("{field} {cell:?}: {e:?}"))
    }

    fn bad(field: Field, cell: &str) -> Vec<String> {
        check(field, cell).expect_err(cell)
    }

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn names_are_at_most_32_characters_counted_as_characters() {
        assert_eq!(ok(Field::FirstName, &"a".repeat(32)), text(&"a".repeat(32)));
        assert_eq!(ok(Field::LastName, &"é".repeat(32)), text(&"é".repeat(32)));
        assert_eq!(
            bad(Field::FirstName, &"a".repeat(33)),
            ["must be at most 32 characters (has 33)"]
        );
    }

    #[test]
    fn names_must_not_be_urls() {
        for url in [
            "https://x.io",
            "www.example.com",
            "example.com/me",
            "HTTP://A.B",
        ] {
            assert_eq!(bad(Field::FirstName, url), ["must not be a URL"], "{url}");
        }
        for name in ["St.John", "O'Brien", "Jr./Sr.", "Anne-Marie", "A/B"] {
            assert_eq!(ok(Field::LastName, name), text(name), "{name}");
        }
    }

    #[test]
    fn a_long_url_breaks_both_name_rules() {
        let url = format!("https://example.com/{}", "x".repeat(40));
        assert_eq!(bad(Field::FirstName, &url).len(), 2);
    }

    #[test]
    fn phones_are_at_most_20_characters() {
        assert_eq!(
            ok(Field::Phone, "+44 20 7946 0958"),
            text("+44 20 7946 0958")
        );
        assert_eq!(
            bad(Field::Phone, &"1".repeat(21)),
            ["must be at most 20 characters (has 21)"]
        );
    }

    #[test]
    fn free_text_fields_take_up_to_255_characters_of_one_line() {
        assert_eq!(
            ok(Field::JobDescription, &"é".repeat(255)),
            text(&"é".repeat(255))
        );
        for field in [Field::JobTitle, Field::JobDescription, Field::Team] {
            assert_eq!(
                bad(field, &"x".repeat(256)),
                ["must be at most 255 characters (has 256)"]
            );
        }
        assert_eq!(ok(Field::Team, "Sales"), text("Sales"));
        assert_eq!(ok(Field::JobTitle, "VP, Sales"), text("VP, Sales"));
        assert_eq!(ok(Field::JobDescription, "a\n\tb"), text("a\n\tb"));
        assert_eq!(bad(Field::JobTitle, "a\nb").len(), 1);
        assert_eq!(bad(Field::Team, "a\0b").len(), 1);
    }

    #[test]
    fn names_and_phones_refuse_invisible_and_control_characters() {
        assert_eq!(
            bad(Field::FirstName, "Ann\u{200b}"),
            [
                "contains U+200B ZERO WIDTH SPACE at character 4: invisible and text-direction \
              characters are not allowed in emails and names"
            ]
        );
        assert_eq!(bad(Field::Phone, "+44\u{7}1").len(), 1);
        // Outlook wraps copied phone numbers in direction marks: not a reason to refuse one.
        assert_eq!(
            ok(Field::Phone, "\u{202a}+44 1\u{202c}"),
            text("\u{202a}+44 1\u{202c}")
        );
    }

    #[test]
    fn a_phone_in_scientific_notation_is_refused() {
        for cell in ["4.42E+09", "4E9", "4.4201e+10", "-1.5E-3"] {
            assert_eq!(bad(Field::Phone, cell).len(), 1, "{cell}");
        }
        for cell in [
            "+44 20 7946 0958",
            "442012345",
            "E9",
            "4.42E",
            "1-800-EEE",
            "4.4E+0x",
        ] {
            assert!(check(Field::Phone, cell).is_ok(), "{cell}");
        }
    }

    #[test]
    fn time_zones_are_iana_names_in_iana_spelling() {
        assert_eq!(
            ok(Field::Timezone, "america/new_york"),
            text("America/New_York")
        );
        assert_eq!(ok(Field::Timezone, "Europe/London"), text("Europe/London"));
        assert_eq!(
            bad(Field::Timezone, "Mars/Base"),
            [
                "is not a time zone we know: write an IANA name (e.g. Europe/London) or a \
                 Windows zone (e.g. GMT Standard Time)"
            ]
        );
        assert_eq!(ok(Field::Timezone, "Asia/Calcutta"), text("Asia/Kolkata"));
        assert_eq!(
            ok(Field::Timezone, "GMT Standard Time"),
            text("Europe/London")
        );
    }

    #[test]
    fn country_ids_are_whole_numbers() {
        assert_eq!(ok(Field::CountryId, "44"), Value::Integer(44));
        assert_eq!(ok(Field::CountryId, "044"), Value::Integer(44));
        for cell in ["UK", "+44", "-1", "44.0", "4 4", "99999999999999999999"] {
            assert!(check(Field::CountryId, cell).is_err(), "{cell}");
        }
    }

    #[test]
    fn date_formats_and_roles_are_lower_cased() {
        assert_eq!(ok(Field::DateFormat, "MM/DD/YYYY"), text("mm/dd/yyyy"));
        assert_eq!(ok(Field::DateFormat, "dd/mm/yyyy"), text("dd/mm/yyyy"));
        assert_eq!(
            bad(Field::DateFormat, "yyyy-mm-dd"),
            ["must be mm/dd/yyyy or dd/mm/yyyy"]
        );
        assert_eq!(ok(Field::Role, "Admin"), text("admin"));
        assert_eq!(ok(Field::Role, "LIGHT"), text("light"));
        assert_eq!(
            bad(Field::Role, "owner"),
            ["must be admin, standard or light"]
        );
    }

    #[test]
    fn step_preferences_are_booleans() {
        assert_eq!(ok(Field::StepPreferences, "Yes"), Value::Bool(true));
        assert_eq!(ok(Field::StepPreferences, "0"), Value::Bool(false));
        assert!(check(Field::StepPreferences, "maybe").is_err());
    }
}
