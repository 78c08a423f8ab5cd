//! Groups as Tallyfy's API carries them (`GET/POST/PUT /organizations/{org}/groups`).
//!
//! Three quirks decide this module's shape (`../shared/reference/lifecycle-and-groups.md`):
//! a group's id is a 32-character hex **string** (the 2021 swagger's integer is stale); the
//! member ids inside a group come as integers or as strings; and `PUT /groups/{id}` replaces
//! the whole member list (and the guest list) and answers 201. So a write always carries the
//! group's name, description, full member list and its guests as they were read
//! ([`GroupWrite`]): nothing is ever sent as a delta.

use serde::{Deserialize, Serialize};

/// A group as read from the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// 32 hex characters.
    pub id: String,
    pub name: String,
    /// `null` reads as empty.
    #[serde(default)]
    pub description: String,
    /// Member ids, sorted and without repeats once read (integers or strings on the wire).
    #[serde(default)]
    pub members: Vec<u64>,
    /// Guests' emails: carried back untouched by every write.
    #[serde(default)]
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
