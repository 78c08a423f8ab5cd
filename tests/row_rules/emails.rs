//! Cells an export wrapped or mangled: an address in angle brackets or behind `mailto:` is
//! read with a warning naming the row; a clear sentinel in the wrong case is text, with a
//! warning; a phone a spreadsheet turned into `4.42E+09` is invalid (its digits are lost).

use crate::util::*;

#[test]
fn wrapped_emails_are_unwrapped_with_a_warning_naming_the_row() {
    let org = TestOrg::embedded();
    let input = org.input(
        "wrapped.csv",
        &["email", "job_title"],
        [
            vec!["<amelia.hart@acme.example>", "Head of DevOps"],
            vec!["mailto:jose.garcia@acme.example", "Sales Lead"],
            vec!["Zoe Fischer <Zoe.Fischer@acme.example>", "Support Lead"],
        ],
    );

    let run = org.plan(&input, &[]);

    run.assert_code(0)
        .assert_stderr_contains(
            "~ row 1: email: read \"amelia.hart@acme.example\" from \
             \"<amelia.hart@acme.example>\": the angle brackets were dropped",
        )
        .assert_stderr_contains(
            "~ row 2: email: read \"jose.garcia@acme.example\" from \
             \"mailto:jose.garcia@acme.example\": the mailto: prefix was dropped",
        )
        .assert_stderr_contains(
            "~ row 3: email: read \"zoe.fischer@acme.example\" from \"Zoe Fischer \
             <Zoe.Fischer@acme.example>\": the name and angle brackets were dropped",
        );
    assert_eq!(outcome_counts(&run.report), counts(&[("planned", 3)]));
    assert_eq!(
        report_row(&run.report, 1)["user_id"],
        "1001",
        "the member is found"
    );
}

#[test]
fn a_wrapped_cell_that_could_be_two_addresses_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.csv");
    write_csv(
        &path,
        &["email"],
        [
            vec!["bob@x.example <ann@x.example>"],
            vec!["<ann@x.example"],
        ],
    );

    let checked = validate(&path, &[]);

    checked.assert_code(3);
    for row in [1, 2] {
        assert!(
            checked.row(row)["problems"]
                .ends_with("is not an email address (expected name@example.com)"),
            "{:?}",
            checked.row(row)
        );
    }
}

#[test]
fn a_clear_sentinel_in_the_wrong_case_is_text_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clear.csv");
    write_csv(
        &path,
        &["email", "team", "job_title"],
        [
            vec!["ann@x.example", "__clear__", ""],
            vec!["bob@x.example", "", "Clear"],
            vec!["cy@x.example", "__CLEAR__", ""],
        ],
    );

    let checked = validate(&path, &[]);

    checked.assert_code(0);
    assert_eq!(
        checked.lines_starting("~ row"),
        [
            "~ row 1 (line 2): team: \"__clear__\" is set as text: only __CLEAR__, in this \
             exact case, clears team",
            "~ row 2 (line 3): job_title: \"Clear\" is set as text: only __CLEAR__, in this \
             exact case, clears job_title",
        ]
    );
}

#[test]
fn a_phone_a_spreadsheet_wrote_in_scientific_notation_is_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phones.csv");
    write_csv(
        &path,
        &["email", "phone"],
        [
            vec!["ann@x.example", "4.42E+09"],
            vec!["bob@x.example", "+44 20 7946 0958"],
        ],
    );

    let checked = validate(&path, &[]);

    checked.assert_code(3);
    assert_eq!(
        checked.row(1)["problems"],
        "phone: \"4.42E+09\" is a number in scientific notation: the spreadsheet has dropped \
         its last digits; format the column as Text and export again"
    );
    assert_eq!(checked.row(2)["outcome"], "valid");
}
