//! Groups as Tallyfy's API carries them (`GET/POST/PUT /organizations/{org}/groups`).
//!
//! Three quirks decide this module's shape (`../shared/reference/lifecycle-and-groups.md`):
//! a group's id is a 32-character hex **string** (the 2021 swagger's integer is stale); the
//! member ids inside a group come as integers or as strings; and `PUT /groups/{id}` replaces
//! the whole member list (and the guest list) and answers 201. So a write always carries the
//! group's name, description, full member list and its guests as they were read
//! ([`GroupWrite`]): nothing is ever sent as a delta.
//!
//! Reading is lenient where the API's own examples disagree (an integer id, member ids as
//! strings, `null` for an empty description or guest list, fields we do not use) and strict
//! where a guess would be dangerous: a member id that is not a number, or a group without an
//! id, fails the answer rather than be dropped, since a whole-list write built from a list
//! with a member missing would take that member out of the group.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value as Json;

use super::answer::{LIST_PAGE_LIMIT, MEMBER_LIMIT};
use super::client::{ApiError, Client, Reply, unwrap_envelope};
use super::wire::{Envelope, Meta, Pagination};

/// A group as read from the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// 32 hex characters (an integer id reads as its decimal text; an empty one is refused).
    #[serde(deserialize_with = "group_id")]
    pub id: String,
    #[serde(deserialize_with = "null_as_empty")]
    pub name: String,
    /// `null` reads as empty.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub description: String,
    /// Member ids, sorted and without repeats once read (integers or strings on the wire).
    #[serde(default, deserialize_with = "member_ids")]
    pub members: Vec<u64>,
    /// Guests' emails: carried back untouched by every write.
    #[serde(default, deserialize_with = "null_as_empty_list")]
    pub guests: Vec<String>,
    /// When the group last changed, as the API writes it (compared as text, never parsed).
    #[serde(default)]
    pub last_updated: Option<String>,
}

/// The body of `PUT /groups/{id}`: the whole group as it must be afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GroupWrite<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub members: &'a [u64],
    pub guests: &'a [String],
}

/// One page of `GET /organizations/{org}/groups`, as [`super::MemberPage`] is of members.
#[derive(Debug, Deserialize)]
pub struct GroupPage {
    #[serde(default, deserialize_with = "null_as_empty_list")]
    pub data: Vec<Group>,
    #[serde(default)]
    pub meta: Option<Meta>,
}

impl GroupPage {
    pub fn pagination(&self) -> Option<&Pagination> {
        self.meta.as_ref().and_then(|m| m.pagination.as_ref())
    }
}

impl Client {
    /// `GET /organizations/{org}/groups?page=&per_page=` (Tallyfy: 10 a page unless asked,
    /// 100 at most).
    pub async fn list_groups(
        &self,
        page: u64,
        per_page: u64,
    ) -> Result<Reply<GroupPage>, ApiError> {
        let url = format!("{}/groups?page={page}&per_page={per_page}", self.org_url);
        self.send(self.http.get(url), LIST_PAGE_LIMIT).await
    }

    /// `GET /organizations/{org}/groups/{id}`: the group as it is now, read again right
    /// before a write (there is no ETag).
    pub async fn get_group(&self, id: &str) -> Result<Reply<Group>, ApiError> {
        let url = self.group_url(id)?;
        self.group_call(self.http.get(url)).await
    }

    /// `POST /organizations/{org}/groups` with the two fields Tallyfy requires; the group
    /// starts empty. Tallyfy answers 201 (a 200 is taken as well).
    pub async fn create_group(
        &self,
        name: &str,
        description: &str,
    ) -> Result<Reply<Group>, ApiError> {
        let url = format!("{}/groups", self.org_url);
        let body = serde_json::json!({ "name": name, "description": description });
        self.group_call(self.http.post(url).json(&body)).await
    }

    /// `PUT /organizations/{org}/groups/{id}` with the whole group: the member and guest lists
    /// sent replace the group's. Tallyfy answers 201 (a 200 is taken as well).
    pub async fn update_group(
        &self,
        id: &str,
        write: &GroupWrite<'_>,
    ) -> Result<Reply<Group>, ApiError> {
        let url = self.group_url(id)?;
        self.group_call(self.http.put(url).json(write)).await
    }

    /// The group's URL, or a refusal to build one: an id the API never issues (it issues 32
    /// hex characters) could be `..` or carry a `/` or `?`, and a request built from it would
    /// reach another resource than the group named.
    fn group_url(&self, id: &str) -> Result<String, ApiError> {
        let safe = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        if id.is_empty() || id.len() > 64 || !id.chars().all(safe) {
            let shown: String = id.chars().take(70).collect();
            return Err(ApiError::Unsendable(format!(
                "the group id {shown:?} is not one Tallyfy issues (letters, digits, `_` and `-` only); no request was built from it"
            )));
        }
        Ok(format!("{}/groups/{id}", self.org_url))
    }

    async fn group_call(&self, request: reqwest::RequestBuilder) -> Result<Reply<Group>, ApiError> {
        let reply: Reply<Envelope<Group>> = self.send(request, MEMBER_LIMIT).await?;
        Ok(unwrap_envelope(reply))
    }
}

/// A group id: a non-empty string, or an integer as its decimal text.
fn group_id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    use serde::de::Error;
    let id = match Json::deserialize(d)? {
        Json::String(s) => s.trim().to_string(),
        Json::Number(n) if n.is_u64() => n.to_string(),
        other => {
            return Err(D::Error::custom(format!(
                "a group id must be a string, got {other}"
            )));
        }
    };
    if id.is_empty() {
        return Err(D::Error::custom("a group has an empty id"));
    }
    Ok(id)
}

/// Text, with `null` as empty.
fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// A list, with `null` as empty.
fn null_as_empty_list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// Member ids as integers or numeric strings, `null` as none; sorted, each once. One that is
/// not a whole number fails the answer, naming it.
fn member_ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
    use serde::de::Error;
    let raw = Option::<Vec<Json>>::deserialize(d)?.unwrap_or_default();
    let mut ids = raw
        .iter()
        .map(|value| {
            let id = match value {
                Json::Number(n) => n.as_u64(),
                Json::String(s) => s.trim().parse().ok(),
                _ => None,
            };
            id.ok_or_else(|| {
                D::Error::custom(format!(
                    "a group member id must be a whole number, got {value}"
                ))
            })
        })
        .collect::<Result<Vec<u64>, _>>()?;
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(value: Json) -> Result<Group, String> {
        serde_json::from_value(value).map_err(|e| e.to_string())
    }

    #[test]
    fn a_group_reads_as_tallyfy_documents_it() {
        let group = read(json!({
            "id": "0c3b6a2f9d1e4f5a8b7c6d5e4f3a2b1c", "name": "Sales",
            "description": "Handles all sales inquiries.", "logo": null,
            "members": [1005, 1001], "guests": ["client.a@example.com"],
            "created_at": "2023-01-15T09:00:00Z", "last_updated": "2023-06-20T10:00:00Z"
        }))
        .unwrap();
        assert_eq!(
            group,
            Group {
                id: "0c3b6a2f9d1e4f5a8b7c6d5e4f3a2b1c".into(),
                name: "Sales".into(),
                description: "Handles all sales inquiries.".into(),
                members: vec![1001, 1005],
                guests: vec!["client.a@example.com".into()],
                last_updated: Some("2023-06-20T10:00:00Z".into()),
            }
        );
    }

    #[test]
    fn a_group_reads_every_variant_the_sources_show() {
        let group = read(json!({
            "id": 42, "name": "Ops", "description": null, "guests": null,
            "members": ["7", 3, " 7 ", 3, "12"], "surprise": {"x": 1}
        }))
        .unwrap();
        assert_eq!(group.id, "42");
        assert_eq!(group.description, "");
        assert!(group.guests.is_empty());
        assert_eq!(group.members, [3, 7, 12]);
        assert_eq!(group.last_updated, None);
        let bare = read(json!({"id": "a1", "name": "Bare"})).unwrap();
        assert!(bare.members.is_empty() && bare.guests.is_empty());
        let null_members = read(json!({"id": "a1", "name": "N", "members": null})).unwrap();
        assert!(null_members.members.is_empty());
    }

    #[test]
    fn a_group_without_a_usable_id_or_with_a_member_that_is_no_number_is_refused() {
        let err = read(json!({"id": "", "name": "X"})).unwrap_err();
        assert!(err.contains("empty id"), "{err}");
        let err = read(json!({"name": "X"})).unwrap_err();
        assert!(err.contains("missing field `id`"), "{err}");
        let err = read(json!({"id": null, "name": "X"})).unwrap_err();
        assert!(
            err.contains("a group id must be a string, got null"),
            "{err}"
        );
        let err = read(json!({"id": "a1", "name": "X", "members": [1, "user_id_1"]})).unwrap_err();
        assert!(
            err.contains("a group member id must be a whole number, got \"user_id_1\""),
            "{err}"
        );
        let err = read(json!({"id": "a1", "name": "X", "members": [-3]})).unwrap_err();
        assert!(err.contains("got -3"), "{err}");
    }

    #[test]
    fn a_page_of_groups_reads_its_pagination_whatever_the_links_are() {
        for links in [json!({}), json!([]), json!(null)] {
            let page: GroupPage = serde_json::from_value(json!({
                "data": [{"id": "a1", "name": "A"}],
                "meta": {"pagination": {"total": 15, "count": 10, "per_page": 10,
                         "current_page": 1, "total_pages": "2", "links": links}}
            }))
            .unwrap();
            assert_eq!(page.data.len(), 1);
            let p = page.pagination().unwrap();
            assert_eq!((p.total, p.total_pages), (Some(15), Some(2)));
        }
        let empty: GroupPage = serde_json::from_value(json!({"data": null})).unwrap();
        assert!(empty.data.is_empty() && empty.pagination().is_none());
    }

    #[test]
    fn a_write_is_the_whole_group() {
        let guests = vec!["g@x.example".to_string()];
        let write = GroupWrite {
            name: "Sales",
            description: "d",
            members: &[1, 2],
            guests: &guests,
        };
        assert_eq!(
            serde_json::to_value(write).unwrap(),
            json!({"name": "Sales", "description": "d", "members": [1, 2], "guests": ["g@x.example"]})
        );
    }
}
