//! Item 1: a quote that opens a cell and is never closed (or closes only lines later, inside
//! another row) swallows the rows after it. The file is refused, naming the line where the
//! quote opened; a cell with a real line break still reads.

use super::*;

/// 1,000 members of the generated org; row 901's job title opens a quote it never closes.
fn thousand_rows_with_an_open_quote_on_row_901() -> String {
    let mut text = String::from("Work Email,First Name,Last Name,Job Title\n");
    for id in 1..=1000 {
        let title = if id == 901 {
            "\"Engineer Lead".to_string()
        } else {
            format!("Engineer {id}")
        };
        text.push_str(&format!(
            "person{id}@gen.example,First{id},Last{id},{title}\n"
        ));
    }
    text
}

const NEVER_CLOSED: &str = "line 902: the quote that opens cell 4 is never closed, so lines \
                            902 to 1001 would read as one cell";

#[test]
fn an_unterminated_quote_refuses_the_file_naming_the_line_it_opened_on() {
    let dir = tempfile::tempdir().unwrap();
    let input = file(
        dir.path(),
        "staff.csv",
        thousand_rows_with_an_open_quote_on_row_901(),
    );

    let checked = validate(&input, &[]);

    checked
        .assert_code(1)
        .assert_stderr_contains(&format!("error: {}: {NEVER_CLOSED}", input.display()))
        .assert_stderr_contains(
            "hint: add the missing closing quote on line 902 (or remove the stray one) and \
             run again; a quote inside a quoted cell is written twice (\"\")",
        );
    assert!(!checked.stderr.contains("valid"), "{}", checked.stderr);
    assert!(checked.report.is_empty(), "no report for a refused file");
}

#[test]
fn plan_and_apply_send_nothing_for_an_unterminated_quote() {
    let org = TestOrg::start(Default::default(), generated_seed(1000));
    let input = org.path("staff.csv");
    std::fs::write(&input, thousand_rows_with_an_open_quote_on_row_901()).unwrap();

    for command in ["plan", "apply"] {
        let run = org.run_command(command, &input, &[]);
        run.assert_code(1).assert_stderr_contains(NEVER_CLOSED);
        assert!(run.report.is_empty(), "{command}: {:?}", run.report);
    }
    assert_nothing_written(&org);
}

#[test]
fn a_quote_closed_many_lines_later_inside_another_row_is_refused() {
    // Row 3's title opens a quote; row 40's note happens to hold a quote, which closes it.
    let mut text = String::from("email,job_title,team\n");
    for id in 1..=50 {
        let title = match id {
            3 => "\"Lead".to_string(),
            40 => "Says \"hi".to_string(),
            _ => format!("Title {id}"),
        };
        text.push_str(&format!("p{id}@x.example,{title},Team {id}\n"));
    }
    let dir = tempfile::tempdir().unwrap();

    let checked = validate(&file(dir.path(), "staff.csv", text), &[]);

    checked.assert_code(1).assert_stderr_contains(
        "line 4: the quote that opens cell 2 is not closed on that line, so lines 4 to 41 \
         would read as one cell (lines within it look like rows of their own)",
    );
}

#[test]
fn a_quote_closed_on_the_next_line_in_the_middle_of_a_cell_is_refused() {
    let text = "email,job_title,team\n\
                a@x.example,\"Lead,Ops\n\
                b@x.example,Bob \"The Builder\",Ops\n\
                c@x.example,Dev,Ops\n";
    let dir = tempfile::tempdir().unwrap();

    let checked = validate(&file(dir.path(), "staff.csv", text), &[]);

    checked.assert_code(1).assert_stderr_contains(
        "line 2: the quote that opens cell 2 is not closed on that line, so lines 2 to 3 \
         would read as one cell (it closes in the middle of a cell on line 3)",
    );
}

#[test]
fn a_cell_with_a_real_line_break_still_reads() {
    let dir = tempfile::tempdir().unwrap();
    let text = "email,job_description,team\n\
                a@x.example,\"Runs the office,\nLondon, UK\",Ops\n\
                b@x.example,\"Three\nline\nnote\",Sales\n\
                c@x.example,Dev,Ops\n";

    let checked = validate(&file(dir.path(), "staff.csv", text), &[]);

    checked
        .assert_code(0)
        .assert_stderr_contains("3 rows: 3 valid");
    assert_eq!(
        json_cell(checked.row(1), "fields"),
        serde_json::json!({"job_description": "Runs the office,\nLondon, UK", "team": "Ops"})
    );
    assert_eq!(checked.row(3)["line"], "7");
}
