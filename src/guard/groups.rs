//! The group guards: how many members a managed group may lose in one run, and a managed
//! group emptied completely (`--force`). A run that breaks either writes nothing (exit 4).

use std::fmt;
use std::str::FromStr;

use super::Refusal;
use crate::plan::groups::GroupChange;

/// `--max-group-removals N|P%`: members one group may lose in a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RemovalLimit {
    Members(usize),
    /// A fraction of the group's members before the run (0.2 for `20%`), at least one.
    Share(f64),
}

impl RemovalLimit {
    pub const DEFAULT: RemovalLimit = RemovalLimit::Share(0.20);

    /// The most members a group of `members` may lose.
    pub fn allowed(self, members: usize) -> usize {
        match self {
            RemovalLimit::Members(n) => n,
            RemovalLimit::Share(share) => ((members as f64 * share).floor() as usize).max(1),
        }
    }
}

impl fmt::Display for RemovalLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RemovalLimit::Members(n) => write!(f, "{n}"),
            RemovalLimit::Share(share) => write!(f, "{}%", share * 100.0),
        }
    }
}

impl FromStr for RemovalLimit {
    type Err = String;

    fn from_str(text: &str) -> Result<RemovalLimit, String> {
        let text = text.trim();
        let refuse = || format!("`{text}` is not a number of members (5) or a share (20%)");
        match text.strip_suffix('%') {
            Some(share) => {
                let share: f64 = share.trim().parse().map_err(|_| refuse())?;
                if !(0.0..=100.0).contains(&share) {
                    return Err(format!("`{text}` is not a share between 0% and 100%"));
                }
                Ok(RemovalLimit::Share(share / 100.0))
            }
            None => text
                .parse()
                .map(RemovalLimit::Members)
                .map_err(|_| refuse()),
        }
    }
}

impl Default for RemovalLimit {
    fn default() -> RemovalLimit {
        RemovalLimit::DEFAULT
    }
}

/// Refuses a plan where a group loses more members than `limit` allows, or where a managed
/// group that has members is emptied without `force`. `--force` lifts only the second: a
/// removal count past the limit must be named (`--max-group-removals N`), as a mass removal
/// is exactly what a misread file looks like.
pub fn check_group_removals(
    changes: &[GroupChange],
    limit: RemovalLimit,
    force: bool,
) -> Result<(), Refusal> {
    for change in changes {
        let removed = change.removed().len();
        let allowed = limit.allowed(change.before.len());
        if removed > allowed {
            let of = match limit {
                RemovalLimit::Share(_) => format!(
                    " ({limit} of its {} members, at least 1)",
                    change.before.len()
                ),
                RemovalLimit::Members(_) => String::new(),
            };
            return Err(Refusal {
                guard: "max group removals",
                message: format!(
                    "the plan removes {} from group {}, more than the {allowed} allowed{of}",
                    members(removed),
                    change.name
                ),
                hint: format!(
                    "read the plan (`member-sync plan`); if it is right, pass --max-group-removals {removed}, or --groups additive to only add"
                ),
            });
        }
    }
    if force {
        return Ok(());
    }
    match changes
        .iter()
        .find(|c| c.after.is_empty() && !c.before.is_empty())
    {
        Some(emptied) => Err(Refusal {
            guard: "empty group",
            message: format!(
                "the plan removes every member of group {} ({})",
                emptied.name,
                members(emptied.before.len())
            ),
            hint: "read the plan (`member-sync plan`); if the group should be empty, pass --force"
                .into(),
        }),
        None => Ok(()),
    }
}

/// `1 member`, `3 members`.
fn members(n: usize) -> String {
    match n {
        1 => "1 member".into(),
        n => format!("{n} members"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(before: &[u64], after: &[u64]) -> GroupChange {
        GroupChange {
            id: Some("0".repeat(32)),
            name: "Sales".into(),
            description: String::new(),
            guests: Vec::new(),
            before: before.to_vec(),
            after: after.to_vec(),
            last_updated: None,
            invitees: Vec::new(),
        }
    }

    #[test]
    fn a_group_may_lose_a_fifth_of_its_members_and_always_one() {
        let ten: Vec<u64> = (1..=10).collect();
        let limit = RemovalLimit::DEFAULT;
        assert!(check_group_removals(&[change(&ten, &ten[2..])], limit, false).is_ok());
        let refused = check_group_removals(&[change(&ten, &ten[3..])], limit, true).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "max group removals guard: the plan removes 3 members from group Sales, more than the 2 allowed (20% of its 10 members, at least 1)"
        );
        assert!(check_group_removals(&[change(&[1, 2], &[2])], limit, false).is_ok());
        assert!(
            check_group_removals(&[change(&ten, &[])], RemovalLimit::Members(10), false).is_err()
        );
        assert!(
            check_group_removals(&[change(&ten, &[])], RemovalLimit::Members(10), true).is_ok()
        );
        assert_eq!("20%".parse::<RemovalLimit>(), Ok(RemovalLimit::DEFAULT));
        assert_eq!("3".parse::<RemovalLimit>(), Ok(RemovalLimit::Members(3)));
        assert!("lots".parse::<RemovalLimit>().is_err());
    }
}
