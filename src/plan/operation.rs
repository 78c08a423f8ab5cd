//! Operations: what a plan asks the API to do, one typed request each, grouped in the chains
//! that run them.
//!
//! A row's update used to be "a profile body and maybe a role", and the report one line per
//! input row. Joiners, leavers and groups do not fit that: an invite creates a member whose id
//! is known only after the call, a leaver has no input row, a group write serves many rows. So
//! a plan is a list of [`Operation`]s, each carrying what it sends and what it expects to find
//! (saved plans refuse what no longer holds), grouped in [`Chain`]s: the operations on one
//! member, run in order (enable, then profile, then role), ending one report line
//! ([`LineKey`]: an input row, or a member acted on without a row). How each kind is sent and
//! retried is decided per kind ([`OperationKind`], `execute::retry_policy::retry_rule`).

use std::borrow::Cow;
use std::fmt;

use serde_json::{Map, Value as Json};

use super::Change;
use crate::fields::Field;

/// The report line an operation ends: an input row's, or that of a subject acted on without a
/// row: a member (a leaver), or a group whose members the run writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LineKey {
    /// The input's data row (1 is the first).
    Row(usize),
    /// A member the run acts on without an input row, by id.
    Member(u64),
    /// A group the run writes: its place in the run's group plan (`GroupPlan::changes`).
    Group(u32),
}

impl LineKey {
    /// The input row, when the line is a row's.
    pub fn row(self) -> Option<usize> {
        match self {
            LineKey::Row(row) => Some(row),
            LineKey::Member(_) | LineKey::Group(_) => None,
        }
    }

    /// The member, when the line is a subject's.
    pub fn member(self) -> Option<u64> {
        match self {
            LineKey::Row(_) | LineKey::Group(_) => None,
            LineKey::Member(id) => Some(id),
        }
    }
}

impl fmt::Display for LineKey {
    /// `row 4`, `member 1001`: as messages name a line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineKey::Row(row) => write!(f, "row {row}"),
            LineKey::Member(id) => write!(f, "member {id}"),
            LineKey::Group(n) => write!(f, "group {}", n + 1),
        }
    }
}

/// The kinds of operation. Each kind has its own retry rule (`retry_policy::retry_rule`) and
/// names its action in the report (`action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OperationKind {
    UpdateProfile,
    ChangeRole,
    Invite,
    Enable,
    Disable,
}

impl OperationKind {
    /// As saved plans name it.
    pub fn as_str(self) -> &'static str {
        match self {
            OperationKind::UpdateProfile => "update_profile",
            OperationKind::ChangeRole => "change_role",
            OperationKind::Invite => "invite",
            OperationKind::Enable => "enable",
            OperationKind::Disable => "disable",
        }
    }

    /// The report's `action` for it: a profile and a role change are both an `update`.
    pub fn action(self) -> &'static str {
        match self {
            OperationKind::UpdateProfile | OperationKind::ChangeRole => "update",
            OperationKind::Invite => "invite",
            OperationKind::Enable => "enable",
            OperationKind::Disable => "disable",
        }
    }

    pub fn from_name(name: &str) -> Option<OperationKind> {
        [
            OperationKind::UpdateProfile,
            OperationKind::ChangeRole,
            OperationKind::Invite,
            OperationKind::Enable,
            OperationKind::Disable,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == name)
    }
}

impl fmt::Display for OperationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a member's status must be for an operation to apply (a saved plan's stale check).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberStatus {
    Active,
    Invited,
    Disabled,
}

/// What an operation expects to find before it is sent: what a saved plan checks again.
#[derive(Debug, Clone, PartialEq)]
pub enum Expect<'a> {
    /// These fields hold their `before` (or already their `after`: the change was made).
    Fields(&'a [Change]),
    /// No member has this email (an invite).
    NoMember { email: &'a str },
    /// The member has this status (enable: disabled; disable: active).
    Status(MemberStatus),
}

/// A joiner's invitation: everything `POST /users/invite` requires.
#[derive(Debug, Clone, PartialEq)]
pub struct Invite {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// `admin`, `standard` or `light`.
    pub role: String,
    pub message: String,
}

/// One request a plan makes.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    /// `PUT /users/{id}`: the member's required fields as they are, overlaid with `changes`.
    UpdateProfile {
        body: Map<String, Json>,
        /// The profile fields it changes, in field order (never the role).
        changes: Vec<Change>,
    },
    /// `PUT /users/{id}/role`.
    ChangeRole { change: Change },
    /// `POST /users/invite`: the member exists only after it.
    Invite(Box<Invite>),
    /// `PUT /users/{id}/enable`: a rehire.
    Enable,
    /// `DELETE /users/{id}/disable`, or with `reassign_to` the removal that hands the member's
    /// tasks to that member. Never the permanent delete.
    Disable { reassign_to: Option<u64> },
    // A group's write is not a member's operation: it serves many rows, ends a group's own
    // line and runs after every chain (`execute::groups`).
}

impl Operation {
    pub fn kind(&self) -> OperationKind {
        match self {
            Operation::UpdateProfile { .. } => OperationKind::UpdateProfile,
            Operation::ChangeRole { .. } => OperationKind::ChangeRole,
            Operation::Invite(_) => OperationKind::Invite,
            Operation::Enable => OperationKind::Enable,
            Operation::Disable { .. } => OperationKind::Disable,
        }
    }

    /// The field changes it makes, which its answer must show.
    pub fn changes(&self) -> &[Change] {
        match self {
            Operation::UpdateProfile { changes, .. } => changes,
            Operation::ChangeRole { change } => std::slice::from_ref(change),
            Operation::Invite(_) | Operation::Enable | Operation::Disable { .. } => &[],
        }
    }

    /// What it expects to find before it is sent.
    pub fn expects(&self) -> Expect<'_> {
        match self {
            Operation::UpdateProfile { changes, .. } => Expect::Fields(changes),
            Operation::ChangeRole { change } => Expect::Fields(std::slice::from_ref(change)),
            Operation::Invite(invite) => Expect::NoMember {
                email: &invite.email,
            },
            Operation::Enable => Expect::Status(MemberStatus::Disabled),
            Operation::Disable { .. } => Expect::Status(MemberStatus::Active),
        }
    }

    /// The new role of a role change.
    pub fn new_role(&self) -> Option<&str> {
        match self {
            Operation::ChangeRole { change } => match &change.after {
                Some(crate::fields::Value::Text(role)) => Some(role),
                _ => None,
            },
            _ => None,
        }
    }
}

/// The operations on one member, run in order; a step that fails stops the chain, and the
/// chain's line says what landed and why the rest did not.
#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    /// The report line the chain ends.
    pub line: LineKey,
    /// `None` for a member still to be invited.
    pub member_id: Option<u64>,
    /// The member's email, lower-cased (the row's, for an invite).
    pub email: Option<String>,
    /// In the order they run: enable, then profile, then role.
    pub steps: Vec<Operation>,
}

impl Chain {
    /// Every field it changes, in field order (the role last), over all its steps.
    pub fn changes(&self) -> impl Iterator<Item = &Change> + Clone {
        self.steps.iter().flat_map(Operation::changes)
    }

    /// The new role, when the chain changes it.
    pub fn new_role(&self) -> Option<&str> {
        self.steps.iter().find_map(Operation::new_role)
    }

    /// Whether the chain changes `field`.
    pub fn changes_field(&self, field: Field) -> bool {
        self.changes().any(|c| c.field == field)
    }

    /// The report's `action`: each kind's action once, in order (`update`, `enable+update`).
    pub fn action(&self) -> Cow<'static, str> {
        let mut actions: Vec<&'static str> = Vec::with_capacity(self.steps.len());
        for step in &self.steps {
            let action = step.kind().action();
            if !actions.contains(&action) {
                actions.push(action);
            }
        }
        match actions.as_slice() {
            [] => Cow::Borrowed(""),
            [one] => Cow::Borrowed(one),
            many => Cow::Owned(many.join("+")),
        }
    }
}
