//! Pacing: how fast requests leave, for the whole run.
//!
//! One [`Pacer`] is shared by every request of a run, the member list included, because the
//! organization's rate limit counts them all. It spaces requests one interval apart with a
//! `governor` GCRA limiter, and holds a pool-wide pause: when any request is answered 429,
//! every worker waits until the announced `Retry-After` has passed before sending anything
//! else. Waiting is always a timer, never a spin, and only one caller at a time waits for the
//! next slot (the others queue behind it in FIFO order, retries ahead of first attempts: see
//! [`Attempt`]), so a rate change takes effect at the very next request.
//!
//! The limiter allows one request of slack (a burst of 2): timers wake up to a millisecond
//! late, and without slack every late wake-up would push all later requests back (at 50/s, a
//! millisecond per request is 5% below the rate asked for). With it, the average pace is the
//! rate asked for, and no window ever holds more than one request above it: after a quiet
//! spell (a pause after a 429, say) two requests may leave together, never more.
//!
//! The interval is fixed (`--rate 20/s`) or, with `--rate auto`, set by an AIMD controller
//! ([`Aimd`]) fed with every answer: more after each window of successes, less after a 429.
//! A governor quota is fixed when the limiter is built, so a new rate builds a new limiter.
//! The limiter reads tokio's clock, so tests can run in paused time.

mod aimd;
mod rate;

pub use aimd::Aimd;
pub use rate::{Pace, Rate};

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Requests the limiter lets through back to back: one of slack for late timer wake-ups.
const BURST: NonZeroU32 = NonZeroU32::new(2).expect("2 is not zero");

/// governor's clock, read from tokio's (so that paused-time tests pace too): time since the
/// pacer was made.
#[derive(Debug, Clone)]
struct TokioClock {
    origin: Instant,
}

impl Clock for TokioClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        Nanos::from(Instant::now().saturating_duration_since(self.origin))
    }
}

type Limiter = RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Nanos>>;

/// A limiter whose slack is already spent, so that a new one (at the start, or at a new rate)
/// does not open with two requests at once.
fn limiter(interval: Duration, clock: &TokioClock) -> Limiter {
    let quota = Quota::with_period(interval.max(Duration::from_nanos(1)))
        .expect("a non-zero period")
        .allow_burst(BURST);
    let limiter = RateLimiter::direct_with_clock(quota, clock.clone());
    let _slack = limiter.check();
    limiter
}

/// The run's one gate for outgoing requests.
pub struct Pacer {
    /// Held by the one caller waiting for the next slot; the others queue here, first come
    /// first served.
    turnstile: tokio::sync::Mutex<()>,
    /// First attempts pass here before the turnstile, one at a time; retries go straight to
    /// the turnstile. So a retry waits behind at most one first attempt, not behind every
    /// worker of the pool (see [`Attempt`]).
    first_attempts: tokio::sync::Mutex<()>,
    state: Mutex<State>,
}

struct State {
    /// The steady pace, rebuilt when `--rate auto` changes the rate.
    limiter: Arc<Limiter>,
    /// The interval the limiter was built for.
    interval: Duration,
    clock: TokioClock,
    paused_until: Option<Instant>,
    control: Control,
}

enum Control {
    Fixed(Rate),
    Auto(Aimd),
}

impl Control {
    fn interval(&self) -> Duration {
        match self {
            Control::Fixed(rate) => rate.interval(),
            Control::Auto(aimd) => aimd.rate().interval(),
        }
    }
}

/// Handed to a request when it may leave; given back with its answer, so the controller can
/// tell an answer to a request sent before its last decrease (stale news) from a fresh one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    epoch: u64,
}

/// What an answer says about the pace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Any answer but a 429: the server took the request in.
    Accepted,
    /// A 429: too fast.
    Throttled,
}

/// Whether a request is a row's first attempt or a retry.
///
/// A retry goes ahead of first attempts. It has already waited out its backoff; queueing it
/// again behind every worker of the pool (a second's worth of requests at a busy pace) would
/// double that wait, and leave the retries for the end of the run, where a retry that fails
/// again waits out a longer backoff with nothing else left to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    First,
    Retry,
}

/// The run was stopped while waiting for a turn.
#[derive(Debug)]
pub struct Stopped;

impl Pacer {
    pub fn new(pace: Pace) -> Pacer {
        let control = match pace {
            Pace::Fixed(rate) => Control::Fixed(rate),
            Pace::Auto => Control::Auto(Aimd::new(Rate::DEFAULT)),
        };
        let clock = TokioClock {
            origin: Instant::now(),
        };
        let interval = control.interval();
        Pacer {
            turnstile: tokio::sync::Mutex::new(()),
            first_attempts: tokio::sync::Mutex::new(()),
            state: Mutex::new(State {
                limiter: Arc::new(limiter(interval, &clock)),
                interval,
                clock,
                paused_until: None,
                control,
            }),
        }
    }

    /// Waits for this request's turn: past any pool-wide pause, then the next free slot.
    /// Retries are served before first attempts ([`Attempt`]).
    pub async fn ready(
        &self,
        stop: &CancellationToken,
        attempt: Attempt,
    ) -> Result<Ticket, Stopped> {
        let _lane = match attempt {
            Attempt::First => Some(tokio::select! {
                lane = self.first_attempts.lock() => lane,
                _ = stop.cancelled() => return Err(Stopped),
            }),
            Attempt::Retry => None,
        };
        let _turn = tokio::select! {
            turn = self.turnstile.lock() => turn,
            _ = stop.cancelled() => return Err(Stopped),
        };
        loop {
            // A pool-wide pause (a 429) first: no token is taken while paused.
            let paused = self
                .lock()
                .paused_until
                .filter(|until| *until > Instant::now());
            if let Some(until) = paused {
                tokio::select! {
                    _ = tokio::time::sleep_until(until) => continue,
                    _ = stop.cancelled() => return Err(Stopped),
                }
            }
            let (limiter, clock) = {
                let state = self.lock();
                (state.limiter.clone(), state.clock.clone())
            };
            match limiter.check() {
                Ok(()) => {
                    let epoch = match &self.lock().control {
                        Control::Fixed(_) => 0,
                        Control::Auto(aimd) => aimd.epoch(),
                    };
                    return Ok(Ticket { epoch });
                }
                Err(not_until) => {
                    let wait = not_until.wait_time_from(clock.now());
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = stop.cancelled() => return Err(Stopped),
                    }
                }
            }
        }
    }

    /// Pauses every worker for `duration` from now (never shortens a pause already set).
    pub fn pause_for(&self, duration: Duration) {
        let until = Instant::now() + duration;
        let mut state = self.lock();
        if state.paused_until.is_none_or(|current| current < until) {
            state.paused_until = Some(until);
        }
    }

    /// Feeds an answer to the controller (a fixed pace ignores it). A new rate builds a new
    /// limiter: governor's quota is fixed once built.
    pub fn observe(&self, ticket: Ticket, signal: Signal) {
        let mut state = self.lock();
        if let Control::Auto(aimd) = &mut state.control {
            match signal {
                Signal::Accepted => aimd.on_accepted(ticket.epoch),
                Signal::Throttled => {
                    if aimd.on_throttled(ticket.epoch) {
                        tracing::debug!(rate = %aimd.rate(), "429: slowing down");
                    }
                }
            }
        }
        let interval = state.control.interval();
        if interval != state.interval {
            state.limiter = Arc::new(limiter(interval, &state.clock));
            state.interval = interval;
        }
    }

    /// The pace right now.
    pub fn rate(&self) -> Rate {
        match &self.lock().control {
            Control::Fixed(rate) => *rate,
            Control::Auto(aimd) => aimd.rate(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_every_request_back() {
        let pacer = Pacer::new(Pace::Fixed("1000/s".parse().unwrap()));
        let stop = CancellationToken::new();
        let start = Instant::now();
        pacer.pause_for(Duration::from_secs(5));
        pacer.ready(&stop, Attempt::First).await.unwrap();
        assert!(start.elapsed() >= Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn stopping_ends_the_wait() {
        let pacer = Pacer::new(Pace::Fixed("1000/s".parse().unwrap()));
        let stop = CancellationToken::new();
        pacer.pause_for(Duration::from_secs(3600));
        stop.cancel();
        assert!(pacer.ready(&stop, Attempt::First).await.is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn requests_leave_one_interval_apart_in_arrival_order() {
        let pacer = std::sync::Arc::new(Pacer::new(Pace::Fixed("10/s".parse().unwrap())));
        let stop = CancellationToken::new();
        let start = Instant::now();
        let mut waiting = tokio::task::JoinSet::new();
        for _ in 0..5 {
            let (pacer, stop) = (pacer.clone(), stop.clone());
            waiting.spawn(async move {
                pacer.ready(&stop, Attempt::First).await.unwrap();
                Instant::now()
            });
        }
        let mut sent: Vec<Duration> = waiting
            .join_all()
            .await
            .into_iter()
            .map(|at| at - start)
            .collect();
        sent.sort();
        let expected: Vec<Duration> = (0..5).map(|n| Duration::from_millis(100 * n)).collect();
        assert_eq!(sent, expected);
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_goes_ahead_of_the_first_attempts_waiting() {
        let pacer = std::sync::Arc::new(Pacer::new(Pace::Fixed("10/s".parse().unwrap())));
        let stop = CancellationToken::new();
        // Two slots used: the slack and the first interval's.
        pacer.ready(&stop, Attempt::First).await.unwrap();
        pacer.ready(&stop, Attempt::First).await.unwrap();
        let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut waiting = tokio::task::JoinSet::new();
        for (name, attempt) in [
            ("first 1", Attempt::First),
            ("first 2", Attempt::First),
            ("first 3", Attempt::First),
            ("retry", Attempt::Retry),
        ] {
            let (pacer, stop, order) = (pacer.clone(), stop.clone(), order.clone());
            waiting.spawn(async move {
                pacer.ready(&stop, attempt).await.unwrap();
                order.lock().unwrap().push(name);
            });
            // Each in the queue before the next arrives.
            tokio::task::yield_now().await;
        }
        waiting.join_all().await;
        // The retry came last, and waited behind the one first attempt already at the gate.
        assert_eq!(
            *order.lock().unwrap(),
            ["first 1", "retry", "first 2", "first 3"]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn auto_slows_the_whole_pool_once_per_429_burst() {
        let pacer = Pacer::new(Pace::Auto);
        let stop = CancellationToken::new();
        let first = pacer.ready(&stop, Attempt::First).await.unwrap();
        let second = pacer.ready(&stop, Attempt::First).await.unwrap();
        let before = pacer.rate().per_second();
        pacer.observe(first, Signal::Throttled);
        pacer.observe(second, Signal::Throttled);
        assert_eq!(pacer.rate().per_second(), before * Aimd::SLOW_START_EXIT);
        // A fixed pace is what it was told, whatever the answers.
        let fixed = Pacer::new(Pace::Fixed("5/s".parse().unwrap()));
        let ticket = fixed.ready(&stop, Attempt::First).await.unwrap();
        fixed.observe(ticket, Signal::Throttled);
        assert_eq!(fixed.rate().per_second(), 5.0);
    }
}
