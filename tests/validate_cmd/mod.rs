//! `member-sync validate`: offline, exit 0 / 3 / 1, a per-row report that is data, and the
//! flags it shares with `plan` and `apply`.

use serde_json::json;

use crate::util::*;

/// A small export with one row of each kind, and two columns that must never be echoed.
fn export(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = dir.path().join("export.csv");
    write_csv(
        &path,
        &[
            "Work Email",
            "First Name",
            "Job Title",
            "Time Zone",
            "Password",
            "Annual Salary",
        ],
        [
            vec![
                "ann@x.example",
                "Ann",
                "CFO",
                "India Standard Time",
                "hunter2",
                "$141,604",
            ],
            vec!["bo@x.example", "Bo", "", "Mars/Base", "s3cret!", "$99,975"],
            vec!["=cmd|' /C calc'!A0", "", "", "", "pa55word", "$12,345"],
        ],
    );
    path
}

#[test]
fn validate_reports_every_row_and_exits_3_when_one_is_invalid() {
    let dir = tempfile::tempdir().unwrap();

    let checked = validate(&export(&dir), &[]);

    checked
        .assert_code(3)
        .assert_stderr_contains("column 1 `Work Email` → email")
        .assert_stderr_contains(
            "ignored columns (they map to no Tallyfy field; their values are never shown): \
             `Password`, `Annual Salary`",
        )
        .assert_stderr_contains("3 rows: 1 valid, 2 invalid, 0 warnings");
    assert_eq!(checked.stdout, "", "stdout is for data only");
    assert_eq!(
        checked.lines_starting("! row"),
        [
            "! row 2 (line 3) invalid: Time Zone: \"Mars/Base\" is not a time zone we know: write \
             an IANA name (e.g. Europe/London) or a Windows zone (e.g. GMT Standard Time)",
            "! row 3 (line 4) invalid: Work Email: \"=cmd|' /C calc'!A0\" is not an email address \
             (expected name@example.com)",
        ]
    );
    let ann = checked.row(1);
    assert_eq!(
        (ann["outcome"].as_str(), ann["line"].as_str()),
        ("valid", "2")
    );
    assert_eq!(
        json_cell(ann, "fields"),
        json!({"first_name": "Ann", "job_title": "CFO", "timezone": "Asia/Kolkata"})
    );
    // The cell a spreadsheet would run as a formula is neutralized in the report.
    assert_eq!(checked.row(3)["email"], "'=cmd|' /C calc'!A0");
    for secret in [
        "hunter2", "s3cret!", "pa55word", "141,604", "99,975", "12,345",
    ] {
        assert!(!checked.stderr.contains(secret), "{secret} in stderr");
        assert!(
            !checked.report_text.contains(secret),
            "{secret} in the report"
        );
    }
}

#[test]
fn validate_exits_0_when_every_row_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("ok.csv");
    write_csv(&input, &["email", "team"], [vec!["a@x.example", "Ops"]]);

    validate(&input, &[])
        .assert_code(0)
        .assert_stderr_contains("1 row: 1 valid, 0 invalid, 0 warnings");
}

#[test]
fn the_report_can_go_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let input = export(&dir);

    let output = member_sync()
        .args(["validate", "--report", "-"])
        .arg(&input)
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(3));
    let report = parse_validation_report_text(&String::from_utf8(output.stdout).unwrap());
    assert_eq!(
        outcome_counts(&report),
        counts(&[("valid", 1), ("invalid", 2)])
    );
}

#[test]
fn an_existing_report_is_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let input = export(&dir);
    let report = dir.path().join("report.csv");
    std::fs::write(&report, "keep me").unwrap();

    let output = member_sync()
        .arg("validate")
        .arg(&input)
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot write the report"));
    assert_eq!(std::fs::read_to_string(&report).unwrap(), "keep me");
}

#[test]
fn a_broken_mapping_file_is_refused_naming_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let input = export(&dir);
    let mapping = dir.path().join("mapping.toml");
    std::fs::write(&mapping, "[constants]\ndate_format = \"yyyy-mm-dd\"\n").unwrap();

    validate(&input, &["--mapping", mapping.to_str().unwrap()])
        .assert_code(1)
        .assert_stderr_contains(
            "[constants] date_format = \"yyyy-mm-dd\": must be mm/dd/yyyy or dd/mm/yyyy",
        )
        .assert_stderr_contains("hint: the mapping file format is described in docs/input.md");
}

#[test]
fn bad_input_flags_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let input = export(&dir);
    for (flag, value, says) in [
        ("--encoding", "klingon", "unknown encoding `klingon`"),
        ("--delimiter", "ab", "cannot be a delimiter"),
        ("--preset", "sap", "possible values: entra-template"),
    ] {
        let checked = validate(&input, &[flag, value]);
        checked.assert_code(2).assert_stderr_contains(says);
    }
}

#[test]
fn a_forced_preset_is_shown_and_used() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("okta.csv");
    write_csv(
        &input,
        &["email", "login", "title", "timezone"],
        [vec!["", "l@x.example", "Dev", "US/Eastern"]],
    );

    let checked = validate(&input, &["--preset", "okta"]);

    checked
        .assert_code(0)
        .assert_stderr_contains("preset: Okta user export (--preset okta)")
        .assert_stderr_contains("column 2 `login` → email (when `email` is blank)");
    assert_eq!(checked.row(1)["email"], "l@x.example");
    assert_eq!(
        json_cell(checked.row(1), "fields"),
        json!({"job_title": "Dev", "timezone": "America/New_York"})
    );
}

#[test]
fn plan_prints_what_it_read_and_the_row_warnings() {
    let org = TestOrg::embedded();
    let input = org.input(
        "names.csv",
        &["email", "Display Name", "First Name", "Last Name"],
        [vec![
            "amelia.hart@acme.example",
            "Amelia Hart-Jones",
            "",
            "",
        ]],
    );

    let run = org.plan(&input, &["--delimiter", ","]);

    run.assert_code(0)
        .assert_stderr_contains("input: CSV, UTF-8, delimiter `,`; header on line 1")
        .assert_stderr_contains("~ row 1: Display Name: first and last name are empty");
    assert_eq!(outcome_counts(&run.report), counts(&[("planned", 1)]));
    assert_eq!(
        json_cell(&run.report[0], "after"),
        json!({"last_name": "Hart-Jones"})
    );
}
