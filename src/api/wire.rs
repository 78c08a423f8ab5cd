//! Wire types: what the Tallyfy API sends back, read leniently.
//!
//! The API's own documentation and clients disagree on shapes (pagination links as an object,
//! `[]` or `null`; ids as numbers or numeric strings; `updated_at` or `last_updated`), so
//! everything here accepts every variant in `shared/reference/tallyfy-api.md` and ignores
//! fields it does not know. Only `id` is required of a member.

use std::borrow::Cow;

use compact_str::CompactString;
use serde::de::DeserializeSeed;
use serde::{Deserialize, Deserializer};
use serde_json::Value as Json;

use super::member_state::{BotType, MemberStatus, Read};
use crate::fields::{self, Field, Raw, Value};

/// A member as the API returns it. The fields member-sync diffs are kept as the server sent
/// them and brought to canonical form on demand with [`Member::current`]; every other field of
/// the answer (avatars, dates, flags) is skipped while reading, so a 100,000 member
/// organization costs tens of megabytes, not hundreds.
#[derive(Debug, Clone)]
pub struct Member {
    pub id: u64,
    /// Inline when short, as most addresses are.
    pub email: Option<CompactString>,
    /// The known fields, one slot per [`Field`] (in its declaration order), `Absent` where
    /// the answer had none; a key given twice keeps its last value. Inline: a member takes
    /// no allocation of its own and a field is found without a search. (A member is about
    /// 300 bytes to move; a list that arrives out of order is sorted once.)
    fields: [RawValue; Field::ALL.len()],
    /// `status`; `None` when the answer had none, or one that is not Tallyfy's.
    pub status: Option<MemberStatus>,
    /// `created_at`: for an invited member, when the invitation went out.
    pub created_at: Option<jiff::Timestamp>,
    /// `updated_at` (`last_updated` in the legacy names): when the member last changed. A
    /// saved plan's disable is not sent to a member that changed since the plan read it.
    pub updated_at: Option<jiff::Timestamp>,
    /// `is_default_admin`: the organization's default administrator.
    pub is_default_admin: bool,
    /// A bot account (`type: "bot"`, or `is_bot: true`): Tallyfy refuses to edit, disable or
    /// remove one.
    pub is_bot: bool,
}

/// A field's value as the server sent it, in 24 bytes: text, by far the most common, inline
/// when short (most names, titles and time zones); null and booleans as they are; anything
/// else (numbers, mostly) as JSON in a box of its own. `Absent`: the answer had no such key.
#[derive(Debug, Clone, PartialEq, Default)]
enum RawValue {
    #[default]
    Absent,
    Text(CompactString),
    Null,
    Bool(bool),
    Json(Box<Json>),
}

static NULL: Json = Json::Null;
static TRUE: Json = Json::Bool(true);
static FALSE: Json = Json::Bool(false);

impl RawValue {
    fn view(&self) -> Option<Raw<'_>> {
        Some(match self {
            RawValue::Absent => return None,
            RawValue::Text(text) => Raw::Text(text),
            RawValue::Null => Raw::Json(&NULL),
            RawValue::Bool(true) => Raw::Json(&TRUE),
            RawValue::Bool(false) => Raw::Json(&FALSE),
            RawValue::Json(json) => Raw::from(&**json),
        })
    }
}

impl From<Json> for RawValue {
    fn from(json: Json) -> RawValue {
        match json {
            Json::String(text) => RawValue::Text(text.into()),
            Json::Null => RawValue::Null,
            Json::Bool(b) => RawValue::Bool(b),
            other => RawValue::Json(Box::new(other)),
        }
    }
}

impl Member {
    /// The canonical current value of a field (`None` = null or empty).
    pub fn current(&self, field: Field) -> Option<Value> {
        self.raw(field)
            .and_then(|raw| fields::canonical_from_raw(field, raw))
    }

    /// The lower-cased, trimmed email, the match key: borrowed when the email already is its
    /// own key (the usual case), so 100,000 members can be indexed without copying emails.
    pub fn email_key(&self) -> Option<Cow<'_, str>> {
        let email = self.email.as_deref()?;
        if is_own_key(email) {
            return Some(Cow::Borrowed(email));
        }
        Some(fields::trim_cell(email).to_lowercase())
            .filter(|e| !e.is_empty())
            .map(Cow::Owned)
    }

    /// Whether `key`, a match key (trimmed and lower-cased, as [`Member::email_key`] and
    /// validation make them), is this member's. The email itself is compared first: equal to a
    /// key, it is its own key.
    pub fn has_email_key(&self, key: &str) -> bool {
        self.email.as_deref() == Some(key) || self.email_key().as_deref() == Some(key)
    }

    /// Reads the member's fields, so that they are in the cache when a diff needs them
    /// (planning looks up a few members ahead of diffing them).
    pub fn touch(&self) {
        std::hint::black_box(
            self.fields
                .each_ref()
                .map(|v| matches!(v, RawValue::Absent)),
        );
    }

    /// A member about to be read into ([`MemberInto`]): no id yet, no email, no fields.
    pub(crate) fn unread() -> Member {
        Member {
            id: 0,
            email: None,
            fields: Default::default(),
            status: None,
            created_at: None,
            updated_at: None,
            is_default_admin: false,
            is_bot: false,
        }
    }

    /// A field's value as the server sent it.
    pub fn raw(&self, field: Field) -> Option<Raw<'_>> {
        self.fields[field as usize].view()
    }

    /// Sets a field's raw JSON, as if the server had sent it.
    pub fn set_raw(&mut self, field: Field, json: Json) {
        self.fields[field as usize] = json.into();
    }

    /// Whether the member's role is `admin` (in any casing).
    pub fn is_admin(&self) -> bool {
        matches!(self.raw(Field::Role), Some(Raw::Text(role)) if role.trim().eq_ignore_ascii_case("admin"))
    }
}

/// Whether an email is already its own key: not empty, no white space around it, and nothing
/// that lower-casing would change.
fn is_own_key(email: &str) -> bool {
    if email.is_ascii() {
        let bytes = email.as_bytes();
        return !bytes.is_empty()
            && !char::from(bytes[0]).is_whitespace()
            && !char::from(bytes[bytes.len() - 1]).is_whitespace()
            && !bytes.iter().any(u8::is_ascii_uppercase);
    }
    !email.is_empty()
        && email.len() == fields::trim_cell(email).len()
        && email.chars().all(|c| {
            let mut lower = c.to_lowercase();
            lower.next() == Some(c) && lower.next().is_none()
        })
}

/// Text as text (inline when short, borrowed from the input while read), anything else as
/// JSON.
impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RawValue, D::Error> {
        struct RawVisitor;
        impl<'de> serde::de::Visitor<'de> for RawVisitor {
            type Value = RawValue;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<RawValue, E> {
                Ok(RawValue::Text(text.into()))
            }

            fn visit_string<E: serde::de::Error>(self, text: String) -> Result<RawValue, E> {
                Ok(RawValue::Text(text.into()))
            }

            fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<RawValue, E> {
                Ok(RawValue::Bool(b))
            }

            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<RawValue, E> {
                Ok(RawValue::Json(Box::new(Json::from(n))))
            }

            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<RawValue, E> {
                Ok(RawValue::Json(Box::new(Json::from(n))))
            }

            fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<RawValue, E> {
                Ok(RawValue::Json(Box::new(Json::from(n))))
            }

            fn visit_unit<E: serde::de::Error>(self) -> Result<RawValue, E> {
                Ok(RawValue::Null)
            }

            fn visit_none<E: serde::de::Error>(self) -> Result<RawValue, E> {
                Ok(RawValue::Null)
            }

            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawValue, D::Error> {
                RawValue::deserialize(d)
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<RawValue, A::Error> {
                let json = Json::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
                Ok(RawValue::from(json))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RawValue, A::Error> {
                let json = Json::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(RawValue::from(json))
            }
        }
        d.deserialize_any(RawVisitor)
    }
}

/// Read key by key, without the buffering `#[serde(flatten)]` needs: keys are matched as
/// borrowed text, and values of fields member-sync does not know are skipped unread.
impl<'de> Deserialize<'de> for Member {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Member, D::Error> {
        let mut member = Member::unread();
        MemberInto(&mut member).deserialize(d)?;
        Ok(member)
    }
}

/// Reads a member into a place that already exists, such as a slot at the end of a list,
/// instead of building it on the stack and moving it there: a member is about 300 bytes, and
/// moving 100,000 of them twice was the largest copy of reading an export.
pub(crate) struct MemberInto<'a>(pub(crate) &'a mut Member);

impl<'de> DeserializeSeed<'de> for MemberInto<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(MemberVisitor(self.0))
    }
}

struct MemberVisitor<'a>(&'a mut Member);

impl<'de> serde::de::Visitor<'de> for MemberVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a member object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let member = self.0;
        let mut id = None;
        while let Some(key) = map.next_key::<MemberKey>()? {
            match key {
                MemberKey::Id => {
                    let LenientId(value) = map.next_value()?;
                    id = Some(
                        value.ok_or_else(|| serde::de::Error::custom("expected an integer id"))?,
                    );
                }
                MemberKey::Email => member.email = map.next_value::<Option<CompactString>>()?,
                MemberKey::Field(field) => member.fields[field as usize] = map.next_value()?,
                MemberKey::Status => member.status = map.next_value::<Read<_>>()?.0,
                MemberKey::CreatedAt => member.created_at = map.next_value::<Read<_>>()?.0,
                MemberKey::UpdatedAt => member.updated_at = map.next_value::<Read<_>>()?.0,
                MemberKey::DefaultAdmin => {
                    member.is_default_admin = map.next_value::<Read<bool>>()?.0.unwrap_or(false);
                }
                MemberKey::Type => {
                    member.is_bot |= map.next_value::<Read<BotType>>()?.0.is_some_and(|t| t.0);
                }
                MemberKey::IsBot => {
                    member.is_bot |= map.next_value::<Read<bool>>()?.0.unwrap_or(false);
                }
                MemberKey::Other => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        member.id = id.ok_or_else(|| serde::de::Error::missing_field("id"))?;
        Ok(())
    }
}

/// A key of a member object, told apart without allocating.
enum MemberKey {
    Id,
    Email,
    Field(Field),
    Status,
    CreatedAt,
    UpdatedAt,
    DefaultAdmin,
    Type,
    IsBot,
    Other,
}

impl<'de> Deserialize<'de> for MemberKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<MemberKey, D::Error> {
        struct KeyVisitor;
        impl serde::de::Visitor<'_> for KeyVisitor {
            type Value = MemberKey;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a field name")
            }

            fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<MemberKey, E> {
                Ok(match key {
                    "id" => MemberKey::Id,
                    "email" => MemberKey::Email,
                    "status" => MemberKey::Status,
                    "created_at" => MemberKey::CreatedAt,
                    "updated_at" | "last_updated" => MemberKey::UpdatedAt,
                    "is_default_admin" => MemberKey::DefaultAdmin,
                    "type" => MemberKey::Type,
                    "is_bot" => MemberKey::IsBot,
                    other => Field::from_name(other).map_or(MemberKey::Other, MemberKey::Field),
                })
            }
        }
        d.deserialize_identifier(KeyVisitor)
    }
}

/// An id as [`lenient_opt_u64`] reads it.
struct LenientId(Option<u64>);

impl<'de> Deserialize<'de> for LenientId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<LenientId, D::Error> {
        lenient_opt_u64(d).map(LenientId)
    }
}

/// `{"data": ...}`: every successful member response.
#[derive(Debug, Deserialize)]
pub struct Envelope<T> {
    pub data: T,
}

/// One page of `GET /organizations/{org}/users`.
#[derive(Debug, Deserialize)]
pub struct MemberPage {
    #[serde(default)]
    pub data: Vec<Member>,
    #[serde(default)]
    pub meta: Option<Meta>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Meta {
    #[serde(default)]
    pub pagination: Option<Pagination>,
}

/// Pagination block. `links` may be an object, `[]` or `null`; it is not needed to page (page
/// numbers are), so it is accepted in any shape and ignored.
#[derive(Debug, Default, Deserialize)]
pub struct Pagination {
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub total: Option<u64>,
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub count: Option<u64>,
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub per_page: Option<u64>,
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub current_page: Option<u64>,
    #[serde(default, deserialize_with = "lenient_opt_u64")]
    pub total_pages: Option<u64>,
    #[serde(default)]
    pub links: Json,
}

impl MemberPage {
    pub fn pagination(&self) -> Option<&Pagination> {
        self.meta.as_ref().and_then(|m| m.pagination.as_ref())
    }
}

/// Accepts `7`, `"7"`, `7.0` and `null`.
fn lenient_opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match Json::deserialize(d)? {
        Json::Number(n) => n.as_u64().or_else(|| n.as_f64().map(|f| f as u64)),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_member_field_takes_24_bytes_and_reads_back_as_sent() {
        assert_eq!(std::mem::size_of::<RawValue>(), 24);
        let member: Member = serde_json::from_value(json!({
            "id": 1, "email": "Ann@X.example", "job_title": "Lead", "phone": null,
            "step_preferences": true, "country_id": 826
        }))
        .unwrap();
        assert_eq!(member.raw(Field::JobTitle), Some(Raw::Text("Lead")));
        assert_eq!(member.raw(Field::Phone), Some(Raw::Json(&Json::Null)));
        assert_eq!(
            member.raw(Field::StepPreferences),
            Some(Raw::Json(&json!(true)))
        );
        assert_eq!(member.raw(Field::CountryId), Some(Raw::Json(&json!(826))));
        assert!(member.has_email_key("ann@x.example"));
        assert!(!member.has_email_key("bo@x.example"));
    }

    #[test]
    fn members_read_leniently() {
        let page: MemberPage = serde_json::from_value(json!({
            "data": [{"id": "17", "email": "A@X.example", "role": "Admin", "surprise": 1}],
            "meta": {"pagination": {"total": "1", "current_page": 1, "total_pages": 1, "links": []}}
        }))
        .unwrap();
        let m = &page.data[0];
        assert_eq!(m.id, 17);
        assert_eq!(m.email_key().as_deref(), Some("a@x.example"));
        assert_eq!(m.current(Field::Role), Some(Value::Text("admin".into())));
        assert_eq!(page.pagination().unwrap().total, Some(1));
        for links in [json!(null), json!({"next": null, "previous": null})] {
            let p: MemberPage = serde_json::from_value(
                json!({"data": [], "meta": {"pagination": {"links": links}}}),
            )
            .unwrap();
            assert!(p.data.is_empty());
        }
    }
}
