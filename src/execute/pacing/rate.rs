//! The pace a user asks for: `--rate 20/s`, `600/min`, `3600/h`, a plain number per second,
//! or `auto`. Parsed and printed here; how the pace is kept is [`super::Pacer`]'s business.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::Aimd;

/// Requests per second. Parsed from `20/s`, `600/min`, `3600/h` or a plain number per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub(super) per_second: f64,
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

/// What `--rate` asks for: a fixed pace, or `auto` (find the server's limit while running).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pace {
    Fixed(Rate),
    /// Start at [`Rate::DEFAULT`], increase additively while answers succeed, decrease
    /// multiplicatively on a 429, never above [`Aimd::CEILING`].
    Auto,
}

impl Default for Pace {
    fn default() -> Self {
        Pace::Fixed(Rate::DEFAULT)
    }
}

impl fmt::Display for Pace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pace::Fixed(rate) => rate.fmt(f),
            Pace::Auto => f.write_str("auto"),
        }
    }
}

impl FromStr for Pace {
    type Err = String;

    fn from_str(s: &str) -> Result<Pace, String> {
        if s.trim().eq_ignore_ascii_case("auto") {
            Ok(Pace::Auto)
        } else {
            s.parse()
                .map(Pace::Fixed)
                .map_err(|e| format!("{e}, or auto"))
        }
    }
}

impl Pace {
    /// The fastest this pace can go: what concurrency must be sized for.
    pub fn ceiling(self) -> Rate {
        match self {
            Pace::Fixed(rate) => rate,
            Pace::Auto => Rate {
                per_second: Aimd::CEILING,
            },
        }
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

    #[test]
    fn auto_parses_and_sizes_for_its_ceiling() {
        assert_eq!("auto".parse::<Pace>().unwrap(), Pace::Auto);
        assert_eq!(" AUTO ".parse::<Pace>().unwrap().to_string(), "auto");
        assert_eq!(
            "20/s".parse::<Pace>().unwrap(),
            Pace::Fixed("20/s".parse().unwrap())
        );
        assert!("fast".parse::<Pace>().unwrap_err().contains("auto"));
        assert_eq!(Pace::Auto.ceiling().per_second(), Aimd::CEILING);
    }
}
