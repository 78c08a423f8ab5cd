//! `--keep-reports N` and `--keep-reports-days D`: after a run with `--report-dir`, the old
//! time-named reports beyond the limits go; anything else in the directory stays.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use member_sync::sandbox::SandboxConfig;

use crate::util::*;

fn org() -> TestOrg {
    TestOrg::start(SandboxConfig::default(), generated_seed(3))
}

fn input(org: &TestOrg) -> PathBuf {
    org.input(
        "people.csv",
        &["email", "job_title"],
        [vec!["person1@gen.example", "Title 1"]],
    )
}

/// The names in `dir`.
fn names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

fn touch(dir: &Path, names: &[&str]) {
    for name in names {
        std::fs::write(dir.join(name), "row,outcome\n").unwrap();
    }
}

/// `plan INPUT --report-dir DIR EXTRA...` against `org`.
fn plan_into(org: &TestOrg, dir: &Path, extra: &[&str]) -> Run {
    let input = input(org);
    let mut command = org.connected(&["plan", input.to_str().unwrap()]);
    command.arg("--report-dir").arg(dir).args(extra);
    Run::of(&mut command, PathBuf::new())
}

/// The files this run wrote: its report and the HTML page beside it, the names in `after`
/// not in `before`.
fn new_report(before: &BTreeSet<String>, after: &BTreeSet<String>) -> BTreeSet<String> {
    let new: BTreeSet<String> = after.difference(before).cloned().collect();
    let stems: BTreeSet<&str> = new.iter().map(|n| n.split('.').next().unwrap()).collect();
    assert_eq!((new.len(), stems.len()), (2, 1), "{new:?}");
    assert!(new.iter().any(|n| n.ends_with(".html")), "{new:?}");
    assert!(
        new.iter().all(|n| n.starts_with("member-sync-report-")),
        "{new:?}"
    );
    new
}

const OLD: [&str; 7] = [
    "member-sync-report-20200101-020000.csv",
    "member-sync-report-20200101-020000.html",
    "member-sync-report-20200102-020000.csv",
    "member-sync-report-20200103-020000.xlsx",
    "member-sync-report-20200104-020000.csv",
    "member-sync-report-20200105-020000.csv",
    "member-sync-report-20200105-020000-2.csv",
];

/// Files that look like reports but are not member-sync's names, or not files.
const UNRELATED: [&str; 5] = [
    "notes.txt",
    "member-sync-report-latest.csv",
    "member-sync-report-20200101-020000.csv.bak",
    "member-sync-report-20200101-020000 (copy).csv",
    "summary.json",
];

#[test]
fn keeps_the_n_newest_reports_and_touches_nothing_else() {
    let org = org();
    let dir = org.path("reports");
    std::fs::create_dir(&dir).unwrap();
    touch(&dir, &OLD);
    touch(&dir, &UNRELATED);
    // A directory and a link with report names, and the file the link points to: never
    // removed, never followed.
    std::fs::create_dir(dir.join("member-sync-report-20190101-000000.csv")).unwrap();
    let outside = org.path("outside.csv");
    std::fs::write(&outside, "keep me").unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("member-sync-report-20180101-000000.csv"))
        .unwrap();
    let before = names(&dir);

    let run = plan_into(&org, &dir, &["--keep-reports", "3", "-v"]);

    run.assert_code(0);
    let after = names(&dir);
    let own = new_report(&before, &after);
    let mut expected: BTreeSet<String> = UNRELATED.iter().map(|s| s.to_string()).collect();
    expected.extend(
        [
            "member-sync-report-20190101-000000.csv",
            "member-sync-report-20180101-000000.csv",
            // The two newest before this run's.
            "member-sync-report-20200105-020000.csv",
            "member-sync-report-20200105-020000-2.csv",
        ]
        .map(String::from),
    );
    expected.extend(own);
    assert_eq!(after, expected);
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep me");
    for removed in &OLD[..5] {
        run.assert_stderr_contains(&format!(
            "removed the old report {} (beyond the 3 newest)",
            dir.join(removed).display()
        ));
    }
}

#[test]
fn reports_older_than_the_days_given_go() {
    let org = org();
    let dir = org.path("reports");
    std::fs::create_dir(&dir).unwrap();
    let yesterday = jiff::ZonedDateTime::now()
        .checked_sub(jiff::Span::new().days(1))
        .unwrap()
        .strftime("member-sync-report-%Y%m%d-%H%M%S.csv")
        .to_string();
    touch(&dir, &[OLD[0], OLD[1], &yesterday, "notes.txt"]);
    let before = names(&dir);

    let run = plan_into(&org, &dir, &["--keep-reports-days", "30", "-v"]);

    run.assert_code(0);
    let after = names(&dir);
    let own = new_report(&before, &after);
    let mut expected: BTreeSet<String> = [yesterday, "notes.txt".into()].into();
    expected.extend(own);
    assert_eq!(after, expected);
    run.assert_stderr_contains("(older than 30 days)");
}

#[test]
fn a_workbook_and_its_journal_are_one_report() {
    let org = org();
    let dir = org.path("reports");
    std::fs::create_dir(&dir).unwrap();
    let old = [
        "member-sync-report-20200101-020000.xlsx",
        "member-sync-report-20200101-020000.xlsx.journal.csv",
        "member-sync-report-20200102-020000.xlsx",
    ];
    touch(&dir, &old);
    let before = names(&dir);

    let run = plan_into(
        &org,
        &dir,
        &["--keep-reports", "2", "--report-format", "xlsx"],
    );

    run.assert_code(0);
    let after = names(&dir);
    let own = new_report(&before, &after);
    assert!(own.iter().any(|n| n.ends_with(".xlsx")), "{own:?}");
    let mut expected: BTreeSet<String> = [old[2].to_string()].into();
    expected.extend(own);
    assert_eq!(after, expected);
}

#[test]
fn a_profile_keeps_reports_and_a_named_report_is_never_a_reason_to_delete() {
    let org = org();
    let dir = org.path("reports");
    std::fs::create_dir(&dir).unwrap();
    touch(&dir, &OLD);
    let config = org.path("member-sync.toml");
    std::fs::write(
        &config,
        format!(
            "[profile.nightly]\nreport_dir = '{}'\nkeep_reports = 1\n",
            dir.display()
        ),
    )
    .unwrap();
    let input = input(&org);
    let profile = |extra: &[&str]| {
        let mut command = org.connected(&["plan", input.to_str().unwrap()]);
        command
            .args(["--profile", "nightly", "--config", config.to_str().unwrap()])
            .args(extra);
        Run::of(&mut command, PathBuf::new())
    };

    // A report named on the command line: the profile's retention is set aside.
    let named = org.path("named.csv");
    profile(&["--report", named.to_str().unwrap()]).assert_code(0);
    assert_eq!(names(&dir).len(), OLD.len());

    profile(&[]).assert_code(0);
    let after = names(&dir);
    assert_eq!(after.len(), 2, "this run's report and page: {after:?}");
    assert!(
        !after.iter().any(|n| OLD.contains(&n.as_str())),
        "{after:?}"
    );
}

#[test]
fn keep_reports_is_a_usage_error_with_report_or_zero() {
    let org = org();
    let input = input(&org);
    let report = org.path("r.csv");
    let mut command = org.connected(&["plan", input.to_str().unwrap()]);
    command
        .arg("--report")
        .arg(&report)
        .args(["--keep-reports", "3"]);
    let with_report = Run::of(&mut command, report.clone());
    with_report.assert_code(2);
    with_report.assert_stderr_contains(
        "error: the argument '--report <PATH>' cannot be used with '--keep-reports <N>'",
    );
    let zero = plan_into(&org, &org.path("reports"), &["--keep-reports", "0"]);
    zero.assert_code(2);
}
