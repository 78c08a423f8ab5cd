//! The workbook report (`--report-format xlsx`, or a `--report` ending `.xlsx`): the CSV's
//! columns and lines, accents intact, formula-looking text as text; `rollback` and
//! `--only-rows-from` read it; a crash leaves the CSV journal, which they read too.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use calamine::{Data, Reader, Xlsx, open_workbook};
use member_sync::sandbox::SandboxConfig;

use crate::util::*;

const ACCENTS: &str = "Zoë Ångström, Développement";
const FORMULA: &str = "=HYPERLINK(\"http://x.example\";\"click\")";

/// A workbook report read as the CSV tests read theirs: column name → cell text (numbers as
/// their digits). Panics unless the header is the CSV report's.
fn read_workbook_report(path: &Path) -> Vec<ReportRow> {
    let mut book: Xlsx<_> =
        open_workbook(path).unwrap_or_else(|e| panic!("{} is not a workbook: {e}", path.display()));
    let sheet = book.sheet_names()[0].clone();
    let formulas = book.worksheet_formula(&sheet).unwrap();
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "a report cell is a formula: {formulas:?}"
    );
    let range = book.worksheet_range(&sheet).unwrap();
    let mut rows = range.rows();
    let header: Vec<String> = rows.next().unwrap().iter().map(text).collect();
    assert_eq!(header, REPORT_COLUMNS, "report columns");
    rows.map(|cells| header.iter().cloned().zip(cells.iter().map(text)).collect())
        .collect()
}

fn text(cell: &Data) -> String {
    match cell {
        Data::Float(f) => format!("{}", *f as i64),
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => panic!("a report cell that is neither text nor a number: {other:?}"),
    }
}

/// Three members get new titles (accents, a formula, a minus sign), one is unchanged, and a
/// row whose email is a formula is invalid.
fn input(org: &TestOrg) -> PathBuf {
    let rows = [
        ["person1@gen.example", ACCENTS],
        ["person2@gen.example", "=1+1"],
        ["person3@gen.example", "-5 Lead"],
        ["person4@gen.example", "Analyst"],
        [FORMULA, "X"],
    ];
    org.input(
        "input.csv",
        &["email", "job_title"],
        rows.iter().map(|r| r.to_vec()),
    )
}

fn titles(org: &TestOrg) -> Vec<String> {
    (1..=4)
        .map(|id| org.member(id)["job_title"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn an_xlsx_report_holds_the_csv_lines_as_text_and_reads_back() {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(4));
    let input = input(&org);
    let report = org.path("apply.xlsx");
    let run = Run::of(
        &mut org.command("apply", &input, &report),
        PathBuf::from("/nonexistent"),
    );
    run.assert_code(3).assert_stderr_contains(&format!(
        "report: {} (written when the run ends; until then line by line in {}.journal.csv)",
        report.display(),
        report.display()
    ));
    assert!(
        !org.path("apply.xlsx.journal.csv").exists(),
        "the journal stays"
    );

    let lines = read_workbook_report(&report);
    assert_eq!(
        outcome_counts(&lines),
        counts(&[("updated", 3), ("unchanged", 1), ("invalid", 1)])
    );
    let accents = report_row(&lines, 1);
    assert_eq!(json_cell(accents, "after")["job_title"], ACCENTS);
    assert!(accents["changes"].contains(ACCENTS), "{accents:?}");
    assert_eq!(accents["attempts"], "1");
    assert_eq!(
        json_cell(report_row(&lines, 2), "after")["job_title"],
        "=1+1"
    );
    assert_eq!(report_row(&lines, 5)["email"], FORMULA);

    // `--only-rows-from` and `rollback` read it.
    let rerun = org.apply(
        &input,
        &[
            "--only-rows-from",
            report.to_str().unwrap(),
            "--outcomes",
            "updated",
        ],
    );
    rerun.assert_code(0);
    assert_eq!(outcome_counts(&rerun.report), counts(&[("unchanged", 3)]));
    let undo = org.run_command("rollback", &report, &[]);
    undo.assert_code(0);
    assert_eq!(outcome_counts(&undo.report), counts(&[("updated", 3)]));
    assert_eq!(titles(&org), ["Analyst"; 4]);
}

#[test]
fn report_format_xlsx_names_a_timed_report_xlsx() {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(4));
    let input = input(&org);
    let dir = org.path("reports");
    std::fs::create_dir(&dir).unwrap();
    let mut command = member_sync();
    command
        .args([
            "plan",
            input.to_str().unwrap(),
            "--base-url",
            &org.base_url(),
        ])
        .args(["--org", org.org_id(), "--report-dir", dir.to_str().unwrap()])
        .args(["--report-format", "xlsx"])
        .env("TALLYFY_ACCESS_TOKEN", org.token());
    Run::of(&mut command, PathBuf::from("/nonexistent")).assert_code(3);
    // Beside the workbook, its HTML page (tests/html_report).
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.ends_with(".html"))
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(names[0].starts_with("member-sync-report-") && names[0].ends_with(".xlsx"));
    let lines = read_workbook_report(&dir.join(&names[0]));
    assert_eq!(outcome_counts(&lines)["planned"], 3);
}

#[test]
fn a_report_format_the_extension_contradicts_is_refused() {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(4));
    let input = input(&org);
    let report = org.path("r.csv");
    let run = Run::of(
        org.command("plan", &input, &report)
            .args(["--report-format", "xlsx"]),
        report.clone(),
    );
    run.assert_code(1)
        .assert_stderr_contains(&format!(
            "error: --report-format xlsx does not match --report {}",
            report.display()
        ))
        .assert_stderr_contains("hint: a report ending .xlsx is a workbook");
    assert!(!report.exists());
}

#[test]
fn a_crash_leaves_the_journal_whole_and_readable() {
    let config = SandboxConfig {
        latency: Duration::from_millis(50),
        ..SandboxConfig::default()
    };
    let org = TestOrg::start(config, generated_seed(60));
    let rows = (1..=60).map(|id| vec![format!("person{id}@gen.example"), format!("Lead {id}")]);
    let input = org.input("titles.csv", &["email", "job_title"], rows);
    let report = org.path("crash.xlsx");
    let journal = org.path("crash.xlsx.journal.csv");
    let mut child = org.spawn(
        "apply",
        &input,
        &report,
        &["--rate", "40/s", "--concurrency", "2", "-q"],
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while read_report(&journal).len() < 5 {
        assert!(
            Instant::now() < deadline,
            "no lines in the journal after 60 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("the run ends");

    assert_eq!(
        std::fs::metadata(&report).unwrap().len(),
        0,
        "the workbook is empty"
    );
    assert!(std::fs::read(&journal).unwrap().ends_with(b"\n"));
    let updated = outcome_counts(&read_report(&journal))["updated"];
    assert!(updated >= 5);
    let undo = org.run_command("rollback", &journal, &[]);
    undo.assert_code(0);
    assert_eq!(
        outcome_counts(&undo.report),
        counts(&[("updated", updated)])
    );
}

#[test]
fn a_cell_longer_than_excel_holds_is_cut_with_a_warning_and_the_journal_kept() {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(2));
    let huge = format!("not-an-email-{}", "x".repeat(40_000));
    let input = org.input(
        "huge.csv",
        &["email", "job_title"],
        [vec![huge.clone(), "X".into()]],
    );
    let report = org.path("huge.xlsx");
    let journal = org.path("huge.xlsx.journal.csv");
    let run = Run::of(
        &mut org.command("plan", &input, &report),
        PathBuf::from("/nonexistent"),
    );
    run.assert_code(3)
        .assert_stderr_contains(&format!(" of {} ", report.display()))
        .assert_stderr_contains("more than a spreadsheet cell does (32,767 characters) and ")
        .assert_stderr_contains(&format!(
            "the first on line 2 (`email`); {} keeps the whole lines",
            journal.display()
        ));
    let email = &read_workbook_report(&report)[0]["email"];
    assert_eq!(email.chars().count(), 32_767);
    assert!(email.ends_with('…'));
    assert_eq!(read_report(&journal)[0]["email"], huge);
}
