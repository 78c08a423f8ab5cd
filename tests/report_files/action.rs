//! The `action` column: what each line's requests do, planned or sent; empty on a line that
//! sends nothing.

use std::collections::BTreeMap;

use member_sync::sandbox::SandboxConfig;

use crate::util::*;

/// Row number → (outcome, action), for every line of a report.
fn actions(report: &[ReportRow]) -> BTreeMap<String, (String, String)> {
    report
        .iter()
        .map(|line| {
            let cells = (line["outcome"].clone(), line["action"].clone());
            (line["row"].clone(), cells)
        })
        .collect()
}

/// The lines of the input below: rows 1 and 2 change (`outcome`), the others send nothing.
fn expected(outcome: &str) -> BTreeMap<String, (String, String)> {
    [
        ("1", outcome, "update"),
        ("2", outcome, "update"),
        ("3", "unchanged", ""),
        ("4", "invalid", ""),
        ("5", "not_found", ""),
    ]
    .into_iter()
    .map(|(row, outcome, action)| (row.into(), (outcome.into(), action.into())))
    .collect()
}

#[test]
fn each_line_names_its_action_planned_or_sent_and_none_when_nothing_is_sent() {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(5));
    let rows = [
        ["person1@gen.example", "Lead", "admin"],
        ["person2@gen.example", "Analyst", "light"],
        ["person3@gen.example", "Analyst", ""],
        ["person4@gen.example", "Analyst", "owner"],
        ["nobody@gen.example", "Lead", ""],
    ];
    let input = org.input(
        "input.csv",
        &["email", "job_title", "role"],
        rows.iter().map(|r| r.to_vec()),
    );

    let planned = org.plan(&input, &[]);
    planned.assert_code(3);
    assert_eq!(actions(&planned.report), expected("planned"));

    let applied = org.apply(&input, &[]);
    applied.assert_code(3);
    assert_eq!(actions(&applied.report), expected("updated"));
}
