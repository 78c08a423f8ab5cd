//! Item 6: `-q` (what cron runs with) keeps every row that did not go through, and every run
//! ends with the list of them: row, line in the file, email, why.

use member_sync::sandbox::SandboxConfig;
use serde_json::Value;

use super::warnings_naming_row;
use crate::util::*;

/// The report lines a person must look at: the outcomes that make a run exit 3.
fn rows_needing_attention(report: &[ReportRow]) -> Vec<&ReportRow> {
    report
        .iter()
        .filter(|r| ["invalid", "failed", "cancelled", "stale"].contains(&r["outcome"].as_str()))
        .collect()
}

fn row_number(row: &ReportRow) -> usize {
    row["row"].parse().expect("`row` is a number")
}

#[test]
fn quiet_keeps_every_invalid_and_failed_row_with_its_line_email_and_why() {
    let org = TestOrg::embedded();

    let run = org.apply(&sample_export(), &["-q"]);

    run.assert_code(3);
    let bad = rows_needing_attention(&run.report);
    assert_eq!(
        outcome_counts(&run.report)
            .into_iter()
            .filter(|(o, _)| o == "invalid" || o == "failed")
            .collect::<Vec<_>>(),
        [("failed".to_string(), 2), ("invalid".to_string(), 6)]
    );
    for row in bad {
        let n = row_number(row);
        let lines = warnings_naming_row(&run.stderr, n);
        assert_eq!(lines.len(), 1, "row {n} once:\n{}", run.stderr);
        // The sample has its header on line 1 and no blank line: row n is on line n + 1.
        let expected = format!(
            "warning: row {n} (line {}, {}) {}: {}",
            n + 1,
            row["email"],
            row["outcome"],
            row["error"]
        );
        assert_eq!(lines[0], expected);
    }
    run.assert_stderr_contains("warning: 8 rows need attention (6 invalid, 2 failed)");
    run.assert_stderr_contains(&run.report_path.display().to_string());
}

#[test]
fn json_logs_under_quiet_carry_each_such_row_as_a_warn_event() {
    let org = TestOrg::embedded();

    let run = org.apply(&sample_export(), &["-q", "--log-format", "json"]);

    run.assert_code(3);
    let events: Vec<Value> = run
        .stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let mut logged: Vec<(u64, String)> = events
        .iter()
        .filter(|e| e["fields"]["message"] == "row finished")
        .map(|e| {
            assert_eq!(e["level"], "WARN", "{e}");
            let fields = &e["fields"];
            assert_eq!(fields["line"], fields["row"].as_u64().unwrap() + 1, "{e}");
            assert!(
                fields["email"].is_string() && fields["error"].is_string(),
                "{e}"
            );
            (
                fields["row"].as_u64().unwrap(),
                fields["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    logged.sort();
    let mut expected: Vec<(u64, String)> = rows_needing_attention(&run.report)
        .into_iter()
        .map(|r| (row_number(r) as u64, r["outcome"].clone()))
        .collect();
    expected.sort();
    assert_eq!(logged, expected);
}

#[test]
fn the_list_names_the_first_twenty_then_points_at_the_report() {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(30));
    let rows = (1..=30).map(|n| vec![format!("person{n}@gen.example"), "Mars/Olympus".into()]);
    let input = org.input("zones.csv", &["email", "timezone"], rows);

    let run = org.plan(&input, &["-q"]);

    run.assert_code(3);
    for n in 1..=20 {
        assert_eq!(warnings_naming_row(&run.stderr, n).len(), 1, "row {n}");
    }
    for n in 21..=30 {
        assert!(warnings_naming_row(&run.stderr, n).is_empty(), "row {n}");
    }
    assert!(
        run.stderr
            .lines()
            .last()
            .is_some_and(|l| l == "warning: and 10 more: see the report"),
        "{}",
        run.stderr
    );
}

#[test]
fn without_quiet_the_run_ends_naming_its_failed_rows() {
    let org = TestOrg::embedded();

    let run = org.apply(&sample_export(), &["-v"]);

    run.assert_code(3);
    let summary_at = run
        .stderr
        .find("44 rows: ")
        .unwrap_or_else(|| panic!("no summary line:\n{}", run.stderr));
    let after_summary = &run.stderr[summary_at..];
    for row in run.report.iter().filter(|r| r["outcome"] == "failed") {
        let named = warnings_naming_row(after_summary, row_number(row));
        assert_eq!(named.len(), 1, "{}", run.stderr);
        assert!(named[0].contains(&row["email"]), "{}", named[0]);
    }
}

#[test]
fn a_run_with_nothing_wrong_lists_nothing() {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(5));
    let input = super::partly_matching(&org, "ok.csv", 5, 5);

    let run = org.apply(&input, &["-q"]);

    run.assert_code(0);
    assert_eq!(run.stderr, "");
}
