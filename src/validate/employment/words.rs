//! What a status cell says: still employed, or left.
//!
//! Each source has its own words (BambooHR `Active`/`Inactive`, Workday `Terminated` and
//! `Leave of Absence`, Okta's `DEPROVISIONED` and `PASSWORD_EXPIRED`, Entra's
//! `accountEnabled` true/false, and the bulk template's `Block sign in` Yes/No, which says the
//! opposite). A leaver from a word read wrong is a member disabled by mistake, so only the
//! words listed here (and those a mapping file adds under `[status]`) are read; any other
//! makes the row invalid, naming the word and the words understood. Someone on leave,
//! suspended, locked out or not yet started is still employed: only words that mean the person
//! is gone mean `left`.

use std::sync::LazyLock;

use super::Status;
use crate::ingest::header::normalize;

/// The words a status column speaks, decided by its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vocabulary {
    /// HR and directory states (`Active`, `Terminated`, `DEPROVISIONED`, ...).
    States,
    /// A flag saying the account is enabled (`accountEnabled`): true/yes is active.
    Enabled,
    /// A flag saying sign-in is blocked (Entra's template): true/yes has left.
    Blocked,
}

/// Still employed, in every spelling sources use (compared after [`normalize`]).
const ACTIVE: &[&str] = &[
    "Active",
    "Leave of Absence",
    "On Leave",
    "Suspended",
    "Furloughed",
    "Pre-Hire",
    "Full-Time",
    "Part-Time",
    "Contractor",
    "Intern",
    "Temporary",
    "Seasonal",
    // Okta's user states, as the API and the admin console write them.
    "Staged",
    "Provisioned",
    "Recovery",
    "Password Expired",
    "Password Reset",
    "Locked Out",
    "Pending User Action",
];

/// Gone.
const LEFT: &[&str] = &[
    "Inactive",
    "Terminated",
    "Left",
    "Former",
    "Separated",
    "Resigned",
    "Retired",
    "Deceased",
    "Deactivated",
    "Deprovisioned",
    "Disabled",
];

const YES: &[&str] = &["true", "yes"];
const NO: &[&str] = &["false", "no"];

impl Vocabulary {
    /// The vocabulary of a status column, from its header: `accountEnabled` speaks true/false,
    /// `Block sign in (Yes/No)` the same words the other way round, everything else states.
    pub fn of_header(header: &str) -> Vocabulary {
        let key = normalize(header);
        if key.starts_with("blocksignin") || key.starts_with("signinblocked") {
            Vocabulary::Blocked
        } else if key == "accountenabled" || key == "enabled" {
            Vocabulary::Enabled
        } else {
            Vocabulary::States
        }
    }

    /// The built-in words, each with its normalized form (made once) and what it means.
    fn words(self) -> impl Iterator<Item = &'static (String, &'static str, Status)> {
        type Table = LazyLock<Vec<(String, &'static str, Status)>>;
        fn table(
            active: &'static [&'static str],
            left: &'static [&'static str],
        ) -> Vec<(String, &'static str, Status)> {
            let active = active.iter().map(|w| (normalize(w), *w, Status::Active));
            active
                .chain(left.iter().map(|w| (normalize(w), *w, Status::Left)))
                .collect()
        }
        static STATES: Table = LazyLock::new(|| table(ACTIVE, LEFT));
        static ENABLED: Table = LazyLock::new(|| table(YES, NO));
        static BLOCKED: Table = LazyLock::new(|| table(NO, YES));
        match self {
            Vocabulary::States => STATES.iter(),
            Vocabulary::Enabled => ENABLED.iter(),
            Vocabulary::Blocked => BLOCKED.iter(),
        }
    }
}

/// Words a mapping file adds (`[status] active = [...]`, `left = [...]`), kept normalized;
/// they win over the built-in ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtraWords {
    words: Vec<(String, String, Status)>,
}

impl ExtraWords {
    /// The `[status]` table's lists; a word in both, or a blank one, is an error.
    pub fn new(active: &[String], left: &[String]) -> Result<ExtraWords, String> {
        let mut extra = ExtraWords::default();
        let listed = active
            .iter()
            .map(|w| (w, Status::Active))
            .chain(left.iter().map(|w| (w, Status::Left)));
        for (word, status) in listed {
            let key = normalize(word);
            if key.is_empty() {
                return Err("a status word cannot be blank".into());
            }
            match extra.words.iter().find(|(k, _, _)| *k == key) {
                Some((_, _, s)) if *s != status => {
                    return Err(format!(
                        "`{}` is listed as both active and left",
                        word.trim()
                    ));
                }
                Some(_) => {}
                None => extra.words.push((key, word.trim().to_string(), status)),
            }
        }
        Ok(extra)
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
}

/// What a status cell (trimmed, not blank) says, or why it cannot be read: the word and the
/// words understood.
pub fn read_status(
    cell: &str,
    vocabulary: Vocabulary,
    extra: &ExtraWords,
) -> Result<Status, String> {
    let key = normalize(cell);
    if let Some((_, _, status)) = extra.words.iter().find(|(k, _, _)| *k == key) {
        return Ok(*status);
    }
    if let Some((_, _, status)) = vocabulary.words().find(|(k, _, _)| *k == key) {
        return Ok(*status);
    }
    Err(not_understood(vocabulary, extra))
}

/// `is not a status member-sync knows; active: Active, On Leave, ...; left: Inactive, ...`.
fn not_understood(vocabulary: Vocabulary, extra: &ExtraWords) -> String {
    let listed = |wanted: Status| {
        let built_in = vocabulary
            .words()
            .filter(|(_, _, s)| *s == wanted)
            .map(|(_, w, _)| *w);
        let added = extra
            .words
            .iter()
            .filter(|(_, _, s)| *s == wanted)
            .map(|(_, w, _)| w.as_str());
        built_in.chain(added).collect::<Vec<_>>().join(", ")
    };
    format!(
        "is not a status member-sync knows; still employed: {}; left: {} (add other words \
         under [status] in the mapping file)",
        listed(Status::Active),
        listed(Status::Left)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn states(cell: &str) -> Result<Status, String> {
        read_status(cell, Vocabulary::States, &ExtraWords::default())
    }

    #[test]
    fn each_source_speaks_its_own_words() {
        // BambooHR, Workday, Okta (API and console spellings).
        for word in [
            "Active",
            "ACTIVE",
            "Leave of Absence",
            "on_leave",
            "PASSWORD_EXPIRED",
            "Locked out",
            "STAGED",
        ] {
            assert_eq!(states(word), Ok(Status::Active), "{word}");
        }
        for word in [
            "Inactive",
            "Terminated",
            "DEPROVISIONED",
            "Deactivated",
            "retired",
        ] {
            assert_eq!(states(word), Ok(Status::Left), "{word}");
        }
        let none = ExtraWords::default();
        assert_eq!(
            read_status("TRUE", Vocabulary::Enabled, &none),
            Ok(Status::Active)
        );
        assert_eq!(
            read_status("False", Vocabulary::Enabled, &none),
            Ok(Status::Left)
        );
        // Entra's template asks whether sign-in is blocked: Yes means gone.
        assert_eq!(
            read_status("No", Vocabulary::Blocked, &none),
            Ok(Status::Active)
        );
        assert_eq!(
            read_status("Yes", Vocabulary::Blocked, &none),
            Ok(Status::Left)
        );
    }

    #[test]
    fn the_vocabulary_follows_the_header() {
        assert_eq!(
            Vocabulary::of_header("Block sign in (Yes/No) [accountEnabled] Required"),
            Vocabulary::Blocked
        );
        assert_eq!(Vocabulary::of_header("accountEnabled"), Vocabulary::Enabled);
        assert_eq!(Vocabulary::of_header("Worker_Status"), Vocabulary::States);
        assert_eq!(Vocabulary::of_header("status"), Vocabulary::States);
    }

    #[test]
    fn an_unknown_word_is_named_with_the_words_understood() {
        let error = states("Gone fishing").unwrap_err();
        assert!(
            error.starts_with(
                "is not a status member-sync knows; still employed: Active, Leave of Absence"
            ),
            "{error}"
        );
        assert!(error.contains("left: Inactive, Terminated"), "{error}");
        assert!(error.contains("[status]"), "{error}");
        // Yes/No is not a state, and a state is not Yes/No.
        assert!(states("Yes").is_err());
        assert!(read_status("Active", Vocabulary::Enabled, &ExtraWords::default()).is_err());
    }

    #[test]
    fn the_mapping_file_adds_words_and_wins() {
        let extra =
            ExtraWords::new(&["Employed".into()], &["Gone".into(), "Suspended".into()]).unwrap();
        let read = |cell| read_status(cell, Vocabulary::States, &extra);
        assert_eq!(read("employed"), Ok(Status::Active));
        assert_eq!(read("GONE"), Ok(Status::Left));
        assert_eq!(read("Suspended"), Ok(Status::Left), "the mapping file wins");
        assert!(read("Nope").unwrap_err().contains("Employed"));
        assert!(
            ExtraWords::new(&["X".into()], &["x".into()])
                .unwrap_err()
                .contains("both")
        );
        assert!(ExtraWords::new(&[" ".into()], &[]).is_err());
    }
}
