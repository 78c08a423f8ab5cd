//! How the sandbox command's rate-limit flags are read: rates, windows, a burst, a jitter.
//!
//! The sandbox reads its own rates rather than borrowing the client's `--rate` parser: the two
//! describe different things (a server's limiter, a client's pace) and may grow apart (the
//! client's rate takes several limits at once; a window needs a length). Every refusal names
//! the value and the form expected.

use std::time::Duration;

use crate::sandbox::Window;

const RATE_FORM: &str = "write e.g. 20/s, 100/min or 1000/h";
const WINDOW_FORM: &str =
    "write COUNT/LENGTH, e.g. 20/1s or 100/60s (lengths in ms, s, min or h), comma-separated";
const DURATION_FORM: &str = "write e.g. 20ms, 0.5s or 2s";

/// `20/s`, `100/min`, `1000/h`, `20` → requests per second.
pub(crate) fn parse_rate_limit(text: &str) -> Result<f64, String> {
    let usage = || format!("`{text}` is not a rate: {RATE_FORM}");
    let (count, unit) = text.trim().split_once('/').unwrap_or((text.trim(), "s"));
    let count: f64 = count.trim().parse().map_err(|_| usage())?;
    let seconds = match unit.trim() {
        "s" | "sec" | "second" => 1.0,
        "m" | "min" | "minute" => 60.0,
        "h" | "hour" => 3600.0,
        _ => return Err(usage()),
    };
    let per_second = count / seconds;
    if per_second.is_finite() && per_second > 0.0 {
        Ok(per_second)
    } else {
        Err(format!("the rate must be above 0: {RATE_FORM}"))
    }
}

/// `--burst`: a whole number of requests, at least 1.
pub(crate) fn parse_burst(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(0) => Err(
            "the burst must be at least 1 (1 is strict: no two requests closer than the rate allows)"
                .into(),
        ),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{text}` is not a number of requests: write e.g. 1 or 20")),
    }
}

/// One of `--rate-limit-windows`' comma-separated windows: `20/1s`, `100/60s`; `60/min` is
/// `60/1min`.
pub(crate) fn parse_window(text: &str) -> Result<Window, String> {
    let usage = || format!("`{}` is not a window: {WINDOW_FORM}", text.trim());
    let (count, length) = text.trim().split_once('/').ok_or_else(usage)?;
    let max: u32 = count.trim().parse().map_err(|_| usage())?;
    let length = length.trim();
    // A bare unit is one of it: `60/min`.
    let length = if length.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        parse_length(length)
    } else {
        parse_length(&format!("1{length}"))
    }
    .ok_or_else(usage)?;
    if max == 0 || length.is_zero() {
        return Err(format!(
            "a window needs a count and a length above 0: {WINDOW_FORM}"
        ));
    }
    Ok(Window { max, length })
}

/// `--arrival-jitter`: `20ms`, `0.5s`, `0`.
pub(crate) fn parse_jitter(text: &str) -> Result<Duration, String> {
    if text.trim() == "0" {
        return Ok(Duration::ZERO);
    }
    parse_length(text.trim()).ok_or_else(|| format!("`{text}` is not a duration: {DURATION_FORM}"))
}

/// `250ms`, `1s`, `1.5s`, `2min`, `1h`.
fn parse_length(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let seconds = match unit.trim() {
        "ms" => 0.001,
        "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => return None,
    };
    Duration::try_from_secs_f64(number * seconds).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As clap reads the flag: split at commas, each window parsed.
    fn parse_windows(text: &str) -> Result<Vec<Window>, String> {
        text.split(',').map(parse_window).collect()
    }

    #[test]
    fn rate_limits_read_per_second_minute_or_hour() {
        assert_eq!(parse_rate_limit("20/s"), Ok(20.0));
        assert_eq!(parse_rate_limit("90/min"), Ok(1.5));
        assert_eq!(parse_rate_limit(" 3600 / h "), Ok(1.0));
        assert_eq!(parse_rate_limit("5"), Ok(5.0));
        let err = parse_rate_limit("20/fortnight").unwrap_err();
        assert!(
            err.contains("`20/fortnight`") && err.contains("20/s"),
            "{err}"
        );
        assert!(parse_rate_limit("0/s").unwrap_err().contains("above 0"));
    }

    #[test]
    fn windows_read_as_count_per_length() {
        let s = Duration::from_secs;
        assert_eq!(
            parse_windows("20/1s,100/60s"),
            Ok(vec![Window::new(20, s(1)), Window::new(100, s(60))])
        );
        assert_eq!(
            parse_windows("60/min, 5/250ms,1000/h"),
            Ok(vec![
                Window::new(60, s(60)),
                Window::new(5, Duration::from_millis(250)),
                Window::new(1000, s(3600)),
            ])
        );
        let err = parse_windows("20/1s,100/60x").unwrap_err();
        assert!(err.starts_with("`100/60x` is not a window"), "{err}");
        assert!(err.contains("COUNT/LENGTH"), "{err}");
        assert!(parse_windows("20").unwrap_err().contains("`20`"));
        assert!(parse_windows("0/1s").unwrap_err().contains("above 0"));
        assert!(parse_windows("5/0s").unwrap_err().contains("above 0"));
    }

    #[test]
    fn bursts_and_jitters_name_what_is_wrong() {
        assert_eq!(parse_burst("1"), Ok(1));
        assert!(parse_burst("0").unwrap_err().contains("at least 1"));
        assert!(parse_burst("many").unwrap_err().contains("`many`"));
        assert_eq!(parse_jitter("20ms"), Ok(Duration::from_millis(20)));
        assert_eq!(parse_jitter("0.5s"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_jitter("0"), Ok(Duration::ZERO));
        let err = parse_jitter("20").unwrap_err();
        assert!(err.contains("`20`") && err.contains("20ms"), "{err}");
    }
}
