//! Guards: the checks that stop a run before its first write when it looks like a mistake.
//!
//! A nightly sync with write access to the whole directory fails worst not when the API is
//! down but when the input is wrong: a truncated export, a filter that dropped a department, a
//! column mapped to the wrong field. Each guard here catches one such shape, says which guard
//! tripped and how to override it, and the run exits 4 with nothing written. They are decided
//! here and nowhere else; `sync` only asks. The nets of joiners and leavers (how many may be
//! disabled or invited, who never is) are in `guard/lifecycle.rs`.

use std::fmt;
use std::str::FromStr;

use globset::{Glob, GlobSet, GlobSetBuilder};

pub mod groups;
mod lifecycle;

pub use lifecycle::{
    DEFAULT_MAX_INVITES, DisableCandidate, LeaverLimit, check_leaver_count, invite_deferred,
    protected_from_disable,
};

use crate::api::Member;
use crate::fields::{Field, Value};
use crate::plan::{Chain, RowPlan};

/// Below this many changes, `--max-changes` as a percentage never trips: in a 40-person
/// organization 10% is 4, and a normal week of joiners and title changes is more than that.
pub const CHANGE_FLOOR: usize = 25;

/// A guard that tripped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The guard's name, as the message and the docs spell it.
    pub guard: &'static str,
    pub message: String,
    /// How to proceed if the change is intended.
    pub hint: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} guard: {}", self.guard, self.message)
    }
}

/// `--max-changes`: a number of members, or a share of the organization.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ChangeLimit {
    Members(usize),
    /// A fraction (0.1 for `10%`); never below [`CHANGE_FLOOR`].
    Share(f64),
}

impl ChangeLimit {
    pub const DEFAULT: ChangeLimit = ChangeLimit::Share(0.10);

    /// The largest number of members a run may change in an organization of `members`.
    pub fn allowed(self, members: usize) -> usize {
        match self {
            ChangeLimit::Members(n) => n,
            ChangeLimit::Share(share) => {
                ((members as f64 * share).floor() as usize).max(CHANGE_FLOOR)
            }
        }
    }
}

impl fmt::Display for ChangeLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChangeLimit::Members(n) => write!(f, "{n}"),
            ChangeLimit::Share(share) => write!(f, "{}%", share * 100.0),
        }
    }
}

impl FromStr for ChangeLimit {
    type Err = String;

    fn from_str(s: &str) -> Result<ChangeLimit, String> {
        let usage =
            || format!("`{s}` is not a limit: write a number of members (50) or a share (10%)");
        match count_or_share(s).ok_or_else(usage)? {
            Ok(count) => Ok(ChangeLimit::Members(count)),
            Err(share) => check_share(s, share).map(ChangeLimit::Share),
        }
    }
}

/// A limit as typed: a count (`50`) as `Ok`, a share (`10%`, as 0.1) as `Err`; `None` when it
/// is neither.
fn count_or_share(s: &str) -> Option<Result<usize, f64>> {
    let text = s.trim();
    match text.strip_suffix('%') {
        Some(percent) => percent.trim().parse::<f64>().ok().map(|p| Err(p / 100.0)),
        None => text.parse().ok().map(Ok),
    }
}

/// A share must be above 0% and at most 100%.
fn check_share(s: &str, share: f64) -> Result<f64, String> {
    if share > 0.0 && share <= 1.0 {
        Ok(share)
    } else {
        Err(format!("`{s}` must be above 0% and at most 100%"))
    }
}

/// Refuses an input with no data rows: an export that failed half-way, or the wrong file.
pub fn check_not_empty(rows: usize) -> Result<(), Refusal> {
    if rows > 0 {
        return Ok(());
    }
    Err(Refusal {
        guard: "empty input",
        message: "the input has no data rows".into(),
        hint: "check the export; an empty file is never applied, not even with --force".into(),
    })
}

/// The rows of an input the source-shrink guard counts: those that are valid and matched a
/// member (to update, unchanged, or protected by `--exclude`). Invalid and unknown rows are not
/// the directory: an export whose key column changed format, or half of whose rows no longer
/// match, has shrunk as surely as a truncated one, whatever its row count.
pub fn matched_rows(plans: &[RowPlan]) -> usize {
    plans
        .iter()
        .filter(|plan| match plan {
            RowPlan::Unchanged { .. } => true,
            // An invite's row matched no member: it is a joiner.
            RowPlan::Chain(chain) => chain.member_id.is_some(),
            _ => false,
        })
        .count()
}

/// Refuses an input that matches many fewer members than the last complete run of the same
/// sync did: a truncated export or a filter gone wrong looks exactly like this. `sync` says
/// which runs compare (see `state::SyncIdentity`).
pub fn check_source_size(
    matched: usize,
    last_matched: Option<usize>,
    limit: f64,
    sync: &dyn fmt::Display,
) -> Result<(), Refusal> {
    let Some(last) = last_matched.filter(|&last| last > 0) else {
        return Ok(());
    };
    if matched as f64 >= last as f64 * limit {
        return Ok(());
    }
    let rows = match matched {
        1 => "1 row of the input matches".to_string(),
        n => format!("{n} rows of the input match"),
    };
    Err(Refusal {
        guard: "source shrink",
        message: format!(
            "{rows} a member, under {:.0}% of the {last} that matched in the last complete run of this sync ({sync})",
            limit * 100.0
        ),
        hint: "if the directory really shrank, pass --force or a lower --shrink-limit; to run a partial file (a correction, a test) under this sync, pass --shrink-limit 0, or give it its own --sync-name".into(),
    })
}

/// Refuses a plan that changes more members than `limit` allows.
pub fn check_change_count(
    changes: usize,
    members: usize,
    limit: ChangeLimit,
) -> Result<(), Refusal> {
    let allowed = limit.allowed(members);
    if changes <= allowed {
        return Ok(());
    }
    let of = match limit {
        ChangeLimit::Share(_) => {
            format!(" ({limit} of {members} members, at least {CHANGE_FLOOR})")
        }
        ChangeLimit::Members(_) => String::new(),
    };
    Err(Refusal {
        guard: "max changes",
        message: format!("the plan changes {changes} members, more than the {allowed} allowed{of}"),
        hint: format!(
            "read the plan (`member-sync plan`); if it is right, pass --max-changes {changes} or --force"
        ),
    })
}

/// Refuses a plan whose chains would leave the organization without an administrator.
pub fn check_admins_remain(chains: &[Chain], members: &[Member]) -> Result<(), Refusal> {
    let admin = Value::Text("admin".into());
    let admins: Vec<u64> = members
        .iter()
        .filter(|m| m.current(Field::Role).as_ref() == Some(&admin))
        .map(|m| m.id)
        .collect();
    let demoted: Vec<&Chain> = chains
        .iter()
        .filter(|c| {
            c.member_id.is_some_and(|id| admins.contains(&id))
                && c.new_role().is_some_and(|r| r != "admin")
        })
        .collect();
    if admins.is_empty() || demoted.len() < admins.len() {
        return Ok(());
    }
    let rows: Vec<String> = demoted
        .iter()
        .filter_map(|c| c.line.row())
        .map(|row| row.to_string())
        .collect();
    Err(Refusal {
        guard: "last admin",
        message: format!(
            "the plan demotes every administrator of the organization (rows {}); nobody could manage it afterwards",
            rows.join(", ")
        ),
        hint: "keep at least one row's role `admin`; this guard has no override".into(),
    })
}

/// `--exclude`: emails or glob patterns (`*@contractors.example`) never changed.
#[derive(Debug, Clone, Default)]
pub struct Exclusions {
    patterns: Vec<String>,
    set: Option<GlobSet>,
}

impl Exclusions {
    /// Patterns match emails case-insensitively; a bad pattern is an error naming it.
    pub fn new(patterns: &[String]) -> Result<Exclusions, String> {
        if patterns.is_empty() {
            return Ok(Exclusions::default());
        }
        let mut builder = GlobSetBuilder::new();
        for pattern in patterns {
            let glob = Glob::new(&pattern.trim().to_lowercase())
                .map_err(|e| format!("--exclude `{pattern}` is not a valid pattern: {e}"))?;
            builder.add(glob);
        }
        let set = builder
            .build()
            .map_err(|e| format!("--exclude patterns: {e}"))?;
        Ok(Exclusions {
            patterns: patterns.to_vec(),
            set: Some(set),
        })
    }

    /// Whether no pattern was given.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The first pattern `email` matches, if any.
    pub fn matching(&self, email: &str) -> Option<&str> {
        let set = self.set.as_ref()?;
        let hit = set
            .matches(email.trim().to_lowercase())
            .into_iter()
            .next()?;
        Some(&self.patterns[hit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_limits_parse_as_counts_or_shares() {
        assert_eq!("50".parse(), Ok(ChangeLimit::Members(50)));
        assert_eq!("10%".parse(), Ok(ChangeLimit::Share(0.10)));
        assert!("0%".parse::<ChangeLimit>().is_err());
        assert!("150%".parse::<ChangeLimit>().is_err());
        assert!("lots".parse::<ChangeLimit>().unwrap_err().contains("10%"));
    }

    #[test]
    fn a_share_never_allows_fewer_than_the_floor() {
        assert_eq!(ChangeLimit::Share(0.10).allowed(60), CHANGE_FLOOR);
        assert_eq!(ChangeLimit::Share(0.10).allowed(1_000), 100);
        assert_eq!(ChangeLimit::Members(3).allowed(1_000), 3);
        assert!(check_change_count(25, 60, ChangeLimit::DEFAULT).is_ok());
        let refusal = check_change_count(101, 1_000, ChangeLimit::DEFAULT).unwrap_err();
        assert_eq!(refusal.guard, "max changes");
        assert!(
            refusal
                .message
                .contains("101 members, more than the 100 allowed")
        );
        assert!(refusal.hint.contains("--max-changes 101"));
    }

    #[test]
    fn a_shrunken_source_is_refused_and_a_first_run_is_not() {
        let sync = "sync name nightly";
        assert!(check_source_size(10, None, 0.5, &sync).is_ok());
        assert!(check_source_size(50, Some(100), 0.5, &sync).is_ok());
        assert!(check_source_size(0, Some(100), 0.0, &sync).is_ok());
        let refusal = check_source_size(49, Some(100), 0.5, &sync).unwrap_err();
        assert_eq!(
            refusal.message,
            "49 rows of the input match a member, under 50% of the 100 that matched in the last complete run of this sync (sync name nightly)"
        );
        let one = check_source_size(1, Some(100), 0.5, &sync).unwrap_err();
        assert!(
            one.message
                .starts_with("1 row of the input matches a member")
        );
        assert!(check_not_empty(0).is_err());
    }

    #[test]
    fn exclusions_match_emails_and_globs_case_insensitively() {
        let ex =
            Exclusions::new(&["ceo@acme.example".into(), "*@contractors.example".into()]).unwrap();
        assert_eq!(ex.matching("CEO@acme.example"), Some("ceo@acme.example"));
        assert_eq!(
            ex.matching("x@Contractors.example"),
            Some("*@contractors.example")
        );
        assert_eq!(ex.matching("someone@acme.example"), None);
        assert!(Exclusions::new(&["[".into()]).unwrap_err().contains("`[`"));
    }
}
