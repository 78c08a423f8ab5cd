//! Values a row takes from another column than the field's own.
//!
//! Directory exports often leave first and last names empty and fill only a display name
//! (Entra's bulk template); a country column holds names or codes where Tallyfy wants its own
//! numeric `country_id`. Both are readings the export did not state outright, so each one the
//! tool makes is said on the row as a warning, and nothing is guessed where it cannot be read:
//! an unknown country leaves `country_id` alone.

use crate::blank::{CellIntent, is_blank};
use crate::fields::{Desired, Field, Value, country, trim_cell};
use crate::ingest::{Record, Table, Target};

use super::{Draft, rules};

/// The row's country as an ISO alpha-2 code, when its country column names one.
pub fn country_code(table: &Table, record: &Record) -> Option<&'static str> {
    let (_, cell) = table.pick(record, Target::Country)?;
    country::lookup(trim_cell(cell)).map(|c| c.alpha2)
}

/// `Chris Green` → (`Chris`, `Green`); `Green, Chris` → (`Chris`, `Green`); one word is a first
/// name alone. The first word is the first name and the rest the last name (`José García
/// López`, `Ludwig van Beethoven`), which is why every split is a warning to check.
pub fn split_name(display: &str) -> (String, Option<String>) {
    let display = trim_cell(display);
    if let Some((last, first)) = display.split_once(',') {
        let (first, last) = (trim_cell(first), trim_cell(last));
        if !first.is_empty() && !last.is_empty() {
            return (first.to_string(), Some(last.to_string()));
        }
    }
    let words: Vec<&str> = display.split_whitespace().collect();
    match words.as_slice() {
        [] => (String::new(), None),
        [one] => (one.to_string(), None),
        [first, rest @ ..] => (first.to_string(), Some(rest.join(" "))),
    }
}

/// First and last name both empty (columns present but blank) and a display name present:
/// split it, with a warning on the row.
pub(super) fn display_name(table: &Table, record: &Record, draft: &mut Draft) {
    if table.column(Target::DisplayName).is_none() {
        return;
    }
    let first = table.pick(record, Target::Field(Field::FirstName));
    let last = table.pick(record, Target::Field(Field::LastName));
    if first.is_none() && last.is_none() {
        return;
    }
    let blank = |picked: Option<(_, &str)>| picked.is_none_or(|(_, cell)| is_blank(cell));
    if !blank(first) || !blank(last) {
        return;
    }
    let Some((column, display)) = table.pick(record, Target::DisplayName) else {
        return;
    };
    if is_blank(display) {
        return;
    }
    let (first_name, last_name) = split_name(display);
    let mut parts = vec![(Field::FirstName, first_name.clone())];
    parts.extend(last_name.clone().map(|last| (Field::LastName, last)));
    let mut ok = true;
    for (field, value) in parts {
        match rules::check(field, &value) {
            Ok(value) => {
                draft.fields.insert(field, Desired::Set(value));
            }
            Err(broken) => {
                ok = false;
                for rule in broken {
                    draft.problem(
                        column,
                        display,
                        format!("split into {field} {value:?}: {rule}"),
                    );
                }
            }
        }
    }
    if ok {
        let message = match last_name {
            Some(last) => format!(
                "first and last name are empty: took first_name {first_name:?} and last_name \
                 {last:?} from the display name {:?}; check the split",
                trim_cell(display)
            ),
            None => format!(
                "first and last name are empty: took first_name {first_name:?} from the display \
                 name; it has one word, so last_name is left unchanged"
            ),
        };
        draft.warn(column, message);
    }
}

/// A country column becomes `country_id` through the mapping's `[countries]` table, when the
/// row does not give `country_id` itself. A country the table lacks leaves the field alone.
pub(super) fn country_id(table: &Table, record: &Record, draft: &mut Draft) {
    if table.rules.countries.is_empty() || draft.fields.contains_key(&Field::CountryId) {
        return;
    }
    let Some((column, raw)) = table.pick(record, Target::Country) else {
        return;
    };
    let policy = table.rules.blank.for_field(Field::CountryId);
    match policy.interpret(raw) {
        CellIntent::Keep => {}
        CellIntent::Clear => draft.clear(column, raw, Field::CountryId, &policy),
        CellIntent::Set(cell) => match table.rules.countries.id_for(cell) {
            Some(id) => {
                draft
                    .fields
                    .insert(Field::CountryId, Desired::Set(Value::Integer(id)));
            }
            None => {
                let known = country::lookup(cell)
                    .map(|c| format!(" ({}, {})", c.name, c.alpha2))
                    .unwrap_or_default();
                draft.warn(
                    column,
                    format!(
                        "country {cell:?}{known} is not in the mapping's [countries] table: \
                         country_id is left unchanged"
                    ),
                );
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(display: &str) -> (String, Option<String>) {
        split_name(display)
    }

    #[test]
    fn display_names_split_on_the_first_word_or_a_comma() {
        assert_eq!(
            split(" Chris Green"),
            ("Chris".into(), Some("Green".into()))
        );
        assert_eq!(
            split("José García López"),
            ("José".into(), Some("García López".into()))
        );
        assert_eq!(
            split("Green, Chris"),
            ("Chris".into(), Some("Green".into()))
        );
        assert_eq!(split("Cher"), ("Cher".into(), None));
        assert_eq!(split("\u{a0}"), (String::new(), None));
    }
}
