//! The configuration file: a profile supplies what flags and the environment do not, and
//! `config show` says where each setting came from without ever showing the token.

use member_sync::sandbox::SandboxConfig;

use crate::util::*;

fn profile(org: &TestOrg) -> std::path::PathBuf {
    let path = org.path("member-sync.toml");
    let text = format!(
        "[profile.nightly]\norg = \"{}\"\nbase_url = \"{}\"\nca_cert = '{}'\ntoken_env = \"NIGHTLY_TOKEN\"\nrate = \"500/s,20000/h\"\nmax_wait = \"10m\"\nmax_changes = \"2\"\nexclude = [\"person3@gen.example\"]\n",
        org.org_id(),
        org.base_url(),
        test_ca()
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn rows(org: &TestOrg) -> std::path::PathBuf {
    let rows = (1..=4u64).map(|id| vec![format!("person{id}@gen.example"), format!("T{id}")]);
    org.input("input.csv", &["email", "job_title"], rows)
}

/// Over HTTPS, so the profile's `ca_cert` is what lets the run in.
#[test]
fn a_profile_fills_in_what_flags_and_environment_leave_out() {
    let https = SandboxConfig {
        tls: Some(test_tls()),
        ..SandboxConfig::default()
    };
    let org = TestOrg::start(https, generated_seed(6));
    let config = profile(&org);
    let input = rows(&org);
    let report = org.path("r1.csv");
    let run = |extra: &[&str], report: &std::path::Path| {
        let mut command = member_sync();
        command
            .args([
                "apply",
                "--yes",
                "--profile",
                "nightly",
                "--config",
                config.to_str().unwrap(),
            ])
            .arg(&input)
            .arg("--report")
            .arg(report)
            .args(extra)
            .env("NIGHTLY_TOKEN", org.token())
            .env("MEMBER_SYNC_STATE_DIR", org.path("state"));
        Run::of(&mut command, report.to_path_buf())
    };

    // The profile's max_changes (2) stops 3 changes (member 3 is excluded by the profile).
    let guarded = run(&[], &report);
    guarded.assert_code(4);
    guarded.assert_stderr_contains("the plan changes 3 members, more than the 2 allowed");
    assert_eq!(outcome_counts(&guarded.report)["excluded"], 1);

    // A flag wins over the profile.
    let flagged = run(&["--max-changes", "3"], &org.path("r2.csv"));
    flagged.assert_code(0);
    assert_eq!(outcome_counts(&flagged.report)["updated"], 3);
}

#[test]
fn config_show_says_where_each_setting_comes_from_and_hides_the_token() {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(2));
    let config = profile(&org);
    let output = member_sync()
        .args([
            "config",
            "show",
            "--profile",
            "nightly",
            "--config",
            config.to_str().unwrap(),
        ])
        .env("TALLYFY_BASE_URL", "https://example.invalid/api")
        .env("NIGHTLY_TOKEN", SECRET_TOKEN)
        .output()
        .unwrap();
    assert!(output.status.success());
    let shown = String::from_utf8(output.stdout).unwrap();
    let line = |name: &str| {
        shown
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} in:\n{shown}"))
            .to_string()
    };
    assert!(line("org").ends_with("(profile nightly)"), "{shown}");
    assert!(
        line("base_url").contains("https://example.invalid/api  (env TALLYFY_BASE_URL)"),
        "{shown}"
    );
    assert!(
        line("token").contains("[redacted] (from $NIGHTLY_TOKEN)"),
        "{shown}"
    );
    assert!(
        line("max_changes").contains("2  (profile nightly)"),
        "{shown}"
    );
    assert!(
        line("rate").contains("500/s,20000/h  (profile nightly)"),
        "{shown}"
    );
    assert!(
        line("max_wait").contains("10 min  (profile nightly)"),
        "{shown}"
    );
    assert!(
        line("ca_cert").ends_with("ca.pem  (profile nightly)"),
        "{shown}"
    );
    assert!(line("concurrency").ends_with("(default)"), "{shown}");
    assert!(!shown.contains(SECRET_TOKEN));

    let missing = member_sync()
        .args([
            "apply",
            "x.csv",
            "--profile",
            "nope",
            "--config",
            config.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no [profile.nope]"));
}
