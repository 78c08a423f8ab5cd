//! The pace controller: how fast to go right now, under a ceiling, from what the answers say.
//!
//! One controller for a fixed `--rate` and for `auto`, because a configured rate is a ceiling,
//! not a promise: nobody knows how Tallyfy's limiter is built (a token bucket with or without
//! burst, fixed windows, several at once), and a client that keeps sending at a rate the
//! server refuses loses a whole `Retry-After` per 429. So:
//!
//! - **Start.** A fixed rate starts at its ceiling (the user said the server takes it). `auto`
//!   starts slow and, until the first 429, grows with every answer that succeeds (TCP's slow
//!   start): by half a request per round trip, and never faster than doubling every 0.5 s.
//!   A generous limit is found in a couple of seconds; and since a loose limiter's burst hides
//!   its limit until it runs out, a slower climb runs out less far past the limit, where every
//!   request then in flight is refused. Nor does it grow past what the work left can use in
//!   a second: a short run would otherwise end just as the burst runs out.
//! - **Size the cut from what was in flight.** A 429 to a request sent at the current pace cuts
//!   it at once (by half when it ends slow start), then the answers to the requests already on
//!   their way when it came size the cut: past its limit, a limiter admits its limit's worth of
//!   arrivals per second, so once [`SIZE_AFTER`] have come (at least two admitted: a spent
//!   window admits none, and says nothing of its rate) the pace is what it admitted of them per
//!   second of their sending, a little under. The bound that guesses is tried whole, and
//!   passed once held clean. A 429 counts once.
//! - **Strict or banking: the first 429 tells.** A limiter that refuses within the first
//!   second's worth of requests has no burst to speak of (a strict bucket, nginx `limit_req`
//!   without `burst`; a short window): every pause it causes is lost time, and it refuses
//!   arrivals that wander closer than its interval even below its rate. Against it a cut goes
//!   deep ([`STRICT_CUT`]), or, once the answers' spread is known, to where arrivals one
//!   interval apart cannot meet the limit however they wander; later, back to the fastest
//!   pace held clean, and a rate is held twice as long before the next step up. A limiter that
//!   let a second's worth through first banks what a pause leaves unused (a loose bucket, a
//!   long window): past its rate it admits exactly its rate, pauses included, so a cut never
//!   goes below what it admitted between the last two 429s; a pause costs it nothing, a pace
//!   below its rate is lost for good.
//! - **Come back by steps.** The controller keeps two bounds: the fastest rate held for a
//!   while with no 429 (`clean`), and the slowest that drew one lately (`tripped`). It holds
//!   each rate for a few windows; a rate held clean raises `clean`, and the next one tried is
//!   a quarter of the way to `tripped`. So it closes in on the best pace the limiter takes,
//!   whatever its design, and then stays there.
//! - **Look again, rarely.** Once the bounds meet, it holds on; only after a long clean spell
//!   ([`FORGET_AFTER`] windows, doubled each time the limit is met where it was) does it
//!   forget `tripped` and probe above, by steps that double while no 429 comes, up to the
//!   ceiling: a limit can rise, but a probe into one that has not costs a `Retry-After`.
//!
//! A "window" is one second's worth of answers at the current rate (counted, so the tests
//! drive the controller in simulated time); the one clock it reads is the time of each 429,
//! given by the pacer.

/// Cut on a 429 after slow start, with no clean rate known below.
const CUT: f64 = 0.9;
/// Requests a round trip added per answer in slow start: the rate grows by half every round
/// trip (doubling, as TCP does, overshot a loose limit by so much that every request in
/// flight when its burst ran out came back 429).
const SLOW_START_GAIN: f64 = 0.5;
/// At most this much added per answer in slow start: the rate doubles at most every 0.5 s
/// however short the round trip (`ln 2 / 0.5 s`, one answer per request). A loose limiter's
/// burst (a second's worth) hides its limit until it runs out; the faster the climb, the
/// further past the limit it runs out, and every request then in flight is refused.
const SLOW_START_MOST_PER_ANSWER: f64 = std::f64::consts::LN_2 / 0.5;
/// Slow start grows no faster than the work left can use in this long (requests left ÷ this).
/// A short run against a loose limiter otherwise ends just as the burst runs out, at three or
/// four times the limit, with every request then in flight refused and a whole `Retry-After`
/// to wait for the last ones.
const WORK_HORIZON: f64 = 1.0;
/// Cut that ends slow start, until the answers already on their way size it better.
const SLOW_START_EXIT: f64 = 0.5;
/// Answers to requests sent before a cut (in flight when the 429 came) needed to size the cut
/// from the share the server admitted: past its limit, a limiter admits about `limit ÷ rate`
/// of what arrives.
const SIZE_AFTER: u32 = 5;
/// The pace set from that share, below the limit it shows.
const SIZE_MARGIN: f64 = 0.95;
/// How far above that limit the limit may be (a share of a few dozen answers is rough): the
/// pace comes back towards it by the usual steps, not to the rate that tripped.
const SIZE_SPREAD: f64 = 1.2;
/// Cut on a 429 from a strict limiter before the answers' spread is known.
const STRICT_CUT: f64 = 0.7;
/// Answers seen before their spread is trusted to size a cut.
const ROOM_AFTER: u32 = 10;
/// Answers accepted between two 429s before their count says what the limiter admits.
const CYCLE_AFTER: u32 = 10;
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
    /// Whether `tripped` is the sizing's guess of the limit, not a rate that drew a 429.
    guessed: bool,
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
    /// The answers to the requests in flight at the last cut, while they come back.
    sizing: Option<Sizing>,
    /// Requests still to be sent, when the caller knows.
    work_left: Option<f64>,
    /// What the first 429 showed of the limiter.
    kind: Option<Kind>,
    /// Answers accepted since the last 429 (sent after it), and when that 429 came.
    since_throttled: u32,
    last_throttled: Option<f64>,
}

/// How a limiter treats a pause, as its first 429 shows it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// It refused within a second's worth of requests from the start: no burst to speak of (a
    /// strict bucket, or a short window). A pause is lost time, so the pace goes where arrivals
    /// cannot be refused, and stays.
    Strict,
    /// It let a burst through first (a loose bucket, a long window): it banks what a pause
    /// leaves unused, so past its rate it admits exactly its rate, pauses included. That rate
    /// is what to go at.
    Banking,
}

/// What the requests in flight at a cut were answered: past its limit, a limiter admits its
/// limit's worth of them per second of their sending, whatever the pace.
#[derive(Debug, Clone, Copy)]
struct Sizing {
    /// The rate they were sent at, which the cut was made from.
    at: f64,
    /// When the first and the last of them were sent (the 429 that cut included).
    first_sent: f64,
    last_sent: f64,
    admitted: u32,
    refused: u32,
}

/// One answer, as the controller reads it: the epoch its request was sent in, when it was sent
/// and when the answer came (seconds, from any origin the caller keeps to).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Answer {
    pub epoch: u64,
    pub sent: f64,
    pub came: f64,
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
            guessed: false,
            settled: 0,
            forget_after: FORGET_AFTER,
            since_cut: u32::MAX,
            epoch: 0,
            accepted: 0.0,
            round_trip: None,
            quickest: None,
            wander: 0.0,
            answers: 0,
            sizing: None,
            work_left: None,
            kind: None,
            since_throttled: 0,
            last_throttled: None,
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

    /// How many requests are still to be sent (known once the writes start): slow start does
    /// not grow past what they can use.
    pub fn set_work_left(&mut self, left: usize) {
        self.work_left = Some(left as f64);
    }

    /// An answer other than 429.
    pub fn on_accepted(&mut self, answer: Answer) {
        let Answer { epoch, sent, came } = answer;
        let took = (came - sent).max(0.0);
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
            self.sized(answer, true);
            return;
        }
        self.sizing = None;
        self.since_throttled = self.since_throttled.saturating_add(1);
        if self.phase == Phase::SlowStart {
            let rtt = self.round_trip.unwrap_or(took).max(0.01);
            let grown = self.rate + (SLOW_START_GAIN / rtt).min(SLOW_START_MOST_PER_ANSWER);
            // No faster than the work left can use within [`WORK_HORIZON`]: past that, growing
            // only runs a loose limiter's burst out sooner, with more requests in flight.
            let usable = self
                .work_left
                .map_or(f64::INFINITY, |left| (left / WORK_HORIZON).max(self.rate));
            self.set_rate(grown.min(usable));
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
                // A guessed bound is tried whole: nothing refused there yet.
                let step = if self.guessed { 1.0 } else { STEP_TOWARDS };
                self.set_rate(clean + (tripped - clean) * step);
                self.phase = Phase::Holding {
                    left: self.hold_windows(),
                };
            }
            Some(_) => {
                self.settled += 1;
                // A bound the sizing guessed, not a rate that drew a 429: reached clean, it
                // was too low; look above at once.
                if self.settled >= self.forget_after || self.guessed {
                    self.guessed = false;
                    self.tripped = None;
                    self.settled = 0;
                    self.phase = Phase::Probing { step: FIRST_PROBE };
                }
            }
            None if self.rate < self.ceiling => self.phase = Phase::Probing { step: FIRST_PROBE },
            None => {}
        }
    }

    /// A 429. Returns whether the rate was cut.
    pub fn on_throttled(&mut self, answer: Answer) -> bool {
        let Answer { epoch, sent, came } = answer;
        if epoch != self.epoch {
            self.sized(answer, false);
            return false;
        }
        let at = self.rate;
        if matches!(self.phase, Phase::Probing { .. }) && self.settled == 0 && self.forget_after > 0
        {
            // A probe met the limit: look again less often.
            self.forget_after = (self.forget_after * 2).min(MOST_FORGET);
        }
        // Told by the first 429 after slow start (which grew through whatever came first).
        let quick = f64::from(self.since_throttled) < at;
        let kind = match self.phase {
            Phase::SlowStart => Kind::Banking,
            _ => *self
                .kind
                .get_or_insert(if quick { Kind::Strict } else { Kind::Banking }),
        };
        // A rate thought clean drew a 429: the limiter moved, or its refusals are rare there
        // (a strict bucket with wandering arrivals). Just below it, then.
        let clean_failed = self
            .clean
            .is_some_and(|clean| clean >= at * (1.0 - CLOSE / 2.0));
        if clean_failed {
            self.clean = None;
        }
        // What the server admitted since the last 429, its pause included: past a banking
        // limiter's rate, that is its rate.
        let admitted = self
            .last_throttled
            .filter(|_| self.since_throttled >= CYCLE_AFTER)
            .map(|last| f64::from(self.since_throttled) / (came - last).max(1e-3));
        // Against a strict limiter, back to a pace held clean, if one is known below.
        let back_to_clean = match (self.phase, kind) {
            (Phase::SlowStart, _) | (_, Kind::Banking) => None,
            (_, Kind::Strict) => self.clean.filter(|&clean| clean < at),
        };
        let next = match (self.phase, kind) {
            (Phase::SlowStart, _) => at * SLOW_START_EXIT,
            // Else where wandering arrivals cannot meet the limit.
            (_, Kind::Strict) => match (back_to_clean, self.room(at)) {
                (Some(clean), _) => clean,
                (None, Some(room)) => room.min(at * CUT),
                (None, None) => at * STRICT_CUT,
            },
            // Never below what it admitted: under its rate, a pause is lost for good.
            (_, Kind::Banking) => {
                let cut = match self.clean {
                    _ if clean_failed => at * (1.0 - CLOSE),
                    Some(clean) => clean,
                    None => at * CUT,
                };
                admitted.map_or(cut, |admitted| cut.max(admitted.min(at * (1.0 - CLOSE))))
            }
        };
        self.tripped = Some(match self.tripped {
            // Against a strict limiter a step up that met it is not tried again soon: each
            // try costs a whole pause, and its refusals only grow closer to its rate.
            _ if back_to_clean.is_some() => next * (1.0 + CLOSE / 2.0),
            Some(lately) if self.since_cut <= FORGET_AFTER => lately.min(at),
            _ => at,
        });
        // A rate that drew a 429 is a bound, not a guess.
        self.guessed = false;
        self.set_rate(next);
        self.phase = Phase::Holding {
            left: self.hold_windows(),
        };
        self.settled = 0;
        self.since_cut = 0;
        self.since_throttled = 0;
        self.last_throttled = Some(came);
        self.epoch += 1;
        self.accepted = 0.0;
        // The 429 itself is not counted: it is the one that came first, not one of those that
        // followed it into the limiter.
        self.sizing = Some(Sizing {
            at,
            first_sent: sent,
            last_sent: sent,
            admitted: 0,
            refused: 0,
        });
        true
    }

    /// The fastest pace whose requests, one interval apart, cannot reach a strict limiter at
    /// `at` closer than its interval, however their arrival wanders (known once enough answers
    /// have come to show the spread).
    fn room(&self, at: f64) -> Option<f64> {
        (self.answers >= ROOM_AFTER).then(|| 1.0 / (1.0 / at + self.wander))
    }

    /// Windows a rate is held before it counts as clean: longer against a strict limiter,
    /// where a step that meets it costs a whole `Retry-After` that nothing makes up for.
    fn hold_windows(&self) -> u32 {
        match self.kind {
            Some(Kind::Strict) => HOLD * 2,
            _ => HOLD,
        }
    }

    /// An answer to a request sent in the epoch just cut: once enough have come, the pace is
    /// what the server admitted of them, per second of their sending, whatever the cut guessed.
    fn sized(&mut self, answer: Answer, admitted: bool) {
        if answer.epoch + 1 != self.epoch {
            return;
        }
        let Some(sizing) = self.sizing.as_mut() else {
            return;
        };
        if admitted {
            sizing.admitted += 1;
        } else {
            sizing.refused += 1;
        }
        sizing.first_sent = sizing.first_sent.min(answer.sent);
        sizing.last_sent = sizing.last_sent.max(answer.sent);
        let seen = sizing.admitted + sizing.refused;
        let span = sizing.last_sent - sizing.first_sent;
        // None admitted: a window is spent until it starts again, which says nothing of its
        // rate (the pause covers it).
        if seen < SIZE_AFTER || sizing.admitted < 2 || span <= 0.0 {
            return;
        }
        let limit = (f64::from(sizing.admitted) / span).min(sizing.at);
        self.tripped = Some((limit * SIZE_SPREAD).min(sizing.at));
        self.guessed = true;
        self.clean = None;
        self.set_rate(limit * SIZE_MARGIN);
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
