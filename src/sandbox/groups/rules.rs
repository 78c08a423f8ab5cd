//! The rules of a group write, as Tallyfy documents them ("Create group", "Update group") and
//! as Laravel words their failures, written here rather than shared with the client.
//!
//! `name` (at most 200 characters, unique in the organization in any casing) and
//! `description` are required on both calls: Tallyfy's update page marks only `description`
//! required, but the UI asks for both, one of the sources says both, and the client always
//! sends both. `members` (ids of the organization's members) and `guests` (emails) are
//! optional: given, each replaces the whole list; left out, each is kept.

use serde_json::{Map, Value};

use super::super::rules::{Errors, fail, input, required_string};
use super::super::store::Store;
use super::store::{GroupChange, Groups};
use crate::sandbox::lifecycle::looks_like_email;

/// Longest group name.
pub(crate) const GROUP_NAME_MAX: usize = 200;

/// Checks a `POST` or `PUT` body; `id` is the group being changed (`None` for a new one).
pub(crate) fn group_write(
    body: &Map<String, Value>,
    id: Option<&str>,
    groups: &Groups,
    members: &Store,
) -> Result<GroupChange, Errors> {
    let mut errors = Errors::new();
    let name = required_string(body, "name", &mut errors);
    if let Some(name) = &name {
        if name.chars().count() > GROUP_NAME_MAX {
            let message = format!("The name may not be greater than {GROUP_NAME_MAX} characters.");
            fail(&mut errors, "name", message);
        } else if groups.named(name, id).is_some() {
            fail(
                &mut errors,
                "name",
                "The name has already been taken.".into(),
            );
        }
    }
    let description = required_string(body, "description", &mut errors);
    let change = GroupChange {
        name: name.unwrap_or_default(),
        description: description.unwrap_or_default(),
        members: member_list(body, members, &mut errors),
        guests: guest_list(body, &mut errors),
    };
    if errors.is_empty() {
        Ok(change)
    } else {
        Err(errors)
    }
}

/// `members`: whole numbers (a numeric string passes, as Laravel's `integer` lets it), each
/// the id of a member of the organization, whatever their status.
fn member_list(body: &Map<String, Value>, store: &Store, errors: &mut Errors) -> Option<Vec<u64>> {
    let items = list(body, "members", errors)?;
    let mut ids = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let id = match item {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        match id {
            None => fail(
                errors,
                &format!("members.{i}"),
                format!("The members.{i} must be an integer."),
            ),
            Some(id) if store.get(id).is_none() => fail(
                errors,
                &format!("members.{i}"),
                format!("The selected member {id} is not a member of this organization."),
            ),
            Some(id) => ids.push(id),
        }
    }
    Some(ids)
}

/// `guests`: emails.
fn guest_list(body: &Map<String, Value>, errors: &mut Errors) -> Option<Vec<String>> {
    let items = list(body, "guests", errors)?;
    let mut guests = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item.as_str().map(str::trim).filter(|e| looks_like_email(e)) {
            Some(email) => guests.push(email.to_string()),
            None => fail(
                errors,
                &format!("guests.{i}"),
                format!("The guests.{i} must be a valid email address."),
            ),
        }
    }
    Some(guests)
}

/// A list key: `None` when left out (kept as it is), or when it is not a list (an error).
fn list(body: &Map<String, Value>, key: &str, errors: &mut Errors) -> Option<Vec<Value>> {
    match input(body, key)? {
        Value::Array(items) => Some(items),
        _ => {
            fail(errors, key, format!("The {key} must be an array."));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::sandbox::groups::SandboxGroup;

    fn org() -> (Groups, Store) {
        let store = Store::from_seed(&[
            json!({"id": 1, "email": "a@x.example"}),
            json!({"id": 2, "email": "b@x.example", "status": "disabled"}),
            json!({"id": 3, "email": "c@x.example", "status": "invited"}),
        ])
        .unwrap();
        let groups = Groups::build(&[SandboxGroup::new("Sales", &[1])], &store).unwrap();
        (groups, store)
    }

    fn check(body: Value, id: Option<&str>) -> Result<GroupChange, Errors> {
        let (groups, store) = org();
        group_write(body.as_object().unwrap(), id, &groups, &store)
    }

    #[test]
    fn sandbox_a_group_write_needs_a_name_and_a_description() {
        let errors = check(json!({"name": "  ", "description": null}), None).unwrap_err();
        assert_eq!(errors["name"], ["The name field is required."]);
        assert_eq!(
            errors["description"],
            ["The description field is required."]
        );
        let errors = check(json!({"name": 7, "description": "d"}), None).unwrap_err();
        assert_eq!(errors["name"], ["The name must be a string."]);
        let long = "n".repeat(201);
        let errors = check(json!({"name": long, "description": "d"}), None).unwrap_err();
        assert_eq!(
            errors["name"],
            ["The name may not be greater than 200 characters."]
        );
        let fits = "n".repeat(200);
        assert!(check(json!({"name": fits, "description": "d"}), None).is_ok());
    }

    #[test]
    fn sandbox_a_group_name_is_unique_in_any_casing_but_a_group_keeps_its_own() {
        let errors = check(json!({"name": " SALES ", "description": "d"}), None).unwrap_err();
        assert_eq!(errors["name"], ["The name has already been taken."]);
        let (groups, store) = org();
        let sales = groups.iter().next().unwrap().id.clone();
        let body = json!({"name": "sales", "description": "d"});
        let change = group_write(body.as_object().unwrap(), Some(&sales), &groups, &store).unwrap();
        assert_eq!(change.name, "sales");
    }

    #[test]
    fn sandbox_group_members_are_the_organizations_and_guests_are_emails() {
        let change = check(
            json!({"name": "Ops", "description": "d", "members": [1, "2", 3], "guests": [" g@x.example "]}),
            None,
        )
        .unwrap();
        assert_eq!(
            change.members,
            Some(vec![1, 2, 3]),
            "disabled and invited members too"
        );
        assert_eq!(change.guests, Some(vec!["g@x.example".to_string()]));
        let kept = check(json!({"name": "Ops", "description": "d"}), None).unwrap();
        assert_eq!((kept.members, kept.guests), (None, None));

        let errors = check(
            json!({"name": "Ops", "description": "d", "members": [1, 9999, "x"], "guests": ["nope"]}),
            None,
        )
        .unwrap_err();
        assert_eq!(
            errors["members.1"],
            ["The selected member 9999 is not a member of this organization."]
        );
        assert_eq!(errors["members.2"], ["The members.2 must be an integer."]);
        assert_eq!(
            errors["guests.0"],
            ["The guests.0 must be a valid email address."]
        );
        let errors = check(
            json!({"name": "Ops", "description": "d", "members": 1}),
            None,
        )
        .unwrap_err();
        assert_eq!(errors["members"], ["The members must be an array."]);
    }
}
