//! Fault injection: what real networks, gateways and rate limiters do to a client.
//!
//! A client that has only met a well-behaved server has not been tested. Each fault here is
//! one a sync will meet against the real API (`shared/reference/tallyfy-api.md`): a per-token
//! rate limit answering 429 with `Retry-After` in either form, gateway 5xx pages in HTML, 500s
//! leaking SQL, connections reset before any response, answers slower than any timeout, a 200
//! whose JSON is cut off. The dice are seeded, so a failing mix can be replayed.
//!
//! The rate limit, with its record of pacing violations, is in `rate_limit.rs`; faults aimed
//! at one lifecycle call rather than left to the dice in `lifecycle/scripted.rs`.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::lifecycle::{Armed, ScriptedFault};
use super::rate_limit::{Admission, Limiter, PacingViolation, RateLimit};

/// The faults a sandbox injects. `Faults::default()` injects none.
#[derive(Debug, Clone)]
pub struct Faults {
    /// A random extra delay, uniform in `0..=jitter`, on top of the fixed latency.
    pub jitter: Duration,
    /// A rate limit per access token; `None` never answers 429.
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
    /// Faults aimed at lifecycle calls (invite, disable, enable, remove, the search by email):
    /// which call, about whom, how many times. Not random either, and they take the dice's
    /// place on the requests they hit.
    pub scripted: Vec<ScriptedFault>,
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
            scripted: Vec::new(),
        }
    }
}

impl Faults {
    /// Whether any random fault can fire.
    pub fn any_random(&self) -> bool {
        self.server_errors > 0.0 || self.resets > 0.0 || self.slow > 0.0 || self.malformed > 0.0
    }
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
    /// Applied, then the connection reset without a response (journal status 0).
    ResetAfterApplying,
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
            Fault::ResetAfterApplying => f.write_str("reset_after_applying"),
            Fault::Slow => f.write_str("slow"),
            Fault::Malformed => f.write_str("malformed"),
        }
    }
}

/// The random fault chosen for one request: an admitted, authenticated one, or with the
/// throttle in the application, any request (a 502 or 503 is then answered before the rest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Roll {
    None,
    Reset,
    /// Only scripted ([`ScriptedFault`]): the dice never reset after applying.
    ResetAfterApplying,
    ServerError(u16),
    Slow,
    Malformed,
}

/// The mutable side of [`Faults`]: the dice and the rate limit's state.
pub(crate) struct FaultState {
    faults: Faults,
    dice: Mutex<StdRng>,
    limiter: Option<Limiter>,
    scripted: Armed,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl FaultState {
    pub fn new(faults: Faults) -> FaultState {
        FaultState {
            dice: Mutex::new(StdRng::seed_from_u64(faults.seed)),
            limiter: faults
                .rate_limit
                .clone()
                .map(|limit| Limiter::new(limit, faults.seed.wrapping_add(1))),
            scripted: Armed::new(&faults.scripted),
            faults,
        }
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    pub fn violations(&self) -> Vec<PacingViolation> {
        self.limiter
            .as_ref()
            .map_or_else(Vec::new, Limiter::violations)
    }

    /// Records a violation if `key`'s client sent this inside a window it had been told of.
    pub fn check_pacing(&self, key: &str, method: &str, path: &str, arrived_at: SystemTime) {
        if let Some(limiter) = &self.limiter {
            limiter.check_pacing(key, method, path, arrived_at);
        }
    }

    /// Whether the throttle is the application's ([`super::ThrottleSeat::Application`]): then
    /// a 502 or 503 is answered before it, and authentication comes first.
    pub fn throttle_in_application(&self) -> bool {
        self.faults
            .rate_limit
            .as_ref()
            .is_some_and(|limit| limit.seat == super::ThrottleSeat::Application)
    }

    /// How long this request travels before the rate limit sees it ([`RateLimit::arrival_jitter`]).
    pub fn arrival_delay(&self) -> Duration {
        self.limiter
            .as_ref()
            .map_or(Duration::ZERO, Limiter::arrival_delay)
    }

    /// Asks `key`'s limiter about this request: admitted, or refused and for how long.
    pub fn admit(&self, key: &str) -> Admission {
        self.limiter.as_ref().map_or(
            Admission::Admitted {
                headers: Vec::new(),
            },
            |limiter| limiter.admit(key),
        )
    }

    /// A 429 for `key` announcing a window until `window_end` is being sent now.
    pub fn announce(&self, key: &str, announced: bool, window_end: SystemTime) {
        if let Some(limiter) = &self.limiter {
            limiter.announce(key, announced, window_end);
        }
    }

    /// The fault a script aims at this request, if any has hits left: it replaces the dice.
    pub fn scripted(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> Option<Roll> {
        self.scripted.fire(method, path, query, body)
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
