//! Why an output was refused, worded for its cause: each cause has its own hint, so a missing
//! directory is not answered with advice about overwriting.

use std::io;
use std::path::{Path, PathBuf};

use super::{Output, missing_parent, parent_dir};

/// Why a path cannot take an output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The path exists and the output never replaces a file.
    Exists,
    Symlink,
    Directory,
    /// The path is there but is not a regular file (a device, a pipe).
    NotAFile,
    /// The path is a file that is not what this output may replace ("a summary of an
    /// earlier run").
    NotExpected(&'static str),
    /// The directory the file would go in does not exist.
    MissingDirectory(PathBuf),
    /// The directory the file would go in may not be written to.
    PermissionDenied(PathBuf),
    /// Anything else the system said.
    Io(String),
}

impl Cause {
    /// The cause of a failed create, rename or write of `path`.
    pub fn of(path: &Path, error: io::Error) -> Cause {
        let meta = std::fs::symlink_metadata(path).ok();
        match error.kind() {
            io::ErrorKind::AlreadyExists => match meta {
                Some(meta) if meta.file_type().is_symlink() => Cause::Symlink,
                Some(meta) if meta.is_dir() => Cause::Directory,
                _ => Cause::Exists,
            },
            io::ErrorKind::IsADirectory => Cause::Directory,
            io::ErrorKind::NotFound => match missing_parent(path) {
                Some(parent) => Cause::MissingDirectory(parent),
                None => Cause::Io(error.to_string()),
            },
            io::ErrorKind::PermissionDenied => {
                Cause::PermissionDenied(parent_dir(path).to_path_buf())
            }
            _ => Cause::Io(error.to_string()),
        }
    }
}

/// An output that cannot be written: what is wrong, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refused {
    pub message: String,
    pub hint: Option<String>,
}

impl Refused {
    pub(super) fn new(output: &Output<'_>, cause: Cause) -> Refused {
        let (path, flag, what) = (output.path.display(), output.flag, output.what);
        let (because, hint) = match cause {
            Cause::Exists => (
                "it exists".to_string(),
                match output.overwrite_flag {
                    Some(overwrite) => Some(format!(
                        "choose another path for {flag}, or add {overwrite} to replace it"
                    )),
                    None => Some(format!(
                        "an existing {what} is never overwritten: choose another path with {flag}{}",
                        if flag == "--report" {
                            ", or --report-dir DIR to keep reports named by time"
                        } else {
                            ""
                        }
                    )),
                },
            ),
            Cause::Symlink => (
                "it is a symbolic link".to_string(),
                Some(format!(
                    "member-sync never writes through a link: give {flag} the path of the file itself, or another path"
                )),
            ),
            Cause::Directory => (
                "it is a directory".to_string(),
                Some(if flag == "--report" {
                    format!(
                        "--report takes a file; to keep a report named by time in that directory, use --report-dir {path}"
                    )
                } else {
                    format!("{flag} takes a file, not a directory")
                }),
            ),
            Cause::NotAFile => (
                "it is not a regular file".to_string(),
                Some(format!("choose another path for {flag}")),
            ),
            Cause::NotExpected(expected) => (
                format!("it is not {expected}"),
                Some(format!(
                    "{flag} replaces only {expected}: choose another path, or move that file away"
                )),
            ),
            Cause::MissingDirectory(dir) => (
                "its directory is missing".to_string(),
                Some(format!(
                    "the directory {} does not exist: create it, or choose another {flag}",
                    dir.display()
                )),
            ),
            Cause::PermissionDenied(dir) => (
                "permission denied".to_string(),
                Some(format!(
                    "this user may not create files in {}: choose a directory it can write to with {flag}, or change that directory's permissions",
                    dir.display()
                )),
            ),
            Cause::Io(error) => (error, None),
        };
        Refused {
            message: format!("cannot write the {what} {path}: {because}"),
            hint,
        }
    }

    pub(super) fn with_hint(message: String, hint: &str) -> Refused {
        Refused {
            message,
            hint: Some(hint.to_string()),
        }
    }
}
