//! Counted windows: at most N requests in ANY window of the limit's length (`100/min`,
//! `1000/h`), whatever the pace inside it.
//!
//! A sliding log, one send time per request of the window, because it is exact: a token
//! bucket of N per window (governor's quota) lets almost 2N through in the first window after
//! a quiet spell, which a fixed or sliding window on the server refuses. An hourly cap of 1,000
//! is a thousand timestamps, nothing.

use std::collections::VecDeque;
use tokio::time::Instant;

use super::rate::Limit;

/// The send times of one limit's last `count` requests.
#[derive(Debug)]
pub struct WindowLog {
    pub limit: Limit,
    count: usize,
    sent: VecDeque<Instant>,
}

impl WindowLog {
    pub fn new(limit: Limit) -> WindowLog {
        let count = limit.count as usize;
        WindowLog {
            limit,
            count,
            sent: VecDeque::with_capacity(count.min(4096)),
        }
    }

    /// When the next request may leave: now, unless the window already holds `count`
    /// requests, then when the oldest of them leaves it.
    pub fn next_free(&self, now: Instant) -> Option<Instant> {
        if self.sent.len() < self.count {
            return None;
        }
        let oldest = *self.sent.front()?;
        let free = oldest + self.limit.window;
        (free > now).then_some(free)
    }

    /// A request left at `at`.
    pub fn record(&mut self, at: Instant) {
        self.sent.push_back(at);
        while self.sent.len() > self.count {
            self.sent.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn no_window_of_the_limit_ever_holds_more_than_its_count() {
        let limit: Limit = "3/10s".parse().unwrap();
        let mut log = WindowLog::new(limit);
        let start = Instant::now();
        let mut sent = Vec::new();
        let mut now = start;
        // A client that would send every second if the log let it.
        while sent.len() < 10 {
            match log.next_free(now) {
                Some(free) => now = free,
                None => {
                    log.record(now);
                    sent.push(now - start);
                    now += Duration::from_secs(1);
                }
            }
        }
        let secs: Vec<u64> = sent.iter().map(Duration::as_secs).collect();
        assert_eq!(secs, [0, 1, 2, 10, 11, 12, 20, 21, 22, 30]);
        for (i, at) in sent.iter().enumerate() {
            let in_window = sent[i..]
                .iter()
                .filter(|later| **later < *at + limit.window)
                .count();
            assert!(in_window <= 3, "{in_window} from {at:?}");
        }
    }
}
