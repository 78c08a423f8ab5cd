//! The baseline of the source-shrink guard: how many rows matched a member in the last complete
//! run of each sync of an organization.
//!
//! A baseline per organization made every run judge every other: a 697-row trial file applied
//! once made the 44-row nightly job stop the next night, and so did every small correction
//! file. A sync is what a person would call "the nightly job": the input's path and the
//! profile it runs under, or a name given with `--sync-name` (for a job whose file name
//! changes every night). Standard input (`-`) has no path: all its runs under one profile are
//! one sync, `stdin`.
//!
//! All syncs of an organization are kept in one file, `orgs/<org>.syncs.json`, read and
//! written only by a run holding the organization's lock. The `orgs/<org>.last-run.json` of
//! earlier versions (one baseline for the whole organization) is left alone and never read.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{StateDir, create_parent};

/// The syncs kept per organization; the oldest are forgotten past this many (one-off files
/// would otherwise pile up forever).
pub(super) const KEPT_SYNCS: usize = 200;

/// Which runs of an organization compare with each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncIdentity {
    /// `--sync-name` (or a profile's `sync_name`).
    Named(String),
    /// An input file, by its absolute path, under a profile (or none).
    File {
        path: PathBuf,
        profile: Option<String>,
    },
    /// Standard input (`-`), under a profile (or none).
    Stdin { profile: Option<String> },
}

impl SyncIdentity {
    /// The sync of a run of `input`: `name` if one is given, else the input and `profile`.
    pub fn of(input: &Path, name: Option<&str>, profile: Option<&str>) -> SyncIdentity {
        let profile = profile.map(str::to_string);
        if let Some(name) = name {
            return SyncIdentity::Named(name.trim().to_string());
        }
        if input == Path::new("-") {
            return SyncIdentity::Stdin { profile };
        }
        SyncIdentity::File {
            path: absolute_path(input),
            profile,
        }
    }

    /// The key of this sync in the state files.
    pub(super) fn key(&self) -> String {
        let with_profile = |profile: &Option<String>, rest: String| match profile {
            Some(profile) => format!("profile:{profile} {rest}"),
            None => rest,
        };
        match self {
            SyncIdentity::Named(name) => format!("name:{name}"),
            SyncIdentity::File { path, profile } => {
                with_profile(profile, format!("file:{}", path.display()))
            }
            SyncIdentity::Stdin { profile } => with_profile(profile, "stdin".into()),
        }
    }
}

impl fmt::Display for SyncIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (what, profile) = match self {
            SyncIdentity::Named(name) => return write!(f, "sync name {name}"),
            SyncIdentity::File { path, profile } => (format!("input {}", path.display()), profile),
            SyncIdentity::Stdin { profile } => ("standard input".to_string(), profile),
        };
        match profile {
            Some(profile) => write!(f, "{what}, profile {profile}"),
            None => f.write_str(&what),
        }
    }
}

/// The input's path as an identity: absolute, its directory resolved (`..`, linked
/// directories), but not the file itself: a `latest.csv` link to a dated export is one sync
/// night after night, wherever it points.
fn absolute_path(input: &Path) -> PathBuf {
    let absolute = std::path::absolute(input).unwrap_or_else(|_| input.to_path_buf());
    let (Some(dir), Some(name)) = (absolute.parent(), absolute.file_name()) else {
        return absolute;
    };
    match fs::canonicalize(dir) {
        Ok(dir) => dir.join(name),
        Err(_) => absolute,
    }
}

/// The last run of a sync that reached its end.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LastRun {
    /// Rows that matched a member: the baseline (see `guard::matched_rows`).
    pub matched: usize,
    /// Rows in the input.
    pub rows: usize,
    pub finished_at: String,
    pub report: String,
}

/// `orgs/<org>.syncs.json`.
#[derive(Debug, Default, Serialize, Deserialize)]
struct SyncsFile {
    syncs: BTreeMap<String, LastRun>,
}

impl StateDir {
    /// The last complete run of `sync` in `org`: `None` if there was none, an error naming the
    /// file if it cannot be read.
    pub fn last_run(&self, org: &str, sync: &SyncIdentity) -> Result<Option<LastRun>, String> {
        let path = self.org_file(org, "syncs.json");
        Ok(read_syncs(&path)?.syncs.remove(&sync.key()))
    }

    /// Records a run of `sync` that reached its end (written to a temporary file, then
    /// renamed). Only a run holding the organization's lock calls this: nothing else writes
    /// the file between its reading and its writing here. A file that cannot be read is
    /// started again.
    pub fn record_run(&self, org: &str, sync: &SyncIdentity, run: &LastRun) -> io::Result<()> {
        let path = self.org_file(org, "syncs.json");
        let mut file = read_syncs(&path).unwrap_or_default();
        file.syncs.insert(sync.key(), run.clone());
        while file.syncs.len() > KEPT_SYNCS {
            let oldest = file
                .syncs
                .iter()
                .min_by(|a, b| a.1.finished_at.cmp(&b.1.finished_at))
                .map(|(key, _)| key.clone())
                .expect("more than none");
            file.syncs.remove(&oldest);
        }
        create_parent(&path)?;
        // Written beside and renamed, private, never through a link (`crate::output_file`).
        crate::output_file::Output::state(&path)
            .write(&serde_json::to_vec_pretty(&file)?)
            .map_err(|refused| io::Error::other(refused.message))
    }
}

fn read_syncs(path: &Path) -> Result<SyncsFile, String> {
    match fs::read_to_string(path) {
        Ok(text) => {
            serde_json::from_str(&text).map_err(|e| format!("cannot read {}: {e}", path.display()))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(SyncsFile::default()),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(matched: usize, finished_at: &str) -> LastRun {
        LastRun {
            matched,
            rows: matched + 2,
            finished_at: finished_at.into(),
            report: "r.csv".into(),
        }
    }

    #[test]
    fn each_sync_keeps_its_own_last_run() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::at(dir.path());
        let nightly = SyncIdentity::of(Path::new("/srv/people.csv"), None, Some("acme"));
        let trial = SyncIdentity::of(Path::new("/srv/trial.csv"), None, Some("acme"));
        assert_eq!(state.last_run("acme", &nightly), Ok(None));
        state
            .record_run("acme", &nightly, &run(44, "2026-11-24T02:15:00Z"))
            .unwrap();
        state
            .record_run("acme", &trial, &run(697, "2026-11-24T10:00:00Z"))
            .unwrap();
        assert_eq!(
            state.last_run("acme", &nightly).unwrap().unwrap().matched,
            44
        );
        assert_eq!(
            state.last_run("acme", &trial).unwrap().unwrap().matched,
            697
        );
        assert_eq!(state.last_run("other", &nightly), Ok(None));
    }

    #[test]
    fn identities_are_the_name_else_the_profile_and_input() {
        let named = SyncIdentity::of(Path::new("a.csv"), Some(" nightly "), Some("acme"));
        assert_eq!(named.to_string(), "sync name nightly");
        assert_eq!(
            named,
            SyncIdentity::of(Path::new("b.csv"), Some("nightly"), None)
        );
        let stdin = SyncIdentity::of(Path::new("-"), None, Some("acme"));
        assert_eq!(stdin.to_string(), "standard input, profile acme");
        assert_eq!(stdin.key(), "profile:acme stdin");
        assert_ne!(stdin, SyncIdentity::of(Path::new("-"), None, None));
        // Relative paths and `..` name the same file as its absolute path.
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("sub");
        fs::create_dir(&sub).unwrap();
        let direct = SyncIdentity::of(&dir.path().join("people.csv"), None, None);
        let roundabout = SyncIdentity::of(&sub.join("../people.csv"), None, None);
        assert_eq!(direct, roundabout);
        assert_ne!(
            direct,
            SyncIdentity::of(&dir.path().join("people.csv"), None, Some("p"))
        );
    }

    #[test]
    fn only_the_newest_syncs_are_kept_and_a_broken_file_is_started_again() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::at(dir.path());
        let path = state.org_file("acme", "syncs.json");
        create_parent(&path).unwrap();
        fs::write(&path, "{ not json").unwrap();
        let named = |n: usize| SyncIdentity::Named(format!("file {n}"));
        let error = state.last_run("acme", &named(0)).unwrap_err();
        assert!(error.contains("syncs.json"), "{error}");
        for n in 0..=KEPT_SYNCS {
            let at = format!("2026-11-24T02:{:02}:{:02}Z", n / 60, n % 60);
            state.record_run("acme", &named(n), &run(n, &at)).unwrap();
        }
        assert_eq!(
            state.last_run("acme", &named(0)),
            Ok(None),
            "the oldest went"
        );
        assert!(state.last_run("acme", &named(1)).unwrap().is_some());
        assert!(
            state
                .last_run("acme", &named(KEPT_SYNCS))
                .unwrap()
                .is_some()
        );
    }
}
