//! Items 9 and 10 of issue #16: `export` neutralizes cells a spreadsheet would run, exactly as
//! the report does, and every escaped value reads back as it was: an export plans back to no
//! changes, and a report whose values start with `'=` is accepted by `--only-rows-from`.

use member_sync::cell_safety::escape_cell;

use super::*;

/// What the export must hold for each title: the report's escape, `'` in front.
const ESCAPED: [(&str, &str); 6] = [
    ("1001", "'=1+1"),
    ("1002", "'=HYPERLINK(\"http://x.example\";\"click\")"),
    ("1003", "'+1+1"),
    ("1004", "'-2+3"),
    ("1005", "'@SUM(1)"),
    ("1006", "''=quote"),
];

#[test]
fn export_neutralizes_formulas_and_reads_back_unchanged() {
    let org = org_with_formula_titles();
    let out = org.path("members.csv");

    export(&org, &["--out", out.to_str().unwrap()]).assert_code(0);

    let titles = column_by(&out, "user_id", "job_title");
    for (id, escaped) in ESCAPED {
        assert_eq!(titles[id], escaped, "member {id}");
    }
    // Read back as the input of a plan: the escape is undone, nothing changes.
    let plan = org.plan(&out, &[]);
    plan.assert_code(0);
    // The invited and disabled members have nothing planned either (`pending`, `disabled`).
    let nothing = [("unchanged", 57), ("pending", 2), ("disabled", 1)];
    assert_eq!(outcome_counts(&plan.report), counts(&nothing));
    // And as the members of an offline plan (`--against`), for an HR file holding the
    // formulas as they are, and for one written by a tool that escapes as member-sync does
    // (there `'=quote` is `''=quote`: a raw `'=quote` reads as `=quote`).
    let against = ["--against", out.to_str().unwrap()];
    let titles = (1001..).zip(FORMULA_TITLES);
    let raw = titles
        .clone()
        .take(5)
        .map(|(id, t)| vec![id.to_string(), t.to_string()]);
    let hr = org.input("hr.csv", &["user_id", "job_title"], raw);
    let offline = org.plan(&hr, &against);
    offline.assert_code(0);
    assert_eq!(outcome_counts(&offline.report), counts(&[("unchanged", 5)]));
    let escaped = titles.map(|(id, t)| vec![id.to_string(), escape_cell(t).into_owned()]);
    let hr = org.input("hr-escaped.csv", &["user_id", "job_title"], escaped);
    let offline = org.plan(&hr, &against);
    offline.assert_code(0);
    assert_eq!(outcome_counts(&offline.report), counts(&[("unchanged", 6)]));
}

#[test]
fn export_to_stdout_is_escaped_too() {
    let org = org_with_formula_titles();

    let run = export(&org, &[]);

    run.assert_code(0);
    let out = org.path("stdout.csv");
    std::fs::write(&out, &run.stdout).unwrap();
    let titles = column_by(&out, "user_id", "job_title");
    assert_eq!(titles["1001"], "'=1+1");
}

#[test]
fn values_starting_with_the_escape_itself_survive_a_rerun() {
    let org = TestOrg::embedded();
    // A valid email that starts with `'=`, and an invalid cell that does.
    let input = org.input(
        "quoted.csv",
        &["email", "job_title"],
        [
            vec!["amelia.hart@acme.example", "Head of DevOps"],
            vec!["'=quote@example.com", "Lead"],
            vec!["'=1+1", "Lead"],
        ],
    );
    let first = org.plan(&input, &[]);
    first.assert_code(3);

    let report = first.report_path.to_str().unwrap();
    let again = org.plan(
        &input,
        &[
            "--only-rows-from",
            report,
            "--outcomes",
            "not_found,invalid",
        ],
    );

    again.assert_code(3);
    again.assert_stderr_contains("running again 2 rows");
    assert_eq!(
        again
            .report
            .iter()
            .map(|r| r["row"].as_str())
            .collect::<Vec<_>>(),
        ["2", "3"]
    );
}
