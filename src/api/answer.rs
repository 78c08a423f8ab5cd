//! What the client accepts of an answer before it looks at it: how large it may be, and what a
//! redirect means.
//!
//! Why: the answer comes from a server, or from whatever sits between us and it, and a run is
//! left alone at night. A 1.5 GB list page, a body that never ends or a 300 MB answer to a
//! write must not take the machine's memory (before this, each did: the process grew to the
//! size of the answer, or aborted). So each kind of answer has a ceiling, checked against the
//! declared length before reading and against the bytes read (after gzip) while reading. The
//! ceilings are far above anything Tallyfy sends: a page is at most 100 members.
//!
//! Redirects are never followed (the client is built with `redirect::Policy::none()`): a
//! write that follows a 307 sends the row's names and titles to another origin, and that
//! origin's 200 would mark the row `updated` though the organization never changed. A read has
//! no reason to move either: the API lives at `--base-url`. A 3xx is a failure that names where
//! it pointed, so the person reading it can fix `--base-url`.
//!
//! A header's value is read without a panic path: `Retry-After: 1e20` has no `Duration`, so it
//! is cut before it becomes one ([`parse_retry_after`]).

use std::time::{Duration, SystemTime};

use url::Url;

/// A page of the member list: 100 members of a few kilobytes each at most.
pub const LIST_PAGE_LIMIT: usize = 32 << 20;
/// The answer to a write: one member.
pub const MEMBER_LIMIT: usize = 1 << 20;
/// An error answer: only its first line is ever shown, so the rest is not read.
pub const ERROR_BODY_LIMIT: usize = 64 << 10;

/// A ceiling in words, for messages: `32 MiB`, `64 KiB`.
pub fn describe_limit(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{} KiB", bytes >> 10)
    }
}

/// Reads at most `limit` bytes of a body: `Ok(Err(read))` when it has more (the rest is never
/// read, the connection dropped with the response).
pub async fn read_capped(
    response: &mut reqwest::Response,
    limit: usize,
) -> Result<Result<Vec<u8>, usize>, reqwest::Error> {
    if response
        .content_length()
        .is_some_and(|declared| declared > limit as u64)
    {
        return Ok(Err(0));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Ok(Err(body.len() + chunk.len()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Ok(body))
}

/// Where a redirect pointed, resolved against the request's URL, without any credentials it
/// carries.
pub fn redirect_target(request_url: &Url, location: Option<&str>) -> String {
    let Some(location) = location else {
        return "nowhere (no Location header)".to_string();
    };
    match request_url.join(location) {
        Ok(url) => mask_credentials(&url),
        Err(_) => format!("{:?} (not a URL)", crate::api::error_body::clip(location)),
    }
}

/// A URL as it may be shown: a user name or password in it replaced by `***`.
pub fn mask_credentials(url: &Url) -> String {
    let mut shown = url.clone();
    if !shown.username().is_empty() {
        let _ = shown.set_username("***");
    }
    if shown.password().is_some() {
        let _ = shown.set_password(Some("***"));
    }
    shown.to_string()
}

/// `Retry-After: 30` or `Retry-After: Wed, 21 Oct 2015 07:28:00 GMT`, as a wait from `now`.
/// A date in the past means "now" (zero). Whatever the server says, the wait is at most
/// `RETRY_AFTER_CEILING`, cut before it becomes a `Duration` (`1e20` seconds has no
/// `Duration`; converting it panicked). `--retry-after-cap` then cuts it further.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let ceiling = RETRY_AFTER_CEILING.as_secs_f64();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(ceiling)));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(
        date.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(RETRY_AFTER_CEILING),
    )
}

/// The longest `Retry-After` read as it is: a day.
pub const RETRY_AFTER_CEILING: Duration = Duration::from_secs(24 * 60 * 60);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_470);
        assert_eq!(parse_retry_after("30", now), Some(Duration::from_secs(30)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        // What a server may say, read without a panic path: cut to a day, or ignored.
        for huge in ["1e20", "18446744073709551616", "inf", "1e400"] {
            assert_eq!(
                parse_retry_after(huge, now),
                Some(RETRY_AFTER_CEILING),
                "{huge}"
            );
        }
        for nonsense in ["NaN", "-1", "-inf", ""] {
            assert_eq!(parse_retry_after(nonsense, now), None, "{nonsense}");
        }
    }

    #[test]
    fn credentials_are_masked_and_relative_locations_resolved() {
        let base = Url::parse("https://go.tallyfy.com/api/organizations/o/users/1").unwrap();
        assert_eq!(
            redirect_target(&base, Some("https://ann:pw@evil.example/x")),
            "https://***:***@evil.example/x"
        );
        assert_eq!(
            redirect_target(&base, Some("/login")),
            "https://go.tallyfy.com/login"
        );
        assert_eq!(redirect_target(&base, None), "nowhere (no Location header)");
    }

    #[test]
    fn limits_read_as_people_say_them() {
        assert_eq!(describe_limit(LIST_PAGE_LIMIT), "32 MiB");
        assert_eq!(describe_limit(ERROR_BODY_LIMIT), "64 KiB");
    }
}
