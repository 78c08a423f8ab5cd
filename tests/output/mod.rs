//! What goes where: stdout carries no human lines (they are on stderr), and report cells that
//! a spreadsheet would run as formulas are neutralized.

use crate::util::scenario::twenty_changes;
use crate::util::*;

#[test]
fn stdout_is_data() {
    let org = TestOrg::embedded();
    let scenario = twenty_changes(&org, &[]);

    for (subcommand, flags) in [
        ("plan", &[][..]),
        ("apply", &[][..]),
        ("apply", &["-vv"][..]),
    ] {
        let run = match subcommand {
            "plan" => org.plan(&scenario.input, flags),
            _ => org.apply(&scenario.input, flags),
        };
        run.assert_code(0);
        assert_eq!(run.stdout, "", "{subcommand} {flags:?}");
        assert!(!run.stderr.is_empty(), "{subcommand}: people get a summary");
    }
}

#[test]
fn report_cells_are_excel_safe() {
    let org = TestOrg::embedded();
    let input = org.input(
        "phones.csv",
        &["email", "phone"],
        [
            vec!["amelia.hart@acme.example", "+44 20 7946 0000"],
            vec!["=HYPERLINK(\"http://x.example\")", ""],
            vec!["@SUM(A1)", ""],
            vec!["-1+1", ""],
        ],
    );

    let run = org.apply(&input, &[]);

    run.assert_code(3);
    let phone = report_row(&run.report, 1);
    assert_eq!(phone["outcome"], "updated");
    assert_eq!(
        json_cell(phone, "after"),
        serde_json::json!({"phone": "+44 20 7946 0000"})
    );
    assert_eq!(
        json_cell(phone, "before"),
        serde_json::json!({"phone": "+44 555 1000"})
    );
    assert!(phone["changes"].starts_with("phone"), "{phone:?}");
    assert_eq!(org.member(1001)["phone"], "+44 20 7946 0000");
    for (row, email) in [
        (2, "=HYPERLINK(\"http://x.example\")"),
        (3, "@SUM(A1)"),
        (4, "-1+1"),
    ] {
        let line = report_row(&run.report, row);
        assert_eq!(line["outcome"], "invalid", "{line:?}");
        assert_eq!(line["email"], format!("'{email}"), "row {row}");
    }
}

#[test]
fn logs_on_a_pipe_are_plain_text() {
    let org = TestOrg::embedded();
    let scenario = twenty_changes(&org, &[]);
    let report = org.fresh_report_path();
    let mut command = org.command("plan", &scenario.input, &report);
    // Neither NO_COLOR nor a terminal: colour must still follow where stderr goes.
    command.env_remove("NO_COLOR").arg("-vv");

    let run = Run::of(&mut command, report);

    run.assert_code(0);
    run.assert_stderr_contains("read a page of members");
    assert!(
        !run.stderr.contains('\u{1b}'),
        "escape codes in:\n{:?}",
        run.stderr
    );
}

#[test]
fn completions_and_the_man_page_come_from_the_command_line_definition() {
    for shell in ["bash", "zsh", "fish"] {
        let output = member_sync().args(["completions", shell]).output().unwrap();
        assert!(output.status.success(), "{shell}");
        let script = String::from_utf8(output.stdout).unwrap();
        assert!(
            script.contains("max-changes"),
            "{shell} completes every flag"
        );
    }
    let output = member_sync().arg("man").output().unwrap();
    let page = String::from_utf8(output.stdout).unwrap();
    assert!(page.contains(".TH member-sync 1"), "{page}");
    assert!(page.contains("sandbox"));
}

#[test]
fn every_run_keeps_its_report_in_the_report_dir() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        member_sync()
            .args([
                "plan",
                "--sandbox",
                "--rate",
                "1000/s",
                "-q",
                "--report-dir",
            ])
            .arg(dir.path())
            .arg(sample_export())
            .output()
            .unwrap();
    }
    // Beside each report, its HTML page (tests/html_report).
    let reports: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| !name.ends_with(".html"))
        .collect();
    assert_eq!(reports.len(), 2, "{reports:?}");
    assert!(
        reports
            .iter()
            .all(|r| r.starts_with("member-sync-report-") && r.ends_with(".csv"))
    );
}

#[test]
fn json_logs_are_one_object_per_line_with_the_run_id_and_every_row() {
    let org = TestOrg::with_secret_token(Default::default());
    let run = org.apply(&sample_export(), &["--log-format", "json", "-vv"]);
    run.assert_code(3);
    let lines: Vec<serde_json::Value> = run
        .stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let run_ids: std::collections::BTreeSet<&str> = lines
        .iter()
        .filter_map(|l| l["span"]["run_id"].as_str())
        .collect();
    assert_eq!(run_ids.len(), 1, "one run id: {run_ids:?}");
    let rows: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "row finished")
        .collect();
    assert_eq!(rows.len(), 44);
    assert!(
        rows.iter()
            .all(|r| r["fields"]["outcome"].is_string() && r["fields"]["row"].is_u64())
    );
    assert!(
        rows.iter()
            .any(|r| r["fields"]["email"] == "zoe.fischer@acme.example")
    );
    assert!(!run.stderr.contains(SECRET_TOKEN));
}
