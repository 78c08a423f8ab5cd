//! Item 2: a row with more non-empty cells than the header (`VP, Sales` unquoted) is invalid,
//! not read with its cells shifted; Excel's trailing empty cells stay accepted.

use super::*;

const WIDER: &str = "Work Email,Job Title,Department\n\
                     amelia.hart@acme.example,VP, Sales,Marketing\n\
                     jose.garcia@acme.example,Sales Manager,Sales\n";

#[test]
fn a_row_with_more_cells_than_the_header_is_invalid() {
    let dir = tempfile::tempdir().unwrap();

    let checked = validate(&file(dir.path(), "staff.csv", WIDER), &[]);

    checked
        .assert_code(3)
        .assert_stderr_contains("2 rows: 1 valid, 1 invalid");
    let amelia = checked.row(1);
    assert_eq!(amelia["outcome"], "invalid");
    assert_eq!(
        amelia["problems"],
        "row 1 (line 2) has 4 cells, the header 3: an unquoted comma?"
    );
    assert_eq!(checked.row(2)["outcome"], "valid");
}

#[test]
fn plan_reports_the_wider_row_invalid_instead_of_planning_shifted_cells() {
    let org = TestOrg::embedded();
    let input = org.path("staff.csv");
    std::fs::write(&input, WIDER).unwrap();

    let run = org.plan(&input, &[]);

    run.assert_code(3);
    let amelia = report_row(&run.report, 1);
    assert_eq!(amelia["outcome"], "invalid");
    assert_eq!(
        amelia["error"],
        "row 1 (line 2) has 4 cells, the header 3: an unquoted comma?"
    );
}

#[test]
fn a_semicolon_file_names_its_delimiter() {
    let dir = tempfile::tempdir().unwrap();
    let text = "email;job_title;team\na@x.example;VP;Sales;Marketing\n";

    let checked = validate(&file(dir.path(), "staff.csv", text), &[]);

    assert_eq!(
        checked.row(1)["problems"],
        "row 1 (line 2) has 4 cells, the header 3: an unquoted semicolon?"
    );
}

#[test]
fn trailing_empty_cells_are_still_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let text = "Work Email,Job Title,Department\n\
                amelia.hart@acme.example,VP,Sales,,,\n\
                jose.garcia@acme.example,CFO,Finance, ,\n";

    let checked = validate(&file(dir.path(), "staff.csv", text), &[]);

    checked
        .assert_code(0)
        .assert_stderr_contains("2 rows: 2 valid");
}
