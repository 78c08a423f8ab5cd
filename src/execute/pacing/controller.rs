//! The pace controller: how fast to go right now, under a ceiling, from what the answers say.
//!
//! One controller for a fixed `--rate` and for `auto`, because a configured rate is a ceiling,
//! not a promise: nobody knows how Tallyfy's limiter is built (a token bucket with or without
//! burst, fixed windows, several at once), and a client that keeps sending at a rate the
//! server refuses loses a whole `Retry-After` per 429. So:
//!
//! - **Start.** A fixed rate starts at its ceiling (the user said the server takes it). `auto`
//!   starts slow and, until the first 429, grows by one request per round trip for every
//!   answer that succeeds (TCP's slow start): the rate doubles every round trip, so a generous
//!   limit is found in a fraction of a second, not in the minutes a per-second step takes.
//! - **Cut.** A 429 to a request sent at the current pace cuts it (multiplicative decrease):
//!   back to the fastest rate proven clean, when one is known and below; else by half when it
//!   ends slow start (the rate was up to twice too fast), by [`CUT`] otherwise, deeper
//!   ([`DEEP_CUT`]) when the last cut was not enough (a 429 again within a few windows). A 429
//!   counts once: answers to requests sent before the cut were already acted on.
//! - **Come back by halves.** The controller keeps two bounds: the fastest rate held for a
//!   while with no 429 (`clean`), and the slowest that drew one lately (`tripped`). It holds
//!   each rate for a few windows; a rate held clean raises `clean`, and the next one tried is
//!   halfway to `tripped`. So it closes in on the best pace the limiter takes, whatever its
//!   design, with one 429 per halving, and then stays there. A strict bucket whose refusals
//!   come more often the closer the pace (arrival jitter) ends below them; a token bucket or
//!   a fixed window ends at its limit.
//! - **Look again, rarely.** Once the bounds meet, it holds on; only after a long clean spell
//!   ([`FORGET_AFTER`] windows, doubled each time the limit is met where it was) does it
//!   forget `tripped` and probe above, by steps that double while no 429 comes, up to the
//!   ceiling: a limit can rise, but a probe into one that has not costs a `Retry-After`.
//!
//! A "window" is one second's worth of answers at the current rate (counted, so the
//! controller needs no clock and the tests drive it in simulated time).

use std::time::Duration;

/// Cut on a 429 after slow start, with no clean rate known below.
const CUT: f64 = 0.9;
/// Cut on a 429 that comes again within [`RECENT_WINDOWS`] of the last cut.
const DEEP_CUT: f64 = 0.7;
/// Requests a round trip added per answer in slow start: the rate grows by half every round
/// trip (doubling, as TCP does, overshot a loose limit by so much that every request in
/// flight when its burst ran out came back 429).
const SLOW_START_GAIN: f64 = 0.5;
/// Cut that ends slow start: the rate had doubled every round trip.
const SLOW_START_EXIT: f64 = 0.5;
/// How soon after a cut another 429 says the cut was not deep enough.
const RECENT_WINDOWS: u32 = 3;
/// Answers seen before their spread is trusted to size a cut.
const ROOM_AFTER: u32 = 3;
/// Windows a rate is held before it counts as clean.
const HOLD: u32 = 4;
/// How far towards the rate that tripped the next try goes, from the clean one. Less than
/// half: near a strict limiter's refusals come more often the closer the pace, and every one
/// costs a `Retry-After`.
const STEP_TOWARDS: f64 = 0.25;
/// The bounds have met when they are this close (a share of the clean rate).
const CLOSE: f64 = 0.03;
/// Windows held clean at the bounds before `tripped` is forgotten and the pace probes above;
/// doubled each time the probe meets the limit where it was, up to [`MOST_FORGET`].
const FORGET_AFTER: u32 = 60;
const MOST_FORGET: u32 = 960;
/// The first probe step above, as a share of the rate; doubles every window.
const FIRST_PROBE: f64 = 0.01;
/// A probe step never adds more than this share in one window.
const MOST_PROBE: f64 = 0.25;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// `auto` before its first 429.
    SlowStart,
    /// Holding the current rate for `left` more windows.
    Holding { left: u32 },
    /// Above everything known, adding `step` (a share of the rate) per window, doubling.
    Probing { step: f64 },
}

/// The controller's state. Rates are requests a second.
#[derive(Debug, Clone)]
pub struct Controller {
    ceiling: f64,
    rate: f64,
    phase: Phase,
    /// The fastest rate held [`HOLD`] windows with no 429 since the last time it was wrong.
    clean: Option<f64>,
    /// The slowest rate that drew a 429 lately.
    tripped: Option<f64>,
    /// Windows held clean at the bounds, towards [`Controller::forget_after`].
    settled: u32,
    forget_after: u32,
    /// Windows since the last cut.
    since_cut: u32,
    epoch: u64,
    /// Accepted answers of this epoch since the last window.
    accepted: f64,
    /// Smoothed answer time, for slow start's growth per round trip.
    round_trip: Option<f64>,
    /// The quickest answer yet, and the smoothed amount answers take longer than it: how much
    /// arrival times at the server wander, which a strict limiter refuses.
    quickest: Option<f64>,
    wander: f64,
    answers: u32,
}

impl Controller {
    /// `auto` with no limit given never goes faster than this.
    pub const AUTO_CEILING: f64 = 200.0;
    /// Where `auto` starts: a little above the default, so a small run is not slow to begin.
    pub const AUTO_START: f64 = 2.0;
    /// Never slower than this.
    pub const FLOOR: f64 = 0.05;

    /// A controller that starts at `ceiling` (a fixed rate) or slow (`auto`).
    pub fn new(ceiling: f64, auto: bool) -> Controller {
        let (rate, phase) = if auto {
            (Self::AUTO_START.min(ceiling), Phase::SlowStart)
        } else {
            (ceiling, Phase::Holding { left: HOLD })
        };
        Controller {
            ceiling,
            rate,
            phase,
            clean: None,
            tripped: None,
            settled: 0,
            forget_after: FORGET_AFTER,
            since_cut: u32::MAX,
            epoch: 0,
            accepted: 0.0,
            round_trip: None,
            quickest: None,
            wander: 0.0,
            answers: 0,
        }
    }

    pub fn rate(&self) -> f64 {
        self.rate
    }

    pub fn ceiling(&self) -> f64 {
        self.ceiling
    }

    /// Changes with every cut; a request carries the epoch it was sent in.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    pub fn in_slow_start(&self) -> bool {
        self.phase == Phase::SlowStart
    }

    /// An answer other than 429 to a request sent in `epoch`, after `took`.
    pub fn on_accepted(&mut self, epoch: u64, took: Duration) {
        let took = took.as_secs_f64();
        self.round_trip = Some(match self.round_trip {
            None => took,
            Some(rtt) => rtt * 0.875 + took * 0.125,
        });
        let quickest = self.quickest.map_or(took, |q| q.min(took));
        self.quickest = Some(quickest);
        // The widest spread seen lately: a maximum that fades by a tenth every ten answers, so
        // one slow answer long ago does not hold the pace down for the whole run.
        self.wander = (took - quickest).max(self.wander * 0.99);
        self.answers = self.answers.saturating_add(1);
        if epoch != self.epoch {
            return;
        }
        if self.phase == Phase::SlowStart {
            let rtt = self.round_trip.unwrap_or(took).max(0.01);
            self.set_rate(self.rate + SLOW_START_GAIN / rtt);
            return;
        }
        self.accepted += 1.0;
        if self.accepted < self.rate.max(1.0) {
            return;
        }
        self.accepted = 0.0;
        self.since_cut = self.since_cut.saturating_add(1);
        self.step_window();
    }

    /// One window of answers went by without a 429.
    fn step_window(&mut self) {
        match self.phase {
            Phase::SlowStart => {}
            Phase::Holding { left } if left > 1 => self.phase = Phase::Holding { left: left - 1 },
            Phase::Holding { .. } => self.held_clean(),
            Phase::Probing { step } => {
                self.clean = Some(self.rate);
                self.set_rate(self.rate * (1.0 + step));
                self.phase = Phase::Probing {
                    step: (step * 2.0).min(MOST_PROBE),
                };
            }
        }
    }

    /// The current rate was held [`HOLD`] windows with no 429: try halfway to the rate that
    /// tripped, or hold on when that is close, or probe above when nothing tripped lately.
    fn held_clean(&mut self) {
        let clean = self.clean.map_or(self.rate, |c| c.max(self.rate));
        self.clean = Some(clean);
        match self.tripped {
            Some(tripped) if tripped - clean > clean * CLOSE => {
                self.set_rate(clean + (tripped - clean) * STEP_TOWARDS);
                self.phase = Phase::Holding { left: HOLD };
            }
            Some(_) => {
                self.settled += 1;
                if self.settled >= self.forget_after {
                    self.tripped = None;
                    self.settled = 0;
                    self.phase = Phase::Probing { step: FIRST_PROBE };
                }
            }
            None if self.rate < self.ceiling => self.phase = Phase::Probing { step: FIRST_PROBE },
            None => {}
        }
    }

    /// A 429 to a request sent in `epoch`. Returns whether the rate was cut.
    pub fn on_throttled(&mut self, epoch: u64) -> bool {
        if epoch != self.epoch {
            return false;
        }
        let at = self.rate;
        if matches!(self.phase, Phase::Probing { .. }) && self.settled == 0 && self.forget_after > 0
        {
            // A probe met the limit: look again less often.
            self.forget_after = (self.forget_after * 2).min(MOST_FORGET);
        }
        // A rate thought clean drew a 429: the limiter moved, or its refusals are rare there
        // (a strict bucket with wandering arrivals). Just below it, then.
        let clean_failed = self
            .clean
            .is_some_and(|clean| clean >= at * (1.0 - CLOSE / 2.0));
        if clean_failed {
            self.clean = None;
        }
        // Requests one interval apart reach the server up to the wander closer together: a
        // strict limiter at `at` refuses them unless the interval leaves room for that. Known
        // once a few answers have come (before, the cut is a guess).
        let room = (self.answers >= ROOM_AFTER).then(|| 1.0 / (1.0 / at + self.wander));
        let next = match (self.phase, self.clean, room) {
            (Phase::SlowStart, _, _) => at * SLOW_START_EXIT,
            _ if clean_failed => at * (1.0 - CLOSE),
            (_, Some(clean), _) => clean,
            (_, None, Some(room)) => room.min(at * CUT),
            _ if self.since_cut <= RECENT_WINDOWS => at * DEEP_CUT,
            _ => at * CUT,
        };
        self.tripped = Some(match self.tripped {
            Some(lately) if self.since_cut <= FORGET_AFTER => lately.min(at),
            _ => at,
        });
        self.set_rate(next);
        self.phase = Phase::Holding { left: HOLD };
        self.settled = 0;
        self.since_cut = 0;
        self.epoch += 1;
        self.accepted = 0.0;
        true
    }

    /// The server says its window is spent (`X-RateLimit-Remaining: 0` with no reset time):
    /// no probe above the pace now, hold it.
    pub fn hold(&mut self) {
        if let Phase::Probing { .. } | Phase::SlowStart = self.phase {
            self.phase = Phase::Holding { left: HOLD };
        }
    }

    fn set_rate(&mut self, rate: f64) {
        self.rate = rate.clamp(Self::FLOOR.min(self.ceiling), self.ceiling);
    }
}

#[cfg(test)]
#[path = "controller_tests.rs"]
mod tests;
