//! Pacing: how fast requests leave, for the whole run. The one place that decides it.
//!
//! One [`Pacer`] is shared by every request of a run, the member list included, because the
//! organization's limit counts them all. Before a request leaves it must pass, in turn:
//!
//! 1. **the server's pause**: after a 429 (or answers saying the window is spent), nothing
//!    leaves until the window the server announced is over. Never shortened, never cut:
//!    a request sent inside it is refused, and a client that keeps doing so gets throttled
//!    harder;
//! 2. **every counted window** of `--rate` (`100/min,1000/h`): at most N in any window of the
//!    limit's length (`windows`);
//! 3. **the spacing**: one interval apart at the [`Controller`]'s rate, which is the ceiling
//!    until a 429 says otherwise. A `governor` GCRA keeps it, with a tenth of an interval of
//!    slack so that timers waking a millisecond late do not push every later request back
//!    (at 50/s a millisecond is 5%). The slack is a fraction of one request, never a whole
//!    one: two requests never leave together, even after a quiet spell. (With a whole request
//!    of slack, every resume after a pause sent two in the same millisecond, which a strict
//!    bucket refuses, pausing the pool again: the "resume pair".)
//!
//! Waiting is a timer, never a spin, and only one caller at a time waits for the next slot
//! (the others queue behind it in FIFO order, retries ahead of first attempts: see
//! [`Attempt`]). A change of rate or pause wakes the waiter at once, so a faster rate (slow
//! start) or a new pause applies to the very next request. The pacer reads tokio's clock, so
//! tests run in paused time. It also keeps, for the summary, how long each limit held
//! requests back ([`HeldBack`]).

mod controller;
mod held;
mod rate;
mod windows;

pub use controller::{Answer, Controller};
pub use held::{HeldBack, Holder, in_words, time_of_day};
pub use rate::{Limit, Pace, Rate};

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::api;
use crate::progress::Progress;
use windows::WindowLog;

/// One request is this many GCRA cells; the limiter holds [`SLACK_CELLS`] more, so a request
/// may leave up to a tenth of an interval early to make up for a late timer.
const CELLS: u32 = 10;
const SLACK_CELLS: u32 = 1;

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

fn spacing(interval: Duration, clock: &TokioClock) -> Limiter {
    let cell = (interval / CELLS).max(Duration::from_nanos(1));
    let quota = Quota::with_period(cell)
        .expect("a non-zero period")
        .allow_burst(NonZeroU32::new(CELLS + SLACK_CELLS).expect("not zero"));
    RateLimiter::direct_with_clock(quota, clock.clone())
}

const ONE_REQUEST: NonZeroU32 = NonZeroU32::new(CELLS).expect("not zero");

/// Why nothing may leave for a while: what the server said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pause {
    pub until: Instant,
    /// In words, for the log and the progress bar: `a 429 with Retry-After 40 s`.
    pub source: String,
}

/// What setting a pause changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extended {
    /// How much later the pool may send than before (zero: the pause was already longer).
    pub by: Duration,
    /// When it may send again.
    pub until: Instant,
}

/// The run's one gate for outgoing requests.
pub struct Pacer {
    /// Held by the one caller waiting for the next slot; the others queue here, first come
    /// first served.
    turnstile: tokio::sync::Mutex<()>,
    /// First attempts pass here before the turnstile, one at a time; retries go straight to
    /// the turnstile ([`Attempt`]).
    first_attempts: tokio::sync::Mutex<()>,
    /// Rung when the rate or the pause changes: the caller waiting for a slot looks again.
    changed: Notify,
    state: Mutex<State>,
    /// Told of every wait longer than [`NOTICE_AFTER`], with its end and its cause.
    progress: std::sync::OnceLock<Arc<dyn Progress>>,
    /// Requests waiting for their turn right now, and chains not started yet (once the pool
    /// says): the work slow start may grow for.
    waiting: AtomicUsize,
    not_started: std::sync::OnceLock<AtomicUsize>,
}

/// Counts a request as waiting while it is in [`Pacer::ready`].
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn new(count: &'a AtomicUsize) -> Waiting<'a> {
        count.fetch_add(1, Ordering::Relaxed);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A wait this long is said at default verbosity (and on the progress bar): a run that sits
/// silent for minutes looks hung.
pub const NOTICE_AFTER: Duration = Duration::from_secs(3);

struct State {
    pace: Pace,
    control: Controller,
    /// The spacing at the controller's rate; rebuilt when the rate changes.
    spacing: Arc<Limiter>,
    interval: Duration,
    clock: TokioClock,
    windows: Vec<WindowLog>,
    pause: Option<Pause>,
    /// A ceiling the server's headers set until its window starts again.
    quota_cap: Option<(f64, Instant)>,
    /// The end of the last long wait said, so a wait is said once (again when it grows).
    announced: Option<Instant>,
    /// The server's window, as its headers and 429s show it (`X-RateLimit-*` without a reset
    /// time, as Laravel sends them on success).
    window: ServerWindow,
    held: HeldBack,
}

/// Handed to a request when it may leave; given back with its answer, so the controller can
/// tell an answer to a request sent before its last cut (stale news) from a fresh one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket {
    epoch: u64,
    sent: Instant,
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

/// What the next request waits for, if anything.
enum Gate {
    Open,
    Wait(Instant, Holder),
}

impl Pacer {
    pub fn new(pace: Pace) -> Pacer {
        let control = Controller::new(pace.ceiling().per_second(), pace.auto);
        let clock = TokioClock {
            origin: Instant::now(),
        };
        let interval = Rate::from_per_second(control.rate()).interval();
        let windows = pace
            .limits
            .iter()
            .filter(|l| l.counts_a_window())
            .map(|l| WindowLog::new(*l))
            .collect();
        Pacer {
            turnstile: tokio::sync::Mutex::new(()),
            first_attempts: tokio::sync::Mutex::new(()),
            changed: Notify::new(),
            progress: std::sync::OnceLock::new(),
            waiting: AtomicUsize::new(0),
            not_started: std::sync::OnceLock::new(),
            state: Mutex::new(State {
                spacing: Arc::new(spacing(interval, &clock)),
                interval,
                clock,
                windows,
                pause: None,
                quota_cap: None,
                announced: None,
                window: ServerWindow::default(),
                held: HeldBack::default(),
                control,
                pace,
            }),
        }
    }

    /// Waits for this request's turn: past any pause, every counted window, then the next
    /// slot. Retries are served before first attempts ([`Attempt`]).
    pub async fn ready(
        &self,
        stop: &CancellationToken,
        attempt: Attempt,
    ) -> Result<Ticket, Stopped> {
        let _waiting = Waiting::new(&self.waiting);
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
            let changed = self.changed.notified();
            let (until, holder) = match self.gate() {
                Gate::Open => {
                    let state = self.lock();
                    return Ok(Ticket {
                        epoch: state.control.epoch(),
                        sent: Instant::now(),
                    });
                }
                Gate::Wait(until, holder) => (until, holder),
            };
            self.announce(until, holder);
            let from = Instant::now();
            tokio::select! {
                _ = tokio::time::sleep_until(until) => {}
                _ = changed => {}
                _ = stop.cancelled() => return Err(Stopped),
            }
            self.lock().held.add(holder, from.elapsed());
        }
    }

    /// Where long waits are said: the run's progress (a note, and the bar's message).
    pub fn set_progress(&self, progress: Arc<dyn Progress>) {
        let _ = self.progress.set(progress);
    }

    /// Says a wait longer than [`NOTICE_AFTER`] once: how long, until when, and why.
    fn announce(&self, until: Instant, holder: Holder) {
        let now = Instant::now();
        let wait = until.saturating_duration_since(now);
        let source = {
            let mut state = self.lock();
            let told = state
                .announced
                .is_some_and(|told| told + Duration::from_secs(1) >= until);
            if wait < NOTICE_AFTER || told {
                return;
            }
            state.announced = Some(until);
            match holder {
                Holder::Server => state
                    .pause
                    .as_ref()
                    .map_or_else(|| "the server".to_string(), |p| p.source.clone()),
                other => other.to_string(),
            }
        };
        let at = held::time_of_day(std::time::SystemTime::now() + wait);
        let who = match holder {
            Holder::Server => "paused by the server",
            _ => "waiting",
        };
        let line = format!("{who} until {at} ({}): {source}", held::in_words(wait));
        match self.progress.get() {
            Some(progress) => progress.paused(&line, &format!("{who} until {at}")),
            // Before the rows start (reading the member list): a log line at the level shown
            // by default.
            None => tracing::warn!(wait_s = wait.as_secs_f64(), %source, "{line}"),
        }
    }

    /// Takes the slot if every gate is open (and records it in every window), or says what
    /// to wait for.
    fn gate(&self) -> Gate {
        let now = Instant::now();
        let mut state = self.lock();
        if let Some(pause) = state.pause.as_ref().filter(|p| p.until > now) {
            return Gate::Wait(pause.until, Holder::Server);
        }
        for log in &state.windows {
            if let Some(free) = log.next_free(now) {
                return Gate::Wait(free, Holder::Limit(log.limit));
            }
        }
        state.respace(now);
        if let Err(not_until) = state.spacing.check_n(ONE_REQUEST).expect("fits the burst") {
            let wait = not_until.wait_time_from(state.clock.now());
            return Gate::Wait(now + wait, state.spacing_holder(now));
        }
        for log in &mut state.windows {
            log.record(now);
        }
        Gate::Open
    }

    /// Pauses every worker for `duration` from now (never shortens a pause already set).
    pub fn pause_for(&self, duration: Duration, source: impl Into<String>) -> Extended {
        let now = Instant::now();
        let until = now + duration;
        let mut state = self.lock();
        let current = state.pause.as_ref().map_or(now, |p| p.until.max(now));
        if until > current {
            state.window.ends_at(until);
            if current <= now {
                state.held.server_pauses += 1;
            }
            state.pause = Some(Pause {
                until,
                source: source.into(),
            });
            drop(state);
            self.changed.notify_waiters();
        }
        Extended {
            by: until.saturating_duration_since(current),
            until: until.max(current),
        }
    }

    /// Feeds an answer to the controller, and the server's rate headers if it sent them.
    pub fn observe(&self, ticket: Ticket, signal: Signal, quota: Option<api::Quota>) {
        let mut state = self.lock();
        if let Some(not_started) = self.not_started.get() {
            let left = not_started.load(Ordering::Relaxed) + self.waiting.load(Ordering::Relaxed);
            state.control.set_work_left(left);
        }
        let before = state.control.rate();
        let since = |at: Instant| {
            at.saturating_duration_since(state.clock.origin)
                .as_secs_f64()
        };
        let answer = Answer {
            epoch: ticket.epoch,
            sent: since(ticket.sent),
            came: since(Instant::now()),
        };
        match signal {
            Signal::Accepted => state.control.on_accepted(answer),
            Signal::Throttled => {
                if state.control.on_throttled(answer) {
                    tracing::info!(
                        rate = %Rate::from_per_second(state.control.rate()),
                        "429: slowing down"
                    );
                }
            }
        }
        if let Some(quota) = quota {
            state.heed(quota, ticket.sent);
        }
        let faster = state.control.rate() > before;
        drop(state);
        if faster || quota.is_some() {
            self.changed.notify_waiters();
        }
    }

    /// How many chains are not started yet: slow start grows no faster than they and the
    /// requests waiting for their turn can use.
    pub fn chains_not_started(&self, not_started: usize) {
        self.not_started
            .get_or_init(|| AtomicUsize::new(not_started))
            .store(not_started, Ordering::Relaxed);
    }

    /// The pace right now.
    pub fn rate(&self) -> Rate {
        let state = self.lock();
        Rate::from_per_second(state.effective_rate(Instant::now()))
    }

    /// The pause the server set, while it lasts.
    pub fn pause(&self) -> Option<Pause> {
        let now = Instant::now();
        self.lock().pause.clone().filter(|p| p.until > now)
    }

    /// How long each limit held requests back so far.
    pub fn held_back(&self) -> HeldBack {
        self.lock().held.clone()
    }

    /// The limits as the user gave them, to name the one that held the run back.
    pub fn pace(&self) -> Pace {
        self.lock().pace.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl State {
    fn effective_rate(&self, now: Instant) -> f64 {
        let rate = self.control.rate();
        match self.quota_cap {
            Some((cap, until)) if until > now => rate.min(cap),
            _ => rate,
        }
    }

    /// Rebuilds the spacing when the rate moved (a governor quota is fixed once built).
    fn respace(&mut self, now: Instant) {
        let interval = Rate::from_per_second(self.effective_rate(now)).interval();
        if interval != self.interval {
            self.spacing = Arc::new(spacing(interval, &self.clock));
            self.interval = interval;
        }
    }

    /// Who the spacing waits for: the tightest limit while at the ceiling, the server's
    /// answers when the controller (or its headers) slowed below it.
    fn spacing_holder(&self, now: Instant) -> Holder {
        if self.effective_rate(now) < self.control.ceiling() * 0.999 {
            return Holder::Slowed;
        }
        let tightest = self.pace.tightest();
        match tightest {
            Some(limit) if limit.rate().per_second() <= self.control.ceiling() => {
                Holder::Limit(limit)
            }
            _ => Holder::AutoCeiling,
        }
    }

    /// The server says how much of its window is left: spread what is left over the time it
    /// has left, and when nothing is left, wait for the window to start again, before a 429
    /// says so. Without a reset time (Laravel sends none with a success), the window's length
    /// is learnt from the last 429 ([`ServerWindow`]).
    fn heed(&mut self, quota: api::Quota, sent: Instant) {
        let now = Instant::now();
        self.window.saw(quota.remaining, sent);
        let reset = quota
            .reset_in
            .filter(|r| !r.is_zero())
            .map(|r| (now + r, "X-RateLimit-Reset"))
            .or_else(|| {
                let end = self.window.expected_end().filter(|end| *end > now)?;
                Some((end, "the window the last 429 timed"))
            });
        match (quota.remaining, reset) {
            (0, Some((until, how))) if self.pause.as_ref().is_none_or(|p| p.until < until) => {
                if self.pause.as_ref().is_none_or(|p| p.until <= now) {
                    self.held.server_pauses += 1;
                }
                self.pause = Some(Pause {
                    until,
                    source: format!("X-RateLimit-Remaining: 0, until {how}"),
                });
            }
            // Paused longer already.
            (0, Some(_)) => {}
            (left, Some((until, _))) if quota.reset_in.is_some() => {
                let cap = left as f64 / (until - now).as_secs_f64();
                self.quota_cap = Some((cap.max(Controller::FLOOR), until));
            }
            (0, None) => self.control.hold(),
            _ => {}
        }
    }
}

/// A server window as `X-RateLimit-Remaining` shows it: it opened when the count went up
/// (the first request of a new window), and a 429's `Retry-After` says when it ended; the
/// difference is its length, which dates the end of the next one.
#[derive(Debug, Default)]
struct ServerWindow {
    last_remaining: Option<u64>,
    opened: Option<Instant>,
    length: Option<Duration>,
}

impl ServerWindow {
    fn saw(&mut self, remaining: u64, sent: Instant) {
        if self.last_remaining.is_none_or(|last| remaining > last) {
            self.opened = Some(sent);
        }
        self.last_remaining = Some(remaining);
    }

    /// A 429 (or a reset time) said the window ends at `end`.
    fn ends_at(&mut self, end: Instant) {
        if let Some(opened) = self.opened.filter(|o| *o < end) {
            self.length = Some(end - opened);
        }
    }

    fn expected_end(&self) -> Option<Instant> {
        Some(self.opened? + self.length?)
    }
}

#[cfg(test)]
#[path = "pacing_tests.rs"]
mod tests;
