//! The pace a user asks for: `--rate 20/s`, `100/min,1000/h`, `140/10s`, a plain number per
//! second, or `auto` (alone, or with limits it must keep to: `auto,1000/h`). Parsed and printed
//! here; how the pace is kept is [`super::Pacer`]'s business.
//!
//! Several limits at once, because Tallyfy publishes several (100 a minute and 1,000 an hour
//! per organization; about 140 calls per 10 s): a run keeps to all of them. Each is a ceiling,
//! not a promise: the pacer goes slower when the server says so.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::controller::Controller;

/// Requests per second.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Rate {
    pub(super) per_second: f64,
}

impl Rate {
    pub fn per_second(self) -> f64 {
        self.per_second
    }

    pub(crate) fn from_per_second(per_second: f64) -> Rate {
        Rate { per_second }
    }

    /// Time between two requests at this rate.
    pub fn interval(self) -> Duration {
        Duration::from_secs_f64(1.0 / self.per_second)
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let per_minute = self.per_second * 60.0;
        if self.per_second < 1.0 || per_minute.fract() == 0.0 && self.per_second.fract() != 0.0 {
            write!(f, "{}/min", round(per_minute))
        } else {
            write!(f, "{}/s", round(self.per_second))
        }
    }
}

/// Two decimals at most: a rate the controller moved is `13.47/s`, not `13.4712…/s`.
fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl FromStr for Rate {
    type Err = String;

    fn from_str(s: &str) -> Result<Rate, String> {
        let limit: Limit = s.parse()?;
        Ok(limit.rate())
    }
}

/// At most `count` requests in any `window`: `100/min`, `1000/h`, `140/10s`, `20/s`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    pub count: f64,
    pub window: Duration,
}

/// Above this a rate is a typo, not a limit anyone publishes.
const FASTEST: f64 = 10_000.0;
/// A window's count is kept as one timestamp per request ([`super::windows`]).
const MOST_PER_WINDOW: f64 = 1_000_000.0;

impl Limit {
    /// The sustained rate it allows.
    pub fn rate(&self) -> Rate {
        Rate {
            per_second: self.count / self.window.as_secs_f64(),
        }
    }

    /// Whether the limit is a count over a window longer than one request's spacing (`100/min`),
    /// which a sliding log keeps; a plain rate (`1.5`, `20/s` with a count under 2) is spacing
    /// alone.
    pub fn counts_a_window(&self) -> bool {
        self.count >= 2.0 && self.count.fract() == 0.0
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.window.as_secs_f64();
        let (n, unit) = match secs {
            1.0 => (1.0, "s"),
            60.0 => (1.0, "min"),
            3600.0 => (1.0, "h"),
            s if s % 3600.0 == 0.0 => (s / 3600.0, "h"),
            s if s % 60.0 == 0.0 => (s / 60.0, "min"),
            s => (s, "s"),
        };
        if n == 1.0 {
            write!(f, "{}/{unit}", round(self.count))
        } else {
            write!(f, "{}/{}{unit}", round(self.count), round(n))
        }
    }
}

impl FromStr for Limit {
    type Err = String;

    fn from_str(s: &str) -> Result<Limit, String> {
        let text = s.trim().to_ascii_lowercase();
        let (number, window) = match text.split_once('/') {
            None => (text.as_str(), Duration::from_secs(1)),
            Some((n, unit)) => (n, parse_window(unit.trim(), s)?),
        };
        let count: f64 = number.trim().parse().map_err(|_| {
            format!("`{s}` is not a rate: write e.g. 20/s, 90/min, 1000/h, 140/10s or 1.5")
        })?;
        let limit = Limit { count, window };
        let per_second = limit.rate().per_second;
        if !(per_second.is_finite() && per_second > 0.0) {
            return Err(format!("rate `{s}` must be above zero"));
        }
        if per_second > FASTEST {
            return Err(format!("rate `{s}` is above {FASTEST}/s"));
        }
        if count > MOST_PER_WINDOW {
            return Err(format!(
                "rate `{s}` counts more than {MOST_PER_WINDOW} requests in one window"
            ));
        }
        Ok(limit)
    }
}

/// `s`, `min`, `h`, optionally after a whole number: `10s`, `5min`.
fn parse_window(unit: &str, whole: &str) -> Result<Duration, String> {
    let digits = unit.chars().take_while(char::is_ascii_digit).count();
    let (n, name) = unit.split_at(digits);
    let n: u64 = if n.is_empty() {
        1
    } else {
        n.parse().unwrap_or(0)
    };
    let seconds = match name.trim() {
        "s" | "sec" | "second" => 1,
        "m" | "min" | "minute" => 60,
        "h" | "hour" => 3600,
        other => {
            return Err(format!(
                "unknown unit `{other}` in rate `{whole}`: use /s, /min or /h, optionally with a number (e.g. 90/min, 140/10s)"
            ));
        }
    };
    if n == 0 || n > 24 * 3600 {
        return Err(format!(
            "the window in rate `{whole}` must be between 1 s and a day"
        ));
    }
    Ok(Duration::from_secs(n * seconds))
}

/// What `--rate` asks for: the limits to keep to, and whether to look for a faster pace than
/// they say (`auto`).
#[derive(Debug, Clone, PartialEq)]
pub struct Pace {
    /// Every limit the run keeps to. Empty only with `auto` alone.
    pub limits: Vec<Limit>,
    /// Find the server's limit while running, starting slow and growing while answers
    /// succeed, never above the limits given (or [`Controller::AUTO_CEILING`] when none is).
    pub auto: bool,
}

impl Pace {
    /// The default: under the most conservative figures Tallyfy publishes (100 a minute and
    /// 1,000 an hour per organization), with a tenth of margin for clocks that disagree.
    pub fn default_limits() -> Pace {
        Pace {
            limits: vec![
                Limit {
                    count: 90.0,
                    window: Duration::from_secs(60),
                },
                Limit {
                    count: 900.0,
                    window: Duration::from_secs(3600),
                },
            ],
            auto: false,
        }
    }

    /// One fixed rate (tests, benchmarks).
    pub fn fixed(rate: Rate) -> Pace {
        Pace {
            limits: vec![Limit {
                count: rate.per_second,
                window: Duration::from_secs(1),
            }],
            auto: false,
        }
    }

    /// The fastest this pace can go: the rate of the limit with the shortest window (the
    /// spacing between requests; longer windows are kept by counting, so `100/min,1000/h` goes
    /// at 100 a minute until the hour's thousand are spent). It is what concurrency is sized
    /// for, and what the controller never goes above.
    pub fn ceiling(&self) -> Rate {
        let per_second = match (self.tightest(), self.auto) {
            (Some(limit), false) => limit.rate().per_second,
            (Some(limit), true) => limit.rate().per_second.min(Controller::AUTO_CEILING),
            (None, _) => Controller::AUTO_CEILING,
        };
        Rate { per_second }
    }

    /// The limit that spaces requests: the one with the shortest window (the slowest of
    /// those, if several share it).
    pub fn tightest(&self) -> Option<Limit> {
        self.limits.iter().copied().min_by(|a, b| {
            a.window
                .cmp(&b.window)
                .then(a.rate().per_second.total_cmp(&b.rate().per_second))
        })
    }
}

impl Default for Pace {
    fn default() -> Self {
        Pace::default_limits()
    }
}

impl fmt::Display for Pace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        if self.auto {
            parts.push("auto".into());
        }
        parts.extend(self.limits.iter().map(Limit::to_string));
        f.write_str(&parts.join(","))
    }
}

impl FromStr for Pace {
    type Err = String;

    fn from_str(s: &str) -> Result<Pace, String> {
        let mut pace = Pace {
            limits: Vec::new(),
            auto: false,
        };
        for part in s.split(',') {
            if part.trim().eq_ignore_ascii_case("auto") {
                pace.auto = true;
            } else if part.trim().is_empty() {
                return Err(format!(
                    "`{s}` has an empty part: write limits separated by commas, e.g. 100/min,1000/h"
                ));
            } else {
                pace.limits
                    .push(part.parse().map_err(|e| format!("{e}, or auto"))?);
            }
        }
        Ok(pace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn per_second(s: &str) -> f64 {
        s.parse::<Rate>().unwrap().per_second()
    }

    #[test]
    fn rates_parse_in_every_documented_form() {
        assert_eq!(per_second("20/s"), 20.0);
        assert_eq!(per_second("600/min"), 10.0);
        assert_eq!(per_second("3600/h"), 1.0);
        assert_eq!(per_second("1.5"), 1.5);
        assert_eq!(per_second(" 90 / MIN "), 1.5);
        assert_eq!(per_second("140/10s"), 14.0);
        assert_eq!(per_second("12/5s"), 2.4);
        assert!("0/s".parse::<Rate>().is_err());
        assert!("fast".parse::<Rate>().is_err());
        assert!("5/day".parse::<Rate>().unwrap_err().contains("/min"));
        assert!("5/0s".parse::<Rate>().unwrap_err().contains("between"));
    }

    #[test]
    fn several_limits_parse_print_and_the_shortest_window_spaces_requests() {
        let pace: Pace = "100/min, 1000/h".parse().unwrap();
        assert!(!pace.auto);
        assert_eq!(pace.limits.len(), 2);
        assert_eq!(pace.to_string(), "100/min,1000/h");
        assert!((pace.ceiling().per_second() - 100.0 / 60.0).abs() < 1e-12);
        assert_eq!(pace.tightest().unwrap().to_string(), "100/min");
        let tallyfy: Pace = "140/10s,12/5s".parse().unwrap();
        assert_eq!(tallyfy.to_string(), "140/10s,12/5s");
        assert!(
            "100/min,,1000/h"
                .parse::<Pace>()
                .unwrap_err()
                .contains("empty")
        );
    }

    #[test]
    fn the_default_keeps_under_both_published_organization_limits() {
        let pace = Pace::default();
        assert_eq!(pace.to_string(), "90/min,900/h");
        let sustained = |l: &Limit| l.rate().per_second();
        assert!(sustained(&pace.limits[0]) * 60.0 < 100.0);
        assert!(sustained(&pace.limits[1]) * 3600.0 < 1000.0);
    }

    #[test]
    fn auto_parses_alone_or_with_limits() {
        let auto: Pace = " AUTO ".parse().unwrap();
        assert!(auto.auto && auto.limits.is_empty());
        assert_eq!(auto.to_string(), "auto");
        assert_eq!(auto.ceiling().per_second(), Controller::AUTO_CEILING);
        let capped: Pace = "auto,1000/h".parse().unwrap();
        assert!(capped.auto);
        // `auto`'s own ceiling bounds a search, never a rate the user gave.
        assert_eq!(
            "auto,500/s".parse::<Pace>().unwrap().ceiling().per_second(),
            Controller::AUTO_CEILING
        );
        assert_eq!(
            "500/s".parse::<Pace>().unwrap().ceiling().per_second(),
            500.0
        );
        assert_eq!(capped.to_string(), "auto,1000/h");
        assert!("fast".parse::<Pace>().unwrap_err().contains("auto"));
    }

    #[test]
    fn a_moved_rate_prints_with_two_decimals() {
        assert_eq!(Rate::from_per_second(13.4712).to_string(), "13.47/s");
        assert_eq!(Rate::from_per_second(1.5).to_string(), "90/min");
    }
}
