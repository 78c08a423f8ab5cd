//! The access token never appears in stdout, stderr or the report: not at any verbosity, not
//! with every log target at trace, not when the server refuses it.

use member_sync::sandbox::SandboxConfig;

use crate::util::scenario::twenty_changes;
use crate::util::*;

/// A token the server does not know (it must not leak either).
const WRONG_TOKEN: &str = "tok-WRONG-5e7b20d4a1";

/// Asserts that none of `secrets` is in the run's output or report.
#[track_caller]
fn assert_secret(run: &Run, secrets: &[&str], what: &str) {
    let report = run.report_text();
    for secret in secrets {
        for (name, text) in [
            ("stdout", &run.stdout),
            ("stderr", &run.stderr),
            ("report", &report),
        ] {
            assert!(
                !text.contains(secret),
                "{what}: the token is in {name}:\n{text}"
            );
        }
    }
}

/// A sample org with the secret token, revoked after the member list and 8 writes.
fn revoking_org() -> TestOrg {
    TestOrg::with_secret_token(SandboxConfig {
        revoke_token_after: Some(9),
        latency: latency(2),
        ..SandboxConfig::default()
    })
}

#[test]
fn the_token_never_appears() {
    let runs: [(&str, &[&str], Option<&str>); 5] = [
        ("default", &[], None),
        ("-v", &["-v"], None),
        ("-vv", &["-vv"], None),
        ("-vvv", &["-vvv"], None),
        ("MEMBER_SYNC_LOG=trace", &["-vvv"], Some("trace")),
    ];
    for (what, flags, log) in runs {
        let org = revoking_org();
        let scenario = twenty_changes(&org, &[]);
        let report = org.fresh_report_path();
        let mut command = org.command("apply", &scenario.input, &report);
        command.args(flags);
        if let Some(filter) = log {
            command.env("MEMBER_SYNC_LOG", filter);
        }

        let run = Run::of(&mut command, report);

        // The revocation was hit mid-run, so the 401 paths were exercised.
        run.assert_code(1);
        assert!(
            org.requests()
                .iter()
                .any(|r| r.is("PUT") && r.status == 401),
            "{what}: no write was refused"
        );
        assert!(!run.report.is_empty(), "{what}: a report was written");
        assert_secret(&run, &[SECRET_TOKEN], what);
    }
}

#[test]
fn a_refused_token_is_not_echoed() {
    for flags in [&[][..], &["-vvv"][..]] {
        let org = TestOrg::with_secret_token(SandboxConfig::default());
        let scenario = twenty_changes(&org, &[]);
        let report = org.fresh_report_path();
        let mut command = org.command("apply", &scenario.input, &report);
        command
            .args(flags)
            .env("TALLYFY_ACCESS_TOKEN", WRONG_TOKEN)
            .env("MEMBER_SYNC_LOG", "trace");

        let run = Run::of(&mut command, report);

        run.assert_code(1);
        run.assert_stderr_contains("the access token was refused");
        let refused = org.requests();
        assert!(refused.iter().all(|r| r.is("GET") && r.status == 401));
        assert_secret(&run, &[WRONG_TOKEN, SECRET_TOKEN], "wrong token");
    }
}

#[test]
fn a_token_file_is_not_echoed() {
    let org = revoking_org();
    let scenario = twenty_changes(&org, &[]);
    let token_file = org.path("token.txt");
    std::fs::write(&token_file, format!("{SECRET_TOKEN}\n")).unwrap();
    let report = org.fresh_report_path();
    let mut command = org.command("apply", &scenario.input, &report);
    command
        .env_remove("TALLYFY_ACCESS_TOKEN")
        .arg("--token-file")
        .arg(&token_file)
        .args(["-vvv"])
        .env("MEMBER_SYNC_LOG", "trace");

    let run = Run::of(&mut command, report);

    run.assert_code(1);
    assert!(
        run.report.iter().any(|r| r["outcome"] == "updated"),
        "the token from the file was used"
    );
    assert_secret(&run, &[SECRET_TOKEN], "--token-file");
}

/// Notepad saves "UTF-8" with a byte-order mark: the token after it is the token.
#[test]
fn a_token_file_saved_with_a_bom_is_read_without_it() {
    let org = TestOrg::with_secret_token(SandboxConfig::default());
    let scenario = twenty_changes(&org, &[]);
    let token_file = org.path("token-bom.txt");
    std::fs::write(&token_file, format!("\u{feff}{SECRET_TOKEN}\r\n")).unwrap();
    let report = org.fresh_report_path();
    let mut command = org.command("apply", &scenario.input, &report);
    command
        .env_remove("TALLYFY_ACCESS_TOKEN")
        .arg("--token-file")
        .arg(&token_file);

    let run = Run::of(&mut command, report);

    run.assert_code(0);
    assert_secret(&run, &[SECRET_TOKEN], "a token file with a BOM");
}

/// A token no HTTP header can carry is a setting refused like any other: before the report
/// exists, and without the token in the message.
#[test]
fn a_token_no_header_can_carry_stops_the_run_before_its_report() {
    let org = TestOrg::with_secret_token(SandboxConfig::default());
    let scenario = twenty_changes(&org, &[]);
    for bad in [
        format!("{SECRET_TOKEN}\nsecond-line"),
        format!("{SECRET_TOKEN}\u{e9}"),
    ] {
        let report = org.fresh_report_path();
        let mut command = org.command("apply", &scenario.input, &report);
        command.env("TALLYFY_ACCESS_TOKEN", &bad);

        let run = Run::of(&mut command, report.clone());

        run.assert_code(1).assert_stderr_contains(
            "the access token contains characters not allowed in an HTTP header",
        );
        assert!(!report.exists(), "no report for a run that could not start");
        assert_secret(&run, &[SECRET_TOKEN, &bad], "a token no header can carry");
    }
}
