//! Item 14 (input): the hint fits the cause. A gzip file is not "probably Windows-1252", a ZIP
//! of a CSV is not a broken workbook, a forced delimiter that hides the key column says which
//! one would find it, and a file that cannot be read says why.

use super::*;

const STAFF: &str = "Work Email;Job Title;Department\n\
                     amelia.hart@acme.example;CTO;Engineering\n";

/// `bytes` gzip-compressed (stored blocks: a real gzip stream, no compressor needed).
fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    let mut blocks = bytes.chunks(65_535).peekable();
    if blocks.peek().is_none() {
        out.extend([1, 0, 0, 0xff, 0xff]);
    }
    while let Some(block) = blocks.next() {
        let len = block.len() as u16;
        out.push(u8::from(blocks.peek().is_none()));
        out.extend(len.to_le_bytes());
        out.extend((!len).to_le_bytes());
        out.extend(block);
    }
    out.extend([0; 4]); // CRC-32, unchecked here
    out.extend((bytes.len() as u32).to_le_bytes());
    out
}

#[test]
fn a_gzip_file_says_so_and_how_to_decompress_it() {
    let dir = tempfile::tempdir().unwrap();
    let input = file(dir.path(), "staff.csv.gz", gzip(STAFF.as_bytes()));

    let checked = validate(&input, &[]);

    checked
        .assert_code(1)
        .assert_stderr_contains(&format!(
            "error: {}: the file is compressed with gzip, not text",
            input.display()
        ))
        .assert_stderr_contains(
            "hint: decompress it first (gunzip FILE), or pipe it in decompressed: \
             gunzip -c FILE | member-sync apply -",
        );
    assert!(
        !checked.stderr.contains("Windows-1252"),
        "{}",
        checked.stderr
    );
}

#[test]
fn a_pdf_or_other_binary_file_says_what_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = file(
        dir.path(),
        "staff.csv",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
    );
    let binary = file(
        dir.path(),
        "dump.csv",
        b"email\x00\x01\x02\xff\xfe\x03data\x00\x10",
    );

    validate(&pdf, &[])
        .assert_code(1)
        .assert_stderr_contains("the file is a PDF document, not text")
        .assert_stderr_contains(
            "hint: member-sync reads CSV, TSV and Excel workbooks: export the data from its \
             source as \"CSV UTF-8\" or as a workbook",
        );
    let checked = validate(&binary, &[]);
    checked
        .assert_code(1)
        .assert_stderr_contains(
            "the file is binary, not text: byte 0x00 at offset 5 is a control character no \
             export holds",
        )
        .assert_stderr_contains("hint: member-sync reads CSV, TSV and Excel workbooks");
    assert!(
        !checked.stderr.contains("Windows-1252"),
        "{}",
        checked.stderr
    );
}

/// A ZIP archive of one stored (uncompressed) file.
fn zip_of(name: &str, content: &[u8]) -> Vec<u8> {
    let mut zip = Vec::new();
    let header = |signature: &[u8], zip: &mut Vec<u8>| {
        zip.extend(signature);
        zip.extend([20, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // version, flags, stored, time, date
        zip.extend([0; 4]); // CRC-32, unchecked here
        zip.extend((content.len() as u32).to_le_bytes());
        zip.extend((content.len() as u32).to_le_bytes());
        zip.extend((name.len() as u16).to_le_bytes());
    };
    header(b"PK\x03\x04", &mut zip);
    zip.extend([0, 0]);
    zip.extend(name.as_bytes());
    zip.extend(content);
    let directory = zip.len();
    zip.extend(b"PK\x01\x02\x14\x00");
    header(b"", &mut zip);
    zip.extend([0; 12]); // extra, comment, disk, attributes
    zip.extend(0u32.to_le_bytes());
    zip.extend(name.as_bytes());
    let size = zip.len() - directory;
    zip.extend(b"PK\x05\x06\0\0\0\0\x01\0\x01\0");
    zip.extend((size as u32).to_le_bytes());
    zip.extend((directory as u32).to_le_bytes());
    zip.extend([0, 0]);
    zip
}

#[test]
fn a_zip_that_is_not_a_workbook_names_what_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let input = file(
        dir.path(),
        "staff.zip",
        zip_of("staff.csv", STAFF.as_bytes()),
    );

    validate(&input, &[])
        .assert_code(1)
        .assert_stderr_contains("the file is a ZIP archive of `staff.csv`, not a workbook")
        .assert_stderr_contains(
            "hint: unzip it and give the export inside, or pipe it in: \
             unzip -p FILE staff.csv | member-sync apply -",
        );
}

#[test]
fn a_forced_wrong_delimiter_hint_names_the_one_that_finds_the_key_column() {
    let dir = tempfile::tempdir().unwrap();
    let input = file(dir.path(), "staff.csv", STAFF);

    let checked = validate(&input, &["--delimiter", ","]);

    checked
        .assert_code(1)
        .assert_stderr_contains("no key column")
        .assert_stderr_contains(
            "hint: with --delimiter `,` the header is one column; the file reads with \
             --delimiter `;` (its key column: `Work Email`): run again with --delimiter ';', \
             or without --delimiter to have it guessed",
        );
    validate(&input, &[]).assert_code(0);
}

#[test]
fn a_directory_given_as_the_input_is_named_as_one() {
    let dir = tempfile::tempdir().unwrap();
    file(dir.path(), "staff.csv", STAFF);

    validate(dir.path(), &[])
        .assert_code(1)
        .assert_stderr_contains(&format!(
            "error: cannot read {}: it is a directory, not a file",
            dir.path().display()
        ))
        .assert_stderr_contains("hint: give the export file's path, such as ");
}

#[test]
fn an_input_that_cannot_be_read_for_permissions_says_so() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;

    let dir = tempfile::tempdir().unwrap();
    let input = file(dir.path(), "staff.csv", STAFF);
    // As root, permissions are not checked: run as nobody, who may enter the directory but
    // not read a file only its owner may.
    let root = std::fs::metadata("/proc/self").map(|m| {
        use std::os::unix::fs::MetadataExt;
        m.uid() == 0
    });
    let mut command = std::process::Command::new(binary());
    if root.unwrap_or(false) {
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&input, std::fs::Permissions::from_mode(0o600)).unwrap();
        command.uid(65534).gid(65534);
    } else {
        std::fs::set_permissions(&input, std::fs::Permissions::from_mode(0o000)).unwrap();
    }
    command.arg("validate").arg(&input).env("NO_COLOR", "1");
    let output = command.output().expect("member-sync runs");
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "error: cannot read {}: permission denied",
            input.display()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "hint: this user may not read the file: check its owner and mode (ls -l), or run \
             as a user who may read it"
        ),
        "{stderr}"
    );
}
