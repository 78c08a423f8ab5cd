//! A report whose last line is cut short (a crash or a full disk while it was written, by a
//! version that did not cut it back): `rollback` and `--only-rows-from` read every whole line
//! and say which line they left out; a broken line elsewhere is still refused.

use std::path::PathBuf;

use member_sync::sandbox::SandboxConfig;

use crate::util::*;

/// Five members get a new title; returns the input and the report of that `apply`.
fn five_updates(org: &TestOrg) -> (PathBuf, Run) {
    let rows = (1..=5).map(|id| vec![format!("person{id}@gen.example"), format!("Lead {id}")]);
    let input = org.input("five.csv", &["email", "job_title"], rows);
    let run = org.apply(&input, &[]);
    run.assert_code(0);
    assert_eq!(outcome_counts(&run.report), counts(&[("updated", 5)]));
    (input, run)
}

/// The report with its last line cut in the middle of its `before` cell.
fn torn_copy(org: &TestOrg, run: &Run) -> (PathBuf, usize) {
    let text = run.report_text();
    let last_line = text.trim_end_matches('\n').rsplit_once('\n').unwrap().1;
    let cut = text.len() - last_line.len() - 1 + last_line.find("{\"\"job_title").unwrap() + 5;
    let torn = org.path("torn.csv");
    std::fs::write(&torn, &text[..cut]).unwrap();
    let row = last_line.split(',').next().unwrap().parse().unwrap();
    (torn, row)
}

fn titles(org: &TestOrg) -> Vec<String> {
    (1..=5)
        .map(|id| org.member(id)["job_title"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_report_cut_short_is_read_without_its_last_line_and_says_so() {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(5));
    let (input, run) = five_updates(&org);
    let (torn, torn_row) = torn_copy(&org, &run);
    let warning = format!(
        "warning: {} line 6 is cut short (the run that wrote it stopped mid-line): read without it",
        torn.display()
    );

    let rerun = org.apply(
        &input,
        &[
            "--only-rows-from",
            torn.to_str().unwrap(),
            "--outcomes",
            "updated",
        ],
    );
    rerun.assert_code(0).assert_stderr_contains(&warning);
    assert_eq!(outcome_counts(&rerun.report), counts(&[("unchanged", 4)]));
    assert!(
        rerun
            .report
            .iter()
            .all(|r| r["row"] != torn_row.to_string())
    );

    let undo = org.run_command("rollback", &torn, &[]);
    undo.assert_code(0).assert_stderr_contains(&warning);
    assert_eq!(outcome_counts(&undo.report), counts(&[("updated", 4)]));
    let expected: Vec<String> = (1..=5)
        .map(|id| match id == torn_row {
            true => format!("Lead {id}"),
            false => "Analyst".to_string(),
        })
        .collect();
    assert_eq!(titles(&org), expected);
}

#[test]
fn a_line_cut_short_before_the_last_is_refused_with_its_line() {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(5));
    let (_, run) = five_updates(&org);
    let text = run.report_text();
    let mut lines: Vec<&str> = text.lines().collect();
    let broken = lines[2].split_once(",\"{").unwrap().0.to_string();
    lines[2] = &broken;
    let report = org.path("broken.csv");
    std::fs::write(&report, lines.join("\n") + "\n").unwrap();

    let undo = org.run_command("rollback", &report, &[]);
    undo.assert_code(1).assert_stderr_contains(&format!(
        "{} line 3 has 5 cells, the header {}",
        report.display(),
        REPORT_COLUMNS.len()
    ));
    assert_eq!(
        titles(&org),
        (1..=5).map(|id| format!("Lead {id}")).collect::<Vec<_>>()
    );
}
