//! Fault injection: what real networks, gateways and rate limiters do to a client.
//!
//! A client that has only met a well-behaved server has not been tested. Each fault here is
//! one a sync will meet against the real API (`shared/reference/tallyfy-api.md`): a per-token
//! rate limit answering 429 with `Retry-After` in either form, gateway 5xx pages in HTML, 500s
//! leaking SQL, connections reset before any response, answers slower than any timeout, a 200
//! whose JSON is cut off. The dice are seeded, so a failing mix can be replayed.
//!
//! The rate limiter also keeps the record the reliability suite is judged by: a request that
//! arrives while a `Retry-After` it was told about is still running is a *pacing violation*.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The faults a sandbox injects. `Faults::default()` injects none.
#[derive(Debug, Clone)]
pub struct Faults {
    /// A random extra delay, uniform in `0..=jitter`, on top of the fixed latency.
    pub jitter: Duration,
    /// A token-bucket limit per access token; `None` never answers 429.
    pub rate_limit: Option<RateLimit>,
    /// Share of requests (0.0–1.0) answered 500, 502, 503 or 504. A 504 is sent *after* the
    /// change was applied (a gateway gave up waiting), the others before anything happened.
    pub server_errors: f64,
    /// Share of requests whose connection is reset (TCP RST) before any response is written;
    /// nothing is applied.
    pub resets: f64,
    /// Share of requests that are applied but answered only after `slow_by`.
    pub slow: f64,
    /// How late a slow answer comes; set it above the client's timeout.
    pub slow_by: Duration,
    /// Share of successful answers whose JSON body is cut short (the change is applied).
    pub malformed: f64,
    /// Seed of the dice that pick which request meets which fault.
    pub seed: u64,
    /// Every write to these members is refused with this status (400, 403, 404, 409, 422 or
    /// any other), in the body Tallyfy sends for it: a seat pool that ran out, a member
    /// removed mid-run, a business rule. Not random: the same member always fails.
    pub refuse: BTreeMap<u64, u16>,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            jitter: Duration::ZERO,
            rate_limit: None,
            server_errors: 0.0,
            resets: 0.0,
            slow: 0.0,
            slow_by: Duration::from_secs(35),
            malformed: 0.0,
            seed: 1,
            refuse: BTreeMap::new(),
        }
    }
}

impl Faults {
    /// Whether any random fault can fire.
    pub fn any_random(&self) -> bool {
        self.server_errors > 0.0 || self.resets > 0.0 || self.slow > 0.0 || self.malformed > 0.0
    }
}

/// A token bucket per access token, as Laravel's throttle middleware keeps per user.
#[derive(Debug, Clone)]
pub struct RateLimit {
    /// Tokens added per second (the sustained rate allowed).
    pub per_second: f64,
    /// Bucket size: how many requests may arrive back to back after a quiet spell.
    pub burst: u32,
    /// How `Retry-After` is written on a 429.
    pub retry_after: RetryAfterForm,
    /// A request arriving this soon after a 429 was sent is not counted as a violation: the
    /// client cannot have learnt of the 429 yet (it may already have been on its way).
    pub violation_grace: Duration,
}

impl RateLimit {
    /// `per_second` sustained, with a burst of about a second's worth.
    pub fn new(per_second: f64) -> RateLimit {
        RateLimit {
            per_second,
            burst: (per_second.ceil() as u32).max(1),
            retry_after: RetryAfterForm::Seconds,
            violation_grace: Duration::from_millis(20),
        }
    }
}

/// The forms of `Retry-After` a server may send (RFC 9110 allows both; Tallyfy documents
/// seconds and may send a date).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RetryAfterForm {
    /// `Retry-After: 2` (whole seconds, rounded up).
    #[default]
    Seconds,
    /// `Retry-After: Tue, 24 Nov 2026 02:15:07 GMT` (whole seconds, rounded up).
    HttpDate,
    /// Either form, chosen by the dice for each 429.
    Mixed,
    /// No `Retry-After` at all: the client must fall back to its own backoff.
    Missing,
}

/// What the sandbox did to one request, as the journal records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answered 429 by the rate limit.
    RateLimited,
    /// Answered with this 5xx status.
    ServerError(u16),
    /// Connection reset; no response at all (journal status 0).
    Reset,
    /// Applied, answered after `slow_by` (the client has usually given up by then).
    Slow,
    /// Applied, answered 200 with a truncated JSON body.
    Malformed,
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::RateLimited => f.write_str("rate_limited"),
            Fault::ServerError(status) => write!(f, "server_error_{status}"),
            Fault::Reset => f.write_str("reset"),
            Fault::Slow => f.write_str("slow"),
            Fault::Malformed => f.write_str("malformed"),
        }
    }
}

/// A request that arrived while a `Retry-After` announced to its token was still running.
#[derive(Debug, Clone)]
pub struct PacingViolation {
    pub method: String,
    pub path: String,
    /// When the 429 announcing the window was sent, and when the window ended.
    pub announced_at: SystemTime,
    pub window_end: SystemTime,
    pub arrived_at: SystemTime,
}

/// The outcome of asking the rate limit for one request.
pub(crate) enum Admission {
    Admitted,
    /// Refused: send 429 with this `Retry-After` header (if any), then [`FaultState::announce`].
    Throttled {
        header: Option<String>,
        window_end: SystemTime,
    },
}

/// The random fault chosen for one admitted, authenticated request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Roll {
    None,
    Reset,
    ServerError(u16),
    Slow,
    Malformed,
}

struct Bucket {
    tokens: f64,
    refilled: Instant,
}

struct Window {
    announced_at: SystemTime,
    end: SystemTime,
}

/// The mutable side of [`Faults`]: dice, buckets, announced windows, violations.
pub(crate) struct FaultState {
    faults: Faults,
    dice: Mutex<StdRng>,
    buckets: Mutex<HashMap<String, Bucket>>,
    windows: Mutex<HashMap<String, Vec<Window>>>,
    violations: Mutex<Vec<PacingViolation>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl FaultState {
    pub fn new(faults: Faults) -> FaultState {
        FaultState {
            dice: Mutex::new(StdRng::seed_from_u64(faults.seed)),
            faults,
            buckets: Mutex::default(),
            windows: Mutex::default(),
            violations: Mutex::default(),
        }
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    pub fn violations(&self) -> Vec<PacingViolation> {
        lock(&self.violations).clone()
    }

    /// Records a violation if `key`'s client sent this inside a window it had been told of.
    pub fn check_pacing(&self, key: &str, method: &str, path: &str, arrived_at: SystemTime) {
        let Some(limit) = &self.faults.rate_limit else {
            return;
        };
        let mut windows = lock(&self.windows);
        let Some(list) = windows.get_mut(key) else {
            return;
        };
        let now = SystemTime::now();
        list.retain(|w| w.end > now);
        let inside = list
            .iter()
            .find(|w| arrived_at >= w.announced_at + limit.violation_grace && arrived_at < w.end);
        if let Some(w) = inside {
            lock(&self.violations).push(PacingViolation {
                method: method.to_string(),
                path: path.to_string(),
                announced_at: w.announced_at,
                window_end: w.end,
                arrived_at,
            });
        }
    }

    /// Takes a token from `key`'s bucket, or says how long until one is there.
    pub fn admit(&self, key: &str) -> Admission {
        let Some(limit) = &self.faults.rate_limit else {
            return Admission::Admitted;
        };
        let now = Instant::now();
        let burst = f64::from(limit.burst.max(1));
        let wait = {
            let mut buckets = lock(&self.buckets);
            let bucket = buckets.entry(key.to_string()).or_insert(Bucket {
                tokens: burst,
                refilled: now,
            });
            let earned = now.duration_since(bucket.refilled).as_secs_f64() * limit.per_second;
            bucket.tokens = (bucket.tokens + earned).min(burst);
            bucket.refilled = now;
            if bucket.tokens >= 1.0 {
                bucket.tokens -= 1.0;
                return Admission::Admitted;
            }
            Duration::from_secs_f64((1.0 - bucket.tokens) / limit.per_second)
        };
        let form = match limit.retry_after {
            RetryAfterForm::Mixed if lock(&self.dice).random_bool(0.5) => RetryAfterForm::HttpDate,
            RetryAfterForm::Mixed => RetryAfterForm::Seconds,
            form => form,
        };
        let now_wall = SystemTime::now();
        let (header, window_end) = match form {
            RetryAfterForm::Seconds | RetryAfterForm::Mixed => {
                let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
                (
                    Some(seconds.to_string()),
                    now_wall + Duration::from_secs(seconds),
                )
            }
            RetryAfterForm::HttpDate => {
                let date = round_up_to_second(now_wall + wait.max(Duration::from_secs(1)));
                (Some(httpdate::fmt_http_date(date)), date)
            }
            RetryAfterForm::Missing => (None, now_wall + wait),
        };
        Admission::Throttled { header, window_end }
    }

    /// The 429 carrying `window_end` is being sent now: from here on the client knows.
    /// A 429 without `Retry-After` announces nothing.
    pub fn announce(&self, key: &str, header_sent: bool, window_end: SystemTime) {
        if !header_sent {
            return;
        }
        lock(&self.windows)
            .entry(key.to_string())
            .or_default()
            .push(Window {
                announced_at: SystemTime::now(),
                end: window_end,
            });
    }

    /// Picks at most one random fault for a request.
    pub fn roll(&self) -> Roll {
        let f = &self.faults;
        if !f.any_random() {
            return Roll::None;
        }
        let mut dice = lock(&self.dice);
        let mut x: f64 = dice.random();
        for (share, roll) in [
            (f.resets, Roll::Reset),
            (f.server_errors, Roll::ServerError(0)),
            (f.slow, Roll::Slow),
            (f.malformed, Roll::Malformed),
        ] {
            if x < share {
                return match roll {
                    Roll::ServerError(_) => {
                        Roll::ServerError([500, 502, 503, 504][dice.random_range(0..4)])
                    }
                    other => other,
                };
            }
            x -= share;
        }
        Roll::None
    }

    /// Extra latency for one response.
    pub fn jitter(&self) -> Duration {
        let max = self.faults.jitter;
        if max.is_zero() {
            return Duration::ZERO;
        }
        let nanos = lock(&self.dice).random_range(0..=max.as_nanos() as u64);
        Duration::from_nanos(nanos)
    }
}

fn round_up_to_second(t: SystemTime) -> SystemTime {
    let since = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    let whole = since.as_secs() + u64::from(since.subsec_nanos() > 0);
    SystemTime::UNIX_EPOCH + Duration::from_secs(whole)
}

/// The body of a refused write, as Tallyfy words each status.
pub(crate) fn refusal_body(status: u16) -> serde_json::Value {
    use serde_json::json;
    match status {
        400 => json!({ "error": true, "message": "This action is not allowed for this member." }),
        403 => json!({ "error": true, "message": "You are not allowed to edit this member." }),
        404 => {
            json!({ "error": true, "message": "Resource not found", "code": "RESOURCE_NOT_FOUND" })
        }
        409 => json!({ "error": {
            "code": "SEAT_POOL_EXHAUSTED",
            "message": "No seats are left in this organization's plan.",
            "details": { "seats": 25, "used": 25 }
        } }),
        422 => json!({
            "message": "The given data was invalid.",
            "errors": { "job_title": ["The job title may not be greater than 255 characters."] }
        }),
        _ => json!({ "error": true, "message": "Refused by the sandbox." }),
    }
}

/// The body of an injected 5xx: what gateways and a debug-mode Laravel really send.
pub(crate) fn server_error_body(status: u16) -> (&'static str, String) {
    const HTML: &str = "text/html";
    const JSON: &str = "application/json";
    match status {
        500 => (
            JSON,
            serde_json::json!({
                "message": "SQLSTATE[HY000] [2002] Connection refused (SQL: select * from `users` where `users`.`id` = 1001 limit 1)",
                "exception": "Illuminate\\Database\\QueryException",
                "file": "/var/www/tallyfy/vendor/laravel/framework/src/Illuminate/Database/Connection.php",
                "line": 760,
                "trace": [
                    { "file": "/var/www/tallyfy/app/Http/Controllers/Api/UserController.php", "line": 212 }
                ]
            })
            .to_string(),
        ),
        502 => (
            HTML,
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n".into(),
        ),
        503 => (
            JSON,
            r#"{"message":"Service Unavailable"}"#.into(),
        ),
        _ => (
            HTML,
            "<!DOCTYPE html>\n<html><head><title>504 Gateway Time-out</title></head><body><h1>504 Gateway Time-out</h1><p>The server didn't respond in time.</p></body></html>\n".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limited(per_second: f64, burst: u32, form: RetryAfterForm) -> FaultState {
        FaultState::new(Faults {
            rate_limit: Some(RateLimit {
                burst,
                retry_after: form,
                ..RateLimit::new(per_second)
            }),
            ..Faults::default()
        })
    }

    #[test]
    fn sandbox_bucket_admits_a_burst_then_throttles() {
        let state = limited(1.0, 3, RetryAfterForm::Seconds);
        for _ in 0..3 {
            assert!(matches!(state.admit("t"), Admission::Admitted));
        }
        let Admission::Throttled { header, .. } = state.admit("t") else {
            panic!("the fourth request within a second must be throttled");
        };
        assert_eq!(header.as_deref(), Some("1"));
        // Buckets are per token.
        assert!(matches!(state.admit("other"), Admission::Admitted));
    }

    #[test]
    fn sandbox_retry_after_dates_round_up_and_missing_announces_nothing() {
        let state = limited(0.5, 1, RetryAfterForm::HttpDate);
        state.admit("t");
        let Admission::Throttled { header, window_end } = state.admit("t") else {
            panic!("throttled");
        };
        let date = httpdate::parse_http_date(header.as_deref().unwrap()).unwrap();
        assert_eq!(date, window_end);
        assert!(window_end >= SystemTime::now() + Duration::from_secs(1));

        let state = limited(0.5, 1, RetryAfterForm::Missing);
        state.admit("t");
        let Admission::Throttled { header, window_end } = state.admit("t") else {
            panic!("throttled");
        };
        assert_eq!(header, None);
        state.announce("t", false, window_end);
        state.check_pacing(
            "t",
            "PUT",
            "/x",
            SystemTime::now() + Duration::from_millis(50),
        );
        assert!(state.violations().is_empty());
    }

    #[test]
    fn sandbox_requests_inside_an_announced_window_are_violations() {
        let state = limited(1.0, 1, RetryAfterForm::Seconds);
        let end = SystemTime::now() + Duration::from_secs(2);
        state.announce("t", true, end);
        let now = SystemTime::now();
        // Within the grace: the client could not know yet.
        state.check_pacing("t", "PUT", "/a", now);
        // Another token's window is not this one's.
        state.check_pacing("u", "PUT", "/b", now + Duration::from_millis(100));
        // After the window.
        state.check_pacing("t", "PUT", "/c", end + Duration::from_millis(1));
        assert!(state.violations().is_empty());
        state.check_pacing("t", "PUT", "/d", now + Duration::from_millis(100));
        let v = state.violations();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].path, "/d");
    }

    #[test]
    fn sandbox_dice_follow_the_configured_shares() {
        let state = FaultState::new(Faults {
            server_errors: 0.1,
            resets: 0.02,
            ..Faults::default()
        });
        let rolls: Vec<Roll> = (0..20_000).map(|_| state.roll()).collect();
        let count = |f: fn(&Roll) -> bool| rolls.iter().filter(|r| f(r)).count();
        let errors = count(|r| matches!(r, Roll::ServerError(_)));
        let resets = count(|r| *r == Roll::Reset);
        assert!((1_700..2_300).contains(&errors), "{errors}");
        assert!((250..550).contains(&resets), "{resets}");
        for code in [500, 502, 503, 504] {
            assert!(rolls.contains(&Roll::ServerError(code)), "{code}");
        }
        // Same seed, same dice.
        let again = FaultState::new(state.faults().clone());
        assert_eq!(
            rolls[..100],
            (0..100).map(|_| again.roll()).collect::<Vec<_>>()[..]
        );
    }
}
