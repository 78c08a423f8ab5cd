//! `X-RateLimit-Limit`, `-Remaining` and `-Reset`: what a server says of its limit before it
//! refuses anything.
//!
//! Tallyfy's older documentation mentions `X-RateLimit-Remaining`; Laravel's throttle sends
//! `-Limit` and `-Remaining` on every answer and `-Reset` (Unix seconds) with a 429. Read here,
//! so the pacer can slow down before the 429, not after ([`crate::execute::pacing`]). A value
//! that is not a plain number is ignored, never an error: these headers are advice.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

use super::answer::RETRY_AFTER_CEILING;

/// What the headers say, when `X-RateLimit-Remaining` is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Requests the current window allows (`X-RateLimit-Limit`).
    pub limit: Option<u64>,
    /// Requests left in it (`X-RateLimit-Remaining`).
    pub remaining: u64,
    /// When it starts again, from now (`X-RateLimit-Reset`).
    pub reset_in: Option<Duration>,
}

/// Above this a reset is a Unix time; below, a number of seconds from now (the IETF draft's
/// `RateLimit-Reset` and some gateways send a delta).
const UNIX_TIME_FROM: u64 = 1_000_000_000;

pub fn parse_quota(headers: &HeaderMap, now: SystemTime) -> Option<Quota> {
    let number = |name: &str| -> Option<u64> {
        headers.get(name)?.to_str().ok()?.trim().parse::<u64>().ok()
    };
    let remaining = number("x-ratelimit-remaining")?;
    let reset_in = number("x-ratelimit-reset").map(|reset| {
        let wait = if reset >= UNIX_TIME_FROM {
            let at = SystemTime::UNIX_EPOCH + Duration::from_secs(reset);
            at.duration_since(now).unwrap_or(Duration::ZERO)
        } else {
            Duration::from_secs(reset)
        };
        wait.min(RETRY_AFTER_CEILING)
    });
    Some(Quota {
        limit: number("x-ratelimit-limit"),
        remaining,
        reset_in,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn remaining_limit_and_reset_as_unix_time_or_seconds() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let laravel = headers(&[
            ("x-ratelimit-limit", "100"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1800000042"),
        ]);
        assert_eq!(
            parse_quota(&laravel, now),
            Some(Quota {
                limit: Some(100),
                remaining: 0,
                reset_in: Some(Duration::from_secs(42)),
            })
        );
        let delta = headers(&[("x-ratelimit-remaining", "7"), ("x-ratelimit-reset", "30")]);
        let quota = parse_quota(&delta, now).unwrap();
        assert_eq!(quota.reset_in, Some(Duration::from_secs(30)));
        assert_eq!(quota.limit, None);
    }

    #[test]
    fn no_remaining_or_nonsense_is_no_quota() {
        let now = SystemTime::now();
        assert_eq!(
            parse_quota(&headers(&[("x-ratelimit-limit", "5")]), now),
            None
        );
        assert_eq!(
            parse_quota(&headers(&[("x-ratelimit-remaining", "-1")]), now),
            None
        );
        let past = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1000000001"),
        ]);
        assert_eq!(
            parse_quota(&past, now).unwrap().reset_in,
            Some(Duration::ZERO)
        );
    }
}
