//! The HTML run report (#21, "Look"): one self-contained page beside the CSV (`--html PATH`, or
//! always in `--report-dir`), written from the report's lines as they are in the file: the
//! headline, failures first, the changes by field, the rest collapsed. Hostile member data is
//! text in it ([`hostile`]), large runs list a bounded number of rows ([`large`]), and a real
//! browser shows it ([`chromium`]).

mod chromium;
mod groups;
mod hostile;
mod large;

use std::path::{Path, PathBuf};

use member_sync::sandbox::{SandboxConfig, Seed};
use serde_json::json;

use crate::util::*;

/// The page a run wrote.
pub(super) fn page(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("no HTML report at {}: {e}", path.display()))
}

/// Six people (`person1..6@gen.example`, titles `Analyst`) and a bot the server refuses to
/// edit (`bot@gen.example`, id 7), with `extra` members after them.
pub(super) fn org_with_a_bot(extra: Vec<serde_json::Value>) -> TestOrg {
    let mut seed = Seed::generated("html-org", 6);
    seed.members.push(json!({
        "id": 7, "email": "bot@gen.example", "first_name": "Build", "last_name": "Bot",
        "job_title": "Robot", "is_bot": true,
    }));
    seed.members.extend(extra);
    TestOrg::start(SandboxConfig::default(), seed)
}

/// Rows that end every common way: two titles changed (rows 1, 2), a team changed (3),
/// unchanged (4), no such member (5), an invalid email (6), the bot (7, `failed` under
/// `apply`), and a duplicate of row 1 (8).
pub(super) fn rows_of_every_kind(org: &TestOrg) -> PathBuf {
    org.input(
        "people.csv",
        &["email", "job_title", "team"],
        [
            ["person1@gen.example", "Team Lead", ""],
            ["person2@gen.example", "Controller", ""],
            ["person3@gen.example", "", "Sales"],
            ["person4@gen.example", "Analyst", ""],
            ["nobody@gen.example", "Analyst", ""],
            ["not-an-email", "Analyst", ""],
            ["bot@gen.example", "Human", ""],
            ["person1@gen.example", "Team Lead", ""],
        ]
        .map(|row| row.to_vec()),
    )
}

/// Where `needle` is in `page`, panicking with the page when it is not there.
#[track_caller]
pub(super) fn at(page: &str, needle: &str) -> usize {
    page.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in the page:\n{page}"))
}

#[test]
fn the_page_shows_the_run_failures_first_then_the_changes_then_the_rest() {
    let org = org_with_a_bot(Vec::new());
    let input = rows_of_every_kind(&org);
    let html = org.path("run.html");
    let summary = org.path("summary.json");
    let run = org.apply(
        &input,
        &[
            "--html",
            html.to_str().unwrap(),
            "--summary-json",
            summary.to_str().unwrap(),
        ],
    );
    run.assert_code(3);
    run.assert_stderr_contains(&format!("HTML report: {}", html.display()));
    let page = page(&html);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();

    // The headline: the command, each outcome's count (a bar and its legend), the requests.
    assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
    at(&page, "<title>member-sync apply");
    at(&page, "<svg");
    for count in [
        "3 updated",
        "1 unchanged",
        "1 not_found",
        "1 invalid",
        "1 failed",
        "1 duplicate",
    ] {
        at(&page, &format!("{count}</li>"));
    }
    at(&page, "<h1>member-sync apply</h1>");
    at(&page, "exit code 3");
    let number = |name: &str| format!("<dt>{name}</dt><dd>{}</dd>", summary[name]);
    at(&page, &number("requests"));
    at(&page, &number("retries"));
    at(&page, "<dt>answered 429</dt><dd>0</dd>");
    at(&page, "pace: ");

    // Failures first, with their reasons; then the changes by field; then the rest.
    let attention = at(&page, "id=\"attention\"");
    let bot = at(&page, "HTTP 403: Bot users cannot be edited.");
    let invalid = at(&page, "not-an-email");
    let changes = at(&page, "id=\"changes\"");
    let rest = at(&page, "id=\"rest\"");
    assert!(attention < bot && bot < changes && invalid < changes && changes < rest);

    // Each changed field is a table of its own, before → after.
    let job_title = at(&page, "<h3>job_title");
    let team = at(&page, "<h3>team");
    let lead = at(
        &page,
        "<td>Analyst</td><td class=\"arrow\">→</td><td>Team Lead</td>",
    );
    let sales = at(
        &page,
        "<td>Operations</td><td class=\"arrow\">→</td><td>Sales</td>",
    );
    assert!(job_title < lead && lead < team && team < sales && sales < rest);

    // The rest is collapsed, one outcome at a time.
    let collapsed = &page[rest..];
    at(collapsed, "<details><summary>unchanged (1)</summary>");
    at(collapsed, "<details><summary>not_found (1)</summary>");
    at(collapsed, "same as row 1");
    assert!(!collapsed.contains("<details open"), "{collapsed}");

    // Filtering by text: a box the page's one script shows.
    at(&page, "id=\"filter\"");
}

#[test]
fn a_run_a_guard_stopped_has_its_page_with_the_refusal() {
    let org = org_with_a_bot(Vec::new());
    let input = rows_of_every_kind(&org);
    let html = org.path("refused.html");
    let run = org.apply(
        &input,
        &["--max-changes", "1", "--html", html.to_str().unwrap()],
    );
    run.assert_code(4);
    let page = page(&html);
    at(&page, "exit code 4: ");
    at(&page, "hint: ");
    at(&page, "4 planned</li>");
    at(
        &page,
        "<td>Analyst</td><td class=\"arrow\">→</td><td>Team Lead</td>",
    );
    // Told before the refusal, which stays the last thing on stderr.
    assert!(
        at(&run.stderr, "HTML report: ") < at(&run.stderr, "error: "),
        "{}",
        run.stderr
    );
}

#[test]
fn a_report_dir_gets_a_page_beside_each_report() {
    let org = org_with_a_bot(Vec::new());
    let input = rows_of_every_kind(&org);
    let dir = org.path("reports");
    for _ in 0..2 {
        let run = Run::of(
            org.connected(&["plan", input.to_str().unwrap()]).args([
                "--report-dir",
                dir.to_str().unwrap(),
                "--rate",
                "1000/s",
            ]),
            PathBuf::new(),
        );
        run.assert_code(3);
        run.assert_stderr_contains("HTML report: ");
    }
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 4, "{names:?}");
    for csv in names.iter().filter(|name| name.ends_with(".csv")) {
        let stem = csv.strip_suffix(".csv").unwrap();
        assert!(stem.starts_with("member-sync-report-"), "{csv}");
        let html = dir.join(format!("{stem}.html"));
        assert!(names.contains(&format!("{stem}.html")), "{names:?}");
        assert_private(&html);
        at(&page(&html), csv);
    }
}

#[test]
fn an_existing_page_is_never_overwritten_and_stops_the_run_before_it_starts() {
    let org = org_with_a_bot(Vec::new());
    let input = rows_of_every_kind(&org);
    let html = org.path("taken.html");
    std::fs::write(&html, "an earlier page").unwrap();
    let run = org.apply(&input, &["--html", html.to_str().unwrap()]);
    run.assert_code(1);
    run.assert_stderr_contains(&format!(
        "error: cannot write the HTML report {}: it exists",
        html.display()
    ));
    run.assert_stderr_contains(
        "hint: an existing HTML report is never overwritten: choose another path with --html",
    );
    assert_eq!(std::fs::read_to_string(&html).unwrap(), "an earlier page");
    assert!(!run.report_path.exists(), "a report was started");
    assert!(org.journal().is_empty(), "requests were sent");
}

#[test]
fn a_page_that_cannot_be_written_at_the_end_fails_the_run_and_leaves_the_report_whole() {
    let org = org_with_a_bot(Vec::new());
    let input = org.input(
        "fine.csv",
        &["email", "job_title"],
        [["person1@gen.example", "Team Lead"]].map(|row| row.to_vec()),
    );
    // A page of the same name as the report the run will name by time is in the way (as
    // one whose report was removed would be).
    let dir = org.path("reports");
    std::fs::create_dir(&dir).unwrap();
    let now = jiff::ZonedDateTime::now();
    for second in 0..120 {
        let at = now
            .checked_add(jiff::SignedDuration::from_secs(second))
            .unwrap();
        let name = at
            .strftime("member-sync-report-%Y%m%d-%H%M%S.html")
            .to_string();
        std::fs::write(dir.join(name), "an earlier page").unwrap();
    }
    let run = Run::of(
        org.connected(&["plan", input.to_str().unwrap()]).args([
            "--report-dir",
            dir.to_str().unwrap(),
            "--rate",
            "1000/s",
        ]),
        PathBuf::new(),
    );
    run.assert_code(1);
    run.assert_stderr_contains("error: cannot write the HTML report ");
    run.assert_stderr_contains(
        "hint: an existing HTML report is never overwritten: choose another path with --report-dir",
    );
    let report = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_some_and(|e| e == "csv"))
        .expect("the report");
    assert_eq!(
        outcome_counts(&read_report(&report)),
        counts(&[("planned", 1)])
    );
    assert_eq!(
        std::fs::read_to_string(report.with_extension("html")).unwrap(),
        "an earlier page"
    );
}

#[test]
fn the_page_and_the_report_cannot_share_a_path() {
    let org = org_with_a_bot(Vec::new());
    let input = rows_of_every_kind(&org);
    let report = org.path("same.csv");
    let run = Run::of(
        org.command("plan", &input, &report)
            .args(["--html", report.to_str().unwrap()]),
        report.clone(),
    );
    run.assert_code(1);
    run.assert_stderr_contains(&format!(
        "error: --report and --html name the same file {}",
        report.display()
    ));
}

#[test]
fn a_workbook_report_gets_its_page_from_the_lines_it_was_written_from() {
    let org = org_with_a_bot(Vec::new());
    let input = rows_of_every_kind(&org);
    let report = org.path("plan.xlsx");
    let html = org.path("plan.html");
    let output = org
        .command("plan", &input, &report)
        .args(["--html", html.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    assert!(report.is_file() && !org.path("plan.xlsx.journal.csv").exists());
    let page = page(&html);
    at(&page, "<title>member-sync plan");
    at(&page, "4 planned</li>");
    at(
        &page,
        "<td>Analyst</td><td class=\"arrow\">→</td><td>Team Lead</td>",
    );
}

/// The file is readable and writable by its owner only.
#[track_caller]
fn assert_private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", path.display());
    }
}
