//! The per-organization lock: one `apply` (or `rollback`) of an organization at a time.
//!
//! Cron does not know a run is still going when the next one starts; two syncs of one org
//! interleaving their writes would each report a truth the other undid. The lock is the
//! operating system's advisory lock on `orgs/<org>.lock` (`flock` on Unix, `LockFileEx` on
//! Windows, through std's `File::try_lock`), not the file's existence:
//!
//! - it is exclusive by construction: the kernel gives it to one open file at a time, so two
//!   runs started at the same moment cannot both believe they hold it;
//! - it ends with its process, however that ends (SIGKILL, a crash, a container stopped): no
//!   stale lock to judge, no PID to compare, so a reused PID (a container's run is always
//!   PID 1, on the same host name) never blocks the next run.
//!
//! The file is therefore never deleted: a run that deleted it while another waited to lock it
//! would leave the two holding locks on two different files. Its content is only a label: the
//! holder writes who it is (pid, host, start, version, what it syncs) once it holds the lock,
//! and empties the file when it lets go. A run that finds the lock taken reads that label to
//! name the holder; one that takes the lock and finds a label left behind knows the run before
//! it ended without letting go, and says so.

use std::fs::{self, File, TryLockError};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{StateDir, create_parent};

/// Who holds a lock: what its file says.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Holder {
    pub pid: u32,
    pub host: String,
    pub started_at: String,
    /// The member-sync version (not in the lock files of earlier versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// What it syncs: the input, or the sync's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync: Option<String>,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pid {} on {}, started {}",
            self.pid, self.host, self.started_at
        )?;
        match &self.sync {
            Some(sync) => write!(f, ", syncing {sync}"),
            None => Ok(()),
        }
    }
}

/// Why a lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another member-sync run is applying changes to this organization ({})", named(.holder, .path))]
    Held {
        /// What the lock file says, if it says anything.
        holder: Option<Box<Holder>>,
        path: PathBuf,
    },
    #[error("cannot use the lock file {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
}

fn named(holder: &Option<Box<Holder>>, path: &Path) -> String {
    match holder {
        Some(holder) => holder.to_string(),
        None => format!("{} does not say who holds it", path.display()),
    }
}

/// A held lock. Dropping it empties the file and lets go; a process that ends without
/// dropping it (killed) lets go all the same, and leaves its label behind.
#[derive(Debug)]
pub struct Lock {
    file: File,
    /// The label of a run that ended without letting go (killed, crashed), if one was left.
    pub took_over: Option<Holder>,
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// How long a run that finds the lock taken waits for the holder's label: a holder writes it
/// right after taking the lock, so only a run that looks in between waits at all.
const LABEL_WAIT: Duration = Duration::from_secs(1);

impl StateDir {
    /// Takes the lock of `org` without waiting, or says who holds it.
    pub fn lock(&self, org: &str, holder: Holder) -> Result<Lock, LockError> {
        let path = self.org_file(org, "lock");
        let io_error = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        create_parent(&path).map_err(io_error)?;
        let mut file = open_lock_file(&path).map_err(io_error)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = wait_for_label(&path).map(Box::new);
                return Err(LockError::Held { holder, path });
            }
            Err(TryLockError::Error(e)) => return Err(io_error(e)),
        }
        let mut left = String::new();
        // Unreadable is as good as empty: it is overwritten next.
        let _ = file.read_to_string(&mut left);
        let label = serde_json::to_vec(&holder).expect("a holder serializes");
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(&label))
            .map_err(io_error)?;
        Ok(Lock {
            file,
            took_over: serde_json::from_str(&left).ok(),
        })
    }
}

/// Opens (or creates) the lock file, never truncating it: only the holder may change it.
fn open_lock_file(path: &Path) -> io::Result<File> {
    let mut options = File::options();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    crate::output_file::make_private(&file)?;
    Ok(file)
}

/// The holder's label, waiting up to [`LABEL_WAIT`] for a holder that has just taken the lock
/// to write it. (On Windows a locked file cannot be read: the holder goes unnamed there.)
fn wait_for_label(path: &Path) -> Option<Holder> {
    let started = std::time::Instant::now();
    loop {
        let label = fs::read_to_string(path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok());
        if label.is_some() || started.elapsed() >= LABEL_WAIT {
            return label;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// This process, as a lock holder; `sync` says what it syncs.
pub fn this_process(sync: Option<String>) -> Holder {
    Holder {
        pid: std::process::id(),
        host: host_name(),
        started_at: jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
        version: Some(env!("CARGO_PKG_VERSION").into()),
        sync,
    }
}

fn host_name() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        // Windows has neither file; it names the machine in the environment.
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "unknown-host".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holder(pid: u32) -> Holder {
        Holder {
            pid,
            host: host_name(),
            started_at: "2026-11-24T02:15:01Z".into(),
            version: None,
            sync: None,
        }
    }

    #[test]
    fn a_lock_is_exclusive_names_its_holder_and_is_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::at(dir.path());
        let lock = state
            .lock("acme", this_process(Some("nightly".into())))
            .unwrap();
        assert_eq!(lock.took_over, None);
        // Another open file of this same process is another would-be holder.
        let err = state.lock("acme", holder(7)).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(&format!("(pid {} on ", std::process::id())),
            "{text}"
        );
        assert!(text.ends_with(", syncing nightly)"), "{text}");
        drop(lock);
        let path = state.org_file("acme", "lock");
        assert_eq!(fs::read_to_string(&path).unwrap(), "", "kept, and empty");
        let again = state.lock("acme", holder(8)).unwrap();
        assert_eq!(again.took_over, None);
    }

    #[test]
    fn a_label_left_behind_is_reported_whatever_its_pid() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::at(dir.path());
        // A run killed while holding the lock: its label stays, naming a PID that may well be
        // alive again (this very process).
        let path = state.org_file("acme", "lock");
        create_parent(&path).unwrap();
        let left = holder(std::process::id());
        fs::write(&path, serde_json::to_vec(&left).unwrap()).unwrap();
        let lock = state.lock("acme", holder(9)).unwrap();
        assert_eq!(lock.took_over, Some(left));
        let label: Holder = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(label, holder(9));
    }

    #[test]
    fn a_lock_held_without_a_label_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::at(dir.path());
        let path = state.org_file("acme", "lock");
        create_parent(&path).unwrap();
        let other = File::create(&path).unwrap();
        other.try_lock().unwrap();
        let err = state.lock("acme", holder(1)).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("acme.lock does not say who holds it)"),
            "{err}"
        );
    }

    #[test]
    fn labels_of_earlier_versions_still_read() {
        let old = r#"{"pid":48213,"host":"sync-01","started_at":"2026-11-24T02:15:01Z"}"#;
        let label: Holder = serde_json::from_str(old).unwrap();
        assert_eq!(
            label.to_string(),
            "pid 48213 on sync-01, started 2026-11-24T02:15:01Z"
        );
    }
}
