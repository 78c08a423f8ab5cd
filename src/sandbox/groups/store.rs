//! The sandbox's groups: typed records, built from a seed and the config, rendered as the API
//! shows them, and the clock that stamps `last_updated`.
//!
//! The clock is strictly increasing, to the microsecond, even for writes within the same
//! second: a client that compares `last_updated` as text to tell whether a group changed since
//! it read it (there is no ETag) must never see two different states under one stamp. The
//! stamps have a fixed width (`2025-06-20T14:22:00.000000Z`, Tallyfy's own form), so text
//! order is time order.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use super::super::store::Store;

/// When seeded groups were made and last changed, so seeded state stays reproducible.
const SEED_TIME: &str = "2024-01-01T00:00:00.000000Z";

/// A group to start with, from a seed file's `groups` or [`crate::sandbox::SandboxConfig`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxGroup {
    /// 32 lower-case hex characters; `None`: one is made up.
    pub id: Option<String>,
    pub name: String,
    /// Empty: the group has none (shown as `null`, as for a group from before descriptions
    /// were required).
    pub description: String,
    /// Member ids, each a member of the organization.
    pub members: Vec<u64>,
    /// Guests' emails.
    pub guests: Vec<String>,
}

impl SandboxGroup {
    /// A group of these members, with a description, no guests and a made-up id.
    pub fn new(name: &str, members: &[u64]) -> SandboxGroup {
        SandboxGroup {
            id: None,
            name: name.to_string(),
            description: format!("The {name} group."),
            members: members.to_vec(),
            guests: Vec::new(),
        }
    }

    /// One seed entry: `{"name", "description", "members": [ids], "guests": [emails], "id"}`,
    /// only `name` required. Errors say which entry (`groups[2]`) and what is wrong.
    pub fn from_seed(index: usize, value: &Value) -> Result<SandboxGroup, String> {
        let at = format!("groups[{index}]");
        let Some(obj) = value.as_object() else {
            return Err(format!("{at}: must be a JSON object"));
        };
        let text = |key: &str| -> Result<Option<String>, String> {
            match obj.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
                Some(other) => Err(format!("{at}: `{key}` must be a string, got {other}")),
            }
        };
        let name = text("name")?
            .filter(|n| !n.is_empty())
            .ok_or_else(|| format!("{at}: missing `name`"))?;
        let id = text("id")?;
        if let Some(id) = id.as_deref().filter(|id| !is_group_id(id)) {
            return Err(format!(
                "{at} ({name}): `id` {id:?} must be 32 lower-case hexadecimal characters, as Tallyfy's are"
            ));
        }
        let list = |key: &str| match obj.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items.clone()),
            Some(other) => Err(format!(
                "{at} ({name}): `{key}` must be a list, got {other}"
            )),
        };
        let members = list("members")?
            .iter()
            .map(|v| {
                v.as_u64().ok_or_else(|| {
                    format!("{at} ({name}): `members` holds {v}; member ids are whole numbers")
                })
            })
            .collect::<Result<_, _>>()?;
        let guests = list("guests")?
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("{at} ({name}): `guests` holds {v}; guests are emails"))
            })
            .collect::<Result<_, _>>()?;
        Ok(SandboxGroup {
            id,
            description: text("description")?.unwrap_or_default(),
            name,
            members,
            guests,
        })
    }
}

/// Whether `id` is as Tallyfy's are: 32 lower-case hex characters.
pub(crate) fn is_group_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// One group as the sandbox holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Group {
    pub id: String,
    pub name: String,
    pub description: String,
    /// In the order written, each once.
    pub members: Vec<u64>,
    pub guests: Vec<String>,
    pub created_at: String,
    pub last_updated: String,
}

impl Group {
    /// The group as the API shows it: member ids as integers, or as text with
    /// `member_ids_as_text` (some answers carry them so); an empty description as `null`.
    pub fn to_json(&self, member_ids_as_text: bool) -> Value {
        let members: Vec<Value> = self
            .members
            .iter()
            .map(|&id| match member_ids_as_text {
                true => Value::String(id.to_string()),
                false => Value::from(id),
            })
            .collect();
        json!({
            "id": self.id,
            "name": self.name,
            "description": (!self.description.is_empty()).then_some(&self.description),
            "logo": null,
            "members": members,
            "guests": self.guests,
            "created_at": self.created_at,
            "last_updated": self.last_updated,
        })
    }
}

/// What a valid write sets; `None`: kept as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct GroupChange {
    pub name: String,
    pub description: String,
    pub members: Option<Vec<u64>>,
    pub guests: Option<Vec<String>>,
}

/// Every group, in the order made (Tallyfy lists by `created_at`), and the clock.
#[derive(Debug, Default)]
pub(crate) struct Groups {
    groups: Vec<Group>,
    last_stamp: Option<jiff::Timestamp>,
}

impl Groups {
    /// The seed's groups, then the config's: names unique (any casing), ids unique, every
    /// member one of the organization's.
    pub fn build(seeded: &[SandboxGroup], members: &Store) -> Result<Groups, String> {
        let mut groups = Groups::default();
        let mut ids = HashSet::new();
        for (index, seed) in seeded.iter().enumerate() {
            let at = format!("groups[{index}] ({})", seed.name);
            if groups.named(&seed.name, None).is_some() {
                return Err(format!("{at}: another group has this name (any casing)"));
            }
            if let Some(&stranger) = seed.members.iter().find(|&&id| members.get(id).is_none()) {
                return Err(format!(
                    "{at}: member {stranger} is not a member of the organization"
                ));
            }
            let id = seed.id.clone().unwrap_or_else(new_id);
            if !ids.insert(id.clone()) {
                return Err(format!("{at}: id {id} appears twice"));
            }
            groups.groups.push(Group {
                id,
                name: seed.name.clone(),
                description: seed.description.clone(),
                members: once_each(&seed.members),
                guests: seed.guests.clone(),
                created_at: SEED_TIME.into(),
                last_updated: SEED_TIME.into(),
            });
        }
        Ok(groups)
    }

    pub fn len(&self) -> usize {
        self.groups.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Group> {
        self.groups.iter()
    }

    pub fn get(&self, id: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.id == id)
    }

    /// The group called `name` (trimmed, any casing), other than `except`.
    pub fn named(&self, name: &str, except: Option<&str>) -> Option<&Group> {
        let key = name.trim().to_lowercase();
        self.groups
            .iter()
            .find(|g| g.name.to_lowercase() == key && Some(g.id.as_str()) != except)
    }

    /// A new group, stamped now.
    pub fn create(&mut self, change: GroupChange) -> &Group {
        let now = self.stamp();
        self.groups.push(Group {
            id: new_id(),
            name: change.name,
            description: change.description,
            members: once_each(&change.members.unwrap_or_default()),
            guests: change.guests.unwrap_or_default(),
            created_at: now.clone(),
            last_updated: now,
        });
        self.groups.last().expect("the group just made")
    }

    /// Applies a valid write to group `id`, renewing `last_updated` (every write does, as a
    /// change made in the UI would); `None` for an unknown group.
    pub fn update(&mut self, id: &str, change: GroupChange) -> Option<&Group> {
        let now = self.stamp();
        let group = self.groups.iter_mut().find(|g| g.id == id)?;
        group.name = change.name;
        group.description = change.description;
        if let Some(members) = change.members {
            group.members = once_each(&members);
        }
        if let Some(guests) = change.guests {
            group.guests = guests;
        }
        group.last_updated = now;
        Some(group)
    }

    /// A member who left the organization leaves its groups too (nothing is stamped: the
    /// groups did not change by anyone's hand).
    pub fn forget_member(&mut self, member: u64) {
        for group in &mut self.groups {
            group.members.retain(|&id| id != member);
        }
    }

    /// Now, to the microsecond, and always later than the stamp before.
    fn stamp(&mut self) -> String {
        let now = jiff::Timestamp::now();
        let now = jiff::Timestamp::from_microsecond(now.as_microsecond()).unwrap_or(now);
        let stamp = match self.last_stamp {
            Some(last) if now <= last => last
                .checked_add(jiff::SignedDuration::from_micros(1))
                .unwrap_or(last),
            _ => now,
        };
        self.last_stamp = Some(stamp);
        format!("{stamp:.6}")
    }
}

/// 32 random lower-case hex characters.
fn new_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// The ids in the order given, each once.
fn once_each(ids: &[u64]) -> Vec<u64> {
    let mut seen = HashSet::new();
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}

/// The seed's `groups` list and `manage_groups` switch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupSettings {
    /// `"groups": [{"name": "Sales", "description": "...", "members": [1001], "guests": []}]`
    pub groups: Vec<SandboxGroup>,
    /// `"manage_groups": false`: the token may read groups but not create or change them.
    pub manage_groups: Option<bool>,
}

impl GroupSettings {
    /// Reads the seed's group keys; errors say which key or entry and what is wrong.
    pub fn from_seed(obj: &Map<String, Value>) -> Result<GroupSettings, String> {
        let groups = match obj.get("groups") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| SandboxGroup::from_seed(i, item))
                .collect::<Result<_, _>>()
                .map_err(|e| format!("seed {e}"))?,
            Some(other) => return Err(format!("seed `groups` must be a list, got {other}")),
        };
        let manage_groups = match obj.get("manage_groups") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(other) => {
                return Err(format!(
                    "seed `manage_groups` must be true or false, got {other}"
                ));
            }
        };
        Ok(GroupSettings {
            groups,
            manage_groups,
        })
    }

    /// Puts the seed's settings into the config: the seed's groups come first, and its
    /// `manage_groups` wins.
    pub(crate) fn apply_to(self, config: &mut crate::sandbox::SandboxConfig) {
        let mut groups = self.groups;
        groups.append(&mut config.groups);
        config.groups = groups;
        config.manage_groups = self.manage_groups.unwrap_or(config.manage_groups);
    }
}
