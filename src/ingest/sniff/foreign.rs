//! Files that are no export at all, named for what they are: compressed (gzip, bzip2, xz,
//! zstd), an archive (7-Zip, RAR, a ZIP holding a CSV), a PDF, an image.
//!
//! Read as text, each of these fails on its first byte that is not UTF-8, and the hint for
//! that (a Windows-1252 export) sends the user the wrong way: a gzip file run again with
//! `--encoding windows-1252` decodes into garbage and fails later, further from the cause.
//! Their first bytes say what they are for sure, so they are refused by name, with the step
//! that makes them readable. A ZIP archive is a workbook only if it holds a workbook's parts;
//! one that holds `staff.csv` is refused naming it.

use crate::ingest::Refusal;

/// A format recognized by its first bytes that is not an export.
#[derive(Debug, PartialEq, Eq)]
pub struct Foreign {
    magic: &'static [u8],
    /// What the file is, after "the file is ".
    pub what: &'static str,
    /// How to decompress it in place, and to standard output, for compressed text.
    decompress: Option<(&'static str, &'static str)>,
}

const FOREIGN: &[Foreign] = &[
    compressed(b"\x1f\x8b", "compressed with gzip", ("gunzip", "gunzip -c")),
    compressed(b"BZh", "compressed with bzip2", ("bunzip2", "bunzip2 -c")),
    compressed(b"\xfd7zXZ\x00", "compressed with xz", ("unxz", "xz -dc")),
    compressed(
        b"\x28\xb5\x2f\xfd",
        "compressed with zstd",
        ("unzstd", "zstd -dc"),
    ),
    other(b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    other(b"Rar!\x1a\x07", "a RAR archive"),
    other(b"%PDF-", "a PDF document"),
    other(b"\x89PNG\r\n\x1a\n", "a PNG image"),
    other(b"\xff\xd8\xff", "a JPEG image"),
];

const fn compressed(
    magic: &'static [u8],
    what: &'static str,
    decompress: (&'static str, &'static str),
) -> Foreign {
    Foreign {
        magic,
        what,
        decompress: Some(decompress),
    }
}

const fn other(magic: &'static [u8], what: &'static str) -> Foreign {
    Foreign {
        magic,
        what,
        decompress: None,
    }
}

/// The hint for a file that is not an export, nor something that holds one.
const EXPORT_AGAIN: &str = "member-sync reads CSV, TSV and Excel workbooks: export the data \
                            from its source as \"CSV UTF-8\" or as a workbook";

impl Foreign {
    /// The refusal: what the file is, and what to do.
    pub fn refusal(&self) -> Refusal {
        let refusal = Refusal::new(format!("the file is {}, not text", self.what));
        match self.decompress {
            Some((in_place, to_stdout)) => refusal.hint(format!(
                "decompress it first ({in_place} FILE), or pipe it in decompressed: \
                 {to_stdout} FILE | member-sync apply -"
            )),
            None if self.what.ends_with("archive") => refusal.hint(
                "extract the export from the archive and give its path (or pipe it in with -)",
            ),
            None => refusal.hint(EXPORT_AGAIN),
        }
    }
}

/// The format of `bytes` when its first bytes name one that is no export.
pub fn foreign(bytes: &[u8]) -> Option<&'static Foreign> {
    FOREIGN.iter().find(|f| {
        bytes.starts_with(f.magic)
            // bzip2: `BZh`, a block size digit, then the block header's magic (π).
            && (f.magic != b"BZh" || bytes.get(4..10) == Some(b"1AY&SY"))
    })
}

/// A ZIP archive whose entries are listed and are not a workbook's (no `[Content_Types].xml`,
/// no `xl/`, no OpenDocument `mimetype`): refused naming what it holds. `None` for a
/// workbook, and for an archive too broken to list (the workbook reader says why).
pub fn zip_without_workbook(bytes: &[u8]) -> Option<Refusal> {
    let names = zip_entry_names(bytes)?;
    let is_workbook_part =
        |name: &str| name == "[Content_Types].xml" || name == "mimetype" || name.starts_with("xl/");
    if names.is_empty() || names.iter().any(|n| is_workbook_part(n)) {
        return None;
    }
    let shown: Vec<String> = names.iter().take(3).map(|n| format!("`{n}`")).collect();
    let holds = match names.len() {
        1 => shown[0].clone(),
        n if n <= 3 => format!("{} and {}", shown[..n - 1].join(", "), shown[n - 1]),
        n => format!("{} and {} more files", shown.join(", "), n - 3),
    };
    let is_export = |name: &&String| {
        let name = name.to_ascii_lowercase();
        [".csv", ".tsv", ".txt", ".xlsx"]
            .iter()
            .any(|e| name.ends_with(e))
    };
    let inside = names.iter().find(is_export).unwrap_or(&names[0]);
    Some(
        Refusal::new(format!(
            "the file is a ZIP archive of {holds}, not a workbook"
        ))
        .hint(format!(
            "unzip it and give the export inside, or pipe it in: unzip -p FILE {inside} | \
                 member-sync apply -"
        )),
    )
}

/// The names in a ZIP archive's central directory (read from its end record), or `None` when
/// there is no readable directory (ZIP64 included: no export is that large).
fn zip_entry_names(bytes: &[u8]) -> Option<Vec<String>> {
    const END: &[u8] = b"PK\x05\x06";
    const ENTRY: &[u8] = b"PK\x01\x02";
    let u16_at = |at: usize| Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?));
    let u32_at = |at: usize| Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?));
    // The end record is the last 22 bytes, before a comment of at most 65,535.
    let search_from = bytes.len().saturating_sub(22 + usize::from(u16::MAX));
    let end = search_from + memchr::memmem::rfind(&bytes[search_from..], END)?;
    let count = u16_at(end + 10)?;
    let mut at = usize::try_from(u32_at(end + 16)?).ok()?;
    let mut names = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        if bytes.get(at..at + 4)? != ENTRY {
            return None;
        }
        let name_len = usize::from(u16_at(at + 28)?);
        let rest = usize::from(u16_at(at + 30)?) + usize::from(u16_at(at + 32)?);
        let name = bytes.get(at + 46..at + 46 + name_len)?;
        names.push(String::from_utf8_lossy(name).into_owned());
        at += 46 + name_len + rest;
    }
    Some(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressed_files_and_documents_are_named() {
        let gzip = foreign(b"\x1f\x8b\x08\x00rest").unwrap();
        assert_eq!(
            gzip.refusal().message,
            "the file is compressed with gzip, not text"
        );
        assert!(
            gzip.refusal()
                .hint
                .unwrap()
                .contains("gunzip -c FILE | member-sync")
        );
        assert_eq!(
            foreign(b"BZh91AY&SYrest").unwrap().what,
            "compressed with bzip2"
        );
        assert_eq!(foreign(b"%PDF-1.4\n").unwrap().what, "a PDF document");
        let rar = foreign(b"Rar!\x1a\x07\x01\x00").unwrap().refusal();
        assert!(rar.hint.unwrap().starts_with("extract the export"));
    }

    #[test]
    fn text_is_not_foreign() {
        assert_eq!(foreign(b"email,team\n"), None);
        assert_eq!(
            foreign(b"BZh,email\nx,y\n"),
            None,
            "a header that starts BZh"
        );
        assert_eq!(foreign(b""), None);
    }

    #[test]
    fn broken_or_empty_archives_are_left_to_the_workbook_reader() {
        assert_eq!(zip_without_workbook(b"PK\x03\x04garbage"), None);
        assert_eq!(
            zip_without_workbook(b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"),
            None
        );
        // A directory entry pointing past the end.
        assert_eq!(
            zip_without_workbook(b"PK\x05\x06\0\0\0\0\x01\0\x01\0\0\0\0\0\xff\xff\0\0\0\0"),
            None
        );
    }
}
