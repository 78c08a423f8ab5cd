//! The server side of Tallyfy's profile rules, written independently of `crate::validate`.
//!
//! If the sandbox reused the client's validator, a mistake there would be mirrored here and
//! every test would pass. So these rules are re-derived from the API reference, and the
//! responses imitate Laravel: input strings are trimmed, blank strings become null (its
//! `TrimStrings` / `ConvertEmptyStringsToNull` middleware), every failing field is reported,
//! and messages use Laravel's wording with `_` shown as a space.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Field name → messages, as in Laravel's `errors` object.
pub(crate) type Errors = BTreeMap<String, Vec<String>>;

pub(crate) const NAME_MAX: usize = 32;
/// Names Tallyfy refuses. Its real list is unpublished, so clients cannot check it first: the
/// sandbox keeps one of its own to make that 422 happen.
const DISALLOWED_NAMES: [&str; 7] = [
    "admin",
    "administrator",
    "root",
    "support",
    "system",
    "tallyfy",
    "undefined",
];
/// Country ids the sandbox knows. Tallyfy publishes no table; clients can only check the id
/// is a whole number, so ids past this (the ISO 3166 numeric range) are the server's 422 alone.
const COUNTRY_ID_MAX: i64 = 999;
pub(crate) const PHONE_MAX: usize = 20;
pub(crate) const TEXT_MAX: usize = 255;
pub(crate) const ROLES: [&str; 3] = ["admin", "standard", "light"];
pub(crate) const DATE_FORMATS: [&str; 2] = ["mm/dd/yyyy", "dd/mm/yyyy"];

/// A valid profile body. `None` = key not sent (keep); `Some(None)` = sent as null (clear).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ProfileUpdate {
    pub first_name: String,
    pub last_name: String,
    pub timezone: String,
    pub phone: Option<Option<String>>,
    pub job_title: Option<Option<String>>,
    pub job_description: Option<Option<String>>,
    pub team: Option<Option<String>>,
    pub country_id: Option<Option<i64>>,
    pub date_format: Option<String>,
    pub step_preferences: Option<bool>,
}

/// Checks a `PUT .../users/{id}` body. Keys not listed (`email`, `role`, typos) are ignored.
pub(crate) fn profile(body: &Map<String, Value>) -> Result<ProfileUpdate, Errors> {
    let mut errors = Errors::new();
    let mut out = ProfileUpdate::default();

    for (key, slot) in [
        ("first_name", &mut out.first_name),
        ("last_name", &mut out.last_name),
    ] {
        if let Some(name) = name(body, key, &mut errors) {
            *slot = name;
        }
    }

    if let Some(tz) = required_string(body, "timezone", &mut errors) {
        if is_timezone(&tz) {
            out.timezone = tz;
        } else {
            fail(
                &mut errors,
                "timezone",
                "The timezone must be a valid zone.".into(),
            );
        }
    }

    out.phone = nullable_string(body, "phone", PHONE_MAX, &mut errors);
    out.job_title = nullable_string(body, "job_title", TEXT_MAX, &mut errors);
    out.job_description = nullable_string(body, "job_description", TEXT_MAX, &mut errors);
    out.team = nullable_string(body, "team", TEXT_MAX, &mut errors);

    out.country_id = match input(body, "country_id") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::Number(n)) if n.as_i64().is_some() => {
            let id = n.as_i64().unwrap_or_default();
            if !(1..=COUNTRY_ID_MAX).contains(&id) {
                fail(
                    &mut errors,
                    "country_id",
                    "The selected country id is invalid.".into(),
                );
            }
            Some(Some(id))
        }
        Some(_) => {
            fail(
                &mut errors,
                "country_id",
                "The country id must be an integer.".into(),
            );
            None
        }
    };

    out.date_format = match input(body, "date_format") {
        None => None,
        Some(Value::String(s)) if DATE_FORMATS.contains(&s.as_str()) => Some(s),
        Some(_) => {
            fail(
                &mut errors,
                "date_format",
                "The selected date format is invalid.".into(),
            );
            None
        }
    };

    out.step_preferences = match input(body, "step_preferences") {
        None => None,
        Some(Value::Bool(b)) => Some(b),
        Some(_) => {
            let msg = "The step preferences field must be true or false.";
            fail(&mut errors, "step_preferences", msg.into());
            None
        }
    };

    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// A required name (`first_name`, `last_name`): at most [`NAME_MAX`] characters, not a URL,
/// not a disallowed name. Every failing rule is reported.
pub(crate) fn name(body: &Map<String, Value>, key: &str, errors: &mut Errors) -> Option<String> {
    let name = required_string(body, key, errors)?;
    let mut failed = false;
    if name.chars().count() > NAME_MAX {
        let message = format!(
            "The {} may not be greater than {NAME_MAX} characters.",
            label(key)
        );
        fail(errors, key, message);
        failed = true;
    }
    if DISALLOWED_NAMES.contains(&name.trim().to_lowercase().as_str()) {
        fail(errors, key, format!("The {} is not allowed.", label(key)));
        failed = true;
    }
    if looks_like_url(&name) {
        fail(errors, key, format!("The {} may not be a URL.", label(key)));
        failed = true;
    }
    (!failed).then_some(name)
}

/// Checks a `PUT .../users/{id}/role` body: exactly one of [`ROLES`], lower-case.
pub(crate) fn role(body: &Map<String, Value>) -> Result<String, Errors> {
    let mut errors = Errors::new();
    match input(body, "role") {
        None | Some(Value::Null) => fail(&mut errors, "role", "The role field is required.".into()),
        Some(Value::String(r)) if ROLES.contains(&r.as_str()) => return Ok(r),
        Some(_) => fail(&mut errors, "role", "The selected role is invalid.".into()),
    }
    Err(errors)
}

/// True only for a name spelled exactly as the tz database spells it (`america/new_york` is
/// not accepted, though jiff's own lookup would find it).
pub(crate) fn is_timezone(name: &str) -> bool {
    crate::fields::timezone::zone_database()
        .get(name)
        .ok()
        .is_some_and(|tz| tz.iana_name() == Some(name))
}

/// The zone's current offset from UTC as `+HH:MM`; `+00:00` for an unknown zone.
pub(crate) fn utc_offset(name: &str) -> String {
    let seconds = crate::fields::timezone::zone_database()
        .get(name)
        .map(|tz| tz.to_offset(jiff::Timestamp::now()).seconds())
        .unwrap_or(0);
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

fn looks_like_url(s: &str) -> bool {
    let lower = s.to_lowercase();
    lower.contains("://") || lower.starts_with("www.")
}

/// A key's value as Laravel's middleware would leave it: `None` if absent, strings trimmed,
/// blank strings turned into null.
pub(crate) fn input(body: &Map<String, Value>, key: &str) -> Option<Value> {
    let value = body.get(key)?;
    Some(match value {
        Value::String(s) => {
            let trimmed = s.trim_matches([' ', '\t', '\n', '\r', '\0', '\x0B']);
            if trimmed.is_empty() {
                Value::Null
            } else {
                Value::String(trimmed.to_string())
            }
        }
        other => other.clone(),
    })
}

pub(crate) fn required_string(
    body: &Map<String, Value>,
    key: &str,
    errors: &mut Errors,
) -> Option<String> {
    match input(body, key) {
        None | Some(Value::Null) => {
            fail(
                errors,
                key,
                format!("The {} field is required.", label(key)),
            );
            None
        }
        Some(Value::String(s)) => Some(s),
        Some(_) => {
            fail(errors, key, format!("The {} must be a string.", label(key)));
            None
        }
    }
}

fn nullable_string(
    body: &Map<String, Value>,
    key: &str,
    max: usize,
    errors: &mut Errors,
) -> Option<Option<String>> {
    match input(body, key) {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(s)) if s.chars().count() > max => {
            fail(
                errors,
                key,
                format!(
                    "The {} may not be greater than {max} characters.",
                    label(key)
                ),
            );
            None
        }
        Some(Value::String(s)) => Some(Some(s)),
        Some(_) => {
            fail(errors, key, format!("The {} must be a string.", label(key)));
            None
        }
    }
}

pub(crate) fn fail(errors: &mut Errors, key: &str, message: String) {
    errors.entry(key.to_string()).or_default().push(message);
}

/// Laravel's attribute label: `job_title` → `job title`.
pub(crate) fn label(key: &str) -> String {
    key.replace('_', " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn sandbox_timezones_are_case_sensitive() {
        assert!(is_timezone("America/New_York"));
        assert!(is_timezone("UTC"));
        assert!(!is_timezone("america/new_york"));
        assert!(!is_timezone("Mars/Olympus_Mons"));
        assert_eq!(utc_offset("UTC"), "+00:00");
        assert_eq!(utc_offset("Asia/Kolkata"), "+05:30");
    }

    #[test]
    fn sandbox_rules_clients_cannot_know() {
        let errs = profile(&body(json!({
            "first_name": " ADMIN ", "last_name": "Tallyfy", "timezone": "UTC", "country_id": 1000,
        })))
        .unwrap_err();
        assert_eq!(errs["first_name"], ["The first name is not allowed."]);
        assert_eq!(errs["last_name"], ["The last name is not allowed."]);
        assert_eq!(errs["country_id"], ["The selected country id is invalid."]);
    }

    #[test]
    fn sandbox_profile_rules() {
        let ok = profile(&body(json!({
            "first_name": "  José ", "last_name": "García", "timezone": "Europe/Madrid",
            "job_title": "", "country_id": 724, "date_format": "dd/mm/yyyy", "email": "x@y.z",
        })))
        .unwrap();
        assert_eq!(ok.first_name, "José");
        assert_eq!(ok.job_title, Some(None));
        assert_eq!(ok.phone, None);
        assert_eq!(ok.country_id, Some(Some(724)));

        let errs = profile(&body(json!({
            "first_name": "www.example.com", "last_name": "x".repeat(33), "timezone": " ",
            "phone": "1".repeat(21), "country_id": "724", "date_format": "MM/DD/YYYY",
            "step_preferences": "yes", "team": 7,
        })))
        .unwrap_err();
        let keys: Vec<&str> = errs.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "country_id",
                "date_format",
                "first_name",
                "last_name",
                "phone",
                "step_preferences",
                "team",
                "timezone"
            ]
        );
        assert_eq!(errs["timezone"], ["The timezone field is required."]);
        assert_eq!(
            errs["phone"],
            ["The phone may not be greater than 20 characters."]
        );
    }

    #[test]
    fn sandbox_role_rules() {
        assert_eq!(role(&body(json!({"role": "light"}))).unwrap(), "light");
        assert_eq!(
            role(&body(json!({"role": "Admin"}))).unwrap_err()["role"],
            ["The selected role is invalid."]
        );
        assert_eq!(
            role(&body(json!({}))).unwrap_err()["role"],
            ["The role field is required."]
        );
    }
}
