//! Pacing: how fast requests leave, for the whole run.
//!
//! One [`Pacer`] is shared by every request of a run, the member list included, because the
//! organization's rate limit counts them all. It combines a `governor` token bucket (the steady
//! rate) with a pool-wide pause: when any request is answered 429, every worker waits until the
//! announced `Retry-After` has passed before sending anything else. Waiting is always a timer,
//! never a spin.

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Requests per second. Parsed from `20/s`, `600/min`, `3600/h` or a plain number per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    per_second: f64,
}

impl Rate {
    /// 90 a minute: under the most conservative published limit (100 a minute per org).
    pub const DEFAULT: Rate = Rate { per_second: 1.5 };

    pub fn per_second(self) -> f64 {
        self.per_second
    }

    /// Time between two requests at this rate.
    pub fn interval(self) -> Duration {
        Duration::from_secs_f64(1.0 / self.per_second)
    }
}

impl Default for Rate {
    fn default() -> Self {
        Rate::DEFAULT
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let per_minute = self.per_second * 60.0;
        if self.per_second < 1.0 || per_minute.fract() == 0.0 && self.per_second.fract() != 0.0 {
            write!(f, "{per_minute}/min")
        } else {
            write!(f, "{}/s", self.per_second)
        }
    }
}

impl FromStr for Rate {
    type Err = String;

    fn from_str(s: &str) -> Result<Rate, String> {
        let text = s.trim().to_ascii_lowercase();
        let (number, unit_seconds) = match text.split_once('/') {
            None => (text.as_str(), 1.0),
            Some((n, unit)) => {
                let seconds = match unit.trim() {
                    "s" | "sec" | "second" => 1.0,
                    "m" | "min" | "minute" => 60.0,
                    "h" | "hour" => 3600.0,
                    other => {
                        return Err(format!(
                            "unknown unit `{other}` in rate `{s}`: use /s, /min or /h (e.g. 90/min)"
                        ));
                    }
                };
                (n, seconds)
            }
        };
        let count: f64 = number
            .trim()
            .parse()
            .map_err(|_| format!("`{s}` is not a rate: write e.g. 20/s, 90/min or 1.5"))?;
        let per_second = count / unit_seconds;
        if !(per_second.is_finite() && per_second > 0.0) {
            return Err(format!("rate `{s}` must be above zero"));
        }
        if per_second > 10_000.0 {
            return Err(format!("rate `{s}` is above 10000/s"));
        }
        Ok(Rate { per_second })
    }
}

/// The run's one gate for outgoing requests.
pub struct Pacer {
    limiter: DefaultDirectRateLimiter,
    paused_until: Mutex<Option<Instant>>,
}

/// The run was stopped while waiting for a turn.
#[derive(Debug)]
pub struct Stopped;

impl Pacer {
    /// Steady pacing at `rate`, no bursts: requests leave one interval apart.
    pub fn new(rate: Rate) -> Pacer {
        let quota = Quota::with_period(rate.interval())
            .expect("a positive rate has a non-zero period")
            .allow_burst(NonZeroU32::MIN);
        Pacer {
            limiter: RateLimiter::direct(quota),
            paused_until: Mutex::new(None),
        }
    }

    /// Waits for this request's turn: past any pool-wide pause, then a token from the bucket.
    pub async fn ready(&self, stop: &CancellationToken) -> Result<(), Stopped> {
        loop {
            if let Some(until) = self.pause_deadline() {
                tokio::select! {
                    _ = tokio::time::sleep_until(until) => continue,
                    _ = stop.cancelled() => return Err(Stopped),
                }
            }
            tokio::select! {
                _ = self.limiter.until_ready() => {}
                _ = stop.cancelled() => return Err(Stopped),
            }
            // A 429 may have arrived while this request waited for its token.
            if self.pause_deadline().is_none() {
                return Ok(());
            }
        }
    }

    /// Pauses every worker for `duration` from now (never shortens a pause already set).
    pub fn pause_for(&self, duration: Duration) {
        let until = Instant::now() + duration;
        let mut paused = self.paused_until.lock().expect("pacer lock");
        if paused.is_none_or(|current| current < until) {
            *paused = Some(until);
        }
    }

    fn pause_deadline(&self) -> Option<Instant> {
        let paused = self.paused_until.lock().expect("pacer lock");
        paused.filter(|until| *until > Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_in_every_documented_form() {
        assert_eq!("20/s".parse::<Rate>().unwrap().per_second(), 20.0);
        assert_eq!("600/min".parse::<Rate>().unwrap().per_second(), 10.0);
        assert_eq!("3600/h".parse::<Rate>().unwrap().per_second(), 1.0);
        assert_eq!("1.5".parse::<Rate>().unwrap().per_second(), 1.5);
        assert_eq!(" 90 / MIN ".parse::<Rate>().unwrap().per_second(), 1.5);
        assert!("0/s".parse::<Rate>().is_err());
        assert!("fast".parse::<Rate>().is_err());
        assert!("5/day".parse::<Rate>().unwrap_err().contains("/min"));
    }

    #[test]
    fn the_default_stays_under_100_a_minute() {
        assert!(Rate::DEFAULT.per_second() * 60.0 < 100.0);
        assert_eq!(Rate::DEFAULT.to_string(), "90/min");
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_every_request_back() {
        let pacer = Pacer::new("1000/s".parse().unwrap());
        let stop = CancellationToken::new();
        let start = Instant::now();
        pacer.pause_for(Duration::from_secs(5));
        pacer.ready(&stop).await.unwrap();
        assert!(start.elapsed() >= Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn stopping_ends_the_wait() {
        let pacer = Pacer::new("1000/s".parse().unwrap());
        let stop = CancellationToken::new();
        pacer.pause_for(Duration::from_secs(3600));
        stop.cancel();
        assert!(pacer.ready(&stop).await.is_err());
    }
}
