//! `--rate auto`: find the server's limit while running, from the only signal it gives (429).
//!
//! Additive increase, multiplicative decrease, as TCP finds a link's capacity: the rate grows
//! by a fixed step after each window of accepted requests (one second's worth at the current
//! rate) and shrinks by a factor on a 429. It starts at the safe default and, until the first
//! 429, grows by half each window ("slow start"), so that a generous limit is found in seconds,
//! not minutes. The step is a fixed share of the rate at the last decrease, which keeps the
//! saw-tooth's shape the same whether the limit is 2 or 200 requests a second.
//!
//! A 429 counts once: answers to requests sent before the last decrease (older "epoch") were
//! already acted on, so they neither shrink the rate again nor grow it. The controller is a
//! plain state machine with no clock: the [`Pacer`](super::Pacer) feeds it, the unit tests
//! drive it directly and against a model of the sandbox's token bucket.

use super::Rate;

/// The AIMD state.
#[derive(Debug, Clone)]
pub struct Aimd {
    rate: f64,
    slow_start: bool,
    /// The rate right after the last decrease; the additive step is a share of it.
    threshold: f64,
    epoch: u64,
    /// Accepted answers of the current epoch since the last increase.
    accepted: f64,
}

impl Aimd {
    /// Never faster than this (requests a second), whatever the server takes.
    pub const CEILING: f64 = 200.0;
    /// Never slower than this.
    pub const FLOOR: f64 = 0.1;
    /// Growth per window before the first 429.
    pub const SLOW_START_GROWTH: f64 = 1.5;
    /// The cut on the first 429: the rate then was up to one growth step too fast.
    pub const SLOW_START_EXIT: f64 = 0.5;
    /// The cut on every later 429.
    pub const DECREASE: f64 = 0.8;
    /// The additive step per window, as a share of the rate after the last decrease.
    pub const STEP: f64 = 0.02;

    pub fn new(start: Rate) -> Aimd {
        Aimd {
            rate: start.per_second().clamp(Self::FLOOR, Self::CEILING),
            slow_start: true,
            threshold: start.per_second(),
            epoch: 0,
            accepted: 0.0,
        }
    }

    pub fn rate(&self) -> Rate {
        Rate {
            per_second: self.rate,
        }
    }

    /// Changes with every decrease; a request carries the epoch it was sent in.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    pub fn in_slow_start(&self) -> bool {
        self.slow_start
    }

    /// An answer other than 429 to a request sent in `epoch`.
    pub fn on_accepted(&mut self, epoch: u64) {
        if epoch != self.epoch {
            return;
        }
        self.accepted += 1.0;
        if self.accepted < self.rate.max(1.0) {
            return;
        }
        self.accepted = 0.0;
        self.rate = if self.slow_start {
            self.rate * Self::SLOW_START_GROWTH
        } else {
            self.rate + (self.threshold * Self::STEP).max(0.05)
        }
        .min(Self::CEILING);
    }

    /// A 429 to a request sent in `epoch`. Returns whether the rate was cut.
    pub fn on_throttled(&mut self, epoch: u64) -> bool {
        if epoch != self.epoch {
            return false;
        }
        let cut = if self.slow_start {
            Self::SLOW_START_EXIT
        } else {
            Self::DECREASE
        };
        self.slow_start = false;
        self.rate = (self.rate * cut).max(Self::FLOOR);
        self.threshold = self.rate;
        self.epoch += 1;
        self.accepted = 0.0;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(per_second: f64) -> Rate {
        Rate { per_second }
    }

    #[test]
    fn slow_start_grows_by_half_per_window_of_successes() {
        let mut aimd = Aimd::new(rate(2.0));
        aimd.on_accepted(0);
        assert_eq!(aimd.rate().per_second(), 2.0);
        aimd.on_accepted(0);
        assert_eq!(aimd.rate().per_second(), 3.0);
        for _ in 0..3 {
            aimd.on_accepted(0);
        }
        assert_eq!(aimd.rate().per_second(), 4.5);
    }

    #[test]
    fn the_first_429_halves_later_ones_cut_by_a_fifth_then_growth_is_additive() {
        let mut aimd = Aimd::new(rate(40.0));
        assert!(aimd.on_throttled(0));
        assert_eq!(aimd.rate().per_second(), 20.0);
        assert!(!aimd.in_slow_start());
        for _ in 0..20 {
            aimd.on_accepted(1);
        }
        assert_eq!(aimd.rate().per_second(), 20.4);
        for _ in 0..21 {
            aimd.on_accepted(1);
        }
        assert!((aimd.rate().per_second() - 20.8).abs() < 1e-9);
        assert!(aimd.on_throttled(1));
        assert!((aimd.rate().per_second() - 16.64).abs() < 1e-9);
    }

    #[test]
    fn answers_to_requests_sent_before_a_cut_change_nothing() {
        let mut aimd = Aimd::new(rate(10.0));
        assert!(aimd.on_throttled(0));
        // The other requests that were in flight with the first 429.
        assert!(!aimd.on_throttled(0));
        for _ in 0..100 {
            aimd.on_accepted(0);
        }
        assert_eq!(aimd.rate().per_second(), 5.0);
        assert_eq!(aimd.epoch(), 1);
    }

    #[test]
    fn the_rate_stays_between_floor_and_ceiling() {
        let mut aimd = Aimd::new(rate(0.2));
        for epoch in 0..10 {
            aimd.on_throttled(epoch);
        }
        assert_eq!(aimd.rate().per_second(), Aimd::FLOOR);
        let mut aimd = Aimd::new(rate(150.0));
        for _ in 0..1000 {
            aimd.on_accepted(0);
        }
        assert_eq!(aimd.rate().per_second(), Aimd::CEILING);
    }

    /// The controller against a model of the sandbox's rate limit, in simulated time: a token
    /// bucket of `limit` a second holding one second's worth, answers `latency` after sending,
    /// a 429 pausing every request for its `Retry-After` (whole seconds, at least one).
    fn simulate(limit: f64, latency: f64, seconds: f64) -> (f64, f64) {
        let mut aimd = Aimd::new(rate(1.5));
        let burst = limit.ceil();
        let (mut tokens, mut refilled) = (burst, 0.0);
        let (mut next_slot, mut paused_until) = (0.0_f64, 0.0_f64);
        // (answer time, epoch, Retry-After if throttled)
        let mut in_flight: std::collections::VecDeque<(f64, u64, Option<f64>)> = Default::default();
        let (mut sent, mut throttled, mut accepted_late_half) = (0u32, 0u32, 0u32);
        loop {
            let mut send_at = next_slot.max(paused_until);
            while in_flight.front().is_some_and(|(at, ..)| *at <= send_at) {
                let (at, epoch, retry_after) = in_flight.pop_front().unwrap();
                match retry_after {
                    None => aimd.on_accepted(epoch),
                    Some(wait) => {
                        paused_until = paused_until.max(at + wait);
                        aimd.on_throttled(epoch);
                    }
                }
                send_at = next_slot.max(paused_until);
            }
            if send_at >= seconds {
                break;
            }
            tokens = (tokens + (send_at - refilled) * limit).min(burst);
            refilled = send_at;
            let retry_after = if tokens >= 1.0 {
                tokens -= 1.0;
                if send_at >= seconds / 2.0 {
                    accepted_late_half += 1;
                }
                None
            } else {
                throttled += 1;
                Some(((1.0 - tokens) / limit).ceil().max(1.0))
            };
            sent += 1;
            in_flight.push_back((send_at + latency, aimd.epoch(), retry_after));
            next_slot = send_at + aimd.rate().interval().as_secs_f64();
        }
        let steady = f64::from(accepted_late_half) / (seconds / 2.0) / limit;
        (steady, f64::from(throttled) / f64::from(sent))
    }

    #[test]
    fn against_a_model_of_the_limit_it_converges_above_90_percent_with_few_429s() {
        for (limit, latency) in [(5.0, 0.15), (10.0, 0.5), (20.0, 0.05), (50.0, 0.15)] {
            let (steady, share_429) = simulate(limit, latency, 60.0);
            assert!(
                steady >= 0.9 && share_429 <= 0.03,
                "limit {limit}/s, latency {latency}s: {steady:.3} of the limit, {share_429:.3} answered 429"
            );
        }
    }
}
