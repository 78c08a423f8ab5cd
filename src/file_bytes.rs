//! The bytes of an input file, mapped into memory rather than copied when the file is large.
//!
//! Why: reading a 20 MB export with `read` copies it out of the page cache into pages the
//! kernel must first zero, and on a shared machine that zeroing is the most variable cost of a
//! run (`docs/performance.md`, P6). A mapping uses the page cache's own pages: no copy, no
//! fresh pages. ripgrep maps large files for the same reason.
//!
//! The one hazard of a mapping is a file shortened by another process while it is read, which
//! would end the process with SIGBUS instead of an error. Small files (where a copy costs
//! nothing), and anything that is not a regular file (a pipe, `/dev/stdin`), are read instead.

use std::fs::File;
use std::io::Read;
use std::ops::Deref;
use std::path::Path;

use memmap2::Mmap;

/// Files at least this large are mapped; smaller ones are read.
const MAP_FROM_BYTES: u64 = 1 << 20;

/// A file's contents, mapped or read.
#[derive(Debug)]
pub enum FileBytes {
    Mapped(Mmap),
    Read(Vec<u8>),
}

impl FileBytes {
    /// The contents of `path`: mapped when it is a regular file of at least 1 MiB.
    pub fn open(path: &Path) -> std::io::Result<FileBytes> {
        let mut file = File::open(path)?;
        let meta = file.metadata()?;
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
        let mapped = FileBytes::open(&large).unwrap();
        assert!(matches!(mapped, FileBytes::Mapped(_)));
        assert_eq!(&*mapped, &content[..]);
    }

    #[test]
    fn a_missing_file_is_an_error_not_a_panic() {
        assert!(FileBytes::open(Path::new("/no/such/file.csv")).is_err());
    }
}
