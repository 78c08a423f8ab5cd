//! Header matching: which column feeds which [`Target`].
//!
//! Kept apart from reading bytes so that whatever finds the header row (line 1 today; header
//! detection, XLSX sheets and presets later) hands a plain list of header cells to one place,
//! and every format gets the same aliases, the same refusals and the same messages.
//!
//! Names are compared after [`normalize`]: case, white space, `_` and `-` do not matter, and a
//! `[...]` suffix or a trailing `Required` (Microsoft and Google admin templates) is ignored.
//! All spellings live in [`ALIASES`], one table a later issue can extend with presets.

use std::collections::HashMap;

use super::{MappedColumn, Target};
use crate::fields::{Field, trim_cell};

/// Every header spelling we recognize, written as people write them; matched after
/// [`normalize`]. Canonical names come first for each target.
///
/// Deliberately absent: a bare `ID`. HR and directory exports use it for their own ids (Entra's
/// object GUID, Okta's user id, employee numbers), and since a user id wins over the email, a
/// wrong guess here would update the wrong member.
pub const ALIASES: &[(&str, Target)] = &[
    ("email", Target::Email),
    ("Work Email", Target::Email),
    ("Email Address", Target::Email),
    ("E-mail", Target::Email),
    ("Mail", Target::Email),
    ("user_id", Target::UserId),
    ("User ID", Target::UserId),
    ("Tallyfy ID", Target::UserId),
    ("first_name", Target::Field(Field::FirstName)),
    ("Given Name", Target::Field(Field::FirstName)),
    ("First", Target::Field(Field::FirstName)),
    ("last_name", Target::Field(Field::LastName)),
    ("Surname", Target::Field(Field::LastName)),
    ("Family Name", Target::Field(Field::LastName)),
    ("Last", Target::Field(Field::LastName)),
    ("phone", Target::Field(Field::Phone)),
    ("Phone Number", Target::Field(Field::Phone)),
    ("Work Phone", Target::Field(Field::Phone)),
    ("Telephone", Target::Field(Field::Phone)),
    ("job_title", Target::Field(Field::JobTitle)),
    ("Title", Target::Field(Field::JobTitle)),
    ("Position", Target::Field(Field::JobTitle)),
    ("job_description", Target::Field(Field::JobDescription)),
    ("team", Target::Field(Field::Team)),
    ("Department", Target::Field(Field::Team)),
    ("Team Name", Target::Field(Field::Team)),
    ("timezone", Target::Field(Field::Timezone)),
    ("TZ", Target::Field(Field::Timezone)),
    ("country_id", Target::Field(Field::CountryId)),
    ("date_format", Target::Field(Field::DateFormat)),
    ("role", Target::Field(Field::Role)),
    ("step_preferences", Target::Field(Field::StepPreferences)),
];

/// The comparable form of a header: lower case, without white space, `_`, `-`, a `[...]`
/// suffix or a trailing `Required`. `First Name` = `first_name` = `FIRSTNAME`.
pub fn normalize(header: &str) -> String {
    let mut text = trim_cell(header);
    if let Some(open) = text.rfind('[')
        && text.ends_with(']')
        && open > 0
    {
        text = &text[..open];
    }
    let mut key: String = text
        .chars()
        .filter(|c| !(c.is_whitespace() || *c == '_' || *c == '-'))
        .flat_map(char::to_lowercase)
        .collect();
    // `User name [userPrincipalName] Required`: the suffix follows the bracket.
    if let Some(stripped) = key.strip_suffix("required")
        && !stripped.is_empty()
    {
        key = stripped.to_string();
        if let Some(open) = key.rfind('[')
            && key.ends_with(']')
            && open > 0
        {
            key.truncate(open);
        }
    }
    key
}

/// The target a header maps to, if any.
pub fn target_for(header: &str) -> Option<Target> {
    let key = normalize(header);
    ALIASES
        .iter()
        .find(|(alias, _)| normalize(alias) == key)
        .map(|(_, target)| *target)
}

/// The header row, mapped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderMap {
    pub columns: Vec<MappedColumn>,
    /// Headers that map to nothing, in file order.
    pub unknown_columns: Vec<String>,
}

/// Maps a header row onto targets, or explains in one message why it cannot be used.
///
/// Refused: two columns feeding the same target, the same header written twice (a naive
/// reader silently keeps the last one), and a row with no key column. Blank header cells (the
/// empty trailing columns Excel leaves behind) are skipped.
pub fn map_headers(headers: &[String]) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::default();
    let mut seen_names: HashMap<&str, usize> = HashMap::new();
    for (index, raw) in headers.iter().enumerate() {
        let header = trim_cell(raw);
        if header.is_empty() {
            continue;
        }
        if let Some(&first) = seen_names.get(header) {
            return Err(format!(
                "columns {} and {} are both named `{header}`; remove one or rename it",
                first + 1,
                index + 1
            ));
        }
        seen_names.insert(header, index);
        match target_for(header) {
            Some(target) => {
                if let Some(other) = map.columns.iter().find(|c| c.target == target) {
                    return Err(format!(
                        "columns {} (`{}`) and {} (`{header}`) both map to {}; remove one or \
                         rename it",
                        other.index + 1,
                        other.header,
                        index + 1,
                        target_name(target)
                    ));
                }
                map.columns.push(MappedColumn {
                    header: header.to_string(),
                    index,
                    target,
                });
            }
            None => map.unknown_columns.push(header.to_string()),
        }
    }
    if !map
        .columns
        .iter()
        .any(|c| matches!(c.target, Target::Email | Target::UserId))
    {
        return Err(missing_key_message(headers));
    }
    Ok(map)
}

/// The canonical column name of a target (`email`, `user_id`, `first_name`, ...).
pub fn target_name(target: Target) -> &'static str {
    match target {
        Target::Email => "email",
        Target::UserId => "user_id",
        Target::Field(field) => field.name(),
    }
}

fn missing_key_message(headers: &[String]) -> String {
    let found: Vec<String> = headers
        .iter()
        .map(|h| trim_cell(h))
        .filter(|h| !h.is_empty())
        .map(|h| format!("`{h}`"))
        .collect();
    let found = if found.is_empty() {
        "none".to_string()
    } else {
        found.join(", ")
    };
    let accepted = |target: Target| {
        ALIASES
            .iter()
            .filter(|(_, t)| *t == target)
            .map(|(alias, _)| format!("`{alias}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "no key column: a column with the member's email ({}) or Tallyfy user id ({}) is \
         required; headers found: {found}",
        accepted(Target::Email),
        accepted(Target::UserId)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    fn targets(names: &[&str]) -> Vec<(String, Target)> {
        map_headers(&headers(names))
            .unwrap()
            .columns
            .into_iter()
            .map(|c| (c.header, c.target))
            .collect()
    }

    #[test]
    fn case_spaces_underscores_and_hyphens_do_not_matter() {
        for spelling in [
            "First Name",
            "first_name",
            "FIRSTNAME",
            "first-name",
            " First  Name ",
        ] {
            assert_eq!(
                target_for(spelling),
                Some(Target::Field(Field::FirstName)),
                "{spelling}"
            );
        }
        assert_eq!(target_for("E-mail"), Some(Target::Email));
        assert_eq!(
            target_for("TIME ZONE"),
            Some(Target::Field(Field::Timezone))
        );
    }

    #[test]
    fn common_aliases_map_to_their_fields() {
        let cases = [
            ("Work Email", Target::Email),
            ("Email Address", Target::Email),
            ("Mail", Target::Email),
            ("Tallyfy ID", Target::UserId),
            ("User ID", Target::UserId),
            ("Given Name", Target::Field(Field::FirstName)),
            ("Surname", Target::Field(Field::LastName)),
            ("Family Name", Target::Field(Field::LastName)),
            ("Position", Target::Field(Field::JobTitle)),
            ("Job Title", Target::Field(Field::JobTitle)),
            ("Department", Target::Field(Field::Team)),
            ("Team Name", Target::Field(Field::Team)),
            ("Telephone", Target::Field(Field::Phone)),
            ("TZ", Target::Field(Field::Timezone)),
            ("Country ID", Target::Field(Field::CountryId)),
            ("Step Preferences", Target::Field(Field::StepPreferences)),
        ];
        for (header, target) in cases {
            assert_eq!(target_for(header), Some(target), "{header}");
        }
    }

    #[test]
    fn admin_template_suffixes_are_ignored() {
        assert_eq!(target_for("Email Address [Required]"), Some(Target::Email));
        assert_eq!(
            target_for("First name [givenName]"),
            Some(Target::Field(Field::FirstName))
        );
        assert_eq!(
            target_for("Department [department] Required"),
            Some(Target::Field(Field::Team))
        );
    }

    #[test]
    fn a_bare_id_or_a_mobile_phone_is_not_guessed() {
        assert_eq!(target_for("ID"), None);
        assert_eq!(target_for("Mobile Phone"), None);
        assert_eq!(target_for("Required"), None);
    }

    #[test]
    fn no_alias_is_claimed_by_two_targets() {
        for (i, (a, ta)) in ALIASES.iter().enumerate() {
            for (b, tb) in &ALIASES[i + 1..] {
                let collide = normalize(a) == normalize(b) && ta != tb;
                assert!(!collide, "`{a}` and `{b}` collide ({ta:?}, {tb:?})");
            }
        }
    }

    #[test]
    fn unknown_columns_are_listed_and_blank_headers_skipped() {
        let map = map_headers(&headers(&["Email", "Salary", "", "Team", "Password", " "])).unwrap();
        assert_eq!(map.unknown_columns, ["Salary", "Password"]);
        assert_eq!(
            targets(&["Email", "Salary", "", "Team"]),
            [
                ("Email".to_string(), Target::Email),
                ("Team".to_string(), Target::Field(Field::Team))
            ]
        );
        assert_eq!(map.columns[1].index, 3);
    }

    #[test]
    fn two_columns_for_one_target_are_refused_naming_both() {
        let err = map_headers(&headers(&[
            "Name",
            "x",
            "Email",
            "y",
            "z",
            "w",
            "Work Email",
        ]))
        .unwrap_err();
        assert_eq!(
            err,
            "columns 3 (`Email`) and 7 (`Work Email`) both map to email; remove one or rename it"
        );
    }

    #[test]
    fn an_exactly_repeated_header_is_refused() {
        let err = map_headers(&headers(&["email", "Notes", "Notes"])).unwrap_err();
        assert_eq!(
            err,
            "columns 2 and 3 are both named `Notes`; remove one or rename it"
        );
    }

    #[test]
    fn a_missing_key_column_lists_what_was_found_and_what_is_accepted() {
        let err = map_headers(&headers(&["First Name", "Last Name", "ID"])).unwrap_err();
        assert!(err.starts_with("no key column"), "{err}");
        assert!(err.contains("`First Name`, `Last Name`, `ID`"), "{err}");
        assert!(
            err.contains("`Work Email`") && err.contains("`Tallyfy ID`"),
            "{err}"
        );
    }

    #[test]
    fn user_id_alone_is_a_key() {
        assert_eq!(
            targets(&["Tallyfy ID"]),
            [("Tallyfy ID".to_string(), Target::UserId)]
        );
    }
}
