//! The rate limit: a limiter per access token (one of [`LimiterModel`]'s designs), answering 429
//! with `Retry-After` (and, if asked, Laravel's `X-RateLimit-*` headers), and the record of
//! pacing violations the reliability suite is judged by.
//!
//! Tallyfy's limit is unknown (the reference lists conflicting figures) and so is how its
//! limiter is built; its answers look like Laravel's throttle: a budget per user, a 429 with
//! `Retry-After` when it is spent. So the design is a parameter: a token bucket (strict, as
//! nginx's `limit_req` without `burst`, or with a burst), or Laravel's fixed windows, several at
//! once. A well-behaved client waits out the window it was told about, however long; one that
//! sends anyway is caught here, as a [`PacingViolation`].
//!
//! Files: `limiter.rs` keeps each token's state, the announced windows and the violations;
//! `headers.rs` writes what a 429 (or any answer) says about the limit.

mod headers;
mod limiter;
#[cfg(test)]
mod tests;

use std::time::{Duration, SystemTime};

pub(crate) use limiter::Limiter;

use super::limiter_model::LimiterModel;

/// The limit every access token gets, and how the server speaks of it.
#[derive(Debug, Clone)]
pub struct RateLimit {
    /// How the limiter decides (a token bucket or fixed windows); one state per token.
    pub model: LimiterModel,
    /// Each request is held a uniform random `0..arrival_jitter` before the limiter sees it:
    /// the network's reordering and jitter between a client's send and the server's clock,
    /// which is what makes a strict bucket refuse a client pacing exactly at its rate.
    /// Violations are still judged on the moment the request reached the server.
    pub arrival_jitter: Duration,
    /// Send `X-RateLimit-Limit` and `X-RateLimit-Remaining` on every answer the limiter saw,
    /// and `X-RateLimit-Reset` (Unix seconds) on a 429, as Laravel's throttle does. Off by
    /// default: the reference mentions the headers, but not that every answer has them.
    pub headers: bool,
    /// How `Retry-After` is written on a 429.
    pub retry_after: RetryAfterForm,
    /// A request arriving this soon after a 429 was sent is not counted as a violation: the
    /// client cannot have learnt of the 429 yet (it may already have been on its way).
    pub violation_grace: Duration,
    /// Where the throttle sits, which decides whether an injected 502 or 503 spends it.
    pub seat: ThrottleSeat,
}

impl RateLimit {
    /// `per_second` sustained, with a burst of about a second's worth (the sandbox's bucket
    /// before issue #18, kept as the default: a loose limiter).
    pub fn new(per_second: f64) -> RateLimit {
        RateLimit::bucket(per_second, (per_second.ceil() as u32).max(1))
    }

    /// A token bucket of `per_second` holding `burst` tokens.
    pub fn bucket(per_second: f64, burst: u32) -> RateLimit {
        RateLimit::with_model(LimiterModel::bucket(per_second, burst))
    }

    /// A bucket of one token, as nginx's `limit_req` without `burst`: a request sooner than
    /// `1 / per_second` after the last one admitted is refused.
    pub fn strict(per_second: f64) -> RateLimit {
        RateLimit::bucket(per_second, 1)
    }

    /// Laravel's fixed windows, all at once: `&[(10, 1 s), (100, 60 s)]`.
    pub fn windows(windows: &[(u32, Duration)]) -> RateLimit {
        RateLimit::with_model(LimiterModel::windows(windows))
    }

    /// Any model, with the defaults: `Retry-After` in seconds, no jitter, no `X-RateLimit-*`
    /// headers, a 20 ms grace, the throttle at the edge.
    pub fn with_model(model: LimiterModel) -> RateLimit {
        RateLimit {
            model,
            arrival_jitter: Duration::ZERO,
            headers: false,
            retry_after: RetryAfterForm::Seconds,
            violation_grace: Duration::from_millis(20),
            seat: ThrottleSeat::Edge,
        }
    }

    /// How many requests may arrive back to back after a quiet spell: the bucket's size, or
    /// the smallest window's count.
    pub fn burst(&self) -> u32 {
        match &self.model {
            LimiterModel::TokenBucket { burst, .. } => *burst,
            LimiterModel::FixedWindows(windows) => {
                windows.iter().map(|w| w.max).min().unwrap_or(u32::MAX)
            }
        }
    }
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

/// The forms of `Retry-After` a server may send (RFC 9110 allows both; Tallyfy documents
/// seconds and may send a date).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RetryAfterForm {
    /// `Retry-After: 2` (whole seconds, rounded up, at least 1).
    #[default]
    Seconds,
    /// `Retry-After: Tue, 24 Nov 2026 02:15:07 GMT` (whole seconds, rounded up).
    HttpDate,
    /// Either form, chosen by the dice for each 429.
    Mixed,
    /// No `Retry-After` at all: the client must fall back to its own backoff (or read
    /// `X-RateLimit-Reset`, if [`RateLimit::headers`] is on).
    Missing,
}

/// A request that arrived while a window announced to its token was still running.
#[derive(Debug, Clone)]
pub struct PacingViolation {
    pub method: String,
    pub path: String,
    /// When the 429 announcing the window was sent, and when the window ended.
    pub announced_at: SystemTime,
    pub window_end: SystemTime,
    pub arrived_at: SystemTime,
}

/// The outcome of asking the rate limit for one request. `headers` go on the answer, whatever
/// it turns out to be.
#[derive(Debug)]
pub(crate) enum Admission {
    Admitted {
        headers: Vec<(&'static str, String)>,
    },
    /// Refused: send 429 with these headers, then [`Limiter::announce`] the window until
    /// `window_end` if `announced` (a header said when to come back).
    Throttled {
        headers: Vec<(&'static str, String)>,
        window_end: SystemTime,
        announced: bool,
    },
}
