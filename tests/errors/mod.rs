//! Runs that cannot start: usage errors exit 2, configuration and input problems exit 1, and
//! the message says what to fix. None of these reach a server.

use crate::util::*;

/// `member-sync ARGS` with a scratch directory for files.
fn run_in(dir: &std::path::Path, args: &[&str]) -> Run {
    let report = dir.join("report.csv");
    Run::of(member_sync().current_dir(dir).args(args), report)
}

#[test]
fn an_unknown_flag_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let sample = sample_export();
    let sample = sample.to_str().unwrap();

    let run = run_in(dir.path(), &["plan", sample, "--sandbox", "--frobnicate"]);

    run.assert_code(2);
    run.assert_stderr_contains("--frobnicate");
}

#[test]
fn a_missing_input_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-export.csv");

    let run = run_in(
        dir.path(),
        &["plan", missing.to_str().unwrap(), "--sandbox"],
    );

    run.assert_code(1);
    run.assert_stderr_contains("no-such-export.csv");
}

#[test]
fn plain_http_to_another_host_is_refused() {
    let dir = tempfile::tempdir().unwrap();

    let run = plan_sample_at(&dir, "http://example.com/api", Some("not-a-real-token"));

    run.assert_code(1);
    run.assert_stderr_contains("http://");
    assert!(!dir.path().join("report.csv").exists());
}

#[test]
fn a_ca_cert_that_is_missing_or_not_a_certificate_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let sample = sample_export();
    let missing = dir.path().join("no-such-ca.pem");
    let not_pem = sample.to_str().unwrap();
    let broken_block = dir.path().join("broken-block.pem");
    std::fs::write(
        &broken_block,
        "-----BEGIN CERTIFICATE-----\n!!! not base64 !!!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let not_x509 = dir.path().join("not-x509.pem");
    let ca = std::fs::read_to_string(test_ca()).unwrap();
    // The real CA, then a block of well-formed base64 that is no certificate.
    std::fs::write(
        &not_x509,
        format!("{ca}-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n"),
    )
    .unwrap();

    for (ca, says) in [
        (missing.to_str().unwrap(), "cannot read the CA file"),
        (not_pem, "holds no certificate"),
        (
            broken_block.to_str().unwrap(),
            "is not a PEM certificate file",
        ),
        (not_x509.to_str().unwrap(), "certificate 2 of the CA file"),
    ] {
        let mut command = member_sync();
        command
            .args(["plan", not_pem, "--base-url", "https://127.0.0.1:9/api"])
            .args(["--org", "acme", "--ca-cert", ca])
            .env("TALLYFY_ACCESS_TOKEN", "not-a-real-token")
            .current_dir(dir.path());
        let run = Run::of(&mut command, dir.path().join("report.csv"));

        run.assert_code(1);
        run.assert_stderr_contains(says);
        run.assert_stderr_contains("PEM");
        assert!(!dir.path().join("report.csv").exists());
    }
}

#[test]
fn no_token_says_where_to_put_one() {
    let dir = tempfile::tempdir().unwrap();

    let run = plan_sample_at(&dir, "http://127.0.0.1:9/api", None);

    run.assert_code(1);
    run.assert_stderr_contains("TALLYFY_ACCESS_TOKEN");
}

#[test]
fn an_input_without_a_key_column_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("names.csv");
    write_csv(
        &input,
        &["first_name", "last_name", "team"],
        [vec!["Amelia", "Hart", "Platform"]],
    );

    let run = run_in(dir.path(), &["plan", input.to_str().unwrap(), "--sandbox"]);

    run.assert_code(1);
    run.assert_stderr_contains("email");
    assert!(run.report.is_empty(), "no report for an unusable input");
}

/// `member-sync plan SAMPLE --base-url BASE_URL --org acme` in `dir`, with `token` (if any)
/// in `TALLYFY_ACCESS_TOKEN`.
fn plan_sample_at(dir: &tempfile::TempDir, base_url: &str, token: Option<&str>) -> Run {
    let mut command = member_sync();
    command
        .arg("plan")
        .arg(sample_export())
        .args(["--base-url", base_url, "--org", "acme"])
        .current_dir(dir.path());
    if let Some(token) = token {
        command.env("TALLYFY_ACCESS_TOKEN", token);
    }
    Run::of(&mut command, dir.path().join("report.csv"))
}

/// A base URL with a user name and password in it: refused, and neither is echoed.
#[test]
fn credentials_in_a_base_url_are_never_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let sample = sample_export();
    for url in [
        "http://ann:hunter2@go.tallyfy.com/api",
        "ftp://ann:hunter2@go.tallyfy.com/api",
        "https://ann:hunter2@[broken/api",
    ] {
        let run = Run::of(
            member_sync()
                .current_dir(dir.path())
                .args([
                    "plan",
                    sample.to_str().unwrap(),
                    "--org",
                    "o",
                    "--base-url",
                    url,
                ])
                .env("TALLYFY_ACCESS_TOKEN", "t"),
            dir.path().join("report.csv"),
        );
        run.assert_code(1);
        assert!(!run.stderr.contains("hunter2"), "{url}: {}", run.stderr);
        assert!(run.stderr.contains("***"), "{url}: {}", run.stderr);
    }
}
