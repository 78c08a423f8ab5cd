//! Where a member stands in the organization: active, invited or disabled, since when, and
//! whether Tallyfy lets anyone act on them at all (the default administrator, bots).
//!
//! Joiners, leavers and rehires are decided from these, and a wrong reading there is worse
//! than one in a profile field: it invites someone twice or disables the wrong person. So they
//! are read as leniently as the rest of a member, and what cannot be read says so: a status
//! that is not one of Tallyfy's three is `None` (a sync acts on nobody whose status it does
//! not know), never a guess.
//!
//! Which key marks a bot is not documented: members carry a `type` (`"standard"` in the
//! documentation's examples, `null` for an invitee), and some answers may carry `is_bot`. A
//! member is read as a bot when either says so; see `shared/reference/tallyfy-api.md`.

use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A member's `status`, as Tallyfy names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MemberStatus {
    /// Joined; counts toward the seat pool.
    Active,
    /// Invited and not yet accepted; holds a seat already, and an invitation never expires.
    Invited,
    /// Disabled ("deactivated" in the web app); still listed, holds no seat.
    Disabled,
}

impl MemberStatus {
    pub const ALL: [MemberStatus; 3] = [
        MemberStatus::Active,
        MemberStatus::Invited,
        MemberStatus::Disabled,
    ];

    /// The name the API uses.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Active => "active",
            MemberStatus::Invited => "invited",
            MemberStatus::Disabled => "disabled",
        }
    }

    /// Reads a status in any casing; the web app's "deactivated" is `Disabled`. Anything else
    /// is `None`.
    pub fn parse(text: &str) -> Option<MemberStatus> {
        let text = text.trim();
        let known = |name: &str| text.eq_ignore_ascii_case(name);
        if known("active") {
            Some(MemberStatus::Active)
        } else if known("invited") {
            Some(MemberStatus::Invited)
        } else if known("disabled") || known("deactivated") {
            Some(MemberStatus::Disabled)
        } else {
            None
        }
    }
}

impl std::fmt::Display for MemberStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A timestamp as Tallyfy's pages write them: `2025-01-15T10:30:00+00:00`,
/// `2023-01-01T08:00:00Z`, or Laravel's `2023-01-01 08:00:00` (read as UTC); a bare date is
/// its midnight, UTC.
pub fn parse_timestamp(text: &str) -> Option<jiff::Timestamp> {
    let text = text.trim();
    if let Ok(at) = text.parse::<jiff::Timestamp>() {
        return Some(at);
    }
    let civil = text
        .parse::<jiff::civil::DateTime>()
        .or_else(|_| {
            let date = text.parse::<jiff::civil::Date>()?;
            Ok::<_, jiff::Error>(date.to_datetime(jiff::civil::Time::midnight()))
        })
        .ok()?;
    jiff::tz::TimeZone::UTC.to_timestamp(civil).ok()
}

/// A value read from whatever JSON the key holds: text, a boolean or a number when the type
/// has a reading for it, `None` for anything else (objects and lists are skipped unread).
pub(crate) trait Lenient: Sized {
    fn from_text(text: &str) -> Option<Self>;

    fn from_bool(_: bool) -> Option<Self> {
        None
    }

    fn from_number(_: f64) -> Option<Self> {
        None
    }
}

impl Lenient for MemberStatus {
    fn from_text(text: &str) -> Option<Self> {
        MemberStatus::parse(text)
    }
}

impl Lenient for jiff::Timestamp {
    fn from_text(text: &str) -> Option<Self> {
        parse_timestamp(text)
    }
}

/// A flag: `true`, `1`, `"true"`, `"1"`, `"yes"` (and their opposites).
impl Lenient for bool {
    fn from_text(text: &str) -> Option<Self> {
        let text = text.trim();
        let any = |names: &[&str]| names.iter().any(|n| text.eq_ignore_ascii_case(n));
        if any(&["true", "1", "yes"]) {
            Some(true)
        } else if any(&["false", "0", "no", ""]) {
            Some(false)
        } else {
            None
        }
    }

    fn from_bool(b: bool) -> Option<Self> {
        Some(b)
    }

    fn from_number(n: f64) -> Option<Self> {
        Some(n != 0.0)
    }
}

/// A member's `type`, read only for whether it names a bot.
pub(crate) struct BotType(pub bool);

impl Lenient for BotType {
    fn from_text(text: &str) -> Option<Self> {
        Some(BotType(text.trim().eq_ignore_ascii_case("bot")))
    }
}

/// What a key held, read through [`Lenient`]: never an error for an unexpected shape.
pub(crate) struct Read<T>(pub Option<T>);

impl<'de, T: Lenient> Deserialize<'de> for Read<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Read<T>, D::Error> {
        d.deserialize_any(ReadVisitor(PhantomData))
    }
}

struct ReadVisitor<T>(PhantomData<T>);

impl<'de, T: Lenient> Visitor<'de> for ReadVisitor<T> {
    type Value = Read<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Read<T>, E> {
        Ok(Read(T::from_text(text)))
    }

    fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<Read<T>, E> {
        Ok(Read(T::from_bool(b)))
    }

    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Read<T>, E> {
        Ok(Read(T::from_number(n as f64)))
    }

    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Read<T>, E> {
        Ok(Read(T::from_number(n as f64)))
    }

    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Read<T>, E> {
        Ok(Read(T::from_number(n)))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Read<T>, E> {
        Ok(Read(None))
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Read<T>, E> {
        Ok(Read(None))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Read<T>, D::Error> {
        Read::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Read<T>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Read(None))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Read<T>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Read(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_in_any_casing_and_nothing_else_is_a_status() {
        assert_eq!(
            MemberStatus::parse(" Invited "),
            Some(MemberStatus::Invited)
        );
        assert_eq!(
            MemberStatus::parse("DISABLED"),
            Some(MemberStatus::Disabled)
        );
        assert_eq!(
            MemberStatus::parse("deactivated"),
            Some(MemberStatus::Disabled)
        );
        assert_eq!(MemberStatus::parse("suspended"), None);
        assert_eq!(MemberStatus::parse(""), None);
        for status in MemberStatus::ALL {
            assert_eq!(MemberStatus::parse(status.as_str()), Some(status));
        }
    }

    #[test]
    fn timestamps_read_in_every_form_the_pages_show() {
        let at = |s: &str| parse_timestamp(s).map(|t| t.as_second());
        let noon = Some(1_736_942_400);
        assert_eq!(at("2025-01-15T12:00:00Z"), noon);
        assert_eq!(at("2025-01-15T12:00:00+00:00"), noon);
        assert_eq!(at("2025-01-15T13:00:00+01:00"), noon);
        assert_eq!(at("2025-01-15 12:00:00"), noon);
        assert_eq!(at("2025-01-15"), Some(1_736_942_400 - 12 * 3600));
        assert_eq!(at("last Tuesday"), None);
    }

    #[test]
    fn flags_and_types_read_leniently() {
        let flag = |json: &str| serde_json::from_str::<Read<bool>>(json).unwrap().0;
        assert_eq!(flag("true"), Some(true));
        assert_eq!(flag("1"), Some(true));
        assert_eq!(flag("\"false\""), Some(false));
        assert_eq!(flag("null"), None);
        assert_eq!(flag("{\"a\": [1]}"), None);
        let bot = |json: &str| {
            serde_json::from_str::<Read<BotType>>(json)
                .unwrap()
                .0
                .map(|b| b.0)
        };
        assert_eq!(bot("\"Bot\""), Some(true));
        assert_eq!(bot("\"standard\""), Some(false));
        assert_eq!(bot("null"), None);
    }

    #[test]
    fn a_members_place_in_the_organization_reads_with_it() {
        use serde_json::json;
        let page: crate::api::MemberPage = serde_json::from_value(json!({"data": [
            {"id": 1, "email": "a@x.example", "role": "Admin", "status": "active",
             "is_default_admin": true, "type": "standard", "created_at": "2024-06-01T08:00:00+00:00"},
            {"id": 2, "email": "b@x.example", "status": "Invited", "type": null,
             "created_at": "2025-01-15 10:00:00"},
            {"id": 3, "email": "bot@x.example", "status": "disabled", "type": "bot"},
            {"id": 4, "email": "c@x.example", "status": "pending", "is_bot": "true",
             "is_default_admin": null, "created_at": {"date": "2025-01-15"}}
        ]}))
        .unwrap();
        let [admin, invited, bot, odd] = &page.data[..] else {
            panic!("four members")
        };
        assert_eq!(
            (
                admin.status,
                admin.is_default_admin,
                admin.is_bot,
                admin.is_admin()
            ),
            (Some(MemberStatus::Active), true, false, true)
        );
        assert_eq!(
            admin.created_at.map(|t| t.to_string()).as_deref(),
            Some("2024-06-01T08:00:00Z")
        );
        assert_eq!(
            (invited.status, invited.is_admin(), invited.is_bot),
            (Some(MemberStatus::Invited), false, false)
        );
        assert_eq!(
            invited.created_at.map(|t| t.to_string()).as_deref(),
            Some("2025-01-15T10:00:00Z")
        );
        assert_eq!(
            (bot.status, bot.is_bot),
            (Some(MemberStatus::Disabled), true)
        );
        assert_eq!(
            (odd.status, odd.is_bot, odd.is_default_admin, odd.created_at),
            (None, true, false, None)
        );
    }
}
