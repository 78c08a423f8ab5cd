//! Members looked up by id and by match email, built once per run.
//!
//! The lookup holds positions, not references, so it can be built where the members are read
//! (on the thread reading a saved export, while the input is still being validated) and travel
//! with them. Ids: the member list is ordered by id (both the fetch and the export reader sort
//! it), so an id is found by binary search, with no map at all; a list that is not ordered gets
//! a hash map instead. Emails: a table of positions hashed by the member's match key
//! (`Member::email_key`), so no email is copied. The hash is rustc's Fx, several times faster
//! than SipHash on short strings; the keys come from the organization's own member list, so the
//! hash flooding SipHash guards against is not a threat.
//!
//! A list can be inconsistent: two members with one email, or one id read twice with two
//! emails (a server's bug, a page shifted mid-read, a hand-edited export). A row matching such
//! a member has no one right member to write to, so it is refused with the reason
//! ([`MemberIndex::ambiguity`]) instead of going to whichever came first.

use std::borrow::Cow;
use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHashMap};

use crate::api::Member;
use crate::validate::MemberKey;

/// Where each member of one list is, by id and by match email. Built with
/// [`MemberLookup::new`] for a list, and only valid for that list.
pub struct MemberLookup {
    members: usize,
    /// `None` when the list is ordered by id (binary search).
    by_id: Option<FxHashMap<u64, u32>>,
    by_email: HashTable<u32>,
    /// Emails more than one member has, with their ids; empty in a consistent list.
    shared_emails: FxHashMap<String, Vec<u64>>,
    /// Ids the list gives to more than one email, with the emails.
    split_ids: FxHashMap<u64, Vec<String>>,
}

fn email_hash(key: &str) -> u64 {
    FxBuildHasher.hash_one(key)
}

impl MemberLookup {
    pub fn new(members: &[Member]) -> MemberLookup {
        assert!(
            u32::try_from(members.len()).is_ok(),
            "more than 4 billion members"
        );
        let key_at = |i: u32| members[i as usize].email_key();
        let mut by_email = HashTable::with_capacity(members.len());
        let mut shared_emails: FxHashMap<String, Vec<u64>> = FxHashMap::default();
        for (i, member) in (0u32..).zip(members) {
            let Some(key) = member.email_key() else {
                continue;
            };
            let entry = by_email.entry(
                email_hash(&key),
                |&j| members[j as usize].has_email_key(&key),
                |&j| key_at(j).map_or(0, |k| email_hash(&k)),
            );
            // The first member with an email keeps it; a second one makes it ambiguous.
            match entry {
                hashbrown::hash_table::Entry::Vacant(slot) => {
                    slot.insert(i);
                }
                hashbrown::hash_table::Entry::Occupied(first) => {
                    let first = &members[*first.get() as usize];
                    if first.id != member.id {
                        let ids = shared_emails
                            .entry(key.into_owned())
                            .or_insert_with(|| vec![first.id]);
                        ids.push(member.id);
                    }
                }
            }
        }
        let by_id = (!members.is_sorted_by_key(|m| m.id))
            .then(|| (0u32..).zip(members).map(|(i, m)| (m.id, i)).collect());
        MemberLookup {
            members: members.len(),
            by_id,
            by_email,
            shared_emails,
            split_ids: ids_with_several_emails(members),
        }
    }

    /// What makes the list inconsistent, one line each, for the run to say (empty when
    /// nothing does).
    pub fn inconsistencies(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .shared_emails
            .iter()
            .map(|(email, ids)| {
                format!(
                    "{} members share the email {email} (ids {})",
                    ids.len(),
                    join(ids)
                )
            })
            .collect();
        lines.extend(self.split_ids.iter().map(|(id, emails)| {
            format!(
                "id {id} is listed with {} emails ({})",
                emails.len(),
                emails.join(", ")
            )
        }));
        lines.sort();
        lines
    }
}

/// Ids listed more than once with different emails.
fn ids_with_several_emails(members: &[Member]) -> FxHashMap<u64, Vec<String>> {
    let mut seen: FxHashMap<u64, Vec<String>> = FxHashMap::default();
    let mut split = FxHashMap::default();
    for member in members {
        let email = member.email_key().map(Cow::into_owned).unwrap_or_default();
        let emails = seen.entry(member.id).or_default();
        if !emails.contains(&email) {
            emails.push(email);
            if emails.len() > 1 {
                split.insert(member.id, emails.clone());
            }
        }
    }
    split
}

fn join(ids: &[u64]) -> String {
    ids.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A member list and its lookup, for planning.
pub struct MemberIndex<'m> {
    members: &'m [Member],
    lookup: MemberLookup,
}

impl<'m> MemberIndex<'m> {
    pub fn new(members: &'m [Member]) -> MemberIndex<'m> {
        MemberIndex::with_lookup(members, MemberLookup::new(members))
    }

    /// `lookup` must have been built for `members`.
    pub fn with_lookup(members: &'m [Member], lookup: MemberLookup) -> MemberIndex<'m> {
        assert_eq!(
            lookup.members,
            members.len(),
            "a member lookup used with another list"
        );
        MemberIndex { members, lookup }
    }

    /// See [`MemberLookup::inconsistencies`].
    pub fn inconsistencies(&self) -> Vec<String> {
        self.lookup.inconsistencies()
    }

    /// The member `key` names, if any.
    pub fn find(&self, key: &MemberKey) -> Option<&'m Member> {
        let position = match key {
            MemberKey::Email(email) => self
                .lookup
                .by_email
                .find(email_hash(email), |&i| {
                    self.members[i as usize].has_email_key(email)
                })
                .copied(),
            MemberKey::UserId(id) => match &self.lookup.by_id {
                Some(by_id) => by_id.get(id).copied(),
                None => self
                    .members
                    .binary_search_by_key(id, |m| m.id)
                    .ok()
                    .map(|i| i as u32),
            },
        };
        position.map(|i| &self.members[i as usize])
    }

    /// Why a row with `key`, found as `member`, has no one member to write to: its email is
    /// shared, or the member's id is listed with several emails. `None` in a consistent list.
    pub(super) fn ambiguity(&self, key: &MemberKey, member: Option<&Member>) -> Option<String> {
        let lookup = &self.lookup;
        if lookup.shared_emails.is_empty() && lookup.split_ids.is_empty() {
            return None;
        }
        if let MemberKey::Email(email) = key
            && let Some(ids) = lookup.shared_emails.get(email.as_ref() as &str)
        {
            return Some(format!(
                "{} members of the organization have this email (ids {}); fix the organization's member list in Tallyfy, or match this row by user_id",
                ids.len(),
                join(ids)
            ));
        }
        let emails = lookup.split_ids.get(&member?.id)?;
        Some(format!(
            "the organization's list gives id {} to more than one email ({}); nothing is written to it until the list is consistent",
            member?.id,
            emails.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: u64, email: Option<&str>) -> Member {
        let mut json = serde_json::json!({ "id": id });
        if let Some(email) = email {
            json["email"] = email.into();
        }
        serde_json::from_value(json).unwrap()
    }

    fn found(index: &MemberIndex, key: MemberKey) -> Option<u64> {
        index.find(&key).map(|m| m.id)
    }

    #[test]
    fn members_are_found_by_id_and_by_email_key_ordered_or_not() {
        let email = |e: &str| MemberKey::Email(e.into());
        for ids in [[1, 5, 9], [9, 1, 5]] {
            let members = [
                member(ids[0], Some("Ann@X.example")),
                member(ids[1], None),
                member(ids[2], Some(" bo@x.example")),
            ];
            let index = MemberIndex::new(&members);
            for id in ids {
                assert_eq!(found(&index, MemberKey::UserId(id)), Some(id));
            }
            assert_eq!(found(&index, MemberKey::UserId(4)), None);
            assert_eq!(found(&index, email("ann@x.example")), Some(ids[0]));
            assert_eq!(found(&index, email("bo@x.example")), Some(ids[2]));
            assert_eq!(found(&index, email("Ann@X.example")), None);
            assert_eq!(found(&index, email("cy@x.example")), None);
        }
    }

    #[test]
    fn the_first_member_with_an_email_keeps_it() {
        let members = [
            member(1, Some("a@x.example")),
            member(2, Some("A@x.example")),
        ];
        let index = MemberIndex::new(&members);
        assert_eq!(
            found(&index, MemberKey::Email("a@x.example".into())),
            Some(1)
        );
    }

    #[test]
    #[should_panic(expected = "another list")]
    fn a_lookup_is_only_for_its_own_list() {
        let lookup = MemberLookup::new(&[member(1, None)]);
        MemberIndex::with_lookup(&[], lookup);
    }
}
