//! The executor: runs a plan's chains of operations with bounded concurrency, every request
//! through the one [`Engine`] (one pacer, one retry policy), and hands each finished chain's
//! result to the caller as soon as it is done.
//!
//! A chain is the operations on one member, in order (enable, profile, role): one worker runs
//! it from its first step to its last, so a member's steps never overlap, and a step that
//! fails stops its chain (`steps.rs`; the invite, enable and disable steps in `lifecycle.rs`,
//! with what one chain learns for the whole run: the invite cap, a full seat pool). Workers take the next chain from a shared cursor, so a
//! slow one never holds others back. How many workers: [`Concurrency`], by default sized from
//! the pace and the latency seen while reading the member list ([`auto_concurrency`]): the
//! pacer decides how fast requests leave, the workers only need to be enough to keep that pace
//! while answers take their time. After the run is stopped no worker takes another chain;
//! chains never started are the caller's to mark `cancelled` (it knows which it handed in).

mod lifecycle;
pub(crate) mod steps;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::execute::Engine;
use crate::execute::pacing::Rate;
use crate::fields::Field;
use crate::plan::Chain;

pub use lifecycle::{HeldSteps, SEAT_POOL_EXHAUSTED};
pub use steps::PROFILE_ONLY;

/// How many requests may be in flight at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Concurrency {
    /// Sized from the pace and the latency measured so far ([`auto_concurrency`]).
    Auto,
    Fixed(usize),
}

impl Concurrency {
    /// The workers to start now, for `pace` requests a second with answers taking up to
    /// `latency` and failed requests waiting `retry_delay` before their retry.
    pub fn workers(self, pace: Rate, latency: Duration, retry_delay: Duration) -> usize {
        match self {
            Concurrency::Fixed(n) => n.clamp(1, MAX_CONCURRENCY),
            Concurrency::Auto => auto_concurrency(pace, latency, retry_delay),
        }
    }
}

/// Bounds of the automatic sizing (an explicit `--concurrency` may go down to 1).
pub const MIN_AUTO_CONCURRENCY: usize = 2;
pub const MAX_CONCURRENCY: usize = 256;

/// Little's law with headroom. Keeping `rate` requests a second going when each takes
/// `latency` needs `rate × latency` workers busy; twice that absorbs jitter and answers slower
/// than the ones measured, and `rate × retry_delay` more keeps the pace while some workers sit
/// out a backoff before a retry (under 10% 5xx at 50/s, about four at any time). More would
/// only put more requests at risk when the run is stopped (a refused token or certificate,
/// Ctrl-C), never speed it up:
/// the pacer, not the workers, sets the pace.
pub fn auto_concurrency(rate: Rate, latency: Duration, retry_delay: Duration) -> usize {
    let busy = latency.as_secs_f64() * 2.0 + retry_delay.as_secs_f64();
    let needed = (rate.per_second() * busy).ceil();
    (needed as usize).clamp(MIN_AUTO_CONCURRENCY, MAX_CONCURRENCY)
}

/// How one chain ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainOutcome {
    /// Every step was sent and its answer shows what was sent.
    Done,
    Failed,
    Cancelled,
    /// Not sent in this run for a reason of the run's, which a later run lifts: the invite
    /// cap was reached, the seat pool is full.
    Deferred,
}

/// The result of running one [`Chain`].
#[derive(Debug, Clone)]
pub struct ChainResult {
    /// The chain's place in the list given to [`run_chains`].
    pub index: usize,
    pub outcome: ChainOutcome,
    /// Status of the last response received.
    pub http_status: Option<u16>,
    /// HTTP attempts over all its steps.
    pub attempts: u32,
    /// Why it did not end `Done`: what landed before the step that failed, and why that one
    /// failed.
    pub error: Option<String>,
    /// What a `Done` chain's line should say all the same: an invite whose answer was lost,
    /// found landed by reading the member by email.
    pub note: Option<String>,
    /// Request ids of the responses, space-separated when there were several calls.
    pub request_id: Option<String>,
    pub elapsed: Duration,
    /// The changed fields the server's answers show with the value sent, whatever the
    /// outcome: all of them for a `Done` chain, those of the steps that landed when a later
    /// one failed or never ran. What `rollback` restores.
    pub landed: Vec<Field>,
    /// The member the chain acted on: the chain's, or the one its invite created.
    pub member_id: Option<u64>,
}

/// Runs `chains` with at most `concurrency` in flight, sending each result on `results` as it
/// finishes. Returns when every chain has been taken and finished, or the run was stopped,
/// with the kinds of step the run stopped sending and why (the invite cap, a full seat pool).
pub async fn run_chains(
    engine: Arc<Engine>,
    chains: Arc<Vec<Chain>>,
    concurrency: usize,
    results: mpsc::UnboundedSender<ChainResult>,
) -> HeldSteps {
    let cursor = Arc::new(AtomicUsize::new(0));
    let holds = Arc::new(lifecycle::Holds::default());
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.clamp(1, chains.len().max(1)) {
        let (engine, chains, cursor, results, holds) = (
            engine.clone(),
            chains.clone(),
            cursor.clone(),
            results.clone(),
            holds.clone(),
        );
        workers.spawn(async move {
            while !engine.stop_token().is_cancelled() {
                let index = cursor.fetch_add(1, Ordering::SeqCst);
                let Some(chain) = chains.get(index) else {
                    break;
                };
                engine.chains_not_started(chains.len() - index - 1);
                let result = steps::run_chain(&engine, &holds, chain, index).await;
                if results.send(result).is_err() {
                    break;
                }
            }
        });
    }
    while let Some(joined) = workers.join_next().await {
        if let Err(e) = joined
            && e.is_panic()
        {
            std::panic::resume_unwind(e.into_panic());
        }
    }
    holds.ended()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_concurrency_covers_twice_the_latency_and_one_backoff_within_bounds() {
        let rate = |r: &str| r.parse::<Rate>().unwrap();
        let ms = Duration::from_millis;
        assert_eq!(auto_concurrency(rate("50/s"), ms(150), ms(500)), 40);
        assert_eq!(auto_concurrency(rate("10/s"), ms(500), ms(500)), 15);
        assert_eq!(auto_concurrency(rate("90/min"), ms(300), ms(500)), 2);
        assert_eq!(auto_concurrency(rate("5000/s"), ms(1000), ms(500)), 256);
        let fixed = Concurrency::Fixed(1);
        assert_eq!(fixed.workers(rate("50/s"), ms(1000), ms(500)), 1);
    }
}
