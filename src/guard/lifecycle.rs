//! The safety nets of joiners and leavers: how many members one run may disable, how many it
//! may invite, and who is never disabled.
//!
//! A leaver is decided from what is *missing* from a file, so a truncated export, a filter
//! gone wrong or a misread status column looks exactly like a wave of leavers. The trusted
//! directory tools all stop there (Okta past 20% of unassignments, Entra Connect past 500
//! deletions, Google's separate suspension limit); member-sync stops earlier, at 5% of the
//! active members (at least one), and `--force` does not lift it: only `--max-leavers`, naming
//! the number, does. Invites cannot be taken back and send an email each, so they are capped
//! per run, and the rest wait for the next run instead of failing it.

use std::fmt;
use std::str::FromStr;

use super::{Exclusions, Refusal};

/// `--max-leavers`: a number of members, or a share of the active members.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LeaverLimit {
    Members(usize),
    /// A fraction (0.05 for `5%`); never below one member.
    Share(f64),
}

impl LeaverLimit {
    pub const DEFAULT: LeaverLimit = LeaverLimit::Share(0.05);

    /// The most members a run may disable in an organization of `active` active members.
    pub fn allowed(self, active: usize) -> usize {
        match self {
            LeaverLimit::Members(n) => n,
            LeaverLimit::Share(share) => ((active as f64 * share).floor() as usize).max(1),
        }
    }
}

impl Default for LeaverLimit {
    fn default() -> LeaverLimit {
        LeaverLimit::DEFAULT
    }
}

impl fmt::Display for LeaverLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LeaverLimit::Members(n) => write!(f, "{n}"),
            LeaverLimit::Share(share) => write!(f, "{}%", share * 100.0),
        }
    }
}

impl FromStr for LeaverLimit {
    type Err = String;

    fn from_str(s: &str) -> Result<LeaverLimit, String> {
        let usage = || {
            format!(
                "`{s}` is not a leaver limit: write a number of members (3) or a share of the \
                 active members (5%)"
            )
        };
        match super::count_or_share(s).ok_or_else(usage)? {
            Ok(count) => Ok(LeaverLimit::Members(count)),
            Err(share) => super::check_share(s, share).map(LeaverLimit::Share),
        }
    }
}

/// Refuses a plan that disables more members than `limit` allows among `active` members.
pub fn check_leaver_count(
    disables: usize,
    active: usize,
    limit: LeaverLimit,
) -> Result<(), Refusal> {
    let allowed = limit.allowed(active);
    if disables <= allowed {
        return Ok(());
    }
    let of = match limit {
        LeaverLimit::Share(_) => format!(" ({limit} of {active} active members, at least 1)"),
        LeaverLimit::Members(_) => String::new(),
    };
    let members = match disables {
        1 => "1 member".to_string(),
        n => format!("{n} members"),
    };
    Err(Refusal {
        guard: "max leavers",
        message: format!("the plan disables {members}, more than the {allowed} allowed{of}"),
        hint: format!(
            "list them first (`member-sync plan --leavers report`); if every one has left, pass \
             --max-leavers {disables} (--force does not lift this guard)"
        ),
    })
}

/// `--max-invites`' default: Tallyfy's troubleshooting page lists 10 invites a day.
pub const DEFAULT_MAX_INVITES: u32 = 10;

/// Why the invite at `position` (0-based, in row order, among this run's invites) waits for a
/// later run, when it is past `--max-invites`: it ends `deferred`, it does not fail the run.
pub fn invite_deferred(position: usize, max_invites: u32) -> Option<String> {
    let max = usize::try_from(max_invites).unwrap_or(usize::MAX);
    (position >= max).then(|| {
        format!("past --max-invites {max_invites} for one run: a later run invites the person")
    })
}

/// What the disable guard needs to know of a member.
#[derive(Debug, Clone, Copy, Default)]
pub struct DisableCandidate<'a> {
    pub email: Option<&'a str>,
    /// The member's role is `admin` (the default administrator included).
    pub is_admin: bool,
    /// A bot account (Tallyfy refuses to disable one anyway).
    pub is_bot: bool,
}

/// Why a member is never disabled (the report's `excluded` reason), or `None` when nothing
/// protects them: the token's own account, administrators, bots, and `--exclude` matches.
pub fn protected_from_disable(
    candidate: DisableCandidate<'_>,
    exclusions: &Exclusions,
    token_owner: Option<&str>,
) -> Option<String> {
    let email = candidate.email.map(str::trim);
    let is_owner = matches!(
        (email, token_owner),
        (Some(email), Some(owner)) if owner.trim().eq_ignore_ascii_case(email)
    );
    if is_owner {
        return Some(
            "the token's own account (--token-owner): a sync never disables the account it runs as"
                .into(),
        );
    }
    if candidate.is_admin {
        return Some(
            "an administrator: a sync never disables one (if they left, change their role in \
             Tallyfy first)"
                .into(),
        );
    }
    if candidate.is_bot {
        return Some("a bot account: a sync never disables one".into());
    }
    let pattern = exclusions.matching(email?)?;
    Some(format!("the member matches --exclude {pattern}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaver_limits_parse_as_counts_or_shares_and_default_to_five_percent() {
        assert_eq!(LeaverLimit::default(), LeaverLimit::Share(0.05));
        assert_eq!("3".parse(), Ok(LeaverLimit::Members(3)));
        assert_eq!(" 0 ".parse(), Ok(LeaverLimit::Members(0)));
        assert_eq!("12.5%".parse(), Ok(LeaverLimit::Share(0.125)));
        assert_eq!(LeaverLimit::Share(0.05).to_string(), "5%");
        assert_eq!(
            "few".parse::<LeaverLimit>(),
            Err(
                "`few` is not a leaver limit: write a number of members (3) or a share of the \
                 active members (5%)"
                    .into()
            )
        );
        assert_eq!(
            "0%".parse::<LeaverLimit>(),
            Err("`0%` must be above 0% and at most 100%".into())
        );
        assert!("101%".parse::<LeaverLimit>().is_err());
        assert!("-2".parse::<LeaverLimit>().is_err());
    }

    #[test]
    fn five_percent_of_the_active_members_at_least_one() {
        let limit = LeaverLimit::DEFAULT;
        assert_eq!(limit.allowed(0), 1);
        assert_eq!(limit.allowed(19), 1);
        assert_eq!(limit.allowed(40), 2);
        assert_eq!(limit.allowed(1_000), 50);
        assert_eq!(LeaverLimit::Members(0).allowed(1_000), 0);
        assert!(check_leaver_count(2, 40, limit).is_ok());
        assert!(check_leaver_count(0, 0, LeaverLimit::Members(0)).is_ok());
    }

    #[test]
    fn too_many_leavers_are_refused_naming_the_override() {
        let refusal = check_leaver_count(12, 100, LeaverLimit::DEFAULT).unwrap_err();
        assert_eq!(refusal.guard, "max leavers");
        assert_eq!(
            refusal.to_string(),
            "max leavers guard: the plan disables 12 members, more than the 5 allowed (5% of 100 \
             active members, at least 1)"
        );
        assert_eq!(
            refusal.hint,
            "list them first (`member-sync plan --leavers report`); if every one has left, pass \
             --max-leavers 12 (--force does not lift this guard)"
        );
        let one = check_leaver_count(1, 10, LeaverLimit::Members(0)).unwrap_err();
        assert_eq!(
            one.message,
            "the plan disables 1 member, more than the 0 allowed"
        );
    }

    #[test]
    fn invites_past_the_cap_are_deferred_not_refused() {
        assert_eq!(invite_deferred(0, DEFAULT_MAX_INVITES), None);
        assert_eq!(invite_deferred(9, DEFAULT_MAX_INVITES), None);
        assert_eq!(
            invite_deferred(10, DEFAULT_MAX_INVITES).as_deref(),
            Some("past --max-invites 10 for one run: a later run invites the person")
        );
        assert!(invite_deferred(0, 0).is_some());
    }

    #[test]
    fn the_owner_administrators_bots_and_exclusions_are_never_disabled() {
        let exclusions = Exclusions::new(&["*@contractors.example".into()]).unwrap();
        let owner = Some("Sync@Acme.example");
        let reason = |email: &str, is_admin: bool, is_bot: bool| {
            let candidate = DisableCandidate {
                email: Some(email),
                is_admin,
                is_bot,
            };
            protected_from_disable(candidate, &exclusions, owner)
        };
        assert!(
            reason("sync@acme.example", false, false)
                .unwrap()
                .contains("--token-owner")
        );
        assert!(
            reason("boss@acme.example", true, false)
                .unwrap()
                .starts_with("an administrator")
        );
        assert!(
            reason("robot@acme.example", false, true)
                .unwrap()
                .starts_with("a bot account")
        );
        assert_eq!(
            reason("temp@Contractors.example", false, false).as_deref(),
            Some("the member matches --exclude *@contractors.example")
        );
        assert_eq!(reason("ann@acme.example", false, false), None);
        let no_email = DisableCandidate::default();
        assert_eq!(protected_from_disable(no_email, &exclusions, owner), None);
    }
}
