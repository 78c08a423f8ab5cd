//! Every file in `../shared/fixtures/real-world`, read as it is, with its exact verdict:
//! row counts, header line, preset, the no-email error for the three HR samples, the encoding
//! hint for the Windows-1252 ones and success with `--encoding windows-1252`.

mod entra;

use std::collections::BTreeSet;

use crate::util::*;

/// Every fixture is covered by a test below: a new one cannot be added unnoticed.
#[test]
fn every_fixture_has_a_verdict() {
    let covered: BTreeSet<&str> = [
        "entra-template-700.csv",
        "entra-template-small.csv",
        "m365-import-sample.csv",
        "hr-sample-utf8-bom-crlf.csv",
        "hr-sample-cp1252.csv",
        "hr-sample-cp1252-crlf.csv",
        "csvkit-test_utf16_little.csv",
        "csvkit-test_latin1.csv",
        "csvkit-test_utf8_bom.csv",
        "csvkit-test_skip_lines.csv",
        "csvkit-test_empty_columns.csv",
    ]
    .into();
    let dir = real_world("SOURCES.md").parent().unwrap().to_path_buf();
    let present: BTreeSet<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "SOURCES.md")
        .collect();
    let present: BTreeSet<&str> = present.iter().map(String::as_str).collect();
    assert_eq!(present, covered);
}

#[test]
fn m365_sample_five_people_act_and_their_fifteen_repeats_are_duplicates() {
    let checked = validate(&real_world("m365-import-sample.csv"), &[]);

    checked
        .assert_code(0)
        .assert_stderr_contains("format: CSV, UTF-8 (BOM), delimiter `,`")
        .assert_stderr_contains("header: line 1\n")
        .assert_stderr_contains(
            "preset: Microsoft 365 admin center users CSV (detected; --preset m365)",
        )
        .assert_stderr_contains("20 rows: 5 valid, 0 invalid, 15 duplicate, 0 warnings");
    // The sample is its header and five users, four times over.
    assert_eq!(
        checked.lines_starting("skipped line"),
        [
            "skipped line 7: repeats the header row",
            "skipped line 13: repeats the header row",
            "skipped line 19: repeats the header row",
        ]
    );
    assert_eq!(
        outcome_counts(&checked.report),
        counts(&[("valid", 5), ("duplicate", 15)])
    );
    let first = checked.row(1);
    assert_eq!(
        (first["line"].as_str(), first["email"].as_str()),
        ("2", "chris@contoso.com")
    );
    let repeat = checked.row(6);
    assert_eq!(
        (
            repeat["line"].as_str(),
            repeat["email"].as_str(),
            repeat["problems"].as_str()
        ),
        ("8", "chris@contoso.com", "same as row 1")
    );
    assert_eq!(
        checked.row(20)["line"],
        "24",
        "no final newline: the last line still counts"
    );
    assert_eq!(checked.row(20)["problems"], "same as row 5");
}

#[test]
fn m365_sample_plans_its_five_people_once() {
    let org = TestOrg::embedded();

    let run = org.plan(&real_world("m365-import-sample.csv"), &[]);

    // Contoso's people are not in the sandbox organization: found or not, each is looked for once.
    run.assert_code(0);
    assert_eq!(
        outcome_counts(&run.report),
        counts(&[("not_found", 5), ("duplicate", 15)])
    );
}

#[test]
fn hr_sample_utf8_has_no_email_column() {
    let checked = validate(&real_world("hr-sample-utf8-bom-crlf.csv"), &[]);

    checked
        .assert_code(1)
        .assert_stderr_contains("format: CSV, UTF-8 (BOM), delimiter `,`")
        .assert_stderr_contains("header: line 1\n")
        .assert_stderr_contains("error: ")
        .assert_stderr_contains("no key column: a column with the member's email")
        .assert_stderr_contains(
            "headers found: `Employee ID`, `Full Name`, `Job Title`, `Department`, `Business \
             Unit`, `Gender`, `Ethnicity`, `Age`, `Hire Date`, `Annual Salary`, `Bonus %`, \
             `Country`, `City`",
        )
        .assert_stderr_contains("hint: add a column with each member's email");
    assert!(checked.report.is_empty(), "no report for an unusable file");
    assert!(!checked.stderr.contains("$751"), "a salary was echoed");
}

#[test]
fn hr_sample_utf8_rows_are_read_right_when_a_column_is_named_the_key() {
    // A test-only mapping makes the file usable, to show how it is read: the quoted cell
    // with bare line breaks (line 92) is one row, and the all-empty last line is no row.
    let dir = tempfile::tempdir().unwrap();
    let mapping = dir.path().join("mapping.toml");
    std::fs::write(&mapping, "[columns]\n\"Employee ID\" = \"email\"\n").unwrap();

    let checked = validate(
        &real_world("hr-sample-utf8-bom-crlf.csv"),
        &["--mapping", mapping.to_str().unwrap()],
    );

    checked.assert_code(3);
    assert_eq!(
        outcome_counts(&checked.report),
        counts(&[("invalid", 1000)])
    );
    let lines: Vec<(&str, &str)> = [91, 92, 1000]
        .iter()
        .map(|&r| {
            let row = checked.row(r);
            (row["line"].as_str(), row["email"].as_str())
        })
        .collect();
    assert_eq!(
        lines,
        [("92", "E02092"), ("95", "E02093"), ("1003", "E03001")]
    );
    assert_eq!(
        checked.row(1)["problems"],
        "Employee ID: \"E02002\" is not an email address (expected name@example.com)"
    );
    // Its `Hire Date` is a start date, written `05-02-2022`: day or month first, the file
    // does not say (another copy of it mixes both). No lifecycle flag reads it in `validate`,
    // so it is named in a warning and the row is judged on its profile alone.
    assert!(
        checked.row(1)["warnings"].contains(
            "Hire Date: \"05-02-2022\" is not a date member-sync reads on its own: it does not \
             say whether the day or the month comes first"
        ),
        "{}",
        checked.row(1)["warnings"]
    );
}

#[test]
fn hr_sample_cp1252_needs_its_encoding_named() {
    let checked = validate(&real_world("hr-sample-cp1252.csv"), &[]);

    checked
        .assert_code(1)
        .assert_stderr_contains("error: ")
        .assert_stderr_contains("not valid UTF-8 at line 10, byte offset 1108 (byte 0xA0)")
        .assert_stderr_contains("hint: the file is probably Windows-1252")
        .assert_stderr_contains("--encoding windows-1252");
    assert!(!checked.stderr.contains('\u{fffd}'));

    let decoded = validate(
        &real_world("hr-sample-cp1252.csv"),
        &["--encoding", "windows-1252"],
    );

    decoded
        .assert_code(1)
        .assert_stderr_contains("format: CSV, windows-1252, delimiter `,`")
        .assert_stderr_contains("header: line 1\n")
        .assert_stderr_contains("no key column")
        .assert_stderr_contains("headers found: `EmployeeID`, `FullName`, `JobTitle`");
    assert!(
        !decoded.stderr.contains("not valid UTF-8"),
        "{}",
        decoded.stderr
    );
}

#[test]
fn hr_sample_cp1252_decodes_its_nbsp_as_a_character() {
    let dir = tempfile::tempdir().unwrap();
    let mapping = dir.path().join("mapping.toml");
    std::fs::write(&mapping, "[columns]\nJobTitle = \"email\"\n").unwrap();

    let checked = validate(
        &real_world("hr-sample-cp1252.csv"),
        &[
            "--encoding",
            "cp1252",
            "--mapping",
            mapping.to_str().unwrap(),
        ],
    );

    checked.assert_code(3);
    assert_eq!(
        outcome_counts(&checked.report),
        counts(&[("invalid", 1000)])
    );
    // Line 10 holds the 0xA0 byte of the UTF-8 error above: here it is U+00A0.
    let row = checked.row(9);
    assert_eq!(row["line"], "10");
    assert_eq!(row["email"], "System Administrator");
    assert!(
        row["problems"].contains("\"System Administrator\\u{a0}\" is not an email address"),
        "{row:?}"
    );
}

#[test]
fn hr_sample_cp1252_crlf_needs_its_encoding_named() {
    let checked = validate(&real_world("hr-sample-cp1252-crlf.csv"), &[]);

    checked
        .assert_code(1)
        .assert_stderr_contains("not valid UTF-8 at line 114, byte offset 15654 (byte 0xA0)")
        .assert_stderr_contains("--encoding windows-1252");

    let decoded = validate(
        &real_world("hr-sample-cp1252-crlf.csv"),
        &["--encoding", "windows-1252"],
    );

    decoded
        .assert_code(1)
        .assert_stderr_contains("format: CSV, windows-1252, delimiter `,`")
        .assert_stderr_contains("no key column")
        .assert_stderr_contains("headers found: `EEID`, `Full Name`, `Job Title`");
    assert!(!decoded.stderr.contains("not valid UTF-8"));
}

#[test]
fn csvkit_utf16_little_is_decoded_and_has_no_key() {
    let checked = validate(&real_world("csvkit-test_utf16_little.csv"), &[]);

    checked
        .assert_code(1)
        .assert_stderr_contains("format: CSV, UTF-16LE (BOM), delimiter `,`")
        .assert_stderr_contains("header: line 1\n")
        .assert_stderr_contains("headers found: `a`, `b`, `c`");
}

#[test]
fn csvkit_latin1_needs_its_encoding_named() {
    let checked = validate(&real_world("csvkit-test_latin1.csv"), &[]);

    checked
        .assert_code(1)
        .assert_stderr_contains("not valid UTF-8 at line 3, byte offset 16 (byte 0xA9)")
        .assert_stderr_contains("--encoding windows-1252");

    let decoded = validate(
        &real_world("csvkit-test_latin1.csv"),
        &["--encoding", "latin1"],
    );

    decoded
        .assert_code(1)
        .assert_stderr_contains("format: CSV, windows-1252, delimiter `,`")
        .assert_stderr_contains("headers found: `a`, `b`, `c`");
}

#[test]
fn csvkit_utf8_bom_has_no_key() {
    validate(&real_world("csvkit-test_utf8_bom.csv"), &[])
        .assert_code(1)
        .assert_stderr_contains("format: CSV, UTF-8 (BOM), delimiter `,`")
        .assert_stderr_contains("headers found: `foo`, `bar`, `baz`");
}

#[test]
fn csvkit_skip_lines_finds_the_header_below_blank_lines() {
    validate(&real_world("csvkit-test_skip_lines.csv"), &[])
        .assert_code(1)
        .assert_stderr_contains("header: line 4\n")
        .assert_stderr_contains("headers found: `a`, `b`, `c`");
}

#[test]
fn csvkit_empty_columns_are_not_headers() {
    validate(&real_world("csvkit-test_empty_columns.csv"), &[])
        .assert_code(1)
        .assert_stderr_contains("headers found: `a`, `b`, `c`\n")
        .assert_stderr_contains("no key column");
}
