//! The group guards: how many members a managed group may lose in one run, and a managed
//! group emptied completely (`--force`). A run that breaks either writes nothing (exit 4).

use std::fmt;
use std::str::FromStr;

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
