//! Which limit held the run back, and for how long: the summary's answer to "why did this take
//! so long?" (a limit the user set, the server's pauses, or a pace the server's 429s slowed).

use std::fmt;
use std::time::Duration;

use super::rate::Limit;

/// What a request waited for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Holder {
    /// A pause the server announced (429, or its rate headers).
    Server,
    /// The pace, slowed below the ceiling by the server's 429s or headers.
    Slowed,
    /// One of `--rate`'s limits.
    Limit(Limit),
    /// `auto`'s own ceiling.
    AutoCeiling,
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Holder::Server => f.write_str("the server's pauses"),
            Holder::Slowed => f.write_str("a pace slowed by the server's 429s"),
            Holder::Limit(limit) => write!(f, "--rate {limit}"),
            Holder::AutoCeiling => f.write_str("auto's ceiling"),
        }
    }
}

/// Time spent waiting, per holder, and the server's pauses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HeldBack {
    waited: Vec<(Holder, Duration)>,
    /// Pool-wide pauses the server set (a new one each time the pool was not already paused).
    pub server_pauses: u32,
}

impl HeldBack {
    pub fn add(&mut self, holder: Holder, waited: Duration) {
        match self.waited.iter_mut().find(|(h, _)| *h == holder) {
            Some((_, total)) => *total += waited,
            None => self.waited.push((holder, waited)),
        }
    }

    pub fn waited(&self, holder: Holder) -> Duration {
        self.waited
            .iter()
            .find(|(h, _)| *h == holder)
            .map_or(Duration::ZERO, |(_, d)| *d)
    }

    /// The holder that held requests back longest.
    pub fn longest(&self) -> Option<(Holder, Duration)> {
        self.waited
            .iter()
            .copied()
            // Under a twentieth of a second is nothing worth naming (it would read `0.0 s`).
            .filter(|(_, d)| *d >= Duration::from_millis(50))
            .max_by_key(|(_, d)| *d)
    }
}

impl fmt::Display for HeldBack {
    /// `pace: --rate 90/min held requests back longest (41.2 s); the server paused the run
    /// twice (2.0 s)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.longest() {
            Some((holder, waited)) => write!(
                f,
                "pace: {holder} held requests back longest ({:.1} s)",
                waited.as_secs_f64()
            )?,
            None => f.write_str("pace: nothing held requests back")?,
        }
        match self.server_pauses {
            0 => Ok(()),
            n => write!(
                f,
                "; the server paused the run {} ({:.1} s in all)",
                match n {
                    1 => "once".to_string(),
                    2 => "twice".to_string(),
                    n => format!("{n} times"),
                },
                self.waited(Holder::Server).as_secs_f64()
            ),
        }
    }
}

/// The local time of day `at` falls on, `14:05:10`, for "paused until ...".
pub fn time_of_day(at: std::time::SystemTime) -> String {
    jiff::Timestamp::try_from(at)
        .map(|t| {
            t.to_zoned_datetime(jiff::tz::TimeZone::system())
                .strftime("%H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|_| "?".into())
}

/// A wait in words: `40 s`, `12 min 5 s`, `1 h 2 min`.
pub fn in_words(wait: Duration) -> String {
    let secs = wait.as_secs_f64().ceil() as u64;
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 if secs.is_multiple_of(60) => format!("{} min", secs / 60),
        60..3600 => format!("{} min {} s", secs / 60, secs % 60),
        _ if secs % 3600 / 60 == 0 => format!("{} h", secs / 3600),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_in_words() {
        let s = Duration::from_secs;
        assert_eq!(in_words(Duration::from_millis(2100)), "3 s");
        assert_eq!(in_words(s(725)), "12 min 5 s");
        assert_eq!(in_words(s(1800)), "30 min");
        assert_eq!(in_words(s(3720)), "1 h 2 min");
        assert_eq!(in_words(s(7200)), "2 h");
    }

    #[test]
    fn the_summary_names_the_limit_that_held_longest_and_the_servers_pauses() {
        let mut held = HeldBack::default();
        assert_eq!(held.to_string(), "pace: nothing held requests back");
        let hourly: Limit = "900/h".parse().unwrap();
        let minute: Limit = "90/min".parse().unwrap();
        held.add(Holder::Limit(minute), Duration::from_secs(3));
        held.add(Holder::Limit(hourly), Duration::from_secs(40));
        held.add(Holder::Limit(minute), Duration::from_secs(2));
        held.add(Holder::Server, Duration::from_millis(2500));
        held.server_pauses = 2;
        assert_eq!(
            held.to_string(),
            "pace: --rate 900/h held requests back longest (40.0 s); the server paused the run twice (2.5 s in all)"
        );
    }
}
