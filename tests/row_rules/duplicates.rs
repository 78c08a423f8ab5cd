//! Rows sharing a key: identical repeats count once (`duplicate`, which fails nothing); rows
//! that disagree are all invalid, with messages and memory that grow with the rows, not
//! their square.

use crate::util::*;

fn input(dir: &tempfile::TempDir, headers: &[&str], rows: Vec<Vec<String>>) -> std::path::PathBuf {
    let path = dir.path().join("input.csv");
    write_csv(&path, headers, rows);
    path
}

fn rows(cells: &[&[&str]]) -> Vec<Vec<String>> {
    cells
        .iter()
        .map(|row| row.iter().map(|c| c.to_string()).collect())
        .collect()
}

#[test]
fn identical_rows_count_once_and_the_repeats_end_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let path = input(
        &dir,
        &["email", "job_title", "Salary"],
        rows(&[
            &["ann@x.example", "CFO", "1"],
            &["bob@x.example", "CTO", "2"],
            // The same request: case and padding do not matter, unmapped columns neither.
            &["ANN@x.example ", " CFO", "3"],
            &["ann@x.example", "CFO", "4"],
        ]),
    );

    let checked = validate(&path, &[]);

    checked
        .assert_code(0)
        .assert_stderr_contains("4 rows: 2 valid, 0 invalid, 2 duplicate, 0 warnings")
        .assert_stderr_contains(
            "2 rows repeat an earlier row exactly: each ends `duplicate`, and only the first is \
             sent",
        );
    assert_eq!(
        outcome_counts(&checked.report),
        counts(&[("valid", 2), ("duplicate", 2)])
    );
    for row in [3, 4] {
        let line = checked.row(row);
        assert_eq!(line["outcome"], "duplicate");
        assert_eq!(line["problems"], "same as row 1");
        assert_eq!(line["email"], "ann@x.example");
    }
}

#[test]
fn rows_sharing_a_key_that_disagree_all_stay_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let path = input(
        &dir,
        &["email", "job_title"],
        rows(&[
            &["ann@x.example", "CFO"],
            &["ann@x.example", "CFO"],
            &["ann@x.example", "CEO"],
        ]),
    );

    let checked = validate(&path, &[]);

    checked
        .assert_code(3)
        .assert_stderr_contains("3 rows share 1 email, so none of them is sent")
        .assert_stderr_contains("3 rows: 0 valid, 3 invalid, 0 warnings");
    assert_eq!(
        checked.row(2)["problems"],
        "email: \"ann@x.example\" duplicate key, also on rows 1, 3"
    );
}

#[test]
fn applying_identical_rows_sends_once_and_fails_nothing() {
    let org = TestOrg::embedded();
    let row = ["amelia.hart@acme.example", "Head of DevOps"];
    let input = org.input(
        "repeated.csv",
        &["email", "job_title"],
        [row.to_vec(), row.to_vec(), row.to_vec()],
    );

    let run = org.apply(&input, &[]);

    run.assert_code(0)
        .assert_stderr_contains("3 rows: 1 updated, 2 duplicate");
    assert_eq!(
        outcome_counts(&run.report),
        counts(&[("updated", 1), ("duplicate", 2)])
    );
    let repeat = report_row(&run.report, 3);
    assert_eq!(
        (repeat["error"].as_str(), repeat["email"].as_str()),
        ("same as row 1", "amelia.hart@acme.example")
    );
    let puts = org.requests().iter().filter(|r| r.is("PUT")).count();
    assert_eq!(puts, 1, "the member is written once");

    // The report reads back: `duplicate` is an outcome like the others.
    let again = org.apply(
        &input,
        &["--only-rows-from", run.report_path.to_str().unwrap()],
    );
    again
        .assert_code(0)
        .assert_stderr_contains("ended failed or cancelled: nothing to run again");
    let retried = org.apply(
        &input,
        &[
            "--only-rows-from",
            run.report_path.to_str().unwrap(),
            "--outcomes",
            "updated,duplicate",
        ],
    );
    retried.assert_code(0);
    assert_eq!(
        outcome_counts(&retried.report),
        counts(&[("unchanged", 1), ("duplicate", 2)])
    );
}

#[test]
fn ten_thousand_rows_sharing_one_email_give_messages_linear_in_rows() {
    const ROWS: usize = 10_000;
    let dir = tempfile::tempdir().unwrap();
    // A placeholder address on every row, each with its own name: rows that disagree.
    let cells: Vec<Vec<String>> = (1..=ROWS)
        .map(|n| vec!["hr@company.example".to_string(), format!("Person{n}")])
        .collect();
    let path = input(&dir, &["email", "first_name"], cells);

    let checked = validate(&path, &[]);

    checked
        .assert_code(3)
        .assert_stderr_contains("10,000 rows share 1 email, so none of them is sent");
    assert_eq!(checked.report.len(), ROWS);
    assert_eq!(
        checked.row(1)["problems"],
        "email: \"hr@company.example\" duplicate key, also on rows 2, 3, 4 and 9,996 more"
    );
    assert_eq!(
        checked.row(ROWS)["problems"],
        "email: \"hr@company.example\" duplicate key, also on rows 1, 2, 3 and 9,996 more"
    );
    // Each row's line and message are bounded, whatever the number of rows sharing the key.
    let per_row = |bytes: usize| bytes / ROWS;
    assert!(
        per_row(checked.report_text.len()) < 200,
        "{} bytes of report",
        checked.report_text.len()
    );
    assert!(
        per_row(checked.stderr.len()) < 200,
        "{} bytes on stderr",
        checked.stderr.len()
    );
}
