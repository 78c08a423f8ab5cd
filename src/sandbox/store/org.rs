//! The organization around the members: its default administrator, its seat pool, who is
//! found by a search, who joins and leaves. Apart from the member records (`store.rs`) because
//! these are the rules of the lifecycle calls, not of a profile.

use super::{Member, Store};

/// Who an invitation is for, as a validated invite body names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invitee {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// Lower-case, one of the roles.
    pub role: String,
}

impl Member {
    /// A member just invited: `status: "invited"`, no username yet, the organization's
    /// defaults for the rest.
    pub fn invited(id: u64, invitee: Invitee, invited_by: Option<u64>) -> Member {
        let now = super::now();
        Member {
            id,
            email: invitee.email,
            username: None,
            first_name: invitee.first_name,
            last_name: invitee.last_name,
            profile_pic: None,
            phone: None,
            job_title: None,
            job_description: None,
            team: None,
            timezone: "UTC".into(),
            country_id: None,
            date_format: "mm/dd/yyyy".into(),
            step_preferences: true,
            role: invitee.role,
            status: "invited".into(),
            created_at: now.clone(),
            updated_at: now,
            last_login_at: None,
            is_bot: false,
            multi_org: false,
            is_default_admin: false,
            invited_by,
        }
    }

    /// The member's `type`: `"bot"`, `null` for an invitee, else `"standard"`.
    pub(super) fn kind(&self) -> Option<&'static str> {
        if self.is_bot {
            Some("bot")
        } else if self.status == "invited" {
            None
        } else {
            Some("standard")
        }
    }

    /// An active administrator (never a bot).
    pub fn is_active_admin(&self) -> bool {
        self.role == "admin" && self.status == "active" && !self.is_bot
    }

    /// Whether the member holds a seat of the pool: active or invited, bots aside.
    pub fn holds_seat(&self) -> bool {
        !self.is_bot && (self.status == "active" || self.status == "invited")
    }

    /// Whether `q` (lower-case) is part of the first name, last name, full name or email, as
    /// the list's `q` search finds members.
    pub fn matches(&self, q: &str) -> bool {
        let full_name = format!("{} {}", self.first_name, self.last_name);
        [&self.first_name, &self.last_name, &full_name, &self.email]
            .iter()
            .any(|text| text.to_lowercase().contains(q))
    }

    /// Sets the status; true if it changed (then `updated_at` moves).
    pub fn set_status(&mut self, status: &str) -> bool {
        let before = self.clone();
        self.status = status.to_string();
        self.touch_if_changed(&before)
    }
}

impl Store {
    /// At most one default administrator; with none named, the first active administrator.
    pub(super) fn settle_default_admin(&mut self) -> Result<(), String> {
        let named: Vec<u64> = self
            .iter()
            .filter(|m| m.is_default_admin)
            .map(|m| m.id)
            .collect();
        if let [first, second, ..] = named[..] {
            return Err(format!(
                "members: ids {first} and {second} are both `is_default_admin`; an organization has one"
            ));
        }
        if named.is_empty() {
            self.pass_default_admin(None);
        }
        Ok(())
    }

    /// Makes the first active administrator other than `from` the default one (nobody, when
    /// there is no other), as Tallyfy passes the role on when its holder is disabled.
    pub fn pass_default_admin(&mut self, from: Option<u64>) {
        let heir = self
            .iter()
            .find(|m| m.is_active_admin() && Some(m.id) != from)
            .map(|m| m.id);
        for member in self.members.values_mut() {
            member.is_default_admin = Some(member.id) == heir;
        }
    }

    /// The default administrator's id.
    pub fn default_admin(&self) -> Option<u64> {
        self.iter().find(|m| m.is_default_admin).map(|m| m.id)
    }

    /// Whether an active administrator other than `id` exists.
    pub fn another_active_admin(&self, id: u64) -> bool {
        self.iter().any(|m| m.is_active_admin() && m.id != id)
    }

    /// Seats held: active and invited members, bots aside.
    pub fn seats_taken(&self) -> usize {
        self.iter().filter(|m| m.holds_seat()).count()
    }

    /// The member with this email, compared trimmed and case-insensitively.
    pub fn find_by_email(&self, email: &str) -> Option<&Member> {
        let email = email.trim().to_lowercase();
        self.iter().find(|m| m.email.to_lowercase() == email)
    }

    /// The id a new member gets: one past the highest.
    pub fn next_id(&self) -> u64 {
        self.members.keys().next_back().map_or(1, |id| id + 1)
    }

    pub fn insert(&mut self, member: Member) {
        self.members.insert(member.id, member);
    }

    /// Takes the member out of the organization: they leave the list.
    pub fn remove(&mut self, id: u64) -> Option<Member> {
        self.members.remove(&id)
    }
}
