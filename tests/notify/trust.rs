//! What a notification may never do: change the exit code, send in clear across a network,
//! carry the token, print the webhook's URL.

use super::*;

/// `warning: could not notify http://127.0.0.1:PORT/…: ` and the cause.
fn warning_for(hook_url: &str) -> String {
    let port = hook_url.trim_start_matches("http://127.0.0.1:");
    let port = port.split('/').next().unwrap();
    format!("warning: could not notify http://127.0.0.1:{port}/…: ")
}

#[test]
fn a_webhook_that_answers_500_is_a_warning_after_one_retry() {
    let org = org();
    let hook = webhook(500);
    let input = input_with_an_invalid_row(&org);

    let run = org.apply(&input, &["--notify", &hook.url(HOOK_PATH), "-q"]);

    run.assert_code(3);
    run.assert_stderr_contains(&format!(
        "{}HTTP 500: {{}} (tried twice)",
        warning_for(&hook.url(HOOK_PATH))
    ));
    run.assert_stderr_contains(
        "hint: the run's exit code (3) is its own, whatever a notification does",
    );
    assert_eq!(hook.seen().len(), 2, "one try and one retry");
    assert!(!run.stderr.contains("KEY-4d2f"), "{}", run.stderr);
}

#[test]
fn a_refusal_is_not_retried_and_says_what_the_service_said() {
    let org = org();
    let hook = Hostile::start(|_| Answer {
        status: 400,
        headers: vec![],
        body: Body::Bytes(b"invalid_payload\n".to_vec()),
    });

    let run = org.apply(
        &clean_input(&org),
        &["--notify", &hook.url(HOOK_PATH), "--notify-on", "always"],
    );

    run.assert_code(0);
    run.assert_stderr_contains(&format!(
        "{}HTTP 400: invalid_payload",
        warning_for(&hook.url(HOOK_PATH))
    ));
    assert_eq!(hook.seen().len(), 1);
}

#[test]
fn an_unreachable_webhook_is_a_warning_and_the_exit_code_stays() {
    let org = org();
    // A port nobody listens on: bound, then let go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}{HOOK_PATH}");

    let failed = org.apply(&input_with_an_invalid_row(&org), &["--notify", &url]);
    failed.assert_code(3);
    failed.assert_stderr_contains(&format!("{}could not connect", warning_for(&url)));
    failed.assert_stderr_contains("(tried twice)");

    let clean = org.apply(
        &clean_input(&org),
        &["--notify", &url, "--notify-on", "always"],
    );
    clean.assert_code(0);
    clean.assert_stderr_contains(&warning_for(&url));
}

#[test]
fn plain_http_to_another_machine_is_refused_before_anything_is_sent() {
    let org = org();
    let input = clean_input(&org);

    let run = org.apply(&input, &["--notify", "http://example.com/hooks/KEY-4d2f"]);

    run.assert_code(1);
    run.assert_stderr_contains(
        "error: refusing plain http:// for --notify http://example.com/…: the run's summary (emails, reasons, paths) would cross the network unencrypted",
    );
    run.assert_stderr_contains("hint: use the webhook's https:// address");
    assert!(!run.stderr.contains("KEY-4d2f"), "{}", run.stderr);
    assert!(org.requests().is_empty(), "the API was called");
    assert!(!run.report_path.exists(), "a report was made");

    let other = org.apply(&input, &["--notify", "ftp://example.com/x"]);
    other.assert_code(1);
    other.assert_stderr_contains("error: --notify ftp://example.com/… has scheme `ftp`");
}

/// A server whose refusals quote the token it was sent: the row's reason carries it, the
/// notification must not.
#[test]
fn the_token_never_reaches_a_notification() {
    let api = Hostile::start(|seen| {
        if seen.is_list() {
            let members = vec![member(1, "ann@acme.example"), member(2, "bob@acme.example")];
            return Answer::json(200, &page(members, 1, Some(1.0), Some(2.0)));
        }
        let auth = seen.header("authorization").unwrap_or_default();
        Answer::json(
            422,
            &json!({"message": format!("{auth} may not change this")}),
        )
    });
    let hook = webhook(200);
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("people.csv");
    write_csv(
        &input,
        &["email", "job_title"],
        [
            vec!["ann@acme.example", "New"],
            vec!["bob@acme.example", "New"],
        ],
    );
    let report = dir.path().join("report.csv");

    let mut command = api.command("apply", &input, &report);
    command.args(["--notify", &hook.url(HOOK_PATH)]);
    let run = Run::of(&mut command, report);

    run.assert_code(3);
    let posts = posts(&hook);
    assert_eq!(posts.len(), 1);
    let body = posts[0].to_string();
    assert!(!body.contains("hostile-test-token"), "{body}");
    // The server's words reached the message, the token in them replaced.
    let why = posts[0]["rows_to_check"][0]["why"].as_str().unwrap();
    assert!(
        why.contains("Bearer [redacted] may not change this"),
        "{why}"
    );
}
