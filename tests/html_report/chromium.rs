//! The page in a real browser: headless Chromium loads it from the file, and its DOM (after
//! scripts ran) shows the counts, the page's own script ran under its Content-Security-Policy
//! (the filter box is shown, and filters), and nothing from data ran (each hostile value would
//! set the title to `pwned`). A screenshot is saved for people to look at.
//!
//! Chromium is not installed by CI (a few hundred megabytes from the system's packages). Where
//! it is missing this test says so on the terminal (past the test harness's capture) and
//! passes; docs/report.md has the command to run it (`apt-get install chromium`).

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::groups::{HOSTILE_SHOWN, group_org, group_run};
use super::hostile::{hostile_run, members_with_hostile_titles};
use super::*;

/// How long Chromium may take to load a local page before the test gives up: a bound on a
/// hang, not a measurement.
const PATIENCE: Duration = Duration::from_secs(120);

#[test]
fn chromium_shows_the_counts_and_runs_no_script_from_data() {
    let Some(chromium) = find_chromium() else {
        skipped();
        return;
    };
    let org = org_with_a_bot(members_with_hostile_titles());
    let input = hostile_run(&org);
    let html = org.path("hostile.html");
    org.plan(&input, &["--html", html.to_str().unwrap()])
        .assert_code(3);
    let title = element_text(&page(&html), "title").to_string();
    assert!(title.starts_with("member-sync plan"), "{title}");

    let dom = chromium.dump_dom(&org, &html, "");
    // The title is the page's own: no value from data ran as script.
    assert_eq!(element_text(&dom, "title"), title, "{dom}");
    assert_eq!(dom.matches("<script").count(), 1, "{dom}");
    assert!(!dom.contains("<img"), "{dom}");
    // The counts are in the document as shown.
    at(&dom, "12 planned</li>");
    at(&dom, "2 invalid</li>");
    // The page's own script ran (its hash is in the policy): the filter box is shown.
    let filter_box = opening_tag(&dom, "id=\"filterbox\"");
    assert!(!filter_box.contains("hidden"), "{filter_box}");

    // The filter, given in the address (`#filter=...`): rows without the text are hidden.
    let dom = chromium.dump_dom(&org, &html, "#filter=person2%40gen");
    let shown = opening_tag(&dom, "person2@gen.example");
    let hidden = opening_tag(&dom, "person3@gen.example");
    assert!(!shown.contains("hidden"), "{shown}");
    assert!(hidden.contains("hidden"), "{hidden}");
}

#[test]
fn chromium_takes_a_screenshot_of_an_ordinary_run() {
    let Some(chromium) = find_chromium() else {
        skipped();
        return;
    };
    let org = org_with_a_bot(Vec::new());
    let input = rows_of_every_kind(&org);
    let html = org.path("member-sync-report.html");
    org.apply(&input, &["--html", html.to_str().unwrap()])
        .assert_code(3);
    let png = org.path("report-html.png");
    chromium.run(
        &org,
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1100,1000".into(),
            "--hide-scrollbars".into(),
            file_url(&html, ""),
        ],
    );
    let bytes = std::fs::read(&png).expect("Chromium wrote the screenshot");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    assert_eq!(width, 1100);
    // Kept where a person can look at it (docs/report-html.png is one of these).
    let kept = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-html.png");
    std::fs::copy(&png, &kept).unwrap();
    let _ = writeln!(std::io::stderr(), "screenshot: {}", kept.display());
}

#[test]
fn chromium_shows_a_hostile_group_name_as_text() {
    let Some(chromium) = find_chromium() else {
        skipped();
        return;
    };
    let org = group_org(member_sync::sandbox::SandboxConfig::default());
    let html = org.path("groups.html");
    group_run(&org, &html, &[]).assert_code(0);
    let title = element_text(&page(&html), "title").to_string();

    let dom = chromium.dump_dom(&org, &html, "");
    assert_eq!(element_text(&dom, "title"), title, "{dom}");
    assert!(!dom.contains("<img"), "{dom}");
    at(&dom, &format!("<td>{HOSTILE_SHOWN}</td><td>updated</td>"));
}

fn skipped() {
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED html_report::chromium: Chromium is not installed; the HTML report was not \
         opened in a browser. Install it to run this test (apt-get install chromium; \
         docs/report.md, \"The HTML report\"). ***\n"
    );
}

/// Headless Chromium.
struct Chromium(PathBuf);

/// Chromium on the PATH, by the names Debian and others give it.
fn find_chromium() -> Option<Chromium> {
    let paths = std::env::var_os("PATH")?;
    [
        "chromium",
        "chromium-headless-shell",
        "chromium-browser",
        "google-chrome",
    ]
    .iter()
    .flat_map(|name| std::env::split_paths(&paths).map(move |dir| dir.join(name)))
    .find(|path| path.is_file())
    .map(Chromium)
}

impl Chromium {
    /// The document after the page's scripts ran, as Chromium serializes it.
    fn dump_dom(&self, org: &TestOrg, page: &Path, fragment: &str) -> String {
        self.run(org, &["--dump-dom".into(), file_url(page, fragment)])
    }

    /// Runs Chromium headless on its own profile, with nothing reaching out to the network;
    /// its stdout.
    fn run(&self, org: &TestOrg, args: &[String]) -> String {
        let profile = org.path("chromium-profile");
        let mut child = Command::new(&self.0)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(args)
            .env("HOME", org.path("chromium-home"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("Chromium starts");
        let started = Instant::now();
        while child.try_wait().expect("wait for Chromium").is_none() {
            if started.elapsed() > PATIENCE {
                let _ = child.kill();
                panic!("Chromium did not finish within {PATIENCE:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let output = child.wait_with_output().expect("Chromium's output");
        assert!(
            output.status.success(),
            "Chromium failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

fn file_url(path: &Path, fragment: &str) -> String {
    let absolute = std::path::absolute(path).unwrap();
    format!("file://{}{fragment}", absolute.display())
}

/// The text of the first `<name>` element.
fn element_text<'d>(document: &'d str, name: &str) -> &'d str {
    let start = at(document, &format!("<{name}>")) + name.len() + 2;
    let end = start + at(&document[start..], &format!("</{name}>"));
    &document[start..end]
}

/// The opening tag of the element around the first `needle` (or of the `<tr>` that holds
/// it, when it is a cell's text).
fn opening_tag<'d>(document: &'d str, needle: &str) -> &'d str {
    let found = at(document, needle);
    let tag = if needle.starts_with("id=") {
        "<"
    } else {
        "<tr"
    };
    let start = document[..found].rfind(tag).expect("an opening tag");
    let end = start + document[start..].find('>').unwrap() + 1;
    &document[start..end]
}
