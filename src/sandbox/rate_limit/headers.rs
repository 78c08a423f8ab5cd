//! What an answer says about the limit: `Retry-After` in the form asked for, and Laravel's
//! `X-RateLimit-*` headers. Kept apart from the limiter's state because the same wait can be
//! written four ways, and the window a client is held to is the one it was *told*, rounding
//! included.

use std::time::{Duration, SystemTime};

use super::{Admission, RetryAfterForm};

pub(super) const LIMIT: &str = "x-ratelimit-limit";
pub(super) const REMAINING: &str = "x-ratelimit-remaining";
pub(super) const RESET: &str = "x-ratelimit-reset";
pub(super) const RETRY_AFTER: &str = "retry-after";

/// An admitted request's headers (none unless `rate_headers`).
pub(super) fn admitted(rate_headers: bool, limit: u32, remaining: u32) -> Admission {
    let headers = if rate_headers {
        vec![
            (LIMIT, limit.to_string()),
            (REMAINING, remaining.to_string()),
        ]
    } else {
        Vec::new()
    };
    Admission::Admitted { headers }
}

/// A 429 telling the client to come back after `wait` (from `now`), in `form` (never
/// [`RetryAfterForm::Mixed`]: the caller has tossed the coin). With `rate_headers`, Laravel's
/// three headers too; `X-RateLimit-Reset` alone then announces the window when there is no
/// `Retry-After`.
pub(super) fn throttled(
    form: RetryAfterForm,
    rate_headers: bool,
    limit: u32,
    wait: Duration,
    now: SystemTime,
) -> Admission {
    let (retry_after, mut window_end) = match form {
        RetryAfterForm::Seconds | RetryAfterForm::Mixed => {
            let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
            (
                Some(seconds.to_string()),
                now + Duration::from_secs(seconds),
            )
        }
        // The moment a request would pass, as a date can say it: rounded up to the second.
        // (The seconds form rounds the wait itself up, so it is never under a second.)
        RetryAfterForm::HttpDate => {
            let date = round_up_to_second(now + wait);
            (Some(httpdate::fmt_http_date(date)), date)
        }
        RetryAfterForm::Missing => (None, now + wait),
    };
    let mut announced = retry_after.is_some();
    let mut headers: Vec<(&'static str, String)> = Vec::new();
    if let Some(value) = retry_after {
        headers.push((RETRY_AFTER, value));
    }
    if rate_headers {
        let reset = round_up_to_second(window_end);
        headers.push((RESET, unix_seconds(reset).to_string()));
        headers.push((LIMIT, limit.to_string()));
        headers.push((REMAINING, "0".into()));
        if !announced {
            (window_end, announced) = (reset, true);
        }
    }
    Admission::Throttled {
        headers,
        window_end,
        announced,
    }
}

fn unix_seconds(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

fn round_up_to_second(t: SystemTime) -> SystemTime {
    let since = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    let whole = since.as_secs() + u64::from(since.subsec_nanos() > 0);
    SystemTime::UNIX_EPOCH + Duration::from_secs(whole)
}
