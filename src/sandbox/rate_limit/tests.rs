use std::time::{Duration, SystemTime};

use super::*;

fn limited(limit: RateLimit, form: RetryAfterForm) -> Limiter {
    Limiter::new(
        RateLimit {
            retry_after: form,
            ..limit
        },
        1,
    )
}

fn header<'a>(headers: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.as_str())
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A fixed wall clock, on a whole second, so rounding is exact.
fn wall() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

#[test]
fn sandbox_bucket_admits_a_burst_then_throttles() {
    let state = limited(RateLimit::bucket(1.0, 3), RetryAfterForm::Seconds);
    for _ in 0..3 {
        assert!(matches!(state.admit("t"), Admission::Admitted { .. }));
    }
    let Admission::Throttled { headers, .. } = state.admit("t") else {
        panic!("the fourth request within a second must be throttled");
    };
    assert_eq!(header(&headers, "retry-after"), Some("1"));
    // Limits are per token.
    assert!(matches!(state.admit("other"), Admission::Admitted { .. }));
}

#[test]
fn sandbox_strict_bucket_refuses_a_request_one_millisecond_early() {
    let state = limited(RateLimit::strict(20.0), RetryAfterForm::Seconds);
    assert!(matches!(
        state.admit_at("t", ms(0), wall()),
        Admission::Admitted { .. }
    ));
    let Admission::Throttled {
        headers,
        window_end,
        announced,
    } = state.admit_at("t", ms(49), wall())
    else {
        panic!("49 ms after the last request, a 20/s strict bucket refuses");
    };
    // A millisecond's wait, said as the smallest whole second.
    assert_eq!(header(&headers, "retry-after"), Some("1"));
    assert_eq!(window_end, wall() + Duration::from_secs(1));
    assert!(announced);
    assert!(matches!(
        state.admit_at("t", ms(50), wall()),
        Admission::Admitted { .. }
    ));
}

#[test]
fn sandbox_a_long_windows_retry_after_is_announced_in_full() {
    let limit = RateLimit::windows(&[(2, Duration::from_secs(1)), (3, Duration::from_secs(60))]);
    for form in [RetryAfterForm::Seconds, RetryAfterForm::HttpDate] {
        let state = limited(limit.clone(), form);
        state.admit_at("t", ms(0), wall());
        state.admit_at("t", ms(0), wall());
        state.admit_at("t", ms(1000), wall());
        let Admission::Throttled {
            headers,
            window_end,
            announced,
        } = state.admit_at("t", ms(1500), wall())
        else {
            panic!("the long window is spent");
        };
        assert!(announced);
        // 58.5 s until the 60 s window that opened at 0 ends, rounded up.
        assert_eq!(window_end, wall() + Duration::from_secs(59), "{form:?}");
        let retry_after = header(&headers, "retry-after").unwrap();
        match form {
            RetryAfterForm::Seconds => assert_eq!(retry_after, "59"),
            _ => assert_eq!(httpdate::parse_http_date(retry_after).unwrap(), window_end),
        }
    }
}

#[test]
fn sandbox_rate_headers_say_the_limit_and_the_room_left() {
    let limit = RateLimit {
        headers: true,
        ..RateLimit::windows(&[(2, Duration::from_secs(10))])
    };
    let state = limited(limit, RetryAfterForm::Seconds);
    let Admission::Admitted { headers } = state.admit_at("t", ms(0), wall()) else {
        panic!("admitted");
    };
    assert_eq!(
        headers,
        [
            ("x-ratelimit-limit", "2".to_string()),
            ("x-ratelimit-remaining", "1".to_string())
        ]
    );
    state.admit_at("t", ms(100), wall());
    let Admission::Throttled { headers, .. } = state.admit_at("t", ms(2500), wall() + ms(2500))
    else {
        panic!("throttled");
    };
    // 7.5 s left: Retry-After 8 (from 2.5 s: 10.5 s), and the reset at the whole second after
    // that, in Unix seconds, so a client that obeys either never arrives inside the other.
    let reset = wall() + Duration::from_secs(11);
    let reset = reset
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert_eq!(
        headers,
        [
            ("retry-after", "8".to_string()),
            ("x-ratelimit-reset", reset.to_string()),
            ("x-ratelimit-limit", "2".to_string()),
            ("x-ratelimit-remaining", "0".to_string())
        ]
    );

    // Off by default.
    let state = limited(RateLimit::new(5.0), RetryAfterForm::Seconds);
    let Admission::Admitted { headers } = state.admit("t") else {
        panic!("admitted");
    };
    assert!(headers.is_empty());
}

#[test]
fn sandbox_reset_alone_announces_the_window_when_retry_after_is_missing() {
    for rate_headers in [false, true] {
        let limit = RateLimit {
            headers: rate_headers,
            ..RateLimit::strict(0.5)
        };
        let state = limited(limit, RetryAfterForm::Missing);
        state.admit_at("t", ms(0), wall());
        let Admission::Throttled {
            headers,
            window_end,
            announced,
        } = state.admit_at("t", ms(500), wall() + ms(500))
        else {
            panic!("throttled");
        };
        assert_eq!(header(&headers, "retry-after"), None);
        assert_eq!(announced, rate_headers);
        if rate_headers {
            assert_eq!(window_end, wall() + Duration::from_secs(2));
            assert_eq!(
                header(&headers, "x-ratelimit-reset"),
                Some(&*(1_800_000_002).to_string())
            );
        }
    }
}

#[test]
fn sandbox_retry_after_dates_round_up_and_missing_announces_nothing() {
    let state = limited(RateLimit::strict(0.5), RetryAfterForm::HttpDate);
    state.admit("t");
    let Admission::Throttled {
        headers,
        window_end,
        ..
    } = state.admit("t")
    else {
        panic!("throttled");
    };
    let date = httpdate::parse_http_date(header(&headers, "retry-after").unwrap()).unwrap();
    assert_eq!(date, window_end);
    assert!(window_end >= SystemTime::now() + Duration::from_secs(1));

    // A token back in 20 ms is announced by the next whole second, not a second later.
    let state = limited(RateLimit::strict(50.0), RetryAfterForm::HttpDate);
    let now = wall() + ms(300);
    state.admit_at("t", ms(0), now);
    let Admission::Throttled { window_end, .. } = state.admit_at("t", ms(0), now) else {
        panic!("throttled");
    };
    assert_eq!(window_end, wall() + Duration::from_secs(1));

    let state = limited(RateLimit::strict(0.5), RetryAfterForm::Missing);
    state.admit("t");
    let Admission::Throttled {
        headers,
        window_end,
        announced,
    } = state.admit("t")
    else {
        panic!("throttled");
    };
    assert!(headers.is_empty());
    state.announce("t", announced, window_end);
    state.check_pacing(
        "t",
        "PUT",
        "/x",
        SystemTime::now() + Duration::from_millis(50),
    );
    assert!(state.violations().is_empty());
}

#[test]
fn sandbox_requests_inside_an_announced_window_are_violations() {
    let state = limited(RateLimit::strict(1.0), RetryAfterForm::Seconds);
    let end = SystemTime::now() + Duration::from_secs(2);
    state.announce("t", true, end);
    let now = SystemTime::now();
    // Within the grace: the client could not know yet.
    state.check_pacing("t", "PUT", "/a", now);
    // Another token's window is not this one's.
    state.check_pacing("u", "PUT", "/b", now + Duration::from_millis(100));
    // After the window.
    state.check_pacing("t", "PUT", "/c", end + Duration::from_millis(1));
    assert!(state.violations().is_empty());
    state.check_pacing("t", "PUT", "/d", now + Duration::from_millis(100));
    let v = state.violations();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].path, "/d");
}

#[test]
fn sandbox_arrival_jitter_is_seeded_and_within_its_bound() {
    let jitter = ms(20);
    let limit = RateLimit {
        arrival_jitter: jitter,
        ..RateLimit::strict(20.0)
    };
    let delays = |seed| {
        let limiter = Limiter::new(limit.clone(), seed);
        (0..200)
            .map(|_| limiter.arrival_delay())
            .collect::<Vec<_>>()
    };
    let first = delays(7);
    assert!(first.iter().all(|d| *d < jitter), "{first:?}");
    assert!(first.iter().any(|d| *d > ms(15)) && first.iter().any(|d| *d < ms(5)));
    assert_eq!(first, delays(7));
    assert_ne!(first, delays(8));
    let still = Limiter::new(RateLimit::strict(20.0), 7);
    assert_eq!(still.arrival_delay(), Duration::ZERO);
}

#[test]
fn sandbox_rate_limit_constructors_keep_todays_bucket_as_the_default() {
    let limit = RateLimit::new(20.0);
    assert_eq!(limit.model, LimiterModel::bucket(20.0, 20));
    assert_eq!(limit.burst(), 20);
    assert_eq!(RateLimit::new(0.5).burst(), 1);
    assert_eq!(RateLimit::strict(20.0).burst(), 1);
    assert_eq!(
        RateLimit::windows(&[(20, Duration::from_secs(1)), (100, Duration::from_secs(60))]).burst(),
        20
    );
    assert!(!limit.headers);
    assert_eq!(limit.arrival_jitter, Duration::ZERO);
}
