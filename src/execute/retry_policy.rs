//! Retry policy: which failures are worth another attempt, how long to wait, when to give up.
//!
//! This is the only place that looks at a failure and decides its fate. Everything else asks
//! [`classify`]. The rules follow `shared/reference/tallyfy-api.md`: our `PUT` carries the full
//! required field set, so repeating it lands in the same state, which makes retrying writes
//! after a 5xx or a timeout safe (at most one more audit entry on Tallyfy's side).
//!
//! Not every write is like that. Each kind of operation has its [`RetryRule`]
//! ([`retry_rule`]): profile, role, enable and disable land in the same state however often
//! they are sent; an invite sends an email and takes a seat, so after a failure that may have
//! landed (a timeout, a reset, a 5xx, a 2xx that could not be read) it is never sent again:
//! the executor reads the member by email instead and decides from what is there.
//!
//! A 429 is not one thing either ([`Throttle`]). Mostly it is the server's pace, and the whole
//! pool waits it out. But Tallyfy also caps invitations (10 a day, says its troubleshooting
//! page), and a 429 to an invite that asks for more than [`INVITE_CAP_BEYOND`] is that cap: the
//! pool must not sleep for hours, nor the run stop on `--max-wait`, for the sake of invites
//! when every other write could go on. Such a 429 is handed back to the caller, which stops
//! inviting for the run.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};

use crate::api::ApiError;
use crate::plan::OperationKind;

/// Whether a failed write may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryRule {
    /// Sending it twice lands in the same state: retried after transient failures and 429s
    /// (reads, profile and role updates, enable, disable).
    Idempotent,
    /// Sending it twice may do it twice (an invite: two emails, two seats): never sent again
    /// after a failure that may have landed ([`is_ambiguous`]); the caller looks at what is
    /// there instead. Sent again only when it surely never arrived: the connection was
    /// refused, or a 429 of the server's pace (a refused request did nothing). A 429 asking
    /// for longer than [`INVITE_CAP_BEYOND`] is the kind's own cap ([`Throttle::Kind`]),
    /// handed back to the caller, which stops inviting for the run.
    NeverAfterAmbiguous,
}

/// A 429 to an invite asking the client to wait longer than this is the invite cap (an hourly
/// or daily count of emails), not the server's pace (whose windows Tallyfy publishes in
/// seconds and minutes): the run stops inviting instead of waiting.
pub const INVITE_CAP_BEYOND: Duration = Duration::from_secs(60);

/// Whose limit a 429 is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    /// The server's pace: the whole pool waits all of `Retry-After` (spent from `--max-wait`),
    /// the pace drops, and the request is sent again.
    Pool,
    /// A cap on this kind of call alone: the answer goes back to the caller at once; nobody
    /// waits, the pace is not cut, `--max-wait` is not spent.
    Kind,
}

impl RetryRule {
    /// Whether the rule lets this failure be retried at all; the budgets are asked after
    /// ([`RetryPolicy::should_retry`]).
    pub fn allows_retry(self, error: &ApiError) -> bool {
        match self {
            RetryRule::Idempotent => true,
            RetryRule::NeverAfterAmbiguous => match classify(error) {
                Disposition::Throttled { retry_after } => {
                    self.throttle(retry_after) == Throttle::Pool
                }
                _ => !is_ambiguous(error),
            },
        }
    }

    /// Whose limit a 429 with this `Retry-After` is, for a call under this rule.
    pub fn throttle(self, retry_after: Option<Duration>) -> Throttle {
        match (self, retry_after) {
            (RetryRule::NeverAfterAmbiguous, Some(wait)) if wait > INVITE_CAP_BEYOND => {
                Throttle::Kind
            }
            _ => Throttle::Pool,
        }
    }
}

/// The retry rule of each kind of operation.
pub fn retry_rule(kind: OperationKind) -> RetryRule {
    match kind {
        OperationKind::UpdateProfile
        | OperationKind::ChangeRole
        | OperationKind::Enable
        | OperationKind::Disable => RetryRule::Idempotent,
        OperationKind::Invite => RetryRule::NeverAfterAmbiguous,
    }
}

/// A group's write (`PUT /groups/{id}`, the whole member list) lands in the same state
/// however often it is sent.
pub const GROUP_WRITE_RULE: RetryRule = RetryRule::Idempotent;

/// A group's creation sent twice would meet the first (names are unique) or make a twin: it
/// is never sent again after a failure that may have landed; the next run finds the group by
/// its name.
pub const GROUP_CREATE_RULE: RetryRule = RetryRule::NeverAfterAmbiguous;

/// Whether a failed request may have been applied all the same: the server may have acted
/// before its answer was lost (a timeout, a reset) or while it failed (a 5xx), or it answered
/// 2xx in a way that could not be read. A refused connection, a 4xx and a stop before sending
/// are not ambiguous.
pub fn is_ambiguous(error: &ApiError) -> bool {
    match error {
        ApiError::Connect(_)
        | ApiError::UntrustedCertificate(_)
        | ApiError::Stopped
        | ApiError::Unsendable(_) => false,
        ApiError::Malformed { .. } | ApiError::Oversized { .. } => true,
        ApiError::Timeout(_) | ApiError::Transport(_) => true,
        ApiError::Status { status, .. } => *status >= 500 || *status == 408,
        ApiError::Redirected { .. } => false,
    }
}

/// What to do about one failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Transient (5xx, 408, timeout, connection trouble, garbled 2xx): back off and try again.
    Retry,
    /// 429: the whole pool waits `Retry-After` (or the backoff delay when absent), then retries.
    Throttled { retry_after: Option<Duration> },
    /// Permanent for this row (400, 403, 404, 409, 422, other 4xx): one attempt only.
    FailRow,
    /// Nothing else will succeed either, so the run stops.
    StopRun(Refusal),
    /// The run was stopped before this request completed.
    Stopped,
}

/// What the server side refused, when it refuses the whole run rather than one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 401: the token is revoked or expired; every other request would be refused too.
    Token,
    /// The server's certificate, on a new connection: a proxy that inspects TLS came onto the
    /// path, or the server is not the one this machine trusts. Waiting does not change a
    /// certificate, every new connection would meet the same one, and no write should go
    /// to a server this machine does not trust.
    Certificate,
}

pub fn classify(error: &ApiError) -> Disposition {
    match error {
        ApiError::Status { status: 401, .. } => Disposition::StopRun(Refusal::Token),
        // Which TLS failures are a refused certificate is told apart where the error is
        // built, `ApiError::from_reqwest`: only rustls knows.
        ApiError::UntrustedCertificate(_) => Disposition::StopRun(Refusal::Certificate),
        ApiError::Status {
            status: 429,
            retry_after,
            ..
        } => Disposition::Throttled {
            retry_after: *retry_after,
        },
        ApiError::Status { status: 408, .. } => Disposition::Retry,
        ApiError::Status { status, .. } if *status >= 500 => Disposition::Retry,
        ApiError::Status { .. } => Disposition::FailRow,
        // The same request would get the same answer: a proxy or server to fix, not to wait for.
        ApiError::Oversized { .. } | ApiError::Redirected { .. } | ApiError::Unsendable(_) => {
            Disposition::FailRow
        }
        ApiError::Malformed { .. }
        | ApiError::Timeout(_)
        | ApiError::Connect(_)
        | ApiError::Transport(_) => Disposition::Retry,
        ApiError::Stopped => Disposition::Stopped,
    }
}

/// Bounds on retrying. Transient failures spend a row's tries; 429s never do: a 429 is the
/// server's window, the run's business, not a sign that the row is broken. So a throttled
/// request waits with the whole pool for as long as the server says and is sent again, and
/// what bounds it is the run's time budget for such waits ([`RetryPolicy::max_wait`]): when
/// the server asks for more than is left of it, the run stops cleanly (every row not done is
/// `cancelled`, ready for `--only-rows-from`) instead of coming back early into a window the
/// server refuses, which would only spend attempts and end rows `failed`.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after transient failures (so at most `1 + max_retries` attempts of those).
    pub max_retries: usize,
    /// First backoff delay; doubled each retry, with jitter.
    pub min_delay: Duration,
    pub max_delay: Duration,
    /// The most the whole run waits for the server's pauses, in all (`--max-wait`).
    pub max_wait: Duration,
}

impl RetryPolicy {
    /// `--max-wait`'s default: an hour, the longest window of any limit Tallyfy publishes
    /// (1,000 an hour), so a nightly run that meets an hourly cap finishes by itself instead
    /// of leaving the rest for a person; and not longer, so a server that keeps saying "later"
    /// does not hold the run (and its lock) into the next night's.
    pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(3600);
}

impl Default for RetryPolicy {
    /// Modelled on Tallyfy's own Go CLI: 500 ms doubling to 8 s, ±20% jitter.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_wait: RetryPolicy::DEFAULT_MAX_WAIT,
        }
    }
}

impl RetryPolicy {
    /// The backoff schedule: `min_delay` doubling to `max_delay`, each delay moved by up to
    /// ±20% at random (as Tallyfy's Go CLI does) so that rows failing together do not all come
    /// back together, and never above `max_delay`. backon's own jitter only adds, up to the
    /// whole delay again, which made the first retry wait 0.5 to 1 s instead of about 0.5.
    ///
    /// It has no attempt limit of its own: [`RetryPolicy::should_retry`] decides per failure
    /// (transient failures against `max_retries`, 429s never by count).
    pub fn backoff(&self) -> impl BackoffBuilder + use<> {
        let max_delay = self.max_delay;
        ExponentialBuilder::default()
            .with_factor(2.0)
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .without_max_times()
            .build()
            .map(move |delay| delay.mul_f64(rand::random_range(0.8..=1.2)).min(max_delay))
    }

    /// Whether a failure gets another attempt, given the transient retries already spent
    /// (asked after [`RetryRule::allows_retry`]). A 429 always does: the run's wait budget,
    /// not the row, bounds it.
    pub fn should_retry(&self, error: &ApiError, transient_spent: usize) -> bool {
        match classify(error) {
            Disposition::Retry => transient_spent < self.max_retries,
            Disposition::Throttled { .. } => true,
            Disposition::FailRow | Disposition::StopRun(_) | Disposition::Stopped => false,
        }
    }

    /// How long the whole pool pauses after a 429: all of `Retry-After` (never cut: a request
    /// inside the announced window is refused again) or, when the server gave none, the
    /// backoff delay.
    pub fn throttle_pause(retry_after: Option<Duration>, backoff_delay: Duration) -> Duration {
        retry_after.unwrap_or(backoff_delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> ApiError {
        ApiError::Status {
            status: code,
            message: String::new(),
            request_id: None,
            retry_after: None,
            code: None,
        }
    }

    #[test]
    fn client_errors_are_never_retried() {
        for code in [400, 403, 404, 409, 422] {
            assert_eq!(classify(&status(code)), Disposition::FailRow, "{code}");
        }
    }

    #[test]
    fn server_errors_and_transport_failures_are_retried() {
        for code in [500, 502, 503, 504, 408] {
            assert_eq!(classify(&status(code)), Disposition::Retry, "{code}");
        }
        assert_eq!(classify(&ApiError::Timeout("t".into())), Disposition::Retry);
        assert_eq!(classify(&ApiError::Connect("c".into())), Disposition::Retry);
        assert_eq!(
            classify(&ApiError::Transport("reset".into())),
            Disposition::Retry
        );
    }

    #[test]
    fn a_401_or_a_refused_certificate_stops_the_run() {
        assert_eq!(classify(&status(401)), Disposition::StopRun(Refusal::Token));
        // An untrusted certificate stays untrusted however long one waits, and on every
        // connection after it.
        let refused = ApiError::UntrustedCertificate("t".into());
        assert_eq!(
            classify(&refused),
            Disposition::StopRun(Refusal::Certificate)
        );
        assert!(!RetryPolicy::default().should_retry(&refused, 0));
    }

    #[test]
    fn backoff_doubles_from_half_a_second_within_twenty_percent() {
        let policy = RetryPolicy::default();
        for _ in 0..200 {
            let delays: Vec<Duration> = policy.backoff().build().take(12).collect();
            assert_eq!(delays.len(), 12, "no limit of its own");
            for (n, delay) in delays.iter().enumerate() {
                let nominal = (policy.min_delay * 2u32.pow(n.min(10) as u32)).min(policy.max_delay);
                assert!(*delay >= nominal.mul_f64(0.8), "retry {n}: {delay:?}");
                assert!(
                    *delay <= nominal.mul_f64(1.2).min(policy.max_delay),
                    "retry {n}: {delay:?}"
                );
            }
        }
    }

    #[test]
    fn transient_failures_spend_the_rows_tries_and_429s_never_do() {
        let policy = RetryPolicy::default();
        assert!(policy.should_retry(&status(503), 3));
        assert!(!policy.should_retry(&status(503), 4));
        assert!(policy.should_retry(&status(429), 4));
        assert!(policy.should_retry(&status(429), 1000));
    }

    #[test]
    fn every_kind_but_the_invite_is_retried_as_idempotent() {
        use OperationKind::*;
        for kind in [UpdateProfile, ChangeRole, Enable, Disable] {
            assert_eq!(retry_rule(kind), RetryRule::Idempotent, "{kind}");
        }
        assert_eq!(retry_rule(Invite), RetryRule::NeverAfterAmbiguous);
    }

    #[test]
    fn a_write_that_may_not_be_repeated_is_sent_again_only_when_it_surely_never_arrived() {
        let once = RetryRule::NeverAfterAmbiguous;
        let malformed = ApiError::Malformed {
            status: 200,
            message: "truncated JSON".into(),
            request_id: None,
        };
        for ambiguous in [
            status(500),
            status(503),
            status(408),
            ApiError::Timeout("t".into()),
            ApiError::Transport("connection reset".into()),
            malformed,
        ] {
            assert!(is_ambiguous(&ambiguous), "{ambiguous}");
            assert!(!once.allows_retry(&ambiguous), "{ambiguous}");
            assert!(
                RetryRule::Idempotent.allows_retry(&ambiguous),
                "{ambiguous}"
            );
        }
        // A refused connection never reached the server.
        let refused = ApiError::Connect("connection refused".into());
        assert!(!is_ambiguous(&refused));
        assert!(once.allows_retry(&refused));
        for code in [400, 403, 409, 422] {
            assert!(!is_ambiguous(&status(code)), "{code}");
        }
    }

    fn too_many(retry_after: Option<u64>) -> ApiError {
        ApiError::Status {
            status: 429,
            message: "Too Many Attempts.".into(),
            request_id: None,
            retry_after: retry_after.map(Duration::from_secs),
            code: None,
        }
    }

    #[test]
    fn a_long_429_to_an_invite_is_the_invite_cap_handed_back_and_a_short_one_the_pools_pace() {
        let once = RetryRule::NeverAfterAmbiguous;
        // The invite cap: hours away. Back to the caller, not waited out.
        let cap = too_many(Some(86_400));
        assert!(!once.allows_retry(&cap));
        assert_eq!(
            once.throttle(Some(Duration::from_secs(86_400))),
            Throttle::Kind
        );
        assert_eq!(once.throttle(Some(Duration::from_secs(61))), Throttle::Kind);
        // The server's pace: a refused request did nothing, so it is sent again after the
        // pool's pause.
        for pace in [too_many(Some(5)), too_many(Some(60)), too_many(None)] {
            assert!(once.allows_retry(&pace), "{pace:?}");
        }
        assert_eq!(once.throttle(Some(INVITE_CAP_BEYOND)), Throttle::Pool);
        assert_eq!(once.throttle(None), Throttle::Pool);
        // Every other kind waits any 429 out with the pool.
        assert!(RetryRule::Idempotent.allows_retry(&cap));
        assert_eq!(
            RetryRule::Idempotent.throttle(Some(Duration::from_secs(86_400))),
            Throttle::Pool
        );
    }

    #[test]
    fn retry_after_is_waited_in_full_and_missing_falls_back_to_backoff() {
        let backoff = Duration::from_millis(700);
        assert_eq!(RetryPolicy::throttle_pause(None, backoff), backoff);
        assert_eq!(
            RetryPolicy::throttle_pause(Some(Duration::from_secs(3600)), backoff),
            Duration::from_secs(3600)
        );
    }
}
