//! A network that cannot trick the run: whatever a broken or hostile server (or something
//! between) sends, the run neither panics, nor grows without bound, nor loops for ever, nor sends
//! a row's data anywhere but the organization's API. Each test answers as such a server would
//! ([`Hostile`]) and runs the real binary against it.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

use crate::util::*;

/// A scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("member-sync-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An input giving members 1..=n a new job title.
fn retitle(dir: &std::path::Path, n: u64) -> PathBuf {
    let input = dir.join("input.csv");
    let rows = (1..=n).map(|id| vec![format!("person{id}@x.example"), format!("Title {id}")]);
    write_csv(&input, &["email", "job_title"], rows);
    input
}

fn members(n: u64) -> Vec<Value> {
    (1..=n)
        .map(|id| member(id, &format!("person{id}@x.example")))
        .collect()
}

/// A PUT's answer: the member with the body applied, as Tallyfy answers.
fn echo(seen: &Seen) -> Answer {
    let id: u64 = seen
        .target
        .rsplit('/')
        .find_map(|part| part.parse().ok())
        .unwrap_or(0);
    let mut updated = member(id, &format!("person{id}@x.example"));
    let body: Value = serde_json::from_slice(&seen.body).unwrap_or(json!({}));
    for (key, value) in body.as_object().into_iter().flatten() {
        updated[key] = value.clone();
    }
    Answer::json(200, &json!({ "data": updated }))
}

fn run(command: &mut assert_cmd::Command, report: PathBuf) -> Run {
    Run::of(command, report)
}

/// A `Retry-After` of a day (or one that no `Duration` holds) is read as a day, never a panic,
/// and a day is more than `--max-wait` allows: the run stops cleanly, and sends nothing into
/// the window the server announced.
#[test]
fn a_retry_after_of_1e20_stops_the_run_cleanly_not_a_panic_on_the_list_or_mid_run() {
    for (value, on_list) in [
        ("1e20", true),
        ("1e20", false),
        ("18446744073709551616", false),
    ] {
        let dir = scratch(&format!("retry-after-{on_list}-{}", value.len()));
        let once = Arc::new(AtomicU64::new(0));
        let server = Hostile::start(move |seen| {
            // The first request of the kind chosen (the list, or the writes) is throttled.
            let chosen = seen.is_list() == on_list;
            if chosen && once.fetch_add(1, Ordering::SeqCst) == 0 {
                return Answer::json(429, &json!({"message": "slow down"}))
                    .header("Retry-After", value);
            }
            if seen.is_list() {
                return Answer::json(200, &page(members(3), 1, Some(1.0), Some(3.0)));
            }
            echo(seen)
        });
        let input = retitle(&dir, 3);
        let report = dir.join("report.csv");
        let run = run(
            server.command("apply", &input, &report).args([
                "--concurrency",
                "1",
                "--max-wait",
                "10m",
            ]),
            report,
        );
        assert!(
            run.stderr
                .contains("the server asked the run to wait 24 h, until "),
            "{value} {on_list}: {}",
            run.stderr
        );
        assert!(
            run.stderr
                .contains("more than is left of --max-wait 10 min")
        );
        if on_list {
            run.assert_code(1);
        } else {
            run.assert_code(3);
            assert_eq!(
                outcome_counts(&run.report),
                counts(&[("cancelled", 3)]),
                "{value}"
            );
            assert!(run.stderr.contains("--only-rows-from"), "{}", run.stderr);
        }
        // Nothing was sent after the 429: the list (and on the list, nothing else).
        assert_eq!(server.seen().len(), if on_list { 1 } else { 2 });
    }
}

#[test]
fn a_list_page_larger_than_the_limit_stops_the_run_with_the_limit_named() {
    let dir = scratch("huge-page");
    let server = Hostile::start(|_| Answer {
        status: 200,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: Body::Declared(1_500_000_000),
    });
    let input = retitle(&dir, 2);
    let report = dir.join("report.csv");
    let run = run(&mut server.command("apply", &input, &report), report);
    run.assert_code(1)
        .assert_stderr_contains("the answer is larger than 32 MiB");
    assert!(
        server.seen().iter().all(|s| s.method == "GET"),
        "nothing written"
    );
}

#[test]
fn an_endless_answer_to_a_write_fails_the_row_at_the_size_limit_not_the_timeout() {
    let dir = scratch("endless-put");
    let server = Hostile::start(|seen| {
        if seen.is_list() {
            return Answer::json(200, &page(members(2), 1, Some(1.0), Some(2.0)));
        }
        Answer {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: Body::Endless,
        }
    });
    let input = retitle(&dir, 2);
    let report = dir.join("report.csv");
    let run = run(
        server
            .command("apply", &input, &report)
            .args(["--timeout", "60", "--max-retries", "0"]),
        report,
    );
    run.assert_code(3);
    for row in [1, 2] {
        let line = report_row(&run.report, row);
        assert_eq!(line["outcome"], "failed", "{line:?}");
        assert!(line["error"].contains("larger than 1 MiB"), "{line:?}");
    }
}

#[test]
fn a_write_is_never_redirected_and_the_other_origin_hears_nothing() {
    let dir = scratch("redirect");
    let elsewhere = Hostile::start(echo);
    let target = format!("{}/organizations/org1/users/1", elsewhere.base_url());
    for status in [302, 307, 308] {
        let location = target.clone();
        let server = Hostile::start(move |seen| {
            if seen.is_list() {
                return Answer::json(200, &page(members(1), 1, Some(1.0), Some(1.0)));
            }
            Answer::json(status, &json!({})).header("Location", &location)
        });
        let input = retitle(&dir, 1);
        let report = dir.join(format!("report-{status}.csv"));
        let run = run(&mut server.command("apply", &input, &report), report);
        run.assert_code(3);
        let line = report_row(&run.report, 1);
        assert_eq!(line["outcome"], "failed");
        assert!(
            line["error"].contains(&format!("HTTP {status}: redirected to {target}")),
            "{line:?}"
        );
    }
    assert!(elsewhere.seen().is_empty(), "{:?}", elsewhere.seen());
}

#[test]
fn a_redirected_member_list_stops_the_run_before_any_write() {
    let dir = scratch("redirect-list");
    let elsewhere = Hostile::start(|_| Answer::json(200, &page(members(1), 1, Some(1.0), None)));
    let target = format!("{}/organizations/org1/users?page=1", elsewhere.base_url());
    let server = Hostile::start(move |_| Answer::json(302, &json!({})).header("Location", &target));
    let input = retitle(&dir, 1);
    let report = dir.join("report.csv");
    let run = run(&mut server.command("apply", &input, &report), report);
    run.assert_code(1).assert_stderr_contains("redirected to");
    assert!(elsewhere.seen().is_empty());
}

/// Pages that never end: each a way a server can keep a run (and its lock) going for hours.
#[test]
fn endless_pagination_ends_with_a_clear_error() {
    let dir = scratch("pages");
    type Pages = Box<dyn Fn(u64) -> Value + Send + Sync>;
    let cases: Vec<(&str, Pages, &str)> = vec![
        (
            "the same page again and again",
            Box::new(|_| page(members(100), 1, None, None)),
            "page 2 holds only members already read",
        ),
        (
            "new members for ever past its own total",
            Box::new(|p| {
                let ids = (p * 100 - 99)..=(p * 100);
                let list = ids.map(|id| member(id, &format!("person{id}@x.example")));
                // The first page gives no figure; the later ones a total they overrun.
                let total = (p > 1).then_some(150.0);
                page(list.collect(), p, None, total)
            }),
            "more than its own total of 150",
        ),
        (
            "total_pages of 1e10",
            Box::new(|p| page(members(100), p, Some(1e10), Some(150.0))),
            "10000000000 pages for 150 members",
        ),
    ];
    for (case, answer, message) in cases {
        let answer = Arc::new(answer);
        let server =
            Hostile::start(move |seen| Answer::json(200, &answer(seen.page().unwrap_or(1))));
        let input = retitle(&dir, 1);
        let report = dir.join(format!("report-{}.csv", case.len()));
        let run = run(&mut server.command("plan", &input, &report), report);
        run.assert_code(1);
        assert!(run.stderr.contains(message), "{case}: {}", run.stderr);
        assert!(
            server.seen().len() < 20,
            "{case}: {} requests",
            server.seen().len()
        );
    }
}

#[test]
fn members_sharing_an_email_or_an_id_make_their_rows_invalid() {
    let dir = scratch("ambiguous");
    let server = Hostile::start(|seen| {
        if !seen.is_list() {
            return echo(seen);
        }
        let list = vec![
            member(1, "person1@x.example"),
            member(2, "person2@x.example"),
            member(5, "twin@x.example"),
            member(9, "Twin@x.example"),
            member(7, "seven@x.example"),
            member(7, "person3@x.example"),
        ];
        Answer::json(200, &page(list, 1, Some(1.0), Some(6.0)))
    });
    let input = dir.join("input.csv");
    let rows = ["person1", "twin", "seven", "person3"]
        .map(|name| vec![format!("{name}@x.example"), "New".to_string()]);
    write_csv(&input, &["email", "job_title"], rows);
    let report = dir.join("report.csv");
    let run = run(&mut server.command("apply", &input, &report), report);
    run.assert_code(3)
        .assert_stderr_contains("the organization's member list is inconsistent");
    assert_eq!(report_row(&run.report, 1)["outcome"], "updated");
    for row in 2..=4 {
        assert_eq!(
            report_row(&run.report, row)["outcome"],
            "invalid",
            "row {row}"
        );
    }
    assert!(
        report_row(&run.report, 2)["error"]
            .contains("2 members of the organization have this email (ids 5, 9)")
    );
    assert!(
        report_row(&run.report, 3)["error"]
            .contains("the organization's list gives id 7 to more than one email")
    );
    let writes: Vec<Seen> = server
        .seen()
        .into_iter()
        .filter(|s| s.method == "PUT")
        .collect();
    assert_eq!(writes.len(), 1, "{writes:?}");
}

#[test]
fn a_proxy_never_sees_the_token_of_a_plain_http_loopback_run() {
    let dir = scratch("proxy");
    let proxy = Hostile::start(|_| Answer::json(502, &json!({})));
    let server = Hostile::start(|seen| {
        if seen.is_list() {
            return Answer::json(200, &page(members(1), 1, Some(1.0), Some(1.0)));
        }
        echo(seen)
    });
    let input = retitle(&dir, 1);
    let report = dir.join("report.csv");
    let proxy_url = proxy.base_url().replace("/api", "");
    let run = run(
        server
            .command("apply", &input, &report)
            .env("http_proxy", &proxy_url)
            .env("HTTP_PROXY", &proxy_url)
            .env("ALL_PROXY", &proxy_url)
            .env("all_proxy", &proxy_url),
        report,
    );
    run.assert_code(0);
    assert!(
        proxy.seen().is_empty(),
        "the proxy heard {:?}",
        proxy.seen()
    );
    let straight = server.seen();
    assert!(
        straight.iter().all(|s| s.header("authorization").is_some()),
        "{straight:?}"
    );
}

/// A server whose refusals quote the `Authorization` header it was sent (a debugging proxy, a
/// careless error page): the token reaches neither the report nor stderr.
#[test]
fn a_refusal_that_quotes_the_token_shows_it_nowhere() {
    let dir = scratch("quotes-token");
    let server = Hostile::start(|seen| {
        if seen.is_list() {
            return Answer::json(200, &page(members(3), 1, Some(1.0), Some(3.0)));
        }
        let auth = seen.header("authorization").unwrap_or_default();
        Answer::json(
            422,
            &json!({"message": format!("{auth} may not change this")}),
        )
    });
    let input = retitle(&dir, 3);
    let report = dir.join("report.csv");
    let run = run(
        &mut server.command("apply", &input, &report),
        report.clone(),
    );
    run.assert_code(3);
    let written = std::fs::read_to_string(&report).unwrap();
    assert!(!written.contains("hostile-test-token"), "{written}");
    assert!(!run.stderr.contains("hostile-test-token"), "{}", run.stderr);
    assert!(
        written.contains("HTTP 422: Bearer [redacted] may not change this"),
        "{written}"
    );
}
