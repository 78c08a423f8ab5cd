//! Ends told that are not a finished run's: a run stopped by SIGTERM, and the settings of a
//! profile (which `config show` names without the webhook's key).

use std::time::Duration;

use crate::reliability::Directory;

use super::*;

#[test]
fn a_run_stopped_by_sigterm_notifies_with_its_cancelled_rows() {
    // 300 members, answers taking 50 ms at 40 requests a second: still writing when
    // the signal comes (as tests/stops does it).
    let dir = Directory::new(
        300,
        SandboxConfig {
            latency: Duration::from_millis(50),
            ..SandboxConfig::default()
        },
    );
    let hook = webhook(200);
    let report = dir.org.path("terminated.csv");
    let url = hook.url(HOOK_PATH);
    let extra = ["--rate", "40/s", "--concurrency", "4", "--notify", &url];
    let mut run = Running::new(dir.org.spawn("apply", &dir.input, &report, &extra));
    wait_for_lines(&report, 110);
    run.signal("-TERM");
    let ended = run.wait_at_most(Duration::from_secs(30));

    assert_eq!(ended.code, Some(143), "{}", ended.stderr);
    let posts = posts(&hook);
    assert_eq!(posts.len(), 1, "{}", ended.stderr);
    assert_eq!(posts[0]["exit_code"], 143);
    let cancelled = posts[0]["outcomes"]["cancelled"].as_u64().unwrap_or(0);
    assert!(cancelled > 0, "{:#}", posts[0]);
    let rows = posts[0]["rows_to_check"].as_array().unwrap();
    assert_eq!(rows.len(), 20, "the first 20 rows to check");
    assert!(
        rows.iter().any(|r| r["outcome"] == "cancelled"),
        "{rows:#?}"
    );
    let listed_more = posts[0]["rows_not_listed"].as_u64().unwrap();
    let to_check: u64 = ["invalid", "failed", "cancelled", "stale"]
        .iter()
        .map(|o| posts[0]["outcomes"][o].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(listed_more + 20, to_check, "{:#}", posts[0]);
}

#[test]
fn a_profile_notifies_and_config_show_hides_the_webhooks_key() {
    let org = org();
    let hook = webhook(200);
    let config = org.path("member-sync.toml");
    std::fs::write(
        &config,
        format!(
            "[profile.nightly]\nnotify = [\"{}\"]\nnotify_on = \"always\"\nnotify_format = \"slack\"\nkeep_reports = 10\n",
            hook.url(HOOK_PATH)
        ),
    )
    .unwrap();
    let profile = ["--profile", "nightly", "--config", config.to_str().unwrap()];

    org.apply(&clean_input(&org), &profile).assert_code(0);
    let posts = posts(&hook);
    assert_eq!(posts.len(), 1);
    assert!(posts[0]["blocks"].is_array(), "{:#}", posts[0]);

    let shown = member_sync()
        .args(["config", "show"])
        .args(profile)
        .output()
        .unwrap();
    let shown = String::from_utf8(shown.stdout).unwrap();
    let port = hook.url("").rsplit(':').next().unwrap().to_string();
    let line = |name: &str| {
        shown
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} in\n{shown}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        line("notify"),
        format!("notify = [\"http://127.0.0.1:{port}/…\"] (profile nightly)")
    );
    assert_eq!(line("notify_on"), "notify_on = always (profile nightly)");
    assert_eq!(
        line("notify_format"),
        "notify_format = slack (profile nightly)"
    );
    assert_eq!(line("keep_reports"), "keep_reports = 10 (profile nightly)");
    assert!(!shown.contains("KEY-4d2f"), "{shown}");

    // A value the profile cannot have is named with its key.
    std::fs::write(&config, "[profile.nightly]\nnotify_on = \"sometimes\"\n").unwrap();
    let run = org.apply(&clean_input(&org), &profile);
    run.assert_code(1);
    run.assert_stderr_contains(
        "error: [profile.nightly] notify_on: `sometimes` is not one of failure, always",
    );
}
