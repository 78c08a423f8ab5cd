//! Rate limiters as servers build them, as pure state machines: one model per design, shared by
//! the sandbox (which answers 429 from them) and by the client's simulations (which must meet
//! the same limiter the sandbox runs, not a look-alike).
//!
//! Tallyfy publishes figures but not how its limiter is built, and a pacer tuned to one design
//! fails against another (issue #18): a strict token bucket refuses two requests in the same
//! millisecond, a fixed window refuses the request that lands a millisecond before the window
//! ends. So each design is modelled exactly, with no clock of its own: the caller passes `now`
//! as time since an origin it chooses, which lets tests and benchmarks in paused or simulated
//! time drive it, and lets the sandbox drive it with real time.
//!
//! Time is kept in whole nanoseconds ([`Duration`]), never in floating point, so a request on
//! the exact instant a token returns is admitted and one a nanosecond earlier is not.

use std::fmt;
use std::time::Duration;

/// How a server's limiter decides whether a request may pass.
#[derive(Debug, Clone, PartialEq)]
pub enum LimiterModel {
    /// Token bucket: `per_second` refill, holding at most `burst` (burst 1 = nginx `limit_req`
    /// without `burst`: strict, a request earlier than `1 / per_second` after the previous one
    /// is refused). Starts full.
    TokenBucket { per_second: f64, burst: u32 },
    /// Fixed windows as Laravel's throttle keeps them, several at once (e.g. 10 per 1 s AND
    /// 100 per 60 s): each window starts at the first request admitted after the previous one
    /// ended, counts admitted requests only, and refuses beyond `max` until it ends. A request
    /// is admitted only if every window has room; it then counts in all of them.
    FixedWindows(Vec<Window>),
}

/// One fixed window: at most `max` requests per `length`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub max: u32,
    pub length: Duration,
}

impl Window {
    pub fn new(max: u32, length: Duration) -> Window {
        Window { max, length }
    }
}

/// What the limiter answers one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Let through. `limit` and `remaining` are what `X-RateLimit-Limit` and
    /// `X-RateLimit-Remaining` say: the binding window's (the one with the least room left),
    /// or the bucket's size and whole tokens left.
    Admitted { limit: u32, remaining: u32 },
    /// Refused. `wait` is the exact time until a request would be admitted (the longest over
    /// the windows that refuse); `limit` is the refusing window's (or the bucket's size).
    Throttled { wait: Duration, limit: u32 },
}

impl LimiterModel {
    /// A token bucket of `per_second` with `burst` tokens.
    pub fn bucket(per_second: f64, burst: u32) -> LimiterModel {
        LimiterModel::TokenBucket { per_second, burst }
    }

    /// Fixed windows from `(max, length)` pairs.
    pub fn windows(windows: &[(u32, Duration)]) -> LimiterModel {
        LimiterModel::FixedWindows(
            windows
                .iter()
                .map(|&(max, length)| Window { max, length })
                .collect(),
        )
    }

    /// The long-run limit in requests per second: the bucket's refill, or the smallest
    /// `max / length` over the windows.
    pub fn sustained_per_second(&self) -> f64 {
        match self {
            LimiterModel::TokenBucket { per_second, .. } => *per_second,
            LimiterModel::FixedWindows(windows) => windows
                .iter()
                .map(|w| f64::from(w.max) / w.length.as_secs_f64())
                .fold(f64::INFINITY, f64::min),
        }
    }

    /// `None` if the model can admit anything at all; else what is wrong, for an error message.
    pub fn problem(&self) -> Option<String> {
        match self {
            LimiterModel::TokenBucket { per_second, burst } => {
                if !(per_second.is_finite() && *per_second > 0.0) {
                    Some(format!("the rate must be above 0, got {per_second}/s"))
                } else if *burst == 0 {
                    Some("the burst must be at least 1".into())
                } else {
                    None
                }
            }
            LimiterModel::FixedWindows(windows) if windows.is_empty() => {
                Some("at least one window is needed".into())
            }
            LimiterModel::FixedWindows(windows) => windows.iter().find_map(|w| {
                if w.max == 0 {
                    Some(format!("window {w}: the count must be at least 1"))
                } else if w.length.is_zero() {
                    Some(format!("window {w}: the length must be above 0"))
                } else {
                    None
                }
            }),
        }
    }
}

impl fmt::Display for Window {
    /// `20/1s`, `100/60s`, `5/250ms`: the form `--rate-limit-windows` reads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.length.as_millis();
        if ms.is_multiple_of(1000) {
            write!(f, "{}/{}s", self.max, ms / 1000)
        } else {
            write!(f, "{}/{}ms", self.max, ms)
        }
    }
}

impl fmt::Display for LimiterModel {
    /// `bucket 20/s burst 1`, `windows 20/1s,100/60s`: for benchmark labels and logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimiterModel::TokenBucket { per_second, burst } => {
                write!(f, "bucket {per_second}/s burst {burst}")
            }
            LimiterModel::FixedWindows(windows) => {
                f.write_str("windows ")?;
                for (i, w) in windows.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{w}")?;
                }
                Ok(())
            }
        }
    }
}

/// One client's standing with a limiter (a server keeps one per key: token, user, IP).
#[derive(Debug, Clone)]
pub struct LimiterState {
    inner: State,
}

#[derive(Debug, Clone)]
enum State {
    /// The bucket as GCRA keeps it (the same machine, in exact time): `due` is when the bucket
    /// would be full again if nothing more came; each admission pushes it one `interval` on;
    /// a request is admitted while `due - now` leaves room for one more token.
    Bucket {
        interval: Duration,
        burst: u32,
        due: Duration,
    },
    Windows(Vec<OpenWindow>),
}

#[derive(Debug, Clone)]
struct OpenWindow {
    window: Window,
    /// When the current window started (its first admitted request); `None` between windows.
    started: Option<Duration>,
    admitted: u32,
}

impl LimiterState {
    /// A fresh client: a full bucket, no window open. A burst or a window count of 0 is taken
    /// as 1 (see [`LimiterModel::problem`]).
    pub fn new(model: &LimiterModel) -> LimiterState {
        let inner = match model {
            LimiterModel::TokenBucket { per_second, burst } => State::Bucket {
                interval: Duration::from_secs_f64(1.0 / per_second.max(1e-9)),
                burst: (*burst).max(1),
                due: Duration::ZERO,
            },
            LimiterModel::FixedWindows(windows) => State::Windows(
                windows
                    .iter()
                    .map(|&w| OpenWindow {
                        window: Window {
                            max: w.max.max(1),
                            length: w.length,
                        },
                        started: None,
                        admitted: 0,
                    })
                    .collect(),
            ),
        };
        LimiterState { inner }
    }

    /// Asks for one request arriving at `now` (time since the caller's origin); an admitted
    /// request spends the limit, a refused one spends nothing.
    pub fn admit(&mut self, now: Duration) -> Verdict {
        match &mut self.inner {
            State::Bucket {
                interval,
                burst,
                due,
            } => admit_bucket(*interval, *burst, due, now),
            State::Windows(windows) => admit_windows(windows, now),
        }
    }
}

fn admit_bucket(interval: Duration, burst: u32, due: &mut Duration, now: Duration) -> Verdict {
    // The bucket holds `burst` tokens: it may be up to `burst - 1` intervals "ahead".
    let tolerance = interval.saturating_mul(burst - 1);
    let earliest = now.saturating_add(tolerance);
    if *due > earliest {
        return Verdict::Throttled {
            wait: *due - earliest,
            limit: burst,
        };
    }
    *due = (*due).max(now).saturating_add(interval);
    // Tokens spent and not yet back: (due - now) / interval, rounded up to whole tokens.
    let owed = (*due - now).as_nanos().div_ceil(interval.as_nanos().max(1));
    let remaining = u128::from(burst).saturating_sub(owed) as u32;
    Verdict::Admitted {
        limit: burst,
        remaining,
    }
}

fn admit_windows(windows: &mut [OpenWindow], now: Duration) -> Verdict {
    for open in windows.iter_mut() {
        if open
            .started
            .is_some_and(|s| now >= s.saturating_add(open.window.length))
        {
            open.started = None;
            open.admitted = 0;
        }
    }
    let refusing = windows
        .iter()
        .filter(|open| open.admitted >= open.window.max)
        .filter_map(|open| {
            let end = open.started?.saturating_add(open.window.length);
            Some((end.saturating_sub(now), open.window.max))
        })
        .max_by_key(|&(wait, _)| wait);
    if let Some((wait, limit)) = refusing {
        return Verdict::Throttled { wait, limit };
    }
    for open in windows.iter_mut() {
        open.started.get_or_insert(now);
        open.admitted += 1;
    }
    // The binding window is the one with the least room left (the longer one on a tie: it
    // binds for longer). An empty list admits everything.
    windows
        .iter()
        .map(|open| (open.window.max - open.admitted, open.window))
        .min_by_key(|&(remaining, w)| (remaining, std::cmp::Reverse(w.length)))
        .map_or(
            Verdict::Admitted {
                limit: u32::MAX,
                remaining: u32::MAX,
            },
            |(remaining, w)| Verdict::Admitted {
                limit: w.max,
                remaining,
            },
        )
}

#[cfg(test)]
mod tests;
