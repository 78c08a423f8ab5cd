//! What member-sync remembers between runs, per organization: the size of the last successful
//! run (for the source-shrink guard) and the lock that keeps two runs from writing at once.
//!
//! Cron does not know a run is still going when the next one starts; two syncs of one org
//! interleaving their writes would each report a truth the other undid. So `apply` holds a
//! lock file per org, naming its holder. A lock whose process is gone (killed, rebooted) is
//! taken over with a warning rather than blocking every night after.
//!
//! The directory is `--state-dir`, else `MEMBER_SYNC_STATE_DIR`, else
//! `$XDG_STATE_HOME/member-sync`, else `~/.local/state/member-sync`. Its files name the
//! reports and hosts of runs: directories are created `0700` and files `0600`, as every output
//! is (`crate::output_file`).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::env_vars;
use crate::output_file;

/// The state directory of this user.
#[derive(Debug, Clone)]
pub struct StateDir {
    root: PathBuf,
}

/// The last run of an org that reached its end.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LastRun {
    pub rows: usize,
    pub finished_at: String,
    pub report: String,
}

/// Who holds a lock.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Holder {
    pub pid: u32,
    pub host: String,
    pub started_at: String,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pid {} on {}, started {}",
            self.pid, self.host, self.started_at
        )
    }
}

/// Why a lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another member-sync run is applying changes to this organization ({0})")]
    Held(Holder),
    #[error("cannot use the lock file {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

/// A held lock; removed when dropped.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
    /// Set when a stale lock was taken over: whose it was.
    pub took_over: Option<Holder>,
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

impl StateDir {
    /// The directory to use: `flag`, else the environment, else the XDG default.
    pub fn resolve(flag: Option<&Path>) -> Option<StateDir> {
        let root = flag.map(Path::to_path_buf).or_else(|| {
            let var = |name| {
                std::env::var_os(name)
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            };
            var(env_vars::STATE_DIR)
                .or_else(|| var("XDG_STATE_HOME").map(|p| p.join("member-sync")))
                .or_else(|| var("HOME").map(|p| p.join(".local/state/member-sync")))
        })?;
        Some(StateDir { root })
    }

    pub fn at(root: impl Into<PathBuf>) -> StateDir {
        StateDir { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn org_file(&self, org: &str, kind: &str) -> PathBuf {
        // Org ids are short alphanumerics; anything else is escaped so it stays one file name.
        let safe: String = org
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.root.join("orgs").join(format!("{safe}.{kind}"))
    }

    /// The last run of `org` that reached its end, if one was recorded and is readable.
    pub fn last_run(&self, org: &str) -> Option<LastRun> {
        let text = fs::read_to_string(self.org_file(org, "last-run.json")).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Records a run that reached its end (written to a temporary file, then renamed).
    pub fn record_run(&self, org: &str, run: &LastRun) -> io::Result<()> {
        let path = self.org_file(org, "last-run.json");
        output_file::create_private_dir_all(path.parent().expect("org files live in a directory"))?;
        output_file::Output::state(&path)
            .write(&serde_json::to_vec_pretty(run)?)
            .map_err(|refused| io::Error::other(refused.message))
    }

    /// Takes the lock of `org`, or says who holds it.
    pub fn lock(&self, org: &str, holder: Holder) -> Result<Lock, LockError> {
        let path = self.org_file(org, "lock");
        let io_error = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        output_file::create_private_dir_all(path.parent().expect("org files live in a directory"))
            .map_err(io_error)?;
        let mut took_over = None;
        for _ in 0..2 {
            match output_file::create_new(&path) {
                Ok(mut file) => {
                    let text = serde_json::to_vec(&holder).expect("a holder serializes");
                    file.write_all(&text).map_err(io_error)?;
                    return Ok(Lock { path, took_over });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let existing = fs::read_to_string(&path)
                        .ok()
                        .and_then(|t| serde_json::from_str::<Holder>(&t).ok());
                    match existing {
                        Some(other) if is_alive(&other) => return Err(LockError::Held(other)),
                        // Dead holder, or a lock file left half-written: take it over.
                        stale => {
                            took_over = stale;
                            fs::remove_file(&path).map_err(io_error)?;
                        }
                    }
                }
                Err(e) => return Err(io_error(e)),
            }
        }
        Err(io_error(io::Error::other(
            "the lock changed hands while it was being taken over",
        )))
    }
}

/// This process, as a lock holder.
pub fn this_process() -> Holder {
    Holder {
        pid: std::process::id(),
        host: host_name(),
        started_at: jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
    }
}

fn host_name() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".into())
}

/// Whether the holder's process still runs. A holder on another host (a shared state
/// directory) cannot be checked from here and counts as alive.
fn is_alive(holder: &Holder) -> bool {
    if holder.host != host_name() {
        return true;
    }
    if holder.pid == std::process::id() {
        return true;
    }
    if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{}", holder.pid)).exists()
    } else {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_is_exclusive_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::at(dir.path());
        let lock = state.lock("acme", this_process()).unwrap();
        assert_eq!(lock.took_over, None);
        // Held by a live process (this one, as another holder on the same host).
        let err = state.lock("acme", this_process()).unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        drop(lock);
        assert!(state.lock("acme", this_process()).is_ok());
    }

    #[test]
    fn a_dead_holders_lock_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::at(dir.path());
        let dead = Holder {
            pid: u32::MAX - 1,
            host: host_name(),
            started_at: "2026-11-01T02:00:00Z".into(),
        };
        let path = state.org_file("acme", "lock");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, serde_json::to_vec(&dead).unwrap()).unwrap();
        let lock = state.lock("acme", this_process()).unwrap();
        assert_eq!(lock.took_over, Some(dead));
    }

    #[test]
    fn last_runs_are_kept_per_org() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::at(dir.path());
        assert_eq!(state.last_run("acme"), None);
        let run = LastRun {
            rows: 120,
            finished_at: "2026-11-24T02:00:00Z".into(),
            report: "r.csv".into(),
        };
        state.record_run("acme", &run).unwrap();
        assert_eq!(state.last_run("acme"), Some(run));
        assert_eq!(state.last_run("a/../cme"), None);
    }
}
