//! `member-sync sandbox`'s rate-limit flags, seen from a client: a strict bucket, fixed windows
//! (the long one's wait announced), the `X-RateLimit-*` headers, arrival jitter, and what a bad
//! value is told.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use super::serve;
use crate::util::*;

/// One answer: its status and headers (names lower-cased).
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn seconds(&self, name: &str) -> u64 {
        self.header(name)
            .unwrap_or_else(|| panic!("{name} in {:?}", self.headers))
            .parse()
            .unwrap()
    }
}

/// The member list, asked for over a connection of its own, as `connection` says to.
fn list_members(connection: &[(String, String)]) -> Answer {
    let value = |name: &str| &connection.iter().find(|(n, _)| n == name).unwrap().1;
    let url = value("TALLYFY_BASE_URL");
    let (host, path) = url
        .strip_prefix("http://")
        .unwrap()
        .split_once('/')
        .unwrap();
    let mut stream = TcpStream::connect(host).unwrap();
    write!(
        stream,
        "GET /{path}/organizations/{}/users HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\nX-Tallyfy-Client: APIClient\r\nConnection: close\r\n\r\n",
        value("TALLYFY_ORG_ID"),
        value("TALLYFY_ACCESS_TOKEN"),
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let head = text.split("\r\n\r\n").next().unwrap();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap();
    Answer {
        status: status.parse().unwrap(),
        headers: lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect(),
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn sandbox_command_strict_bucket_refuses_the_second_request_and_sends_no_rate_headers() {
    // 1.5/s would let 2 through back to back (a second's worth); a burst of 1 lets one.
    let (_server, connection) = serve(&["--rate-limit", "90/min", "--burst", "1"]);
    let first = list_members(&connection);
    assert_eq!(first.status, 200);
    let second = list_members(&connection);
    assert_eq!(second.status, 429);
    // Under 667 ms until the one token is back, said as the smallest whole second.
    assert_eq!(second.header("retry-after"), Some("1"));
    // Off unless asked for.
    for answer in [&first, &second] {
        assert!(
            answer
                .headers
                .iter()
                .all(|(n, _)| !n.starts_with("x-ratelimit")),
            "{:?}",
            answer.headers
        );
    }
}

#[test]
fn sandbox_command_fixed_windows_announce_the_binding_windows_wait_in_headers() {
    let (_server, connection) = serve(&[
        "--rate-limit-windows",
        "2/1min,100/1h",
        "--rate-limit-headers",
    ]);
    let remaining: Vec<_> = (0..2)
        .map(|_| {
            let answer = list_members(&connection);
            assert_eq!(answer.status, 200);
            assert_eq!(answer.header("x-ratelimit-limit"), Some("2"));
            answer.header("x-ratelimit-remaining").unwrap().to_string()
        })
        .collect();
    assert_eq!(remaining, ["1", "0"]);
    let refused = list_members(&connection);
    assert_eq!(refused.status, 429);
    let retry_after = refused.seconds("retry-after");
    assert!((59..=60).contains(&retry_after), "{retry_after}");
    let reset = refused.seconds("x-ratelimit-reset");
    assert!(
        (unix_now() + 58..=unix_now() + 61).contains(&reset),
        "{reset}"
    );
    assert_eq!(refused.header("x-ratelimit-limit"), Some("2"));
    assert_eq!(refused.header("x-ratelimit-remaining"), Some("0"));

    // Two windows at once: when the hour's 2 are spent, the hour's wait is the one announced.
    let (_server, connection) = serve(&[
        "--rate-limit-windows",
        "5/1min,2/1h",
        "--retry-after",
        "seconds",
    ]);
    assert_eq!(list_members(&connection).status, 200);
    assert_eq!(list_members(&connection).status, 200);
    let refused = list_members(&connection);
    assert_eq!(refused.status, 429);
    assert!((3599..=3600).contains(&refused.seconds("retry-after")));
}

/// A client pacing with room to spare (one request every 150 ms against a strict 10/s) is
/// refused once arrivals jitter: a request held much less than the one before it arrives
/// closer than 100 ms behind it. Without the jitter every gap is 150 ms, give or take the
/// scheduler's few. (The jitter's dice are seeded: with the default `--fault-seed` the 15th
/// request is held 92 ms less than the 14th.)
#[test]
fn sandbox_command_arrival_jitter_makes_a_strict_bucket_refuse_a_slower_pace() {
    let (_server, connection) = serve(&[
        "--rate-limit",
        "10/s",
        "--burst",
        "1",
        "--arrival-jitter",
        "120ms",
    ]);
    let start = Instant::now() + Duration::from_millis(100);
    let senders: Vec<_> = (0..20u32)
        .map(|i| {
            let connection = connection.clone();
            std::thread::spawn(move || {
                let slot = start + Duration::from_millis(150) * i;
                std::thread::sleep(slot.saturating_duration_since(Instant::now()));
                list_members(&connection).status
            })
        })
        .collect();
    let statuses: Vec<u16> = senders.into_iter().map(|s| s.join().unwrap()).collect();
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(statuses.contains(&200), "{statuses:?}");
}

#[test]
fn sandbox_command_refuses_bad_limits_naming_the_value_and_the_form() {
    for (args, expected) in [
        (
            &["--rate-limit-windows", "20/1s,100/60x"][..],
            "`100/60x` is not a window: write COUNT/LENGTH, e.g. 20/1s or 100/60s",
        ),
        (
            &["--rate-limit", "20/fortnight"],
            "`20/fortnight` is not a rate: write e.g. 20/s, 100/min or 1000/h",
        ),
        (
            &["--rate-limit", "5/s", "--burst", "0"],
            "invalid value '0' for '--burst <N>': the burst must be at least 1",
        ),
        (
            &["--rate-limit", "5/s", "--arrival-jitter", "20"],
            "`20` is not a duration: write e.g. 20ms, 0.5s or 2s",
        ),
        (
            &["--rate-limit", "5/s", "--rate-limit-windows", "5/1s"],
            "'--rate-limit <RATE>' cannot be used with '--rate-limit-windows <WINDOWS>'",
        ),
        (
            &["--rate-limit-windows", "5/1s", "--burst", "1"],
            "'--rate-limit-windows <WINDOWS>' cannot be used with '--burst <N>'",
        ),
        (
            &["--rate-limit-headers"],
            "<--rate-limit <RATE>|--rate-limit-windows <WINDOWS>>",
        ),
    ] {
        let output = member_sync()
            .args(["sandbox", "--port", "0"])
            .args(args)
            .timeout(Duration::from_secs(10))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "nothing served");
    }
}
