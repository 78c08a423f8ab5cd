//! The Tallyfy member fields this tool writes, and how their values compare.
//!
//! Every other module speaks in terms of [`Field`] and [`Value`]: ingest maps columns onto
//! fields, validation turns cells into canonical values, the planner compares canonical values
//! with the member's current ones, and the API layer turns them back into JSON. Keeping the
//! canonical form in one place is what makes a second run send nothing: whatever casing or
//! spelling the export or the server uses, both sides are brought to the same form here.

pub mod country;
mod field_map;
pub mod timezone;

use std::fmt;

use compact_str::{CompactString, ToCompactString};

pub use field_map::FieldMap;
pub use timezone::canonical_timezone;

/// A writable member field, in Tallyfy's own names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    FirstName,
    LastName,
    Phone,
    JobTitle,
    JobDescription,
    Team,
    Timezone,
    CountryId,
    DateFormat,
    StepPreferences,
    /// Written through its own endpoint (`PUT .../users/{id}/role`), never in the profile body.
    Role,
}

impl Field {
    pub const ALL: [Field; 11] = [
        Field::FirstName,
        Field::LastName,
        Field::Phone,
        Field::JobTitle,
        Field::JobDescription,
        Field::Team,
        Field::Timezone,
        Field::CountryId,
        Field::DateFormat,
        Field::StepPreferences,
        Field::Role,
    ];

    /// The name Tallyfy uses in JSON, and the canonical column name.
    pub fn name(self) -> &'static str {
        match self {
            Field::FirstName => "first_name",
            Field::LastName => "last_name",
            Field::Phone => "phone",
            Field::JobTitle => "job_title",
            Field::JobDescription => "job_description",
            Field::Team => "team",
            Field::Timezone => "timezone",
            Field::CountryId => "country_id",
            Field::DateFormat => "date_format",
            Field::StepPreferences => "step_preferences",
            Field::Role => "role",
        }
    }

    /// The field Tallyfy names so (the inverse of [`Field::name`]; a unit test holds the two
    /// together). A `match`, not a search: every key of 100,000 members comes through here.
    pub fn from_name(name: &str) -> Option<Field> {
        Some(match name {
            "first_name" => Field::FirstName,
            "last_name" => Field::LastName,
            "phone" => Field::Phone,
            "job_title" => Field::JobTitle,
            "job_description" => Field::JobDescription,
            "team" => Field::Team,
            "timezone" => Field::Timezone,
            "country_id" => Field::CountryId,
            "date_format" => Field::DateFormat,
            "step_preferences" => Field::StepPreferences,
            "role" => Field::Role,
            _ => return None,
        })
    }

    /// Fields Tallyfy lets a client set to null (the `__CLEAR__` cell).
    pub fn is_clearable(self) -> bool {
        matches!(
            self,
            Field::Phone | Field::JobTitle | Field::JobDescription | Field::Team
        )
    }

    /// Fields that every `PUT /users/{id}` must carry, changed or not: the endpoint is not a
    /// PATCH.
    pub fn is_required_on_update(self) -> bool {
        matches!(self, Field::FirstName | Field::LastName | Field::Timezone)
    }

    /// Compared case-insensitively (the API answers `Admin` on lists and `admin` on updates).
    fn is_case_insensitive(self) -> bool {
        matches!(self, Field::Role | Field::DateFormat)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A canonical field value: the form both the export and the server are brought to before
/// they are compared or sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Inline up to 24 bytes (most names, titles, teams and time zones): 100,000 rows of
    /// seven fields are not 700,000 allocations.
    Text(CompactString),
    Integer(i64),
    Bool(bool),
}

impl Value {
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Text(s) => serde_json::Value::String(s.to_string()),
            Value::Integer(i) => serde_json::Value::from(*i),
            Value::Bool(b) => serde_json::Value::Bool(*b),
        }
    }
}

impl fmt::Display for Value {
    /// Quoted text, bare numbers and booleans: `"Sales"`, `42`, `true`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(s) => write!(f, "{s:?}"),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// What a row wants for one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Desired {
    Set(Value),
    /// Set a clearable field to null.
    Clear,
}

impl Desired {
    /// The value the member should end with (`None` = null).
    pub fn target(&self) -> Option<&Value> {
        match self {
            Desired::Set(v) => Some(v),
            Desired::Clear => None,
        }
    }
}

/// Brings a value received from the API to canonical form, so it can be compared with a
/// validated value. `None` means "no value": JSON null, or an empty string.
///
/// Lenient on purpose: the server is the source of truth for what is there now, so a value we
/// would refuse to send (an unknown time zone, say) is kept as text rather than dropped.
pub fn canonical_from_json(field: Field, json: &serde_json::Value) -> Option<Value> {
    canonical_from_raw(field, Raw::from(json))
}

/// A member's field as the server sent it: text, or any other JSON value. Text is by far the
/// most common, and is kept apart so that it can be held without a `serde_json::Value`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Raw<'a> {
    Text(&'a str),
    Json(&'a serde_json::Value),
}

impl<'a> From<&'a serde_json::Value> for Raw<'a> {
    fn from(json: &'a serde_json::Value) -> Raw<'a> {
        match json {
            serde_json::Value::String(text) => Raw::Text(text),
            other => Raw::Json(other),
        }
    }
}

/// [`canonical_from_json`] of a [`Raw`] value.
pub fn canonical_from_raw(field: Field, raw: Raw<'_>) -> Option<Value> {
    use serde_json::Value as J;
    match (field, raw) {
        (Field::CountryId, Raw::Text(s)) => match s.trim() {
            "" => None,
            t => Some(
                t.parse()
                    .map(Value::Integer)
                    .unwrap_or(Value::Text(t.into())),
            ),
        },
        (Field::StepPreferences, Raw::Text(s)) => parse_bool(s).map(Value::Bool),
        (_, Raw::Text(s)) => canonical_text(field, s),
        (_, Raw::Json(J::Null)) => None,
        (Field::CountryId, Raw::Json(J::Number(n))) => n.as_i64().map(Value::Integer),
        (Field::StepPreferences, Raw::Json(J::Bool(b))) => Some(Value::Bool(*b)),
        (Field::StepPreferences, Raw::Json(J::Number(n))) => {
            Some(Value::Bool(n.as_i64() != Some(0)))
        }
        (_, Raw::Json(J::String(s))) => canonical_from_raw(field, Raw::Text(s)),
        (_, Raw::Json(J::Bool(b))) => Some(Value::Text(b.to_compact_string())),
        (_, Raw::Json(J::Number(n))) => Some(Value::Text(n.to_compact_string())),
        (_, Raw::Json(other)) => Some(Value::Text(other.to_compact_string())),
    }
}

/// Whether a raw value is, canonically, `canonical` (a value [`canonical_from_raw`] could
/// return). The same answer as comparing with `canonical_from_raw`, without building that value
/// when the member already holds the text as is, as it does for most fields of most members.
pub fn raw_is(field: Field, raw: Raw<'_>, canonical: Option<&Value>) -> bool {
    // The member holds the wanted text as is (trimmed): equal when that text is its own
    // canonical form, which is decided here without building it.
    if let (Raw::Text(text), Some(Value::Text(want))) = (raw, canonical)
        && !want.is_empty()
        && trim_cell(text) == want
    {
        let canonical_as_is = match field {
            // Their canonical values are numbers and booleans, never this text.
            Field::CountryId | Field::StepPreferences => false,
            // Unknown names are kept as written, known ones spelled as the database does.
            Field::Timezone => {
                timezone::is_canonical_timezone(want)
                    || timezone::canonical_timezone(want).is_none()
            }
            // Lower-cased: equal when lower-casing leaves the text as it is.
            _ if field.is_case_insensitive() => {
                want.is_ascii() && !want.bytes().any(|b| b.is_ascii_uppercase())
            }
            _ => true,
        };
        if canonical_as_is {
            return true;
        }
    }
    canonical_from_raw(field, raw).as_ref() == canonical
}

/// Canonical text for a field: trimmed, empty as absent, lower-cased where the API's casing
/// varies, time zones spelled as the IANA database spells them today (legacy names such as
/// `Asia/Calcutta` become `Asia/Kolkata`, on both sides of a comparison).
pub fn canonical_text(field: Field, raw: &str) -> Option<Value> {
    let trimmed = trim_cell(raw);
    if trimmed.is_empty() {
        return None;
    }
    let text = if field.is_case_insensitive() {
        lowercase(trimmed)
    } else if field == Field::Timezone {
        canonical_timezone(trimmed).map_or_else(|| trimmed.into(), CompactString::from)
    } else {
        trimmed.into()
    };
    Some(Value::Text(text))
}

/// Trims ASCII and Unicode white space, NBSP included (`char::is_whitespace` covers U+00A0).
pub fn trim_cell(raw: &str) -> &str {
    // Most cells start and end with a visible ASCII character: nothing to trim, nothing to
    // decode.
    if let (Some(first), Some(last)) = (raw.as_bytes().first(), raw.as_bytes().last())
        && first.is_ascii_graphic()
        && last.is_ascii_graphic()
    {
        return raw;
    }
    raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
}

/// `text` lower-cased, without a detour through a `String` when it is ASCII.
pub fn lowercase(text: &str) -> CompactString {
    if text.is_ascii() {
        let mut lower = CompactString::from(text);
        lower.make_ascii_lowercase();
        lower
    } else {
        text.to_lowercase().into()
    }
}

/// `true/false`, `yes/no`, `1/0`, `y/n`, case-insensitive.
pub fn parse_bool(raw: &str) -> Option<bool> {
    match trim_cell(raw).to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => Some(true),
        "false" | "no" | "n" | "0" => Some(false),
        _ => None,
    }
}

/// Tallyfy's member roles.
pub const ROLES: [&str; 3] = ["admin", "standard", "light"];

/// Tallyfy's two date formats.
pub const DATE_FORMATS: [&str; 2] = ["mm/dd/yyyy", "dd/mm/yyyy"];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn all_lists_the_fields_in_declaration_order() {
        // A member keeps a slot per field at `field as usize` (`api::wire::Member`).
        for (slot, field) in Field::ALL.into_iter().enumerate() {
            assert_eq!(field as usize, slot, "{field}");
        }
    }

    #[test]
    fn every_field_is_found_by_its_name_and_nothing_else_is() {
        for field in Field::ALL {
            assert_eq!(Field::from_name(field.name()), Some(field));
        }
        for other in ["id", "email", "First_Name", "", "roles"] {
            assert_eq!(Field::from_name(other), None, "{other}");
        }
    }

    #[test]
    fn timezone_names_are_canonicalized_case_insensitively() {
        assert_eq!(
            canonical_timezone("america/new_york").as_deref(),
            Some("America/New_York")
        );
        assert_eq!(
            canonical_timezone(" Europe/London ").as_deref(),
            Some("Europe/London")
        );
        assert_eq!(canonical_timezone("Mars/Olympus"), None);
        assert_eq!(canonical_timezone("localtime"), None);
    }

    #[test]
    fn server_casing_does_not_matter_for_role_and_date_format() {
        assert_eq!(
            canonical_from_json(Field::Role, &json!("Admin")),
            Some(Value::Text("admin".into()))
        );
        assert_eq!(
            canonical_from_json(Field::DateFormat, &json!("MM/DD/YYYY")),
            Some(Value::Text("mm/dd/yyyy".into()))
        );
    }

    #[test]
    fn empty_string_and_null_are_both_absent() {
        assert_eq!(canonical_from_json(Field::Team, &json!("")), None);
        assert_eq!(canonical_from_json(Field::Team, &json!(null)), None);
        assert_eq!(canonical_from_json(Field::Team, &json!("\u{a0}")), None);
    }

    #[test]
    fn country_id_accepts_numbers_and_numeric_strings() {
        assert_eq!(
            canonical_from_json(Field::CountryId, &json!(44)),
            Some(Value::Integer(44))
        );
        assert_eq!(
            canonical_from_json(Field::CountryId, &json!("44")),
            Some(Value::Integer(44))
        );
    }

    #[test]
    fn raw_is_agrees_with_comparing_canonical_values() {
        let texts = [
            "Europe/London",
            " Europe/London ",
            "europe/london",
            "Asia/Calcutta",
            "Asia/Kolkata",
            "Mars/Base",
            "Admin",
            "admin",
            "ADMIN ",
            "standard",
            "826",
            " 826",
            "true",
            "Yes",
            "Sales",
            " Sales\u{a0}",
            "",
            "İstanbul",
            "dd/mm/yyyy",
            "DD/MM/YYYY",
        ];
        for field in Field::ALL {
            let wanted: Vec<Option<Value>> = std::iter::once(None)
                .chain(
                    texts
                        .iter()
                        .map(|t| canonical_from_raw(field, Raw::Text(t))),
                )
                .chain(texts.iter().map(|t| Some(Value::Text((*t).into()))))
                .collect();
            for text in texts {
                let canonical = canonical_from_raw(field, Raw::Text(text));
                for want in &wanted {
                    assert_eq!(
                        raw_is(field, Raw::Text(text), want.as_ref()),
                        canonical.as_ref() == want.as_ref(),
                        "{field} {text:?} against {want:?}"
                    );
                }
            }
        }
    }
}
