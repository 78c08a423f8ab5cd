//! Item 14 of issue #16 (outputs): a report directory that does not exist yet is created, and
//! a report that cannot be created says why, with a hint that fits the cause.

use super::*;

#[test]
fn a_missing_report_dir_is_created() {
    let org = TestOrg::embedded();
    let input = small_input(&org);
    let dir = org.path("reports/nightly");
    let mut command = org.connected(&[
        "plan",
        "--rate",
        "1000/s",
        "--report-dir",
        dir.to_str().unwrap(),
    ]);
    command.arg(&input);

    Finished::of(&mut command).assert_code(0);

    // The report, and its HTML page beside it (tests/html_report).
    let reports: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(reports.len(), 2);
}

#[test]
fn a_report_in_a_missing_directory_names_the_directory() {
    let org = TestOrg::embedded();
    let input = small_input(&org);
    let missing = org.path("no-such-dir");
    let report = missing.join("r.csv");

    let run = Run::of(&mut org.command("plan", &input, &report), report.clone());

    run.assert_code(1);
    run.assert_stderr_contains(&format!(
        "hint: the directory {} does not exist: create it, or choose another --report",
        missing.display()
    ));
    assert!(!run.stderr.contains("overwritten"), "{}", run.stderr);
}

#[test]
fn a_directory_given_as_the_report_points_to_report_dir() {
    let org = TestOrg::embedded();
    let input = small_input(&org);
    let dir = org.path("reports");
    std::fs::create_dir(&dir).unwrap();

    let run = Run::of(&mut org.command("plan", &input, &dir), org.path("none.csv"));

    run.assert_code(1);
    run.assert_stderr_contains(&format!("{}: it is a directory", dir.display()));
    run.assert_stderr_contains(&format!(
        "hint: --report takes a file; to keep a report named by time in that directory, use --report-dir {}",
        dir.display()
    ));
}

#[test]
fn an_existing_report_is_refused_with_the_usual_hint() {
    let org = TestOrg::embedded();
    let input = small_input(&org);
    let report = org.path("taken.csv");
    std::fs::write(&report, "row\n").unwrap();

    let run = Run::of(
        &mut org.command("plan", &input, &report),
        org.path("none.csv"),
    );

    run.assert_code(1);
    run.assert_stderr_contains(&format!("{}: it exists", report.display()));
    run.assert_stderr_contains("an existing report is never overwritten");
}

/// `/sys` refuses new files to everyone, root included: the one denial a test run as root
/// still meets.
#[cfg(target_os = "linux")]
#[test]
fn a_report_where_writing_is_denied_says_so() {
    let org = TestOrg::embedded();
    let input = small_input(&org);
    let report = PathBuf::from("/sys/member-sync-report.csv");

    let run = Run::of(
        &mut org.command("plan", &input, &report),
        org.path("none.csv"),
    );

    run.assert_code(1);
    run.assert_stderr_contains("permission denied");
    run.assert_stderr_contains(
        "hint: this user may not create files in /sys: choose a directory it can write to with --report, or change that directory's permissions",
    );
}
