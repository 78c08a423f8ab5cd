//! The server side of the lifecycle calls' input rules: the invite body and the removal's
//! reassignment query. Written apart from the client, like `../rules.rs`, and with Laravel's
//! wording: every failing field reported, `unique` and `required_if` among them.

use serde_json::{Map, Value};

use crate::sandbox::rules::{self, Errors, ROLES, fail, input, required_string};
use crate::sandbox::store::{Invitee, Store};

/// The invitation message's limit, as documented.
const MESSAGE_MAX: usize = 5000;

/// Checks a `POST .../users/invite` body: all five fields required, the names as in a profile,
/// and an email that is nobody's in the organization yet, whatever their status.
pub(crate) fn invite(body: &Map<String, Value>, store: &Store) -> Result<Invitee, Errors> {
    let mut errors = Errors::new();
    let email = email(body, store, &mut errors);
    let first_name = rules::name(body, "first_name", &mut errors);
    let last_name = rules::name(body, "last_name", &mut errors);
    let role = match input(body, "role") {
        None | Some(Value::Null) => {
            fail(&mut errors, "role", "The role field is required.".into());
            None
        }
        Some(Value::String(r)) if ROLES.contains(&r.as_str()) => Some(r),
        Some(_) => {
            fail(&mut errors, "role", "The selected role is invalid.".into());
            None
        }
    };
    if let Some(message) = required_string(body, "message", &mut errors)
        && message.chars().count() > MESSAGE_MAX
    {
        let too_long = format!("The message may not be greater than {MESSAGE_MAX} characters.");
        fail(&mut errors, "message", too_long);
    }
    match (email, first_name, last_name, role) {
        (Some(email), Some(first_name), Some(last_name), Some(role)) if errors.is_empty() => {
            Ok(Invitee {
                email,
                first_name,
                last_name,
                role,
            })
        }
        _ => Err(errors),
    }
}

fn email(body: &Map<String, Value>, store: &Store, errors: &mut Errors) -> Option<String> {
    let email = required_string(body, "email", errors)?;
    if !looks_like_email(&email) {
        fail(
            errors,
            "email",
            "The email must be a valid email address.".into(),
        );
        return None;
    }
    if store.find_by_email(&email).is_some() {
        fail(errors, "email", "The email has already been taken.".into());
        return None;
    }
    Some(email)
}

/// One `@` between a local part and a dotted domain, no spaces: what Laravel's `email` rule
/// refuses in practice.
pub(crate) fn looks_like_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
}

/// Reads a removal's query: `with_reassignment=true` needs `to`, an active member other than
/// the one removed. `Ok(None)`: no reassignment asked for.
pub(crate) fn reassignment(
    query: Option<&str>,
    store: &Store,
    removed: u64,
) -> Result<Option<u64>, Errors> {
    let params = crate::sandbox::routes::query_params(query);
    let reassign = params
        .get("with_reassignment")
        .is_some_and(|v| matches!(v.trim(), "true" | "1"));
    if !reassign {
        return Ok(None);
    }
    let mut errors = Errors::new();
    let to = params.get("to").map(|v| v.trim()).filter(|v| !v.is_empty());
    let Some(to) = to else {
        let message = "The to field is required when with reassignment is true.";
        fail(&mut errors, "to", message.into());
        return Err(errors);
    };
    let heir = to
        .parse::<u64>()
        .ok()
        .filter(|&id| id != removed)
        .filter(|&id| {
            store
                .get(id)
                .is_some_and(|m| m.status == "active" && !m.is_bot)
        });
    match heir {
        Some(id) => Ok(Some(id)),
        None => {
            fail(&mut errors, "to", "The selected to is invalid.".into());
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn store() -> Store {
        Store::from_seed(&[
            json!({"id": 1, "email": "ann@x.example", "role": "admin"}),
            json!({"id": 2, "email": "bo@x.example", "status": "invited"}),
            json!({"id": 3, "email": "cy@x.example", "status": "disabled"}),
        ])
        .unwrap()
    }

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn sandbox_invite_rules() {
        let ok = invite(
            &body(
                json!({"email": " new@x.example ", "first_name": "Nia", "last_name": "Obi",
                         "role": "light", "message": "Welcome"}),
            ),
            &store(),
        )
        .unwrap();
        assert_eq!(
            (ok.email.as_str(), ok.role.as_str()),
            ("new@x.example", "light")
        );

        let errs = invite(&body(json!({"message": ""})), &store()).unwrap_err();
        assert_eq!(
            errs.keys().map(String::as_str).collect::<Vec<_>>(),
            ["email", "first_name", "last_name", "message", "role"]
        );
        assert_eq!(errs["message"], ["The message field is required."]);

        let errs = invite(
            &body(json!({"email": "not-an-email", "first_name": "Support", "last_name": "x".repeat(33),
                         "role": "Admin", "message": "m".repeat(5001)})),
            &store(),
        )
        .unwrap_err();
        assert_eq!(errs["email"], ["The email must be a valid email address."]);
        assert_eq!(errs["first_name"], ["The first name is not allowed."]);
        assert_eq!(
            errs["last_name"],
            ["The last name may not be greater than 32 characters."]
        );
        assert_eq!(errs["role"], ["The selected role is invalid."]);
        assert_eq!(
            errs["message"],
            ["The message may not be greater than 5000 characters."]
        );
    }

    #[test]
    fn sandbox_an_email_in_the_organization_cannot_be_invited_whatever_its_status() {
        for email in ["ANN@x.example", "bo@x.example", "cy@x.example"] {
            let errs = invite(
                &body(json!({"email": email, "first_name": "A", "last_name": "B",
                             "role": "standard", "message": "Hi"})),
                &store(),
            )
            .unwrap_err();
            assert_eq!(
                errs["email"],
                ["The email has already been taken."],
                "{email}"
            );
        }
    }

    #[test]
    fn sandbox_reassignment_needs_an_active_member_to_take_the_work() {
        let store = store();
        assert_eq!(reassignment(None, &store, 2), Ok(None));
        assert_eq!(
            reassignment(Some("with_reassignment=false&to=1"), &store, 2),
            Ok(None)
        );
        assert_eq!(
            reassignment(Some("with_reassignment=true&to=1"), &store, 2),
            Ok(Some(1))
        );
        let err = reassignment(Some("with_reassignment=true"), &store, 2).unwrap_err();
        assert_eq!(
            err["to"],
            ["The to field is required when with reassignment is true."]
        );
        for to in ["2", "3", "99", "ann"] {
            let query = format!("with_reassignment=1&to={to}");
            let err = reassignment(Some(&query), &store, 2).unwrap_err();
            assert_eq!(err["to"], ["The selected to is invalid."], "{to}");
        }
    }
}
