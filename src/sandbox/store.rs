//! The sandbox's members: typed state, built from a seed, rendered in either casing.
//!
//! Members are held as typed records rather than raw JSON so that values are stored in one
//! canonical (lower-case) form and the casing quirk of the real API, Title-case roles and
//! upper-case date formats in list/get but lower-case in update responses, is applied only
//! when a member is rendered. Seed-only flags (`is_bot`, `multi_org`) live here and are never
//! rendered as such: a bot shows as `"type": "bot"`, the only mark the API's member objects
//! have room for (their `type` is otherwise `"standard"`, `null` for an invitee).
//!
//! The organization has one default administrator (`is_default_admin`, rendered): the seed's,
//! or else its first active administrator. Tallyfy refuses to remove them, and passes the role
//! on when they are disabled.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value, json};

use super::FieldNames;
use super::rules::{self, DATE_FORMATS, ProfileUpdate, ROLES};

mod org;

pub(crate) use org::Invitee;

pub(crate) const STATUSES: [&str; 3] = ["active", "invited", "disabled"];
/// Timestamp used when a seed member has none, so seeded state stays reproducible.
const SEED_TIME: &str = "2024-01-01T00:00:00Z";

/// How a member is shown: list/get responses differ from update/role responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Casing {
    /// `GET` list and show: `"Admin"`, `"MM/DD/YYYY"`.
    List,
    /// `PUT` profile and role: `"admin"`, `"mm/dd/yyyy"`.
    Update,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Member {
    pub id: u64,
    pub email: String,
    pub username: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub profile_pic: Option<String>,
    pub phone: Option<String>,
    pub job_title: Option<String>,
    pub job_description: Option<String>,
    pub team: Option<String>,
    pub timezone: String,
    pub country_id: Option<i64>,
    pub date_format: String,
    pub step_preferences: bool,
    pub role: String,
    pub status: String,
    pub created_at: String,
    pub updated_at: String,
    pub last_login_at: Option<String>,
    pub is_bot: bool,
    pub multi_org: bool,
    pub is_default_admin: bool,
    /// Who sent the invitation, for members invited through the API.
    pub invited_by: Option<u64>,
}

impl Member {
    /// Reads one seed member; errors name the member by index (and id once known).
    pub fn from_seed(index: usize, value: &Value) -> Result<Member, String> {
        let Some(obj) = value.as_object() else {
            return Err(format!("members[{index}]: must be a JSON object"));
        };
        let id = match obj.get("id") {
            None => return Err(format!("members[{index}]: missing `id` (an integer)")),
            Some(v) => v.as_u64().ok_or_else(|| {
                format!("members[{index}]: `id` must be a positive integer, got {v}")
            })?,
        };
        let r = SeedReader {
            obj,
            at: format!("members[{index}] (id {id})"),
        };
        let email = r
            .string("email")?
            .ok_or_else(|| format!("{}: missing `email`", r.at))?;
        let role = r.one_of("role", &ROLES, "standard")?;
        let date_format = r.one_of("date_format", &DATE_FORMATS, "mm/dd/yyyy")?;
        let status = r.one_of("status", &STATUSES, "active")?;
        let timezone = r.string("timezone")?.unwrap_or_else(|| "UTC".into());
        if !rules::is_timezone(&timezone) {
            return Err(format!(
                "{}: `timezone` {timezone:?} is not an IANA time zone name",
                r.at
            ));
        }
        let country_id = match obj.get("country_id") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_i64()
                    .ok_or_else(|| format!("{}: `country_id` must be an integer or null", r.at))?,
            ),
        };
        let created_at = r.string("created_at")?.unwrap_or_else(|| SEED_TIME.into());
        Ok(Member {
            id,
            email,
            username: r.string("username")?,
            first_name: r.string("first_name")?.unwrap_or_default(),
            last_name: r.string("last_name")?.unwrap_or_default(),
            profile_pic: r.string("profile_pic")?,
            phone: r.string("phone")?,
            job_title: r.string("job_title")?,
            job_description: r.string("job_description")?,
            team: r.string("team")?,
            timezone,
            country_id,
            date_format,
            step_preferences: r.boolean("step_preferences")?.unwrap_or(true),
            role,
            status,
            updated_at: r
                .string("updated_at")?
                .unwrap_or_else(|| created_at.clone()),
            created_at,
            last_login_at: r.string("last_login_at")?,
            is_bot: r.boolean("is_bot")?.unwrap_or(false),
            multi_org: r.boolean("multi_org")?.unwrap_or(false),
            is_default_admin: r.boolean("is_default_admin")?.unwrap_or(false),
            invited_by: None,
        })
    }

    /// The member as the API shows it (never with the seed-only flags), with the activity and
    /// timestamp fields under their current names, their older ones, or both.
    pub fn to_json(&self, casing: Casing, names: FieldNames) -> Value {
        let (role, date_format) = match casing {
            Casing::Update => (self.role.clone(), self.date_format.clone()),
            Casing::List => (title_case(&self.role), self.date_format.to_uppercase()),
        };
        let full_name = format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_string();
        let mut member = json!({
            "id": self.id,
            "email": self.email,
            "username": self.username,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "full_name": full_name,
            "profile_pic": self.profile_pic,
            "phone": self.phone,
            "job_title": self.job_title,
            "job_description": self.job_description,
            "team": self.team,
            "timezone": self.timezone,
            "UTC_offset": rules::utc_offset(&self.timezone),
            "country_id": self.country_id,
            "date_format": date_format,
            "step_preferences": self.step_preferences,
            "role": role,
            "status": self.status,
            "is_active": self.status == "active",
            "is_suspended": self.status == "disabled",
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "last_login_at": self.last_login_at,
            "type": self.kind(),
            "is_default_admin": self.is_default_admin,
            "invited_by": self.invited_by,
        });
        let fields = member
            .as_object_mut()
            .expect("a member renders as an object");
        if names != FieldNames::Current {
            fields.insert("active".into(), Value::Bool(self.status == "active"));
            fields.insert(
                "last_updated".into(),
                Value::String(self.updated_at.clone()),
            );
        }
        if names == FieldNames::Legacy {
            fields.remove("is_active");
            fields.remove("updated_at");
        }
        member
    }

    /// Applies a validated profile update; true if anything changed (then `updated_at` moves).
    pub fn apply(&mut self, update: ProfileUpdate) -> bool {
        let before = self.clone();
        self.first_name = update.first_name;
        self.last_name = update.last_name;
        self.timezone = update.timezone;
        set(&mut self.phone, update.phone);
        set(&mut self.job_title, update.job_title);
        set(&mut self.job_description, update.job_description);
        set(&mut self.team, update.team);
        set(&mut self.country_id, update.country_id);
        set(&mut self.date_format, update.date_format);
        set(&mut self.step_preferences, update.step_preferences);
        self.touch_if_changed(&before)
    }

    /// Sets the role (already validated, lower-case); true if it changed.
    pub fn set_role(&mut self, role: String) -> bool {
        let before = self.clone();
        self.role = role;
        self.touch_if_changed(&before)
    }

    fn touch_if_changed(&mut self, before: &Member) -> bool {
        let changed = *self != *before;
        if changed {
            self.updated_at = now();
        }
        changed
    }
}

/// The time now, to the second, as the API writes it.
pub(crate) fn now() -> String {
    let now = jiff::Timestamp::now();
    jiff::Timestamp::from_second(now.as_second())
        .unwrap_or(now)
        .to_string()
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

fn title_case(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Typed access to one seed member's fields, with errors that say where.
struct SeedReader<'a> {
    obj: &'a Map<String, Value>,
    at: String,
}

impl SeedReader<'_> {
    fn string(&self, key: &str) -> Result<Option<String>, String> {
        match self.obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(format!(
                "{}: `{key}` must be a string or null, got {other}",
                self.at
            )),
        }
    }

    fn boolean(&self, key: &str) -> Result<Option<bool>, String> {
        match self.obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(format!(
                "{}: `{key}` must be true or false, got {other}",
                self.at
            )),
        }
    }

    /// A string from a fixed set, compared case-insensitively and stored lower-case.
    fn one_of(&self, key: &str, allowed: &[&str], default: &str) -> Result<String, String> {
        let Some(value) = self.string(key)? else {
            return Ok(default.to_string());
        };
        let lower = value.to_lowercase();
        if allowed.contains(&lower.as_str()) {
            Ok(lower)
        } else {
            Err(format!(
                "{}: `{key}` is {value:?}; expected one of {}",
                self.at,
                allowed.join(", ")
            ))
        }
    }
}

/// Every member, by id.
#[derive(Debug, Default)]
pub(crate) struct Store {
    members: BTreeMap<u64, Member>,
}

impl Store {
    /// Builds the store from seed members; ids and emails must be unique.
    pub fn from_seed(members: &[Value]) -> Result<Store, String> {
        let mut store = Store::default();
        let mut emails = HashSet::new();
        for (index, value) in members.iter().enumerate() {
            let member = Member::from_seed(index, value)?;
            if !emails.insert(member.email.to_lowercase()) {
                return Err(format!(
                    "members[{index}]: email {} appears twice",
                    member.email
                ));
            }
            if store.members.contains_key(&member.id) {
                return Err(format!("members[{index}]: id {} appears twice", member.id));
            }
            store.members.insert(member.id, member);
        }
        store.settle_default_admin()?;
        Ok(store)
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Members in id order.
    pub fn iter(&self) -> impl Iterator<Item = &Member> {
        self.members.values()
    }

    pub fn get(&self, id: u64) -> Option<&Member> {
        self.members.get(&id)
    }

    pub fn get_mut(&mut self, id: u64) -> Option<&mut Member> {
        self.members.get_mut(&id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_seed_errors_say_where() {
        let err = Store::from_seed(&[
            json!({"id": 1, "email": "a@x.example"}),
            json!({"email": "b@x.example"}),
        ])
        .unwrap_err();
        assert_eq!(err, "members[1]: missing `id` (an integer)");
        let err = Store::from_seed(&[json!({"id": 7})]).unwrap_err();
        assert_eq!(err, "members[0] (id 7): missing `email`");
        let err = Store::from_seed(&[json!({"id": "7", "email": "a@x.example"})]).unwrap_err();
        assert!(err.contains("`id` must be a positive integer"), "{err}");
        let err = Store::from_seed(&[json!({"id": 7, "email": "a@x.example", "role": "owner"})])
            .unwrap_err();
        assert!(err.contains("`role` is \"owner\""), "{err}");
    }

    #[test]
    fn sandbox_casing_and_hidden_flags() {
        let seed = json!({"id": 7, "email": "a@x.example", "role": "Admin", "is_bot": true,
                          "first_name": "Zoë", "last_name": "Fischer", "date_format": "dd/mm/yyyy"});
        let m = Member::from_seed(0, &seed).unwrap();
        assert_eq!(m.role, "admin");
        let list = m.to_json(Casing::List, FieldNames::Current);
        assert_eq!(
            (list["role"].as_str(), list["date_format"].as_str()),
            (Some("Admin"), Some("DD/MM/YYYY"))
        );
        assert_eq!(list["full_name"], "Zoë Fischer");
        assert!(list.get("is_bot").is_none() && list.get("multi_org").is_none());
        let upd = m.to_json(Casing::Update, FieldNames::Current);
        assert_eq!(
            (upd["role"].as_str(), upd["date_format"].as_str()),
            (Some("admin"), Some("dd/mm/yyyy"))
        );
    }

    #[test]
    fn sandbox_old_and_new_field_names() {
        let m = Member::from_seed(0, &json!({"id": 7, "email": "a@x.example"})).unwrap();
        let keys = |names| {
            let json = m.to_json(Casing::List, names);
            ["is_active", "active", "updated_at", "last_updated"].map(|k| json.get(k).is_some())
        };
        assert_eq!(keys(FieldNames::Current), [true, false, true, false]);
        assert_eq!(keys(FieldNames::Legacy), [false, true, false, true]);
        assert_eq!(keys(FieldNames::Both), [true, true, true, true]);
    }
}
