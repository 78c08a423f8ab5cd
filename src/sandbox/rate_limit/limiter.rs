//! Each token's limiter state, the windows announced to it by 429s, and the violations of those
//! windows. The limiter models themselves are pure (`limiter_model.rs`); this is where they meet
//! the sandbox's clock, its dice and its keys.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::super::faults::lock;
use super::super::limiter_model::{LimiterState, Verdict};
use super::{Admission, PacingViolation, RateLimit, RetryAfterForm, headers};

/// A window a 429 announced: from when it was sent to when the client may come back.
struct Announced {
    at: SystemTime,
    end: SystemTime,
}

pub(crate) struct Limiter {
    limit: RateLimit,
    /// The models' time origin: they are driven by the time since the sandbox's limiter began.
    origin: Instant,
    /// Tosses between the two `Retry-After` forms for [`RetryAfterForm::Mixed`].
    coin: Mutex<StdRng>,
    /// Draws each request's arrival jitter (its own dice, so turning jitter on does not change
    /// which form a mixed 429 takes).
    arrivals: Mutex<StdRng>,
    states: Mutex<HashMap<String, LimiterState>>,
    windows: Mutex<HashMap<String, Vec<Announced>>>,
    violations: Mutex<Vec<PacingViolation>>,
}

impl Limiter {
    pub fn new(limit: RateLimit, seed: u64) -> Limiter {
        Limiter {
            limit,
            origin: Instant::now(),
            coin: Mutex::new(StdRng::seed_from_u64(seed)),
            arrivals: Mutex::new(StdRng::seed_from_u64(seed.wrapping_add(1))),
            states: Mutex::default(),
            windows: Mutex::default(),
            violations: Mutex::default(),
        }
    }

    pub fn violations(&self) -> Vec<PacingViolation> {
        lock(&self.violations).clone()
    }

    /// How long this request travels before the limiter sees it: uniform in
    /// `0..arrival_jitter`, from the seeded dice.
    pub fn arrival_delay(&self) -> Duration {
        let max = self.limit.arrival_jitter;
        if max.is_zero() {
            return Duration::ZERO;
        }
        Duration::from_nanos(lock(&self.arrivals).random_range(0..max.as_nanos() as u64))
    }

    /// Records a violation if `key`'s client sent this inside a window it had been told of.
    pub fn check_pacing(&self, key: &str, method: &str, path: &str, arrived_at: SystemTime) {
        let grace = self.limit.violation_grace;
        let mut windows = lock(&self.windows);
        let Some(list) = windows.get_mut(key) else {
            return;
        };
        let now = SystemTime::now();
        list.retain(|w| w.end > now);
        let inside = list
            .iter()
            .find(|w| arrived_at >= w.at + grace && arrived_at < w.end);
        if let Some(w) = inside {
            lock(&self.violations).push(PacingViolation {
                method: method.to_string(),
                path: path.to_string(),
                announced_at: w.at,
                window_end: w.end,
                arrived_at,
            });
        }
    }

    /// Asks `key`'s limiter about a request arriving now.
    pub fn admit(&self, key: &str) -> Admission {
        self.admit_at(key, self.origin.elapsed(), SystemTime::now())
    }

    /// Asks `key`'s limiter about a request arriving at `now` (on the model's clock), `wall`
    /// being the same moment on the wall clock that `Retry-After` dates are written in.
    pub(super) fn admit_at(&self, key: &str, now: Duration, wall: SystemTime) -> Admission {
        let verdict = lock(&self.states)
            .entry(key.to_string())
            .or_insert_with(|| LimiterState::new(&self.limit.model))
            .admit(now);
        match verdict {
            Verdict::Admitted { limit, remaining } => {
                headers::admitted(self.limit.headers, limit, remaining)
            }
            Verdict::Throttled { wait, limit } => {
                headers::throttled(self.form(), self.limit.headers, limit, wait, wall)
            }
        }
    }

    /// The `Retry-After` form of the next 429.
    fn form(&self) -> RetryAfterForm {
        match self.limit.retry_after {
            RetryAfterForm::Mixed if lock(&self.coin).random_bool(0.5) => RetryAfterForm::HttpDate,
            RetryAfterForm::Mixed => RetryAfterForm::Seconds,
            form => form,
        }
    }

    /// The 429 announcing a window until `window_end` is being sent now: from here on the
    /// client knows. A 429 that said nothing of when to come back announces nothing.
    pub fn announce(&self, key: &str, announced: bool, window_end: SystemTime) {
        if !announced {
            return;
        }
        lock(&self.windows)
            .entry(key.to_string())
            .or_default()
            .push(Announced {
                at: SystemTime::now(),
                end: window_end,
            });
    }
}
