//! Execute: every request of a run goes through one [`Engine`], which paces it, retries it per
//! the retry policy, counts it, and stops the run when the token or the server's certificate
//! is refused, or the user interrupts.
//!
//! The stages built on it: [`fetch`] reads the member list, [`pool`] applies a plan's writes
//! with bounded concurrency. Neither knows about rates, retries or cancellation; they just call
//! [`Engine::call`].

pub mod fetch;
pub mod groups;
pub mod pacing;
pub mod pool;
pub mod retry_policy;

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use backon::Retryable;
use tokio_util::sync::CancellationToken;

use crate::api::{ApiError, Client, Reply};
use crate::progress::Progress;
use pacing::{HeldBack, Pace, Pacer, Rate, Signal, in_words, time_of_day};
use retry_policy::{Disposition, Refusal, RetryPolicy, RetryRule, Throttle, classify};

/// How long a request already on the wire may still finish after the run is stopped, so its
/// real result (not a guess) reaches the report.
const IN_FLIGHT_GRACE: Duration = Duration::from_secs(3);

/// Request counters for the summary.
#[derive(Debug, Default)]
pub struct Stats {
    requests: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
    /// The slowest HTTP answer so far, in microseconds (what concurrency is sized from).
    slowest_answer_us: AtomicU64,
}

/// A snapshot of [`Stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// HTTP requests sent (every attempt counts).
    pub requests: u64,
    /// Attempts after the first, for any reason.
    pub retries: u64,
    /// Responses with status 429.
    pub throttled: u64,
}

/// The result of one logical call, after all its attempts.
#[derive(Debug)]
pub struct Attempted<T> {
    pub result: Result<Reply<T>, ApiError>,
    pub attempts: u32,
    /// The run was stopped with the last attempt on the wire, and its grace period ran out
    /// before the answer came: it may or may not have been applied.
    pub cut_off: bool,
}

/// Paces, retries and counts every request of a run.
pub struct Engine {
    client: Client,
    pace: Pace,
    pacer: Pacer,
    policy: RetryPolicy,
    stats: Stats,
    stop: CancellationToken,
    /// The first refusal that stopped the run, and the error that said so.
    refused: OnceLock<(Refusal, ApiError)>,
    /// The server asked for a wait beyond what `--max-wait` had left: the run stopped.
    outwaited: OnceLock<ServerWait>,
    /// The server's pauses so far, spent from `--max-wait`.
    server_waited: Mutex<Duration>,
}

/// A wait the server asked for that the run would not take (`--max-wait`).
#[derive(Debug, Clone)]
pub struct ServerWait {
    /// How long the server asked the run to wait.
    pub asked: Duration,
    /// When it said the run could go on.
    pub until: SystemTime,
    /// What said so: `a 429 with Retry-After 45 min`.
    pub source: String,
    /// `--max-wait`, and how much of it the run had already spent.
    pub max_wait: Duration,
    pub spent: Duration,
}

impl ServerWait {
    /// `the server asked the run to wait 45 min, until 14:05:10 (a 429 with Retry-After 45 min), more than is left of --max-wait 10 min (1 min 2 s already spent)`
    pub fn describe(&self) -> String {
        let until = time_of_day(self.until);
        let spent = if self.spent.is_zero() {
            String::new()
        } else {
            format!(" ({} already spent)", in_words(self.spent))
        };
        format!(
            "the server asked the run to wait {}, until {until} ({}), more than is left of --max-wait {}{spent}",
            in_words(self.asked),
            self.source,
            in_words(self.max_wait)
        )
    }
}

impl Engine {
    pub fn new(client: Client, pace: Pace, policy: RetryPolicy, stop: CancellationToken) -> Engine {
        Engine {
            client,
            pacer: Pacer::new(pace.clone()),
            pace,
            policy,
            stats: Stats::default(),
            stop,
            refused: OnceLock::new(),
            outwaited: OnceLock::new(),
            server_waited: Mutex::new(Duration::ZERO),
        }
    }

    /// Where long waits are said (the server's pauses, a limit's window).
    pub fn set_progress(&self, progress: Arc<dyn Progress>) {
        self.pacer.set_progress(progress);
    }

    /// The wait the server asked for that stopped the run, if one did.
    pub fn outwaited(&self) -> Option<&ServerWait> {
        self.outwaited.get()
    }

    /// How long each limit held requests back, and the server's pauses.
    pub fn held_back(&self) -> HeldBack {
        self.pacer.held_back()
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Cancelled when the run must stop (Ctrl-C, or a [`Refusal`]).
    pub fn stop_token(&self) -> &CancellationToken {
        &self.stop
    }

    /// What the server side refused during this run, if it stopped the run, and the error
    /// that said so (the first, when requests in flight met the same).
    pub fn refused(&self) -> Option<(Refusal, &ApiError)> {
        self.refused.get().map(|(why, error)| (*why, error))
    }

    /// The pace requests leave at right now (it moves with `--rate auto`).
    pub fn rate(&self) -> Rate {
        self.pacer.rate()
    }

    /// How many chains are still to be started (each sends one request or more).
    pub fn chains_not_started(&self, left: usize) {
        self.pacer.chains_not_started(left);
    }

    /// How many workers to run now: `concurrency` as set, or sized for the fastest the pace
    /// may become, the slowest answer so far and the first retry's backoff.
    pub fn workers(&self, concurrency: pool::Concurrency) -> usize {
        concurrency.workers(
            self.pace.ceiling(),
            self.slowest_answer(),
            self.policy.min_delay,
        )
    }

    /// The longest a request has waited for its HTTP answer so far in this run (zero before
    /// the first answer). Transport failures and timeouts do not count: they are not latency.
    pub fn slowest_answer(&self) -> Duration {
        Duration::from_micros(self.stats.slowest_answer_us.load(Ordering::Relaxed))
    }

    pub fn stats(&self) -> StatsSnapshot {
        StatsSnapshot {
            requests: self.stats.requests.load(Ordering::Relaxed),
            retries: self.stats.retries.load(Ordering::Relaxed),
            throttled: self.stats.throttled.load(Ordering::Relaxed),
        }
    }

    /// Runs one logical call: waits for its turn, sends, and retries per the policy.
    /// `request` builds a fresh request future for each attempt.
    pub async fn call<T, F, Fut>(&self, request: F) -> Attempted<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Reply<T>, ApiError>>,
    {
        self.call_with(RetryRule::Idempotent, request).await
    }

    /// [`Engine::call`] for a write whose kind has its own [`RetryRule`]
    /// (`retry_policy::retry_rule`): the rule says which failures may be sent again at all.
    pub async fn call_with<T, F, Fut>(&self, rule: RetryRule, mut request: F) -> Attempted<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Reply<T>, ApiError>>,
    {
        let attempts = AtomicUsize::new(0);
        let cut_off = AtomicBool::new(false);
        let transient_spent = AtomicUsize::new(0);
        let attempt = || {
            let sent = request();
            let (attempts, cut_off) = (&attempts, &cut_off);
            async move {
                if self.stop.is_cancelled() {
                    return Err(ApiError::Stopped);
                }
                let attempt = match attempts.load(Ordering::SeqCst) {
                    0 => pacing::Attempt::First,
                    _ => pacing::Attempt::Retry,
                };
                let Ok(ticket) = self.pacer.ready(&self.stop, attempt).await else {
                    return Err(ApiError::Stopped);
                };
                attempts.fetch_add(1, Ordering::SeqCst);
                if attempt == pacing::Attempt::Retry {
                    self.stats.retries.fetch_add(1, Ordering::Relaxed);
                }
                self.stats.requests.fetch_add(1, Ordering::Relaxed);
                let sent_at = Instant::now();
                let result = tokio::select! {
                    result = sent => result,
                    _ = self.stopped_past_grace() => {
                        cut_off.store(true, Ordering::SeqCst);
                        Err(ApiError::Stopped)
                    }
                };
                self.observe_answer(ticket, &result, sent_at.elapsed(), rule);
                result
            }
        };
        let stop = self.stop.clone();
        let result = attempt
            .retry(self.policy.backoff())
            .sleep(move |delay| {
                let stop = stop.clone();
                async move {
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = stop.cancelled() => {}
                    }
                }
            })
            .when(|error| {
                let retry = rule.allows_retry(error)
                    && self
                        .policy
                        .should_retry(error, transient_spent.load(Ordering::SeqCst));
                if retry && classify(error) == Disposition::Retry {
                    transient_spent.fetch_add(1, Ordering::SeqCst);
                }
                retry
            })
            .adjust(|error, backoff_delay| match classify(error) {
                Disposition::Throttled { retry_after } => {
                    let pause = RetryPolicy::throttle_pause(retry_after, backoff_delay?);
                    let source = match retry_after {
                        Some(_) => format!("a 429 with Retry-After {}", in_words(pause)),
                        None => format!(
                            "a 429 without Retry-After, so a backoff of {}",
                            in_words(pause)
                        ),
                    };
                    self.server_pause(pause, source);
                    // The pacer now holds every worker back; this one waits there too (or
                    // the run stopped, and the pacer says so).
                    Some(Duration::ZERO)
                }
                _ => backoff_delay,
            })
            .notify(|error, delay| {
                tracing::debug!(%error, ?delay, "retrying");
            })
            .await;
        if let Err(error) = &result {
            self.observe_final(error);
        }
        Attempted {
            result,
            attempts: attempts.load(Ordering::SeqCst) as u32,
            cut_off: cut_off.load(Ordering::SeqCst),
        }
    }

    /// Pauses the whole pool for what the server asked, or stops the run when that is more
    /// than is left of `--max-wait` (a request sent earlier would only be refused again).
    fn server_pause(&self, wait: Duration, source: String) {
        let mut spent = self.server_waited.lock().unwrap_or_else(|e| e.into_inner());
        let already = self.pacer.pause().map_or(Duration::ZERO, |p| {
            p.until
                .saturating_duration_since(tokio::time::Instant::now())
        });
        let more = wait.saturating_sub(already);
        if *spent + more > self.policy.max_wait {
            let _ = self.outwaited.set(ServerWait {
                asked: wait,
                until: SystemTime::now() + wait,
                source,
                max_wait: self.policy.max_wait,
                spent: *spent,
            });
            self.stop.cancel();
            return;
        }
        *spent += self.pacer.pause_for(wait, source).by;
    }

    /// Counts the answer and tells the pacer what it says about the pace. A 429 that is a cap
    /// of the call's kind alone (`Throttle::Kind`: the invite cap) says nothing of it.
    fn observe_answer<T>(
        &self,
        ticket: pacing::Ticket,
        result: &Result<Reply<T>, ApiError>,
        took: Duration,
        rule: RetryRule,
    ) {
        let answered = match result {
            Ok(_) => true,
            Err(error) => error.status().is_some(),
        };
        if !answered {
            return;
        }
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.stats
            .slowest_answer_us
            .fetch_max(micros, Ordering::Relaxed);
        match result {
            Err(ApiError::Status {
                status: 429,
                retry_after,
                ..
            }) => {
                self.stats.throttled.fetch_add(1, Ordering::Relaxed);
                let signal = match rule.throttle(*retry_after) {
                    Throttle::Pool => Signal::Throttled,
                    Throttle::Kind => Signal::Accepted,
                };
                self.pacer.observe(ticket, signal, None);
            }
            Ok(reply) => self.pacer.observe(ticket, Signal::Accepted, reply.quota),
            Err(_) => self.pacer.observe(ticket, Signal::Accepted, None),
        }
    }

    /// A [`Refusal`] ends the whole run: every other request would be refused too.
    fn observe_final(&self, error: &ApiError) {
        if let Disposition::StopRun(why) = classify(error) {
            let _ = self.refused.set((why, error.clone()));
            self.stop.cancel();
        }
    }

    async fn stopped_past_grace(&self) {
        self.stop.cancelled().await;
        tokio::time::sleep(IN_FLIGHT_GRACE).await;
    }
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
