//! The worker pool: applies a plan's updates with bounded concurrency, every request through
//! the one [`Engine`], and hands each finished row to the caller as soon as it is done.
//!
//! Workers take the next update from a shared cursor, so a slow row never holds others back.
//! How many workers: [`Concurrency`], by default sized from the pace and the latency seen
//! while reading the member list ([`auto_concurrency`]): the pacer decides how fast requests
//! leave, the workers only need to be enough to keep that pace while answers take their time.
//! After the run is stopped no worker takes another update; rows never started are the
//! caller's to mark `cancelled` (it knows which rows it handed in).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::api::{ApiError, Member};
use crate::execute::pacing::Rate;
use crate::execute::retry_policy::{Disposition, Refusal, classify};
use crate::execute::{Attempted, Engine};
use crate::fields::Field;
use crate::plan::{Change, Update};

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

/// How a row's error starts when its profile call landed and its role call did not (failed,
/// or never ran because the run was stopped).
pub const PROFILE_ONLY: &str = "the profile fields were updated, the role was not: ";

/// How one update ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    Updated,
    Failed,
    Cancelled,
}

/// The result of applying one [`Update`].
#[derive(Debug, Clone)]
pub struct WriteResult {
    pub row: usize,
    pub outcome: WriteOutcome,
    /// Status of the last response received.
    pub http_status: Option<u16>,
    /// HTTP attempts over both calls (profile and role).
    pub attempts: u32,
    pub error: Option<String>,
    /// Request ids of the responses, space-separated when there were two calls.
    pub request_id: Option<String>,
    pub elapsed: Duration,
    /// The changed fields the server's answers show with the value sent, whatever the
    /// outcome: all of them for an `updated` row, the profile's alone when the role call
    /// failed or never ran. What `rollback` restores.
    pub landed: Vec<Field>,
}

/// Applies `updates` with at most `concurrency` in flight, sending each result on `results` as
/// it finishes. Returns when every update has been taken and finished, or the run was stopped.
pub async fn apply_updates(
    engine: Arc<Engine>,
    updates: Arc<Vec<Update>>,
    concurrency: usize,
    results: mpsc::UnboundedSender<WriteResult>,
) {
    let cursor = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.clamp(1, updates.len().max(1)) {
        let (engine, updates, cursor, results) = (
            engine.clone(),
            updates.clone(),
            cursor.clone(),
            results.clone(),
        );
        workers.spawn(async move {
            while !engine.stop_token().is_cancelled() {
                let Some(update) = updates.get(cursor.fetch_add(1, Ordering::SeqCst)) else {
                    break;
                };
                let result = apply_one(&engine, update).await;
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
}

/// The profile `PUT` (if any), then the role `PUT` (if any), each checked for fields that did
/// not stick.
async fn apply_one(engine: &Engine, update: &Update) -> WriteResult {
    let started = Instant::now();
    let mut result = WriteResult {
        row: update.row,
        outcome: WriteOutcome::Updated,
        http_status: None,
        attempts: 0,
        error: None,
        request_id: None,
        elapsed: Duration::ZERO,
        landed: Vec::new(),
    };
    if let Some(body) = &update.profile_body {
        let attempted = engine
            .call(|| engine.client().update_profile(update.member_id, body))
            .await;
        let profile_fields = |c: &&Change| c.field != Field::Role;
        if let Err(failure) = record(&mut result, attempted, update, profile_fields) {
            return finish(result, failure, started, "");
        }
    }
    if let Some(role) = &update.role {
        let attempted = engine
            .call(|| engine.client().update_role(update.member_id, role))
            .await;
        let role_field = |c: &&Change| c.field == Field::Role;
        if let Err(failure) = record(&mut result, attempted, update, role_field) {
            let note = if update.profile_body.is_some() {
                PROFILE_ONLY
            } else {
                ""
            };
            return finish(result, failure, started, note);
        }
    }
    result.elapsed = started.elapsed();
    result
}

/// Notes a call's answer on the row, and the fields it shows landed; `Err` carries the
/// failure (outcome, message). Messages speak of this call alone: the row's other call, and
/// its attempts, are not this one's.
fn record(
    result: &mut WriteResult,
    call: Attempted<Member>,
    update: &Update,
    checked: impl Fn(&&Change) -> bool,
) -> Result<(), (WriteOutcome, String)> {
    let Attempted {
        result: answer,
        attempts,
        cut_off,
    } = call;
    result.attempts += attempts;
    match answer {
        Ok(reply) => {
            result.http_status = Some(reply.status);
            append_request_id(result, reply.request_id.as_deref());
            let mut not_applied = Vec::new();
            for change in update.changes.iter().filter(checked) {
                let now = reply.value.current(change.field);
                if now == change.after {
                    result.landed.push(change.field);
                } else {
                    not_applied.push(format!(
                        "{} (sent {}, server has {})",
                        change.field,
                        show(&change.after),
                        show(&now)
                    ));
                }
            }
            if not_applied.is_empty() {
                Ok(())
            } else {
                Err((
                    WriteOutcome::Failed,
                    format!(
                        "the server accepted the update but did not apply: {}",
                        not_applied.join("; ")
                    ),
                ))
            }
        }
        Err(error) => {
            result.http_status = error.status().or(result.http_status);
            append_request_id(result, error.request_id());
            let disposition = classify(&error);
            let outcome = match disposition {
                Disposition::Stopped => WriteOutcome::Cancelled,
                _ => WriteOutcome::Failed,
            };
            Err((
                outcome,
                failure_message(&error, disposition, attempts, cut_off),
            ))
        }
    }
}

/// What the row's `error` says of a call that did not succeed.
/// `attempts` are this call's, and `cut_off` says its last was on the wire when the grace
/// after a stop ran out.
fn failure_message(
    error: &ApiError,
    disposition: Disposition,
    attempts: u32,
    cut_off: bool,
) -> String {
    match disposition {
        Disposition::StopRun(why) => {
            let note = match why {
                Refusal::Token => "the access token was refused",
                Refusal::Certificate => {
                    "the run stopped: nothing is sent to a server this machine does not trust"
                }
            };
            // An earlier attempt may have landed before its answer was lost (a write cut by
            // the proxy that then refused the certificate).
            match attempts {
                0 | 1 => format!("{error} ({note})"),
                n => format!(
                    "{error} ({note}; after {n} attempts, an earlier one may have been applied (a re-run will tell))"
                ),
            }
        }
        Disposition::Stopped if cut_off => {
            "the run was stopped while this request was in flight; it may or may not have been applied (a re-run will tell)".to_string()
        }
        Disposition::Stopped if attempts > 0 => format!(
            "the run was stopped before this request was sent again; {} may or may not have been applied (a re-run will tell)",
            if attempts == 1 { "the attempt sent".to_string() } else { format!("the {attempts} attempts sent") }
        ),
        _ if attempts > 1 => format!("{error} (after {attempts} attempts)"),
        _ => error.to_string(),
    }
}

fn finish(
    mut result: WriteResult,
    (outcome, message): (WriteOutcome, String),
    started: Instant,
    note: &str,
) -> WriteResult {
    result.outcome = outcome;
    result.error = Some(format!("{note}{message}"));
    result.elapsed = started.elapsed();
    result
}

fn append_request_id(result: &mut WriteResult, id: Option<&str>) {
    if let Some(id) = id {
        match &mut result.request_id {
            Some(ids) => {
                ids.push(' ');
                ids.push_str(id);
            }
            None => result.request_id = Some(id.to_string()),
        }
    }
}

fn show(value: &Option<crate::fields::Value>) -> String {
    value.as_ref().map_or("null".to_string(), |v| v.to_string())
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
