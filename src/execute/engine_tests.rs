//! The engine's tests: retries, budgets, pool-wide pauses and stops, on scripted answers.

use std::sync::Arc;
use std::sync::atomic::AtomicU32;
// Tokio's clock, paused in the tests that read it: a wait is checked, never timed.
use tokio::time::Instant;

use secrecy::SecretString;

use super::*;
use crate::api::Connection;

fn engine(policy: RetryPolicy) -> Engine {
    let connection = Connection {
        base_url: url::Url::parse("http://127.0.0.1:9/api").unwrap(),
        org_id: "org".into(),
        token: SecretString::from("t"),
        ca_certs: Vec::new(),
    };
    let client = Client::new(&connection, Duration::from_secs(1)).unwrap();
    Engine::new(
        client,
        "1000/s".parse().unwrap(),
        policy,
        CancellationToken::new(),
    )
}

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        min_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        ..RetryPolicy::default()
    }
}

fn status(code: u16, retry_after: Option<Duration>) -> ApiError {
    ApiError::Status {
        status: code,
        message: format!("HTTP {code}"),
        request_id: None,
        retry_after,
        code: None,
    }
}

/// Answers with `errors` in turn, then succeeds.
fn scripted(
    errors: Vec<ApiError>,
) -> impl FnMut() -> std::future::Ready<Result<Reply<()>, ApiError>> {
    let mut errors = errors.into_iter();
    move || {
        std::future::ready(match errors.next() {
            Some(error) => Err(error),
            None => Ok(Reply {
                value: (),
                status: 200,
                request_id: None,
                quota: None,
            }),
        })
    }
}

#[tokio::test]
async fn transient_failures_are_retried_until_success() {
    let engine = engine(fast_policy());
    let errors = vec![
        status(503, None),
        ApiError::Timeout("t".into()),
        status(502, None),
    ];
    let attempted = engine.call(scripted(errors)).await;
    assert!(attempted.result.is_ok());
    assert_eq!(attempted.attempts, 4);
    assert_eq!(
        engine.stats(),
        StatsSnapshot {
            requests: 4,
            retries: 3,
            throttled: 0
        }
    );
}

#[tokio::test]
async fn transient_failures_stop_after_the_budget() {
    let engine = engine(fast_policy());
    let attempted = engine.call(scripted(vec![status(500, None); 10])).await;
    assert_eq!(attempted.result.unwrap_err().status(), Some(500));
    assert_eq!(attempted.attempts, 1 + fast_policy().max_retries as u32);
}

#[tokio::test]
async fn a_422_gets_exactly_one_attempt() {
    let engine = engine(fast_policy());
    let attempted = engine.call(scripted(vec![status(422, None)])).await;
    assert_eq!(attempted.result.unwrap_err().status(), Some(422));
    assert_eq!(attempted.attempts, 1);
}

#[tokio::test]
async fn a_401_stops_the_run() {
    let engine = engine(fast_policy());
    let attempted = engine.call(scripted(vec![status(401, None)])).await;
    assert_eq!(attempted.attempts, 1);
    assert!(matches!(engine.refused(), Some((Refusal::Token, _))));
    assert!(engine.stop_token().is_cancelled());
    let after = engine.call(scripted(vec![])).await;
    assert!(matches!(after.result, Err(ApiError::Stopped)));
    assert_eq!(after.attempts, 0);
}

#[tokio::test]
async fn a_refused_certificate_stops_the_run_and_keeps_what_rustls_said() {
    let engine = engine(fast_policy());
    let refused = ApiError::UntrustedCertificate("invalid peer certificate: UnknownIssuer".into());
    let attempted = engine.call(scripted(vec![refused])).await;
    assert_eq!(attempted.attempts, 1);
    let (why, error) = engine.refused().expect("the run was stopped");
    assert_eq!(why, Refusal::Certificate);
    assert!(error.to_string().contains("UnknownIssuer"), "{error}");
    assert!(engine.stop_token().is_cancelled());
    // Nothing more is sent (a 401 scripted next never goes out), and what stopped the run
    // stays the first refusal.
    let after = engine.call(scripted(vec![status(401, None)])).await;
    assert_eq!(after.attempts, 0);
    assert_eq!(
        engine.refused().map(|(why, _)| why),
        Some(Refusal::Certificate)
    );
}

#[tokio::test(start_paused = true)]
async fn a_429_holds_back_every_caller_until_retry_after() {
    let engine = Arc::new(engine(fast_policy()));
    let started = Instant::now();
    let throttled = engine.call(scripted(vec![status(
        429,
        Some(Duration::from_millis(300)),
    )]));
    let attempted = throttled.await;
    assert!(attempted.result.is_ok());
    assert_eq!(attempted.attempts, 2);
    assert!(
        started.elapsed() >= Duration::from_millis(290),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(engine.stats().throttled, 1);

    // Another caller arriving during a pause waits for it too.
    let sent_at = Arc::new(AtomicU32::new(0));
    engine.pacer.pause_for(Duration::from_millis(300), "a 429");
    let paused_from = Instant::now();
    let other = {
        let (engine, sent_at) = (engine.clone(), sent_at.clone());
        tokio::spawn(async move {
            let attempted = engine.call(scripted(vec![])).await;
            sent_at.store(paused_from.elapsed().as_millis() as u32, Ordering::SeqCst);
            attempted
        })
    };
    assert!(other.await.unwrap().result.is_ok());
    assert!(sent_at.load(Ordering::SeqCst) >= 290);
}

#[tokio::test(start_paused = true)]
async fn no_number_of_429s_fails_a_row_while_the_wait_budget_lasts() {
    let engine = engine(fast_policy());
    let throttled = vec![status(429, Some(Duration::from_secs(1))); 40];
    let attempted = engine.call(scripted(throttled)).await;
    assert!(attempted.result.is_ok());
    assert_eq!(attempted.attempts, 41);
    assert_eq!(engine.held_back().server_pauses, 40);
    assert!(engine.outwaited().is_none());
}

#[tokio::test(start_paused = true)]
async fn a_wait_beyond_what_is_left_of_max_wait_stops_the_run_without_coming_back_early() {
    let policy = RetryPolicy {
        max_wait: Duration::from_secs(600),
        ..fast_policy()
    };
    let engine = engine(policy);
    // Two 5-minute pauses fit in 10 minutes...
    let five_minutes = vec![status(429, Some(Duration::from_secs(300))); 2];
    assert!(engine.call(scripted(five_minutes)).await.result.is_ok());
    assert!(engine.outwaited().is_none());
    // ... a third does not: nothing is sent again, the run stops.
    let started = Instant::now();
    let attempted = engine
        .call(scripted(vec![status(429, Some(Duration::from_secs(300)))]))
        .await;
    assert!(matches!(attempted.result, Err(ApiError::Stopped)));
    assert_eq!(attempted.attempts, 1);
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(engine.stop_token().is_cancelled());
    let wait = engine.outwaited().expect("the run stopped for the wait");
    assert_eq!(wait.asked, Duration::from_secs(300));
    assert_eq!(wait.spent, Duration::from_secs(600));
    let said = wait.describe();
    assert!(
        said.starts_with("the server asked the run to wait 5 min, until "),
        "{said}"
    );
    assert!(
        said.ends_with(
            "(a 429 with Retry-After 5 min), more than is left of --max-wait 10 min (10 min already spent)"
        ),
        "{said}"
    );
}

#[tokio::test]
async fn a_write_that_may_not_be_repeated_is_sent_once_after_an_ambiguous_failure() {
    let engine = engine(fast_policy());
    let once = RetryRule::NeverAfterAmbiguous;
    let attempted = engine
        .call_with(once, scripted(vec![ApiError::Timeout("t".into())]))
        .await;
    assert!(matches!(attempted.result, Err(ApiError::Timeout(_))));
    assert_eq!(attempted.attempts, 1);
    // A refused connection never reached the server: sent again.
    let refused = ApiError::Connect("refused".into());
    let attempted = engine.call_with(once, scripted(vec![refused])).await;
    assert!(attempted.result.is_ok());
    assert_eq!(attempted.attempts, 2);
    // The same timeout under the idempotent rule is retried.
    let attempted = engine
        .call(scripted(vec![ApiError::Timeout("t".into())]))
        .await;
    assert_eq!(attempted.attempts, 2);
}

/// The invite cap's 429 (a day away) is handed back at once: no pool pause, no stop on
/// `--max-wait`, the pace not cut; a short 429 to an invite is the pool's, waited out and sent
/// again (a refused request did nothing).
#[tokio::test(start_paused = true)]
async fn an_invite_caps_429_goes_back_to_the_caller_and_a_short_one_is_waited_out() {
    let policy = RetryPolicy {
        max_wait: Duration::from_secs(600),
        ..fast_policy()
    };
    let engine = engine(policy);
    let invite = RetryRule::NeverAfterAmbiguous;
    let rate = engine.rate();
    let started = Instant::now();
    let cap = status(429, Some(Duration::from_secs(86_400)));
    let attempted = engine.call_with(invite, scripted(vec![cap])).await;
    assert!(
        matches!(attempted.result, Err(ApiError::Status { status: 429, .. })),
        "{:?}",
        attempted.result
    );
    assert_eq!(attempted.attempts, 1);
    assert!(started.elapsed() < Duration::from_secs(1), "nobody waited");
    assert!(engine.outwaited().is_none(), "the run goes on");
    assert!(!engine.stop_token().is_cancelled());
    assert!(engine.pacer.pause().is_none(), "the pool is not paused");
    assert_eq!(engine.rate(), rate, "the pace is not cut");
    assert_eq!(engine.stats().throttled, 1);
    // Every other write goes on at once.
    assert!(engine.call(scripted(vec![])).await.result.is_ok());
    assert!(started.elapsed() < Duration::from_secs(1));

    let pace = status(429, Some(Duration::from_secs(2)));
    let attempted = engine.call_with(invite, scripted(vec![pace])).await;
    assert!(attempted.result.is_ok());
    assert_eq!(attempted.attempts, 2);
    assert_eq!(engine.held_back().server_pauses, 1);
    assert!(started.elapsed() >= Duration::from_secs(2));
}
