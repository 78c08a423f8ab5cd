//! The leaver grace period: for each sync, how many completed runs in a row each member has
//! been absent from the input.
//!
//! A member missing from one night's export is more often a filter, a late HR entry or a
//! half-exported file than a leaver, so `--leavers disable` acts only on a member absent from
//! `--leaver-grace-runs` consecutive completed runs of the same sync (keyed as the
//! source-shrink baseline is: `SyncIdentity`). A member present again starts from nothing.
//!
//! The counts live in `orgs/<org>.leavers.json`, written (beside, then renamed, private) only
//! when a run completes, by a run holding the organization's lock. A run that stops half-way
//! writes nothing, so it never counts. A file that cannot be read (torn, edited by hand) makes
//! nobody due in that run, never everybody: the counts start again from that run, and the run
//! says so.
//!
//! The counting is typed: [`LeaverGrace::record_run`] adds this run's absences and only what it
//! returns ([`GraceRun`]) can say who is due or be saved, so no caller can ask before counting
//! this run or save a count twice.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::syncs::KEPT_SYNCS;
use super::{StateDir, SyncIdentity, create_parent};

/// A member's absence from a sync's input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Absence {
    /// Consecutive completed runs the member was absent from (this one included, once
    /// recorded).
    pub runs: u32,
    /// When the first of those runs finished.
    pub since: String,
}

/// The absences of one sync.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct SyncAbsences {
    updated_at: String,
    /// Member id → absence.
    absent: BTreeMap<u64, Absence>,
}

/// `orgs/<org>.leavers.json`.
#[derive(Debug, Default, Serialize, Deserialize)]
struct LeaversFile {
    syncs: BTreeMap<String, SyncAbsences>,
}

/// A sync's absences as the last completed run left them.
#[derive(Debug)]
pub struct LeaverGrace {
    path: PathBuf,
    sync_key: String,
    absent: BTreeMap<u64, Absence>,
    /// Why the file could not be read: then nobody is due in this run.
    unreadable: Option<String>,
}

/// A sync's absences with this run's counted: who is due, and what to save when the run
/// completes.
#[derive(Debug)]
pub struct GraceRun {
    grace: LeaverGrace,
    updated_at: String,
}

impl LeaverGrace {
    /// The absences of `sync` in `org`. Never fails: a file that cannot be read gives no
    /// absences and a [`LeaverGrace::warning`], and nobody is due in this run.
    pub fn load(state: &StateDir, org: &str, sync: &SyncIdentity) -> LeaverGrace {
        let path = state.org_file(org, "leavers.json");
        let sync_key = sync.key();
        let (absent, unreadable) = match read_leavers(&path) {
            Ok(mut file) => (
                file.syncs.remove(&sync_key).unwrap_or_default().absent,
                None,
            ),
            Err(reason) => (BTreeMap::new(), Some(reason)),
        };
        LeaverGrace {
            path,
            sync_key,
            absent,
            unreadable,
        }
    }

    /// What the run must say when the counts could not be read.
    pub fn warning(&self) -> Option<String> {
        self.unreadable.as_ref().map(|reason| {
            format!(
                "{reason}: no member is disabled for being absent in this run; the leaver \
                 counts start again when it completes"
            )
        })
    }

    /// A member's absence as the last completed run left it.
    pub fn absence(&self, member: u64) -> Option<&Absence> {
        self.absent.get(&member)
    }

    /// Counts this run: each member of `absent` one more run (the first at `now`); every
    /// other member starts from nothing.
    pub fn record_run(mut self, absent: &[u64], now: &str) -> GraceRun {
        let mut before = std::mem::take(&mut self.absent);
        self.absent = absent
            .iter()
            .map(|&id| {
                let absence = match before.remove(&id) {
                    Some(absence) => Absence {
                        runs: absence.runs.saturating_add(1),
                        since: absence.since,
                    },
                    None => Absence {
                        runs: 1,
                        since: now.to_string(),
                    },
                };
                (id, absence)
            })
            .collect();
        GraceRun {
            grace: self,
            updated_at: now.to_string(),
        }
    }
}

impl GraceRun {
    /// The members absent from `grace_runs` consecutive runs, this one included, in id order.
    /// Nobody when the counts could not be read.
    pub fn due(&self, grace_runs: u32) -> Vec<u64> {
        if self.grace.unreadable.is_some() {
            return Vec::new();
        }
        let grace_runs = grace_runs.max(1);
        let absent = self.grace.absent.iter();
        absent
            .filter(|(_, absence)| absence.runs >= grace_runs)
            .map(|(id, _)| *id)
            .collect()
    }

    /// A member's absence, this run counted.
    pub fn absence(&self, member: u64) -> Option<&Absence> {
        self.grace.absence(member)
    }

    /// [`LeaverGrace::warning`].
    pub fn warning(&self) -> Option<String> {
        self.grace.warning()
    }

    /// Writes the counts, when the run has completed (beside, then renamed; private). Only a
    /// run holding the organization's lock calls this. Other syncs' counts are kept; a file
    /// that cannot be read is started again.
    pub fn save(self) -> io::Result<()> {
        let path = &self.grace.path;
        let mut file = read_leavers(path).unwrap_or_default();
        file.syncs.insert(
            self.grace.sync_key.clone(),
            SyncAbsences {
                updated_at: self.updated_at,
                absent: self.grace.absent,
            },
        );
        while file.syncs.len() > KEPT_SYNCS {
            let oldest = file
                .syncs
                .iter()
                .min_by(|a, b| a.1.updated_at.cmp(&b.1.updated_at))
                .map(|(key, _)| key.clone())
                .expect("more than none");
            file.syncs.remove(&oldest);
        }
        create_parent(path)?;
        crate::output_file::Output::state(path)
            .write(&serde_json::to_vec_pretty(&file)?)
            .map_err(|refused| io::Error::other(refused.message))
    }
}

fn read_leavers(path: &Path) -> Result<LeaversFile, String> {
    let unreadable = |e: &dyn std::fmt::Display| {
        format!("the leaver counts {} cannot be read ({e})", path.display())
    };
    match fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| unreadable(&e)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(LeaversFile::default()),
        Err(e) => Err(unreadable(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nightly() -> SyncIdentity {
        SyncIdentity::Named("nightly".into())
    }

    /// One completed run of `sync`: who was absent; who is due with `grace` runs.
    fn run(
        state: &StateDir,
        sync: &SyncIdentity,
        absent: &[u64],
        grace: u32,
        at: &str,
    ) -> Vec<u64> {
        let counted = LeaverGrace::load(state, "acme", sync).record_run(absent, at);
        let due = counted.due(grace);
        counted.save().unwrap();
        due
    }

    #[test]
    fn a_member_is_due_after_the_grace_runs_in_a_row_and_starts_again_when_back() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::at(dir.path());
        let sync = nightly();
        assert_eq!(run(&state, &sync, &[7, 8], 2, "night 1"), Vec::<u64>::new());
        assert_eq!(run(&state, &sync, &[7, 8], 2, "night 2"), [7, 8]);
        // 8 is back on night 3; absent again on night 4, it counts from one.
        assert_eq!(run(&state, &sync, &[7], 2, "night 3"), [7]);
        assert_eq!(run(&state, &sync, &[7, 8], 2, "night 4"), [7]);
        let grace = LeaverGrace::load(&state, "acme", &sync);
        assert_eq!(
            grace.absence(7),
            Some(&Absence {
                runs: 4,
                since: "night 1".into()
            })
        );
        assert_eq!(grace.absence(8).map(|a| a.runs), Some(1));
        assert_eq!(grace.warning(), None);
    }

    #[test]
    fn a_run_that_does_not_complete_counts_for_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::at(dir.path());
        let sync = nightly();
        run(&state, &sync, &[7], 3, "night 1");
        // Night 2 stops half-way: counted in memory, never saved.
        let _stopped = LeaverGrace::load(&state, "acme", &sync).record_run(&[7], "night 2");
        assert_eq!(run(&state, &sync, &[7], 3, "night 3"), Vec::<u64>::new());
        assert_eq!(run(&state, &sync, &[7], 3, "night 4"), [7]);
    }

    #[test]
    fn each_sync_counts_apart_and_a_grace_of_one_acts_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::at(dir.path());
        let trial = SyncIdentity::Named("trial".into());
        run(&state, &nightly(), &[7], 2, "night 1");
        assert_eq!(run(&state, &trial, &[7], 2, "trial 1"), Vec::<u64>::new());
        assert_eq!(run(&state, &trial, &[9], 1, "trial 2"), [9]);
        assert_eq!(run(&state, &nightly(), &[7], 2, "night 2"), [7]);
    }

    #[test]
    fn a_torn_file_makes_nobody_due_says_so_and_is_started_again() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::at(dir.path());
        let sync = nightly();
        run(&state, &sync, &[7, 8], 2, "night 1");
        let path = state.org_file("acme", "leavers.json");
        let text = fs::read_to_string(&path).unwrap();
        fs::write(&path, &text[..text.len() / 2]).unwrap();

        let counted = LeaverGrace::load(&state, "acme", &sync).record_run(&[7, 8], "night 2");
        assert_eq!(counted.due(1), Vec::<u64>::new(), "never everybody");
        let warning = counted.warning().unwrap();
        assert!(
            warning.starts_with(&format!(
                "the leaver counts {} cannot be read (",
                path.display()
            )),
            "{warning}"
        );
        assert!(warning.ends_with("no member is disabled for being absent in this run; the leaver counts start again when it completes"), "{warning}");
        counted.save().unwrap();
        // Started again from night 2.
        assert_eq!(run(&state, &sync, &[7, 8], 2, "night 3"), [7, 8]);
        assert_eq!(
            LeaverGrace::load(&state, "acme", &sync)
                .absence(7)
                .unwrap()
                .since,
            "night 2"
        );
    }

    #[test]
    fn the_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::at(dir.path());
        run(&state, &nightly(), &[7], 2, "night 1");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = state.org_file("acme", "leavers.json");
            let mode = fs::metadata(path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
