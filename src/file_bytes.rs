//! The bytes of an input file, mapped into memory rather than copied when the file is large;
//! `-` for standard input; and why an input cannot be read, in words that say what to do.
//!
//! Why map: reading a 20 MB export with `read` copies it out of the page cache into pages the
//! kernel must first zero, and on a shared machine that zeroing is the most variable cost of a
//! run (`docs/performance.md`, P6). A mapping uses the page cache's own pages: no copy, no
//! fresh pages. ripgrep maps large files for the same reason.
//!
//! The one hazard of a mapping is a file shortened by another process while it is read, which
//! would end the process with SIGBUS instead of an error. Small files (where a copy costs
//! nothing), and anything that is not a regular file (a pipe, standard input), are read
//! instead.
//!
//! Standard input (`curl … | member-sync apply -`) is read to its end before anything else
//! happens, like a file, so every later stage sees the same bytes. A terminal is refused: an
//! export is piped in, and a run waiting for someone to type one would look hung.

use std::borrow::Cow;
use std::fs::File;
use std::io::{IsTerminal, Read};
use std::ops::Deref;
use std::path::Path;

use memmap2::Mmap;

/// Files at least this large are mapped; smaller ones are read.
const MAP_FROM_BYTES: u64 = 1 << 20;

/// The input path that means standard input.
pub const STANDARD_INPUT: &str = "-";

/// Whether `path` is `-`, standard input. (A file named `-` is `./-`.)
pub fn is_standard_input(path: &Path) -> bool {
    path.as_os_str() == STANDARD_INPUT
}

/// How messages name an input: `standard input` for `-`, else its path.
pub fn input_name(path: &Path) -> Cow<'_, str> {
    if is_standard_input(path) {
        Cow::Borrowed("standard input")
    } else {
        path.to_string_lossy()
    }
}

/// A file's contents, mapped or read.
#[derive(Debug)]
pub enum FileBytes {
    Mapped(Mmap),
    Read(Vec<u8>),
}

/// Why an input cannot be read: the reason (after `cannot read PATH: `) and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub reason: String,
    pub hint: Option<String>,
}

impl FileBytes {
    /// The contents of `path`: mapped when it is a regular file of at least 1 MiB.
    pub fn open(path: &Path) -> std::io::Result<FileBytes> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        FileBytes::of(file, &meta)
    }

    /// The input named on the command line: `-` is standard input; a directory, a file this
    /// user may not read and a terminal are refused saying so.
    pub fn open_input(path: &Path) -> Result<FileBytes, Unreadable> {
        if is_standard_input(path) {
            return read_standard_input();
        }
        let file = File::open(path).map_err(|e| Unreadable::of(&e))?;
        let meta = file.metadata().map_err(|e| Unreadable::of(&e))?;
        if meta.is_dir() {
            return Err(Unreadable::directory(path));
        }
        FileBytes::of(file, &meta).map_err(|e| Unreadable::of(&e))
    }

    fn of(mut file: File, meta: &std::fs::Metadata) -> std::io::Result<FileBytes> {
        if meta.is_file() && meta.len() >= MAP_FROM_BYTES {
            // SAFETY: the mapping is read-only and private to this process. Its contents are
            // only undefined if another process truncates or rewrites the file while this run
            // reads it; the module doc says why that risk is taken for large files only.
            if let Ok(map) = unsafe { Mmap::map(&file) } {
                return Ok(FileBytes::Mapped(map));
            }
        }
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        file.read_to_end(&mut bytes)?;
        Ok(FileBytes::Read(bytes))
    }
}

fn read_standard_input() -> Result<FileBytes, Unreadable> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(Unreadable {
            reason: "it is a terminal, not a piped export".into(),
            hint: Some(
                "pipe the export in (curl … | member-sync apply -), or give its path instead \
                 of -"
                    .into(),
            ),
        });
    }
    let mut bytes = Vec::new();
    stdin
        .lock()
        .read_to_end(&mut bytes)
        .map_err(|e| Unreadable::of(&e))?;
    Ok(FileBytes::Read(bytes))
}

impl Unreadable {
    /// An I/O error in words, with a hint for the causes a person can fix.
    fn of(error: &std::io::Error) -> Unreadable {
        use std::io::ErrorKind;
        match error.kind() {
            ErrorKind::PermissionDenied => Unreadable {
                reason: "permission denied".into(),
                hint: Some(
                    "this user may not read the file: check its owner and mode (ls -l), or run \
                     as a user who may read it"
                        .into(),
                ),
            },
            ErrorKind::NotFound => Unreadable {
                reason: error.to_string(),
                hint: Some(
                    "check the path; a relative path starts in the directory the command runs in"
                        .into(),
                ),
            },
            _ => Unreadable {
                reason: error.to_string(),
                hint: None,
            },
        }
    }

    /// A directory given as the input: the hint names an export in it, when there is one.
    fn directory(path: &Path) -> Unreadable {
        let is_export = |file: &Path| {
            file.extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase)
                .is_some_and(|e| matches!(e.as_str(), "csv" | "tsv" | "txt" | "xlsx" | "xls"))
        };
        let example = std::fs::read_dir(path).ok().and_then(|entries| {
            entries
                .filter_map(|entry| Some(entry.ok()?.path()))
                .filter(|file| is_export(file))
                .min()
        });
        Unreadable {
            reason: "it is a directory, not a file".into(),
            hint: Some(match example {
                Some(file) => format!("give the export file's path, such as {}", file.display()),
                None => "give the export file's path, not its directory's".into(),
            }),
        }
    }
}

impl Deref for FileBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(map) => map,
            FileBytes::Read(bytes) => bytes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_files_are_read_and_large_ones_mapped_with_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("small.csv");
        std::fs::write(&small, "email\na@example.com\n").unwrap();
        let read = FileBytes::open(&small).unwrap();
        assert!(matches!(read, FileBytes::Read(_)));
        assert_eq!(&*read, b"email\na@example.com\n");

        let large = dir.path().join("large.csv");
        let content: Vec<u8> = (0..(MAP_FROM_BYTES + 7))
            .map(|i| b'a' + (i % 26) as u8)
            .collect();
        std::fs::write(&large, &content).unwrap();
        let mapped = FileBytes::open_input(&large).unwrap();
        assert!(matches!(mapped, FileBytes::Mapped(_)));
        assert_eq!(&*mapped, &content[..]);
    }

    #[test]
    fn a_missing_file_is_an_error_not_a_panic() {
        assert!(FileBytes::open(Path::new("/no/such/file.csv")).is_err());
        let missing = FileBytes::open_input(Path::new("/no/such/file.csv")).unwrap_err();
        assert!(missing.hint.unwrap().starts_with("check the path"));
    }

    #[test]
    fn a_directory_is_named_as_one_with_an_export_in_it() {
        let dir = tempfile::tempdir().unwrap();
        let refused = FileBytes::open_input(dir.path()).unwrap_err();
        assert_eq!(refused.reason, "it is a directory, not a file");
        assert_eq!(
            refused.hint.as_deref(),
            Some("give the export file's path, not its directory's")
        );
        std::fs::write(dir.path().join("notes.md"), "").unwrap();
        std::fs::write(dir.path().join("staff.CSV"), "").unwrap();
        let hint = FileBytes::open_input(dir.path()).unwrap_err().hint.unwrap();
        assert!(hint.ends_with("staff.CSV"), "{hint}");
    }

    #[test]
    fn only_a_lone_dash_is_standard_input() {
        assert!(is_standard_input(Path::new("-")));
        assert!(!is_standard_input(Path::new("./-")));
        assert!(!is_standard_input(Path::new("-.csv")));
        assert_eq!(input_name(Path::new("-")), "standard input");
        assert_eq!(input_name(Path::new("a/b.csv")), "a/b.csv");
    }
}
