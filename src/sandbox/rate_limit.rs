//! The rate limit: a token bucket per access token, answering 429 with `Retry-After`, and the
//! record of pacing violations the reliability suite is judged by.
//!
//! Tallyfy's limit is unknown (the reference lists three conflicting figures), but its shape is
//! Laravel's throttle: a budget per user, a 429 with `Retry-After` when it is spent. A
//! well-behaved client waits out the window it was told about; one that sends anyway is caught
//! here, as a [`PacingViolation`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::faults::lock;

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
    /// Where the throttle sits, which decides whether an injected 502 or 503 spends it.
    pub seat: ThrottleSeat,
}

/// Where the throttle sits, which decides what an injected 502 or 503 costs.
///
/// The reference cannot say. Its figures conflict, and nothing in it names the throttle's
/// place; what it does say ("per user or IP", `Retry-After` with `X-RateLimit-Remaining`) fits
/// Laravel's own `throttle:api` middleware, which runs inside the application after
/// authentication, and fits an edge limiter just as well. So both are modelled, the stricter
/// one by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThrottleSeat {
    /// In front of everything: every request it admits spends the limit, whatever is
    /// answered then. The stricter reading, and the default.
    #[default]
    Edge,
    /// In the application, after authentication, as Laravel's `throttle:api` is. A 502 (the
    /// gateway could not reach the application: nothing was done) and a 503 (no instance
    /// available, or maintenance mode, which Laravel checks before any route middleware) are
    /// answered before it and spend nothing; so is a 401. A 500 and a 504 have spent it. The
    /// best case: a 502 from a worker that died mid-request would have spent it too.
    Application,
}

impl RateLimit {
    /// `per_second` sustained, with a burst of about a second's worth.
    pub fn new(per_second: f64) -> RateLimit {
        RateLimit {
            per_second,
            burst: (per_second.ceil() as u32).max(1),
            retry_after: RetryAfterForm::Seconds,
            violation_grace: Duration::from_millis(20),
            seat: ThrottleSeat::Edge,
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
    /// Refused: send 429 with this `Retry-After` header (if any), then [`Limiter::announce`].
    Throttled {
        header: Option<String>,
        window_end: SystemTime,
    },
}

struct Bucket {
    tokens: f64,
    refilled: Instant,
}

struct Window {
    announced_at: SystemTime,
    end: SystemTime,
}

/// The buckets, the windows announced by 429s, and the violations of those windows.
pub(crate) struct Limiter {
    limit: RateLimit,
    /// Tosses between the two `Retry-After` forms for [`RetryAfterForm::Mixed`].
    coin: Mutex<StdRng>,
    buckets: Mutex<HashMap<String, Bucket>>,
    windows: Mutex<HashMap<String, Vec<Window>>>,
    violations: Mutex<Vec<PacingViolation>>,
}

impl Limiter {
    pub fn new(limit: RateLimit, seed: u64) -> Limiter {
        Limiter {
            limit,
            coin: Mutex::new(StdRng::seed_from_u64(seed)),
            buckets: Mutex::default(),
            windows: Mutex::default(),
            violations: Mutex::default(),
        }
    }

    pub fn violations(&self) -> Vec<PacingViolation> {
        lock(&self.violations).clone()
    }

    /// Records a violation if `key`'s client sent this inside a window it had been told of.
    pub fn check_pacing(&self, key: &str, method: &str, path: &str, arrived_at: SystemTime) {
        let limit = &self.limit;
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
        let limit = &self.limit;
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
            RetryAfterForm::Mixed if lock(&self.coin).random_bool(0.5) => RetryAfterForm::HttpDate,
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
            // The moment a token is back, as a date can say it: rounded up to the second.
            // (The seconds form rounds the wait itself up, so it is never under a second.)
            RetryAfterForm::HttpDate => {
                let date = round_up_to_second(now_wall + wait);
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
}

fn round_up_to_second(t: SystemTime) -> SystemTime {
    let since = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    let whole = since.as_secs() + u64::from(since.subsec_nanos() > 0);
    SystemTime::UNIX_EPOCH + Duration::from_secs(whole)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limited(per_second: f64, burst: u32, form: RetryAfterForm) -> Limiter {
        Limiter::new(
            RateLimit {
                burst,
                retry_after: form,
                ..RateLimit::new(per_second)
            },
            1,
        )
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

        // A token back in 20 ms is announced by the next whole second, not a second later.
        let state = limited(50.0, 1, RetryAfterForm::HttpDate);
        state.admit("t");
        let before = SystemTime::now();
        let Admission::Throttled { window_end, .. } = state.admit("t") else {
            panic!("throttled");
        };
        let after = SystemTime::now();
        assert!(window_end >= before + Duration::from_millis(10));
        assert!(window_end <= after + Duration::from_millis(1020));

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
}
