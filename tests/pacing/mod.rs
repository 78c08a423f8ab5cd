//! Pacing under the limiters the sandbox models (#18), through the binary: the server's
//! windows are kept, long pauses are said, a wait beyond `--max-wait` stops the run cleanly,
//! and no row ends `failed` because of the server's window.

use std::time::Duration;

use member_sync::sandbox::{Faults, RateLimit, SandboxConfig};

use crate::util::*;

fn limited(rate_limit: RateLimit) -> SandboxConfig {
    SandboxConfig {
        latency: Duration::from_millis(5),
        faults: Faults {
            rate_limit: Some(rate_limit),
            ..Faults::default()
        },
        ..SandboxConfig::default()
    }
}

fn titles(org: &TestOrg, rows: u64) -> std::path::PathBuf {
    let rows = (1..=rows).map(|n| vec![format!("person{n}@gen.example"), format!("Title {n}")]);
    org.input("titles.csv", &["email", "job_title"], rows)
}

/// Two windows at once, the long one's Retry-After well above a second (Tallyfy's short
/// burst limit and hourly cap, scaled down): every row lands, nothing is sent inside a window
/// the server announced, a window is hit at most twice, and the pause is said with its end.
#[test]
fn under_two_windows_every_row_lands_and_no_request_enters_an_announced_window() {
    // Long enough that its pause is said (over 3 s) however slowly a busy machine sends the
    // window's 12 requests.
    let long = Duration::from_secs(9);
    let org = TestOrg::start(
        limited(RateLimit::windows(&[
            (5, Duration::from_secs(1)),
            (12, long),
        ])),
        generated_seed(20),
    );
    let run = org.apply(&titles(&org, 20), &["--rate", "5/s"]);
    run.assert_code(0);
    assert_eq!(
        outcome_counts(&run.report),
        counts(&[("updated", 20)]),
        "{}",
        run.stderr
    );
    assert!(org.pacing_violations().is_empty());
    let throttled = org.journal().iter().filter(|e| e.status == 429).count();
    // 21 requests through 12-request windows: two windows, at most two 429s each.
    assert!(throttled <= 4, "{throttled} 429s:\n{}", run.stderr);
    assert!(
        run.stderr.contains("paused by the server until "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("a 429 with Retry-After "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("pace: the server's pauses held requests back longest"),
        "{}",
        run.stderr
    );
}

/// A pause the server asks for beyond what `--max-wait` leaves: the run stops without sending
/// into the window, every row not done `cancelled` (none `failed`), exit 3, and the hint says
/// when to run again and how.
#[test]
fn a_pause_beyond_max_wait_stops_the_run_with_the_rest_cancelled_and_the_way_back() {
    let org = TestOrg::start(
        limited(RateLimit::windows(&[(8, Duration::from_secs(60))])),
        generated_seed(20),
    );
    let run = org.apply(&titles(&org, 20), &["--rate", "20/s", "--max-wait", "5s"]);
    run.assert_code(3);
    let outcomes = outcome_counts(&run.report);
    assert_eq!(outcomes.get("failed"), None, "{outcomes:?}");
    assert_eq!(outcomes.get("updated"), Some(&7), "{outcomes:?}");
    assert_eq!(outcomes.get("cancelled"), Some(&13), "{outcomes:?}");
    assert!(org.pacing_violations().is_empty());
    assert!(
        run.stderr
            .contains("warning: the server asked the run to wait 1 min, until "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("more than is left of --max-wait 5 s; the run stopped and every row not done is `cancelled` in "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("hint: run again after "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(" with --only-rows-from "),
        "{}",
        run.stderr
    );
}

/// The same 429s with the default `--max-wait`: waited out, every row lands, and the rows that
/// met a 429 (many times over) are `updated`, not `failed`: a 429 spends no row's tries.
#[test]
fn a_row_throttled_again_and_again_still_lands() {
    let org = TestOrg::start(
        limited(RateLimit::windows(&[(3, Duration::from_secs(2))])),
        generated_seed(12),
    );
    // Ten times the limit, four workers: requests meet 429 over and over.
    let run = org.apply(
        &titles(&org, 12),
        &["--rate", "15/s", "--concurrency", "4", "--max-retries", "0"],
    );
    run.assert_code(0);
    assert_eq!(
        outcome_counts(&run.report),
        counts(&[("updated", 12)]),
        "{}",
        run.stderr
    );
    assert!(org.pacing_violations().is_empty());
}

/// `X-RateLimit-Remaining: 0` as Laravel sends it on a success, with no reset time: once a 429
/// has timed the window, the pacer waits for the next window before the 429, so a client at
/// four times the limit meets a 429 in the first window only.
#[test]
fn rate_limit_headers_slow_the_run_before_the_429() {
    let org = TestOrg::start(
        limited(RateLimit {
            headers: true,
            ..RateLimit::windows(&[(5, Duration::from_secs(2))])
        }),
        generated_seed(15),
    );
    let run = org.apply(&titles(&org, 15), &["--rate", "10/s", "--concurrency", "1"]);
    run.assert_code(0);
    assert_eq!(outcome_counts(&run.report), counts(&[("updated", 15)]));
    let throttled = org.journal().iter().filter(|e| e.status == 429).count();
    assert_eq!(throttled, 1, "{}", run.stderr);
    assert!(org.pacing_violations().is_empty());
}
