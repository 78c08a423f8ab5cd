//! Output-file safety: how every file member-sync writes is created, and when it is refused.
//! Every writer (the report, the summary JSON, a saved plan, an export, `validate`'s report,
//! the state files) goes through here, so the rules are the same for all of them:
//!
//! - **Private.** These files hold names, emails, phones and roles: they are created `0600`,
//!   and directories member-sync creates `0700`, whatever the umask (the mode is set on the
//!   open file, not left to the umask). On other platforms the files get the default access of
//!   their directory.
//! - **Never clobbering.** An existing path is refused unless the output may replace it:
//!   `--overwrite` for `plan --out` and `export --out`; the summary JSON replaces only an
//!   earlier summary (it is meant to be rewritten each night); the report never.
//! - **Never through a link.** A symbolic link at the path is refused, whatever the policy. A
//!   whole file is written to a temporary file beside it and renamed into place, so the path
//!   holds the old file or the new one, never half of one, and a rename replaces a name: it
//!   never writes through a link that appears meanwhile. The report, written line by line as
//!   the run goes, is created with `O_EXCL`, which refuses a link as it refuses any file.
//! - **Apart.** No output may name an input of the run or another output ([`check_apart`]).
//!
//! Refusals say what is wrong and what to do, for the cause they have: the path exists, is a
//! link or a directory, its directory is missing, or writing there is denied ([`Refused`]).

mod apart;
mod refused;

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;

pub use apart::{Input, check_apart};
pub use refused::Refused;

use refused::Cause;

/// What an output does when its path already exists.
#[derive(Debug, Clone, Copy)]
pub enum IfExists {
    /// Refuse (the report; `--out` without `--overwrite`).
    Refuse,
    /// Replace a regular file (`--overwrite`; member-sync's own state files).
    Replace,
    /// Replace a regular file that passes `check` (its first bytes), refuse any other: the
    /// summary JSON replaces only an earlier summary.
    ReplaceIf {
        check: fn(&[u8]) -> bool,
        /// What `check` accepts, for the refusal: "a summary of an earlier run".
        expected: &'static str,
    },
}

/// One file a run writes, and the flag that named it (for messages).
#[derive(Debug, Clone, Copy)]
pub struct Output<'p> {
    pub path: &'p Path,
    /// What it is, for messages: "report", "plan", "summary".
    pub what: &'static str,
    pub flag: &'static str,
    pub if_exists: IfExists,
    /// The flag that replaces an existing file, when there is one (`--overwrite`).
    pub overwrite_flag: Option<&'static str>,
}

impl<'p> Output<'p> {
    /// A report (`--report` of a run, or of `validate`): never replaced.
    pub fn report(path: &'p Path) -> Output<'p> {
        Output::refusing(path, "report", "--report")
    }

    /// `plan --out`: replaced only with `--overwrite`.
    pub fn plan(path: &'p Path, overwrite: bool) -> Output<'p> {
        Output::replaceable(path, "plan", "--out", overwrite)
    }

    /// `export --out`: replaced only with `--overwrite`.
    pub fn export(path: &'p Path, overwrite: bool) -> Output<'p> {
        Output::replaceable(path, "export", "--out", overwrite)
    }

    /// A file of the state directory, member-sync's own: replaced.
    pub fn state(path: &'p Path) -> Output<'p> {
        Output {
            path,
            what: "state file",
            flag: "--state-dir",
            if_exists: IfExists::Replace,
            overwrite_flag: None,
        }
    }

    /// `sandbox --journal`: rehearsals are run again and again, so an earlier journal (JSON
    /// lines, or empty) is replaced; any other file is refused.
    pub fn journal(path: &'p Path) -> Output<'p> {
        Output {
            path,
            what: "journal",
            flag: "--journal",
            if_exists: IfExists::ReplaceIf {
                check: |first| first.is_empty() || first.starts_with(b"{\""),
                expected: "a journal of an earlier sandbox",
            },
            overwrite_flag: None,
        }
    }

    fn refusing(path: &'p Path, what: &'static str, flag: &'static str) -> Output<'p> {
        Output {
            path,
            what,
            flag,
            if_exists: IfExists::Refuse,
            overwrite_flag: None,
        }
    }

    fn replaceable(
        path: &'p Path,
        what: &'static str,
        flag: &'static str,
        overwrite: bool,
    ) -> Self {
        Output {
            if_exists: if overwrite {
                IfExists::Replace
            } else {
                IfExists::Refuse
            },
            overwrite_flag: Some("--overwrite"),
            ..Output::refusing(path, what, flag)
        }
    }

    /// Whether the output could be written now: called before a run starts, so that a path
    /// that would be refused at the end stops the run before anything is read or sent.
    pub fn check(&self) -> Result<(), Refused> {
        self.cause_to_refuse()
            .map_or(Ok(()), |cause| Err(self.refused(cause)))
    }

    /// Writes the whole file: to a temporary file beside the path, then renamed into place.
    pub fn write(&self, bytes: &[u8]) -> Result<(), Refused> {
        self.write_with(|out| out.write_all(bytes))
    }

    /// Writes the whole file as `fill` writes it, then renames it into place.
    pub fn write_with(
        &self,
        fill: impl FnOnce(&mut BufWriter<&File>) -> io::Result<()>,
    ) -> Result<(), Refused> {
        self.check()?;
        let io = |e: io::Error| self.refused(Cause::of(self.path, e));
        let temporary = tempfile::Builder::new()
            .prefix(&format!(".{}.", self.file_name()))
            .suffix(".tmp")
            .tempfile_in(parent_dir(self.path))
            .map_err(io)?;
        make_private(temporary.as_file()).map_err(io)?;
        let mut out = BufWriter::new(temporary.as_file());
        fill(&mut out).map_err(io)?;
        out.flush().map_err(io)?;
        drop(out);
        temporary.as_file().sync_all().map_err(io)?;
        let persisted = match self.if_exists {
            IfExists::Refuse => temporary.persist_noclobber(self.path),
            IfExists::Replace | IfExists::ReplaceIf { .. } => {
                // Checked again just before the rename: what is there now is what goes.
                self.check()?;
                temporary.persist(self.path)
            }
        };
        persisted.map(drop).map_err(|e| io(e.error))
    }

    /// Creates the file for writing as the run goes (the report): `O_EXCL`, so an existing
    /// file or link is refused, and private.
    pub fn create_new(&self) -> Result<File, Refused> {
        create_new(self.path).map_err(|e| self.refused(Cause::of(self.path, e)))
    }

    /// The refusal of this output for an error met writing it, worded for its cause.
    pub fn refused_by(&self, error: io::Error) -> Refused {
        self.refused(Cause::of(self.path, error))
    }

    /// A refusal of this output, worded for `cause`.
    fn refused(&self, cause: Cause) -> Refused {
        Refused::new(self, cause)
    }

    /// Why the path cannot take this output now, if it cannot.
    fn cause_to_refuse(&self) -> Option<Cause> {
        let meta = match fs::symlink_metadata(self.path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return missing_parent(self.path).map(Cause::MissingDirectory);
            }
            Err(e) => return Some(Cause::of(self.path, e)),
        };
        if meta.file_type().is_symlink() {
            return Some(Cause::Symlink);
        }
        if meta.is_dir() {
            return Some(Cause::Directory);
        }
        match self.if_exists {
            IfExists::Refuse => Some(Cause::Exists),
            IfExists::Replace if meta.is_file() => None,
            IfExists::ReplaceIf { check, expected } if meta.is_file() => {
                (!check(&first_bytes(self.path))).then_some(Cause::NotExpected(expected))
            }
            // A device, a pipe, a socket: never replaced.
            IfExists::Replace | IfExists::ReplaceIf { .. } => Some(Cause::NotAFile),
        }
    }

    fn file_name(&self) -> String {
        self.path
            .file_name()
            .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned())
    }
}

/// Creates `path` for writing, refusing any existing file or link (`O_EXCL`), readable and
/// writable by its owner only.
pub fn create_new(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    make_private(&file)?;
    Ok(file)
}

/// Creates `dir` and any missing parent, each new one `0700` (existing ones are left as they
/// are: their owner chose their mode).
pub fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_private_dir_all(parent)?;
    }
    #[cfg_attr(not(unix), allow(unused_mut))] // Windows directories have no mode to set
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    match builder.create(dir) {
        Ok(()) => set_mode(dir, 0o700),
        // Made meanwhile by another run: theirs.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(e),
    }
}

/// `--report-dir`: created (private) when missing.
pub fn ensure_report_dir(dir: &Path) -> Result<(), Refused> {
    create_private_dir_all(dir).map_err(|e| {
        Refused::with_hint(
            format!("cannot create the report directory {}: {e}", dir.display()),
            "choose another directory with --report-dir, or create it first",
        )
    })
}

/// The mode is set on the open file: the umask only ever removes bits from what `open` asks.
pub fn make_private(file: &File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

fn set_mode(dir: &Path, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = (dir, mode);
    Ok(())
}

/// The directory a path's file goes in (`.` for a bare name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// The directory of `path` when it does not exist.
fn missing_parent(path: &Path) -> Option<std::path::PathBuf> {
    let parent = parent_dir(path);
    (!parent.exists()).then(|| parent.to_path_buf())
}

/// The start of an existing file: enough to recognize a summary, never a whole large file.
fn first_bytes(path: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    if let Ok(file) = File::open(path) {
        let _ = file.take(64 * 1024).read_to_end(&mut bytes);
    }
    bytes
}

#[cfg(test)]
mod tests;
