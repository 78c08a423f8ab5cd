//! `--notify`: the end of a run told to a webhook (a hand-written server on 127.0.0.1), in
//! each shape, only when asked; a webhook that fails is a warning and never the exit code;
//! the token and the webhook's own URL never show.

mod ends;
mod groups;
mod shapes;
mod trust;

use std::path::PathBuf;

use member_sync::sandbox::SandboxConfig;
use serde_json::{Value, json};

use crate::util::*;

/// The path of the test webhook: its last part stands for the key a real webhook URL holds.
const HOOK_PATH: &str = "/services/T0/B0/hook-KEY-4d2f";

fn org() -> TestOrg {
    TestOrg::start(SandboxConfig::default(), generated_seed(5))
}

/// A webhook answering every request with `status`.
fn webhook(status: u16) -> Hostile {
    Hostile::start(move |_| Answer::json(status, &json!({})))
}

/// Two new titles and one row with an email that cannot be: exit 3.
fn input_with_an_invalid_row(org: &TestOrg) -> PathBuf {
    org.input(
        "people.csv",
        &["email", "job_title"],
        [
            vec!["person1@gen.example", "Title 1"],
            vec!["person2@gen.example", "Title 2"],
            vec!["not-an-email", "Title 3"],
        ],
    )
}

/// Two new titles: exit 0.
fn clean_input(org: &TestOrg) -> PathBuf {
    org.input(
        "clean.csv",
        &["email", "job_title"],
        [
            vec!["person1@gen.example", "Title 1"],
            vec!["person2@gen.example", "Title 2"],
        ],
    )
}

/// The JSON bodies of the POSTs `hook` received, in order.
fn posts(hook: &Hostile) -> Vec<Value> {
    hook.seen()
        .iter()
        .map(|seen| {
            assert_eq!(seen.method, "POST");
            assert_eq!(seen.target, HOOK_PATH);
            assert_eq!(seen.header("content-type"), Some("application/json"));
            serde_json::from_slice(&seen.body).expect("the body is JSON")
        })
        .collect()
}

#[test]
fn a_failed_run_posts_its_summary_and_the_rows_to_check() {
    let org = org();
    let hook = webhook(200);
    let input = input_with_an_invalid_row(&org);

    let run = org.apply(&input, &["--notify", &hook.url(HOOK_PATH), "-v"]);

    run.assert_code(3);
    let posts = posts(&hook);
    assert_eq!(posts.len(), 1, "{posts:#?}");
    let body = &posts[0];
    assert_eq!(body["command"], "apply");
    assert_eq!(body["exit_code"], 3);
    assert_eq!(body["error"], Value::Null);
    assert_eq!(body["rows"], 3);
    assert_eq!(body["outcomes"], json!({"updated": 2, "invalid": 1}));
    assert_eq!(body["requests"], org.requests().len() as u64);
    assert_eq!(body["throttled"], 0);
    assert!(body["duration_ms"].is_u64(), "{body:#}");
    let report = std::path::absolute(&run.report_path).unwrap();
    assert_eq!(body["report"], report.display().to_string());
    assert_eq!(body["rows_not_listed"], 0);
    let rows = body["rows_to_check"].as_array().expect("rows_to_check");
    assert_eq!(rows.len(), 1, "{body:#}");
    assert_eq!(rows[0]["row"], 3);
    assert_eq!(rows[0]["line"], 4);
    assert_eq!(rows[0]["email"], "not-an-email");
    assert_eq!(rows[0]["outcome"], "invalid");
    let why = rows[0]["why"].as_str().unwrap();
    let line = run.report.iter().find(|r| r["row"] == "3").expect("row 3");
    assert_eq!(why, line["error"], "the report's reason");
    // At -v the delivery is said, naming the webhook by its host only.
    let port = hook.url("").rsplit(':').next().unwrap().to_string();
    run.assert_stderr_contains(&format!("notified http://127.0.0.1:{port}/… (HTTP 200)"));
    assert!(!run.stderr.contains("KEY-4d2f"), "{}", run.stderr);
}

#[test]
fn a_run_that_exits_0_notifies_only_with_notify_on_always() {
    let org = org();
    let hook = webhook(200);
    let input = clean_input(&org);

    org.apply(&input, &["--notify", &hook.url(HOOK_PATH)])
        .assert_code(0);
    assert!(posts(&hook).is_empty(), "a clean run notified by default");

    let input = org.input(
        "again.csv",
        &["email", "job_title"],
        [vec!["person3@gen.example", "Title 3"]],
    );
    org.apply(
        &input,
        &["--notify", &hook.url(HOOK_PATH), "--notify-on", "always"],
    )
    .assert_code(0);
    let posts = posts(&hook);
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0]["exit_code"], 0);
    assert_eq!(posts[0]["outcomes"], json!({"updated": 1}));
    assert_eq!(posts[0]["rows_to_check"], json!([]));
}

#[test]
fn a_guard_refusal_and_a_plan_notify_by_default() {
    let org = org();
    let hook = webhook(200);
    let input = clean_input(&org);

    // Two changes, one allowed: the guard refuses (exit 4), nothing is written.
    org.apply(
        &input,
        &["--notify", &hook.url(HOOK_PATH), "--max-changes", "1"],
    )
    .assert_code(4);
    // `plan` of rows with an invalid one: exit 3.
    let input = input_with_an_invalid_row(&org);
    org.plan(&input, &["--notify", &hook.url(HOOK_PATH)])
        .assert_code(3);

    let posts = posts(&hook);
    assert_eq!(posts.len(), 2, "{posts:#?}");
    assert_eq!(posts[0]["exit_code"], 4);
    let error = posts[0]["error"].as_str().unwrap_or_default();
    assert!(error.starts_with("max changes guard: "), "{error}");
    assert!(posts[0]["hint"].is_string());
    assert_eq!(posts[1]["command"], "plan");
    assert_eq!(posts[1]["exit_code"], 3);
    assert_eq!(posts[1]["outcomes"], json!({"planned": 2, "invalid": 1}));
}

#[test]
fn a_rollback_notifies() {
    let org = org();
    let hook = webhook(200);
    let applied = org.apply(&clean_input(&org), &[]);
    applied.assert_code(0);

    let report = org.fresh_report_path();
    let mut command = org.command("rollback", &applied.report_path, &report);
    command.args(["--notify", &hook.url(HOOK_PATH), "--notify-on", "always"]);
    Run::of(&mut command, report).assert_code(0);

    let posts = posts(&hook);
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0]["outcomes"], json!({"updated": 2}));
    let undone = std::path::absolute(&applied.report_path).unwrap();
    assert_eq!(posts[0]["input"], undone.display().to_string());
}

#[test]
fn every_webhook_given_is_told() {
    let org = org();
    let (first, second) = (webhook(200), webhook(200));
    let input = input_with_an_invalid_row(&org);

    org.apply(
        &input,
        &[
            "--notify",
            &first.url(HOOK_PATH),
            "--notify",
            &second.url(HOOK_PATH),
        ],
    )
    .assert_code(3);

    assert_eq!(posts(&first).len(), 1);
    assert_eq!(posts(&second).len(), 1);
}

#[test]
fn a_run_that_could_not_proceed_says_why_and_never_the_token() {
    let org = TestOrg::with_secret_token(SandboxConfig::default());
    let hook = webhook(200);
    let input = org.input(
        "people.csv",
        &["email", "job_title"],
        [vec!["person1@gen.example", "Title 1"]],
    );
    let report = org.fresh_report_path();
    let mut command = org.command("apply", &input, &report);
    command
        .args(["--notify", &hook.url(HOOK_PATH)])
        .env("TALLYFY_ACCESS_TOKEN", "tok-WRONG-77c1e0");

    let run = Run::of(&mut command, report);

    run.assert_code(1);
    let posts = posts(&hook);
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0]["exit_code"], 1);
    let error = posts[0]["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with("the access token was refused (HTTP 401)"),
        "{error}"
    );
    assert!(
        posts[0]["hint"]
            .as_str()
            .unwrap_or_default()
            .contains("new token")
    );
    let body = posts[0].to_string();
    assert!(
        !body.contains("tok-WRONG-77c1e0") && !body.contains(SECRET_TOKEN),
        "{body}"
    );
}
