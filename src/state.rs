//! What member-sync remembers between runs, per organization: the baseline of each sync for
//! the source-shrink guard (`syncs.rs`), how long each member has been absent from each sync's
//! input for the leaver grace period (`leavers.rs`), and the lock that keeps two runs from
//! writing at once (`lock.rs`).
//!
//! The directory is `--state-dir`, else `MEMBER_SYNC_STATE_DIR`, else
//! `$XDG_STATE_HOME/member-sync`, else (Windows) `%LOCALAPPDATA%\member-sync`, else
//! `~/.local/state/member-sync`. Every file of an
//! organization is `orgs/<org>.<kind>` in it. Its files name the reports and hosts of runs:
//! directories are created `0700` and files `0600`, as every output is (`crate::output_file`).

use std::io;
use std::path::{Path, PathBuf};

use crate::env_vars;
use crate::output_file;

mod leavers;
mod lock;
mod syncs;

pub use leavers::{Absence, GraceRun, LeaverGrace};
pub use lock::{Holder, Lock, LockError, this_process};
pub use syncs::{LastRun, SyncIdentity};

/// The state directory of this user.
#[derive(Debug, Clone)]
pub struct StateDir {
    root: PathBuf,
}

impl StateDir {
    /// The directory to use: `flag`, else the environment, else the XDG default.
    pub fn resolve(flag: Option<&Path>) -> Option<StateDir> {
        let root = flag.map(Path::to_path_buf).or_else(|| {
            default_root(cfg!(windows), |name| {
                std::env::var_os(name)
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            })
        })?;
        Some(StateDir { root })
    }

    pub fn at(root: impl Into<PathBuf>) -> StateDir {
        StateDir { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `orgs/<org>.<kind>`.
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
}

/// Windows sets no `HOME` for cmd, PowerShell or a scheduled task, only `LOCALAPPDATA`: without
/// it a scheduled run there would have no state directory, so no lock and no shrink baseline.
fn default_root(windows: bool, var: impl Fn(&str) -> Option<PathBuf>) -> Option<PathBuf> {
    var(env_vars::STATE_DIR)
        .or_else(|| var("XDG_STATE_HOME").map(|p| p.join("member-sync")))
        .or_else(|| {
            windows
                .then(|| var("LOCALAPPDATA"))
                .flatten()
                .map(|p| p.join("member-sync"))
        })
        .or_else(|| var("HOME").map(|p| p.join(".local/state/member-sync")))
}

/// Creates the directory `path` lives in, private (`0700`) as every directory member-sync makes.
fn create_parent(path: &Path) -> io::Result<()> {
    output_file::create_private_dir_all(path.parent().expect("org files live in a directory"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_windows_state_is_kept_under_localappdata_unless_a_directory_is_named() {
        let local = PathBuf::from(r"C:\Users\it\AppData\Local");
        let env = |name: &str| match name {
            "LOCALAPPDATA" => Some(local.clone()),
            "HOME" => Some(PathBuf::from("/home/it")),
            _ => None,
        };
        assert_eq!(default_root(true, env), Some(local.join("member-sync")));
        let on_unix = PathBuf::from("/home/it/.local/state/member-sync");
        assert_eq!(default_root(false, env), Some(on_unix));
        let named = |name: &str| (name == env_vars::STATE_DIR).then(|| PathBuf::from("/srv/s"));
        assert_eq!(default_root(true, named), Some(PathBuf::from("/srv/s")));
    }
}
