//! Group membership from the export, decided without I/O: which groups member-sync may
//! change, who each of them holds afterwards, and what each row's line says of it.
//!
//! Tallyfy's `PUT /groups/{id}` replaces a group's whole member list, so a mistake here does
//! not add a stray member: it can empty a team. The rules lean towards leaving people where
//! they are:
//! - Only managed groups change ([`GroupSync::manages`]): those the export names, or those
//!   `--manage-groups` matches. Every other group is never written.
//! - A member is removed from a managed group (`--groups sync`) only when the file had its
//!   say: a row names the member and its group cells are readable and not blank, or no row
//!   names the member at all (and every row's key could be read, and enough rows matched).
//!   A member whose row leaves the group cells blank, whose row is invalid, who is protected
//!   (`--exclude`), disabled, or unknown to the organization keeps their groups.
//! - A member is added only when active or invited (has an id and may work). A joiner this
//!   run invites is added once the invitation has given the id (the group writes run after
//!   every member chain); a joiner not invited is not placed, and the row says so.
//! - A name that matches two groups (`Sales` and `SALES`) changes neither.
//!
//! The result is a [`GroupPlan`]: one [`GroupChange`] per group to write (its full member
//! list before and after), and per row the groups it joins, leaves, and why a name it gives
//! leads nowhere. How many members a group may lose is a guard (`guard::groups`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::api::{Group, Member, MemberStatus};
use crate::settings::groups::{GroupMode, GroupSync, group_key};

/// The description of a group member-sync creates (`--create-groups`).
pub const CREATED_DESCRIPTION: &str = "Created by member-sync from the HR export";

/// What one planned row says of groups, and whose row it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    pub row: usize,
    /// The row's member, when it has one (a joiner not yet invited has none).
    pub member_id: Option<u64>,
    /// The groups the row names; `None`: its group cells are blank (keep).
    pub groups: Option<Vec<String>>,
    /// The row's member will be active after this run's chain (a rehire being enabled).
    pub enabled_by_run: bool,
    /// The email of a joiner this run invites: placed once the invitation gives its id.
    pub invitee: Option<String>,
}

/// Everything the group plan is decided from.
pub struct GroupInput<'a> {
    pub settings: &'a GroupSync,
    /// Valid, matched-or-not rows with their groups (duplicates left out: the first row acts).
    pub placements: Vec<Placement>,
    /// Members named by an invalid row whose key could be read: their groups stay.
    pub named_by_invalid: HashSet<u64>,
    /// Why members without a row keep their groups this run (a row whose key cannot be read,
    /// too few rows matched, a run of only some rows); `None`: they may be removed.
    pub rowless_kept: Option<&'static str>,
    pub members: &'a [Member],
    pub groups: &'a [Group],
    /// Members protected from change (`--exclude`).
    pub protected: &'a HashSet<u64>,
}

/// A managed group's write: its whole member list before and after. Saved plans hold it as
/// it is (`groups` of the plan file).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GroupChange {
    /// `None`: a group this run creates (`--create-groups`).
    pub id: Option<String>,
    pub name: String,
    pub description: String,
    /// Carried back untouched.
    pub guests: Vec<String>,
    /// Sorted.
    pub before: Vec<u64>,
    /// Sorted.
    pub after: Vec<u64>,
    /// As read (kept for the record; the members are what a write compares).
    #[serde(default)]
    pub last_updated: Option<String>,
    /// Joiners this run invites who belong here, by email: added to `after` once their
    /// invitation has landed and given their id (`execute::groups`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invitees: Vec<String>,
}

impl GroupChange {
    /// Members the write adds, in id order.
    pub fn added(&self) -> Vec<u64> {
        difference(&self.after, &self.before)
    }

    /// Members the write removes, in id order.
    pub fn removed(&self) -> Vec<u64> {
        difference(&self.before, &self.after)
    }

    /// `+3 -1 (12 → 14 members)`; joiners this run invites are counted among those added.
    pub fn summary(&self) -> String {
        let invitees = self.invitees.len();
        format!(
            "+{} -{} ({} → {} members)",
            self.added().len() + invitees,
            self.removed().len(),
            self.before.len(),
            self.after.len() + invitees
        )
    }
}

/// The ids of `a` not in `b`, in `a`'s order.
pub(crate) fn difference(a: &[u64], b: &[u64]) -> Vec<u64> {
    let b: HashSet<u64> = b.iter().copied().collect();
    a.iter().copied().filter(|id| !b.contains(id)).collect()
}

/// What a row's line says of groups.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowGroups {
    pub joins: Vec<String>,
    pub leaves: Vec<String>,
    /// Names that lead nowhere, and why (`Finance: no such group (--create-groups creates it)`).
    pub notes: Vec<String>,
    /// Names of groups `--manage-groups` leaves out: chosen, not a problem.
    pub unmanaged: Vec<String>,
}

impl RowGroups {
    /// The report's `groups` cell: `joins Sales, EMEA; leaves Marketing; Finance: no such
    /// group (...)`. Words, not `+`/`-`: a cell starting with a sign would be escaped for
    /// spreadsheets (`cell_safety`).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.joins.is_empty() {
            parts.push(format!("joins {}", self.joins.join(", ")));
        }
        if !self.leaves.is_empty() {
            parts.push(format!("leaves {}", self.leaves.join(", ")));
        }
        parts.extend(self.notes.iter().cloned());
        if !self.unmanaged.is_empty() {
            parts.push(format!(
                "not managed (--manage-groups): {}",
                self.unmanaged.join(", ")
            ));
        }
        parts.join("; ")
    }

    fn is_empty(&self) -> bool {
        self.joins.is_empty()
            && self.leaves.is_empty()
            && self.notes.is_empty()
            && self.unmanaged.is_empty()
    }
}

/// The groups a run writes, and what each row's line says of them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupPlan {
    /// One per group whose members change (or that is created), by name.
    pub changes: Vec<GroupChange>,
    /// By row: only rows with something to say.
    pub rows: BTreeMap<usize, RowGroups>,
    /// Why members without a row kept their groups, when they did.
    pub rowless_kept: Option<&'static str>,
    /// Managed groups, by name (written or not).
    pub managed: Vec<String>,
}

impl GroupPlan {
    /// The line `plan` prints for a row.
    pub fn row(&self, row: usize) -> Option<&RowGroups> {
        self.rows.get(&row)
    }
}

/// Where a name a row gives leads.
enum Resolved<'a> {
    Group(&'a Group),
    /// No group has it: created with `--create-groups`, under this spelling.
    Missing(String),
    Ambiguous(Vec<&'a str>),
    NotManaged,
}

/// What the rows say, gathered: who goes where, and who had a say.
#[derive(Default)]
struct Gathered {
    rows: BTreeMap<usize, RowGroups>,
    /// Group (by key) → members the file places there.
    placed: BTreeMap<String, BTreeSet<u64>>,
    /// Groups to create: key → the first spelling.
    to_create: BTreeMap<String, String>,
    /// Members whose row had its say on groups: removed from the managed groups it does not
    /// place them in.
    said: HashSet<u64>,
    /// Members a row names at all (invalid rows with a readable key included).
    named: HashSet<u64>,
    /// Group (by key) → emails of joiners this run invites who belong there.
    invitees: BTreeMap<String, Vec<String>>,
}

/// Decides the run's group writes.
pub fn plan_groups(input: GroupInput<'_>) -> GroupPlan {
    let by_key = groups_by_key(input.groups);
    let status: HashMap<u64, Option<MemberStatus>> =
        input.members.iter().map(|m| (m.id, m.status)).collect();
    let mut gathered = gather(&input, &by_key, &status);
    let managed = managed_groups(&input, &by_key);
    let keeps = |id: u64| keeps(id, &gathered, &status, &input);
    let mut changes: Vec<GroupChange> = managed
        .iter()
        .filter_map(|group| {
            let key = group_key(&group.name);
            let wanted = gathered.placed.get(&key);
            let invitees = gathered.invitees.get(&key).cloned().unwrap_or_default();
            change_of(group, wanted, invitees, input.settings.mode, keeps)
        })
        .collect();
    changes.extend(gathered.to_create.iter().map(|(key, spelling)| {
        let members = gathered.placed.get(key);
        let invitees = gathered.invitees.get(key).cloned().unwrap_or_default();
        created(spelling, members, invitees)
    }));
    changes.sort_by(|a, b| a.name.cmp(&b.name));
    note_moves(&changes, &input.placements, &mut gathered.rows);
    gathered.rows.retain(|_, line| !line.is_empty());
    let mut managed: Vec<String> = managed.iter().map(|g| g.name.clone()).collect();
    managed.extend(gathered.to_create.into_values());
    managed.sort();
    GroupPlan {
        changes,
        rows: gathered.rows,
        rowless_kept: input.rowless_kept,
        managed,
    }
}

/// Where `name` leads among the groups, under the settings.
fn resolve<'g>(
    name: &str,
    by_key: &HashMap<String, Vec<&'g Group>>,
    settings: &GroupSync,
) -> Resolved<'g> {
    match by_key.get(&group_key(name)).map(Vec::as_slice) {
        Some([group]) if settings.manages(&group.name, true) => Resolved::Group(group),
        Some([_]) => Resolved::NotManaged,
        Some(many) => Resolved::Ambiguous(many.iter().map(|g| g.name.as_str()).collect()),
        None if settings.manages(name, true) => Resolved::Missing(name.to_string()),
        None => Resolved::NotManaged,
    }
}

/// Reads every row's group names: where each leads, who is placed, what each line says.
fn gather(
    input: &GroupInput<'_>,
    by_key: &HashMap<String, Vec<&Group>>,
    status: &HashMap<u64, Option<MemberStatus>>,
) -> Gathered {
    let mut gathered = Gathered {
        named: input.named_by_invalid.clone(),
        ..Gathered::default()
    };
    for placement in &input.placements {
        gathered.named.extend(placement.member_id);
        let Some(names) = &placement.groups else {
            continue;
        };
        let placeable = placeability(placement, status, input.protected);
        if let Ok(id) = placeable {
            gathered.said.insert(id);
        }
        let line = gathered.rows.entry(placement.row).or_default();
        for name in names {
            let key = match resolve(name, by_key, input.settings) {
                Resolved::Group(group) => group_key(&group.name),
                Resolved::Missing(spelling) if input.settings.create => {
                    let key = group_key(&spelling);
                    gathered.to_create.entry(key.clone()).or_insert(spelling);
                    key
                }
                Resolved::Missing(_) => {
                    line.notes.push(format!(
                        "{name}: no such group (--create-groups creates it)"
                    ));
                    continue;
                }
                Resolved::Ambiguous(names) => {
                    line.notes.push(format!(
                        "{name}: matches {} groups ({}): neither is changed",
                        names.len(),
                        names.join(", ")
                    ));
                    continue;
                }
                Resolved::NotManaged => {
                    line.unmanaged.push(name.clone());
                    continue;
                }
            };
            let members = gathered.placed.entry(key.clone()).or_default();
            match (placeable, &placement.invitee) {
                (Ok(id), _) => {
                    members.insert(id);
                }
                (Err(_), Some(email)) => {
                    gathered
                        .invitees
                        .entry(key)
                        .or_default()
                        .push(email.clone());
                    line.joins.push(name.clone());
                }
                (Err(why), None) => line.notes.push(format!("{name}: not placed, {why}")),
            }
        }
    }
    gathered
}

/// The existing groups member-sync may change (a name two groups share is neither's), by name.
fn managed_groups<'g>(
    input: &GroupInput<'g>,
    by_key: &HashMap<String, Vec<&'g Group>>,
) -> Vec<&'g Group> {
    let named_keys: HashSet<String> = input
        .placements
        .iter()
        .flat_map(|p| p.groups.iter().flatten())
        .map(|name| group_key(name))
        .collect();
    let mut managed: Vec<&Group> = input
        .groups
        .iter()
        .filter(|g| {
            let key = group_key(&g.name);
            let unique = by_key.get(&key).is_some_and(|same| same.len() == 1);
            unique && input.settings.manages(&g.name, named_keys.contains(&key))
        })
        .collect();
    managed.sort_by(|a, b| a.name.cmp(&b.name));
    managed
}

/// Whether a member of a managed group stays in it when the file does not place them there
/// (`--groups sync`): see the module's documentation.
fn keeps(
    id: u64,
    gathered: &Gathered,
    status: &HashMap<u64, Option<MemberStatus>>,
    input: &GroupInput<'_>,
) -> bool {
    if gathered.said.contains(&id) {
        return false;
    }
    if gathered.named.contains(&id) {
        // A row names the member but says nothing (blank cells), or cannot be trusted.
        return true;
    }
    // No row names the member: the file says they belong nowhere managed, unless that
    // cannot be trusted this run. A disabled member, or an id the member list does not
    // have, stays.
    let removable = status
        .get(&id)
        .is_some_and(|s| *s != Some(MemberStatus::Disabled));
    input.rowless_kept.is_some() || !removable || input.protected.contains(&id)
}

/// An existing group's write, if its members change.
fn change_of(
    group: &Group,
    wanted: Option<&BTreeSet<u64>>,
    invitees: Vec<String>,
    mode: GroupMode,
    keeps: impl Fn(u64) -> bool,
) -> Option<GroupChange> {
    let stays = group
        .members
        .iter()
        .copied()
        .filter(|id| mode == GroupMode::Additive || keeps(*id));
    let after: BTreeSet<u64> = stays.chain(wanted.into_iter().flatten().copied()).collect();
    let after: Vec<u64> = after.into_iter().collect();
    let mut before = group.members.clone();
    before.sort_unstable();
    before.dedup();
    (after != before || !invitees.is_empty()).then(|| GroupChange {
        id: Some(group.id.clone()),
        name: group.name.clone(),
        description: group.description.clone(),
        guests: group.guests.clone(),
        before,
        after,
        last_updated: group.last_updated.clone(),
        invitees,
    })
}

/// A group this run creates, with the members the file places there.
fn created(spelling: &str, members: Option<&BTreeSet<u64>>, invitees: Vec<String>) -> GroupChange {
    GroupChange {
        id: None,
        name: spelling.to_string(),
        description: CREATED_DESCRIPTION.to_string(),
        guests: Vec::new(),
        before: Vec::new(),
        after: members.into_iter().flatten().copied().collect(),
        last_updated: None,
        invitees,
    }
}

/// Each group's members by [`group_key`] of its name.
fn groups_by_key(groups: &[Group]) -> HashMap<String, Vec<&Group>> {
    let mut by_key: HashMap<String, Vec<&Group>> = HashMap::new();
    for group in groups {
        by_key
            .entry(group_key(&group.name))
            .or_default()
            .push(group);
    }
    by_key
}

/// Whether a row's member can be placed in a group: `Ok(id)`, or why not.
type Placeable = Result<u64, &'static str>;

fn placeability(
    placement: &Placement,
    status: &HashMap<u64, Option<MemberStatus>>,
    protected: &HashSet<u64>,
) -> Placeable {
    let Some(id) = placement.member_id else {
        return Err("not a member yet: placed once invited (--joiners invite)");
    };
    if protected.contains(&id) {
        return Err("the member is protected (--exclude)");
    }
    match status.get(&id).copied().flatten() {
        Some(MemberStatus::Active | MemberStatus::Invited) => Ok(id),
        Some(MemberStatus::Disabled) if placement.enabled_by_run => Ok(id),
        Some(MemberStatus::Disabled) => Err("the member is disabled"),
        // A member whose status the server did not say: placed, as Tallyfy's own list shows it.
        None => Ok(id),
    }
}

/// Fills each row's joins and leaves from the writes.
fn note_moves(
    changes: &[GroupChange],
    placements: &[Placement],
    rows: &mut BTreeMap<usize, RowGroups>,
) {
    let mut moves: HashMap<u64, (Vec<String>, Vec<String>)> = HashMap::new();
    for change in changes {
        for id in change.added() {
            moves.entry(id).or_default().0.push(change.name.clone());
        }
        for id in change.removed() {
            moves.entry(id).or_default().1.push(change.name.clone());
        }
    }
    for placement in placements {
        let Some(id) = placement.member_id else {
            continue;
        };
        if let Some((joins, leaves)) = moves.get(&id) {
            let line = rows.entry(placement.row).or_default();
            line.joins.clone_from(joins);
            line.leaves.clone_from(leaves);
        }
    }
}
