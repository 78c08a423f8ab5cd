//! The fault matrix: a 300-member sync through each fault alone, then through the mix, must
//! end with every row reported once, the org in the wanted state and zero pacing violations.

use std::time::Duration;

use member_sync::sandbox::{Fault, Faults, RateLimit, RetryAfterForm, SandboxConfig, SandboxTls};

use super::Directory;
use crate::util::*;

const MEMBERS: u64 = 300;

fn with(faults: Faults) -> SandboxConfig {
    SandboxConfig {
        faults,
        ..SandboxConfig::default()
    }
}

/// 429 bursts: the client asks for 200/s, the server allows 100/s after a burst of 20.
fn limited(retry_after: RetryAfterForm) -> Option<RateLimit> {
    Some(RateLimit {
        retry_after,
        ..RateLimit::bucket(100.0, 20)
    })
}

/// A 300-member sync through `faults` (and `extra` flags) that must converge: every row
/// reported once, the org in the wanted state, no pacing violation.
fn converges_through(faults: Faults, extra: &[&str]) -> (Directory, Run) {
    let dir = Directory::new(MEMBERS, with(faults));
    let run = dir.apply(extra);
    dir.assert_converged(&run);
    (dir, run)
}

/// How often the sandbox injected `fault`, to prove a case exercised what it names.
fn injected(dir: &Directory, fault: fn(&Fault) -> bool) -> usize {
    dir.org
        .journal()
        .iter()
        .filter(|e| e.fault.as_ref().is_some_and(fault))
        .count()
}

#[test]
fn latency_with_jitter() {
    let dir = Directory::new(
        MEMBERS,
        SandboxConfig {
            latency: Duration::from_millis(10),
            ..with(Faults {
                jitter: Duration::from_millis(40),
                ..Faults::default()
            })
        },
    );
    dir.assert_converged(&dir.apply(&[]));
}

#[test]
fn server_errors_in_every_shape() {
    let (dir, run) = converges_through(
        Faults {
            server_errors: 0.10,
            ..Faults::default()
        },
        &[],
    );
    assert!(injected(&dir, |f| matches!(f, Fault::ServerError(_))) >= 10);
    // Nothing of a 5xx body reaches the report, not even on the rows that were retried.
    let text = run.report_text();
    assert!(
        !text.contains("SQLSTATE") && !text.contains("<html"),
        "{text}"
    );
}

#[test]
fn connection_resets() {
    let (dir, _) = converges_through(
        Faults {
            resets: 0.05,
            ..Faults::default()
        },
        &[],
    );
    assert!(injected(&dir, |f| *f == Fault::Reset) >= 5);
}

#[test]
fn answers_slower_than_the_timeout() {
    let (dir, _) = converges_through(
        Faults {
            slow: 0.02,
            slow_by: Duration::from_millis(2_500),
            ..Faults::default()
        },
        &[],
    );
    assert!(injected(&dir, |f| *f == Fault::Slow) >= 2);
}

#[test]
fn malformed_json_in_a_200() {
    let (dir, _) = converges_through(
        Faults {
            malformed: 0.05,
            ..Faults::default()
        },
        &[],
    );
    assert!(injected(&dir, |f| *f == Fault::Malformed) >= 5);
}

/// Over HTTPS, a relay flips a byte in what the server sends next on every open connection,
/// after the 30th, 90th and 150th write: TLS fails on a live connection ("cannot decrypt
/// peer's message"), and every request on it with it. That is connection trouble, retried on
/// a new connection; not a refused certificate, which would stop the run. Returns the
/// sandbox's (connections, of them HTTP/2).
fn converges_through_garbled_tls(tls: SandboxTls) -> (u64, u64) {
    let dir = Directory::new(
        MEMBERS,
        SandboxConfig {
            tls: Some(tls),
            latency: Duration::from_millis(5),
            ..SandboxConfig::default()
        },
    );
    let relay = Relay::start(&dir.org.base_url(), &dir.org.base_url());
    let base_url = relay.base_url(&dir.org.base_url());
    let run = meddling(
        &dir.org,
        &[30, 90, 150],
        || relay.garble(),
        || dir.apply(&["--base-url", &base_url, "--ca-cert", &test_ca()]),
    );

    dir.assert_converged(&run);
    assert!(relay.garbled() >= 1, "nothing was garbled");
    let retried = run
        .report
        .iter()
        .filter(|line| line["attempts"].parse::<u32>().unwrap_or(0) > 1)
        .count();
    assert!(retried >= 1, "no row needed a second attempt");
    (dir.org.connections(), dir.org.http2_connections())
}

#[test]
fn tls_records_garbled_on_a_live_http2_connection() {
    let (connections, http2) = converges_through_garbled_tls(test_tls());
    assert_eq!(http2, connections);
    assert!(connections >= 2, "one connection: nothing broke");
}

#[test]
fn tls_records_garbled_on_a_live_http1_connection() {
    // Over HTTP/1.1 the TLS error reaches the client whole (under HTTP/2 it arrives as a
    // connection error's text), so this is where a rule calling any TLS error a refused
    // certificate would stop the run.
    let (_, http2) = converges_through_garbled_tls(test_tls().http1_only());
    assert_eq!(http2, 0);
}

#[test]
fn rate_limit_with_retry_after_in_seconds() {
    let (dir, _) = converges_through(
        Faults {
            rate_limit: limited(RetryAfterForm::Seconds),
            ..Faults::default()
        },
        &[],
    );
    assert!(injected(&dir, |f| *f == Fault::RateLimited) >= 1);
}

#[test]
fn rate_limit_with_retry_after_as_a_date() {
    // Many workers, one pause: 64 requests in flight never slip through a window.
    let (dir, _) = converges_through(
        Faults {
            rate_limit: limited(RetryAfterForm::HttpDate),
            ..Faults::default()
        },
        &["--concurrency", "64"],
    );
    assert!(injected(&dir, |f| *f == Fault::RateLimited) >= 1);
}

#[test]
fn rate_limit_without_retry_after_falls_back_to_backoff() {
    let (dir, _) = converges_through(
        Faults {
            rate_limit: limited(RetryAfterForm::Missing),
            ..Faults::default()
        },
        &[],
    );
    assert!(injected(&dir, |f| *f == Fault::RateLimited) >= 1);
}

/// The mix the issue names: 10% 5xx, 2% resets, 429 bursts with both `Retry-After` forms,
/// latency with jitter; plus a few cut-short answers.
pub fn the_mix() -> SandboxConfig {
    SandboxConfig {
        latency: Duration::from_millis(5),
        ..with(Faults {
            jitter: Duration::from_millis(20),
            // Lower than in the cases above: backoff after 5xx slows the client down, and the
            // limit must still bite.
            rate_limit: Some(RateLimit {
                retry_after: RetryAfterForm::Mixed,
                ..RateLimit::bucket(70.0, 30)
            }),
            server_errors: 0.10,
            resets: 0.02,
            malformed: 0.01,
            seed: 7,
            ..Faults::default()
        })
    }
}

#[test]
fn the_fault_mix() {
    let dir = Directory::new(MEMBERS, the_mix());
    let run = dir.apply(&["--concurrency", "16", "--rate", "120/s"]);
    dir.assert_converged(&run);
    // The client starts at 120/s against 70/s: the limit bites at least once, then the pace
    // drops below it (it used to bite again and again).
    assert!(injected(&dir, |f| *f == Fault::RateLimited) >= 1);
    assert!(injected(&dir, |f| matches!(f, Fault::ServerError(_))) >= 10);
    assert!(injected(&dir, |f| *f == Fault::Reset) >= 1);
}

#[test]
fn a_token_revoked_in_the_middle_of_the_mix() {
    let dir = Directory::new(
        MEMBERS,
        SandboxConfig {
            revoke_token_after: Some(120),
            ..the_mix()
        },
    );
    let run = dir.apply(&["--concurrency", "16", "--rate", "120/s"]);
    run.assert_code(1);
    run.assert_stderr_contains("the access token was refused");
    run.assert_stderr_contains("get a new token");
    super::assert_every_row_once(&run, dir.rows);
    let counted = outcome_counts(&run.report);
    assert!(
        counted.get("cancelled").copied().unwrap_or(0) > 0,
        "{counted:?}"
    );
    // Only requests already on their way when the first 401 came back are refused.
    let refused = dir
        .org
        .requests()
        .iter()
        .filter(|r| r.status == 401)
        .count();
    assert!((1..=16).contains(&refused), "{refused} requests got 401");
    // An `updated` row is a member in the wanted state, and no other row claims so.
    let diverging = dir.diverging();
    for line in &run.report {
        if let Ok(id) = line["user_id"].parse::<u64>() {
            let converged = !diverging.contains(&id);
            if line["outcome"] == "updated" {
                assert!(converged, "{line:?}");
            }
        }
    }
    dir.assert_paced();
}
