//! Text Tallyfy would refuse (too long, control characters, invisible or direction-changing
//! characters in emails and names) is invalid at `validate`, not a failure at apply time.

use crate::util::*;

/// A one-row CSV of `headers` and `cells` in a fresh directory, through `validate`.
fn validate_row(headers: &[&str], cells: &[&str]) -> Checked {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("row.csv");
    write_csv(&input, headers, [cells.to_vec()]);
    validate(&input, &[])
}

#[test]
fn text_longer_than_tallyfy_accepts_is_invalid_at_validate() {
    let title = "T".repeat(256);
    let team = "ö".repeat(300);
    let description = "d".repeat(256);
    let checked = validate_row(
        &["email", "job_title", "team", "job_description"],
        &["ann@x.example", &title, &team, &description],
    );

    checked.assert_code(3);
    let problems = &checked.row(1)["problems"];
    assert!(problems.contains("job_title: "), "{problems}");
    for has in ["(has 256)", "(has 300)"] {
        assert!(
            problems.contains(&format!("must be at most 255 characters {has}")),
            "{problems}"
        );
    }
    assert_eq!(
        problems.matches("must be at most 255 characters").count(),
        3
    );
}

#[test]
fn the_limit_counts_characters_not_bytes() {
    // 255 two-byte characters: 510 bytes, within the limit.
    let checked = validate_row(&["email", "team"], &["ann@x.example", &"é".repeat(255)]);

    checked.assert_code(0);
    assert_eq!(checked.row(1)["outcome"], "valid");
}

#[test]
fn a_long_job_title_is_never_sent() {
    let org = TestOrg::embedded();
    let title = format!("{}Ops", "Head of ".repeat(40));
    let input = org.input(
        "long.csv",
        &["email", "job_title"],
        [vec!["amelia.hart@acme.example", title.as_str()]],
    );

    let run = org.apply(&input, &[]);

    run.assert_code(3);
    let line = report_row(&run.report, 1);
    assert_eq!(line["outcome"], "invalid", "{line:?}");
    assert!(
        line["error"].contains("must be at most 255 characters (has 323)"),
        "{line:?}"
    );
    assert!(
        org.requests().iter().all(|r| r.is("GET")),
        "nothing is sent for an invalid row"
    );
}

#[test]
fn invisible_and_direction_characters_in_emails_and_names_are_refused_by_name() {
    let checked = validate_row(
        &["email", "first_name", "last_name"],
        &[
            "ann\u{200b}@x.example",
            "Ann\u{202e}lee",
            "Lee\u{2066}\u{2069}",
        ],
    );

    checked.assert_code(3);
    let problems = &checked.row(1)["problems"];
    for says in [
        "contains U+200B ZERO WIDTH SPACE at character 4: invisible",
        "contains U+202E RIGHT-TO-LEFT OVERRIDE at character 4: invisible",
        "contains U+2066 LEFT-TO-RIGHT ISOLATE at character 4 (and 1 more): invisible",
    ] {
        assert!(problems.contains(says), "{says:?} not in {problems}");
    }
}

#[test]
fn joiners_inside_a_word_of_a_script_that_needs_them_are_kept() {
    // Persian writes a zero width non-joiner inside words and names.
    let name = "مهر\u{200c}انگیز";
    let checked = validate_row(&["email", "first_name"], &["mehr@x.example", name]);

    checked.assert_code(0);
    assert_eq!(
        json_cell(checked.row(1), "fields")["first_name"],
        serde_json::json!(name)
    );
    // Between Latin letters it shows nothing and only makes two equal-looking names differ.
    let latin = validate_row(&["email", "first_name"], &["ann@x.example", "An\u{200c}n"]);
    latin.assert_code(3);
    assert!(latin.row(1)["problems"].contains("U+200C ZERO WIDTH NON-JOINER at character 3"));
}

#[test]
fn control_characters_are_refused_but_a_description_keeps_its_line_breaks_and_tabs() {
    let checked = validate_row(
        &["email", "job_title", "team", "job_description"],
        &[
            "ann@x.example",
            "\u{1b}[31mCFO",
            "Ops\nLondon",
            "Runs finance.\n\tAlso: payroll.",
        ],
    );

    checked.assert_code(3);
    let problems = &checked.row(1)["problems"];
    assert!(
        problems.contains("contains U+001B ESCAPE at character 1: control characters"),
        "{problems}"
    );
    assert!(
        problems.contains(
            "contains U+000A LINE FEED at character 4: line breaks and tabs are allowed in \
             job_description only"
        ),
        "{problems}"
    );
    assert_eq!(problems.matches("contains U+").count(), 2, "{problems}");

    let description = validate_row(
        &["email", "job_description"],
        &["ann@x.example", "Runs finance.\n\tAlso: payroll."],
    );
    description.assert_code(0);
}
