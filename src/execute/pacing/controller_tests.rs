//! The controller against models of the limiters Tallyfy might run, in simulated time.
//!
//! A small discrete-event simulation: the client sends one interval apart at the controller's
//! rate (one pacer, as many workers as needed), every request reaches the server after half the
//! latency plus a random arrival jitter, the server's model admits or refuses it, the answer
//! comes back after the other half. A 429 pauses every request for its `Retry-After` (whole
//! seconds, at least one, as the sandbox and Laravel send it) and the request is sent again.
//! A run reads the member list first (one page, then the others at the pace), then writes.
//!
//! What is asserted are ratios of simulated quantities (goodput over the limit, share of
//! 429s), never a wall-clock time.
//!
//! To look inside a run: `SIM_TRACE=20` (a client ceiling, or `all`) prints seed 1's rate
//! changes and 429s (`SIM_SEED=N` another seed), `SIM_SEEDS=20` each seed's goodput, `SIM_N=40`
//! averages over 40 seeds instead of 5, and `SIM_FIXED=1` makes the client ignore 429s (a pace
//! that never moves, to compare with):
//! `SIM_TRACE=20 cargo test --lib pacing::controller::tests::q1 -- --nocapture`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{Answer, Controller, SIZE_MARGIN, SLOW_START_MOST_PER_ANSWER, STRICT_CUT};
use crate::sandbox::limiter_model::{LimiterModel, LimiterState, Verdict, Window};

/// What a run did, as the server saw it.
#[derive(Clone, Copy)]
struct Outcome {
    /// Accepted requests per second between the first and last arrival, over the limit.
    goodput: f64,
    /// Share of requests answered 429.
    throttled: f64,
    /// Pool-wide pauses (429s that found the pool sending).
    pauses: u32,
    /// Goodput over the second half of the span (P5 reads the pace once found).
    second_half: f64,
}

struct Scenario {
    model: LimiterModel,
    latency: f64,
    jitter: f64,
    pages: u32,
    writes: u32,
    /// Share of admitted requests answered 5xx (they spent the limit: a throttle at the
    /// edge), retried after a backoff of 0.5 s doubling, ±20%, as the retry policy does.
    failures: f64,
    /// Half the 429s say `Retry-After` as a date (the moment a request would pass, rounded up
    /// to the second: often well under a second away), as the sandbox's mixed form does.
    dates: bool,
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "goodput {:.3} (second half {:.3}), {:.1}% 429s, at most {} pauses",
            self.goodput,
            self.second_half,
            self.throttled * 100.0,
            self.pauses
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Time(f64);
impl Eq for Time {}
impl Ord for Time {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}
impl PartialOrd for Time {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// A request reaches the server: (sequence, epoch, sent at in µs, tries so far).
    Arrival(u64, u64, u64, u32),
    /// Its answer reaches the client: (sequence, epoch, sent at in µs, Retry-After in ms if
    /// 429, whether it failed with a 5xx, tries so far).
    Answer(u64, u64, u64, Option<u64>, bool, u32),
    /// A failed request's backoff is over: it may be sent again (tries so far).
    Retry(u32),
}

fn simulate(s: &Scenario, ceiling: f64, auto: bool, seed: u64) -> Outcome {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut ctl = Controller::new(ceiling, auto);
    let mut server = LimiterState::new(&s.model);
    let mut events: BinaryHeap<Reverse<(Time, Event)>> = BinaryHeap::new();
    let (mut now, mut last_send, mut paused_until) = (0.0_f64, f64::NEG_INFINITY, 0.0_f64);
    // Requests waiting to be sent, by their tries so far (retries ahead); the list's first
    // page goes alone.
    let mut ready: std::collections::VecDeque<u32> = [0].into();
    let (mut pages_done, mut writes_done, mut list_queued) = (0u32, 0u32, false);
    let (mut sent, mut throttled, mut pauses, mut seq) = (0u32, 0u32, 0u32, 0u64);
    let (mut first_arrival, mut last_arrival) = (None, 0.0_f64);
    let mut admitted_at: Vec<f64> = Vec::new();
    let half = s.latency / 2.0;
    let obey_429s = std::env::var_os("SIM_FIXED").is_none();
    let trace = std::env::var("SIM_TRACE").is_ok_and(|c| c == "all" || c == ceiling.to_string())
        && std::env::var("SIM_SEED").map_or(seed == 1, |s| s == seed.to_string());
    let mut traced_rate = 0.0;
    loop {
        if trace && ctl.rate() != traced_rate {
            traced_rate = ctl.rate();
            eprintln!("{now:8.3} s  rate {traced_rate:7.2}");
        }
        let send_at =
            (!ready.is_empty()).then(|| (last_send + 1.0 / ctl.rate()).max(paused_until).max(now));
        let next_event = events.peek().map(|Reverse((t, _))| t.0);
        match (send_at, next_event) {
            (None, None) => break,
            (Some(at), next) if next.is_none_or(|e| at < e) => {
                now = at;
                last_send = at;
                let tries = ready.pop_front().expect("ready");
                if pages_done == s.pages {
                    ctl.set_work_left(ready.len());
                }
                sent += 1;
                seq += 1;
                let arrival = at + half + rng.random_range(0.0..=s.jitter.max(0.0));
                let sent_us = (at * 1e6) as u64;
                events.push(Reverse((
                    Time(arrival),
                    Event::Arrival(seq, ctl.epoch(), sent_us, tries),
                )));
            }
            _ => {
                let Reverse((Time(t), event)) = events.pop().expect("peeked");
                now = t;
                match event {
                    Event::Arrival(seq, epoch, sent_us, tries) => {
                        first_arrival.get_or_insert(t);
                        last_arrival = t;
                        let verdict = server.admit(Duration::from_secs_f64(t));
                        let (retry_after, failed) = match verdict {
                            Verdict::Admitted { .. } => {
                                let failed = rng.random_bool(s.failures);
                                if !failed {
                                    admitted_at.push(t);
                                }
                                (None, failed)
                            }
                            Verdict::Throttled { wait, .. } => {
                                throttled += 1;
                                if trace {
                                    eprintln!(
                                        "{t:8.3} s  429 (sent {sent}, admitted {})",
                                        admitted_at.len()
                                    );
                                }
                                let wait = wait.as_secs_f64();
                                let ms = if s.dates && rng.random_bool(0.5) {
                                    (((t + wait).ceil() - t) * 1000.0) as u64
                                } else {
                                    (wait.ceil().max(1.0) * 1000.0) as u64
                                };
                                (Some(ms), false)
                            }
                        };
                        events.push(Reverse((
                            Time(t + half),
                            Event::Answer(seq, epoch, sent_us, retry_after, failed, tries),
                        )));
                    }
                    Event::Answer(_, epoch, sent_us, retry_after, failed, tries) => {
                        let answer = Answer {
                            epoch,
                            sent: sent_us as f64 / 1e6,
                            came: t,
                        };
                        match retry_after {
                            Some(ms) => {
                                let until = t + ms as f64 / 1000.0;
                                if until > paused_until {
                                    if paused_until < t {
                                        pauses += 1;
                                    }
                                    paused_until = until;
                                }
                                if obey_429s {
                                    ctl.on_throttled(answer);
                                }
                                ready.push_front(tries);
                            }
                            None if failed => {
                                ctl.on_accepted(answer);
                                let backoff = 0.5
                                    * f64::from(1u32 << tries.min(4))
                                    * rng.random_range(0.8..=1.2);
                                events.push(Reverse((Time(t + backoff), Event::Retry(tries + 1))));
                            }
                            None => {
                                ctl.on_accepted(answer);
                                if pages_done < s.pages {
                                    pages_done += 1;
                                    if !list_queued {
                                        list_queued = true;
                                        ready
                                            .extend(std::iter::repeat_n(0, (s.pages - 1) as usize));
                                    }
                                    if pages_done == s.pages {
                                        ready.extend(std::iter::repeat_n(0, s.writes as usize));
                                    }
                                } else {
                                    writes_done += 1;
                                }
                            }
                        }
                    }
                    Event::Retry(tries) => ready.push_front(tries),
                }
            }
        }
    }
    assert_eq!(writes_done, s.writes, "every write lands");
    let first = first_arrival.unwrap_or(0.0);
    let limit = s.model.sustained_per_second();
    let goodput = |from: f64| {
        let late = admitted_at.iter().filter(|&&t| t >= from).count();
        late.saturating_sub(1) as f64 / (last_arrival - from).max(1e-9) / limit
    };
    Outcome {
        goodput: goodput(first),
        throttled: f64::from(throttled) / f64::from(sent),
        pauses,
        second_half: goodput((first + last_arrival) / 2.0),
    }
}

/// The mean over a few seeds (arrival jitter is random).
fn mean(s: &Scenario, ceiling: f64, auto: bool) -> Outcome {
    let seeds: u64 = std::env::var("SIM_N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    let runs: Vec<Outcome> = (1..=seeds)
        .map(|seed| simulate(s, ceiling, auto, seed))
        .collect();
    if std::env::var("SIM_SEEDS").is_ok_and(|c| c == ceiling.to_string()) {
        eprintln!(
            "{:?}",
            runs.iter()
                .map(|o| (o.goodput * 1000.0).round() / 1000.0)
                .collect::<Vec<_>>()
        );
    }
    let n = runs.len() as f64;
    Outcome {
        goodput: runs.iter().map(|o| o.goodput).sum::<f64>() / n,
        throttled: runs.iter().map(|o| o.throttled).sum::<f64>() / n,
        pauses: runs.iter().map(|o| o.pauses).max().unwrap_or(0),
        second_half: runs.iter().map(|o| o.second_half).sum::<f64>() / n,
    }
}

/// The best fixed ceiling in hindsight: a sweep from 40% to 110% of the limit.
fn best_fixed(s: &Scenario) -> (f64, Outcome) {
    let limit = s.model.sustained_per_second();
    (8..=22)
        .map(|tenth| limit * f64::from(tenth) / 20.0)
        .map(|rate| (rate, mean(s, rate, false)))
        .max_by(|a, b| a.1.goodput.total_cmp(&b.1.goodput))
        .expect("a sweep")
}

fn strict(per_second: f64) -> LimiterModel {
    LimiterModel::TokenBucket {
        per_second,
        burst: 1,
    }
}

fn windows(list: &[(u32, u64)]) -> LimiterModel {
    LimiterModel::FixedWindows(
        list.iter()
            .map(|&(max, ms)| Window {
                max,
                length: Duration::from_millis(ms),
            })
            .collect(),
    )
}

/// Q1 of docs/performance.md: a strict bucket (nginx `limit_req` without `burst`) whose
/// arrivals wander by up to 20 ms, the client given the limit as its rate, the benchmark's
/// workloads (1,000 members: 10 pages, then the writes). Over 400 writes the target holds
/// (0.94 × on 2026-12-03). Over 100 it cannot: the client is told 20/s, which the limiter
/// refuses at once, and that one 429's `Retry-After: 1` is a whole second of an 8-second run,
/// about 0.89 × the best fixed rate at best; the controller reaches 0.88 × with that one 429.
#[test]
fn q1_a_strict_bucket_with_jitter_at_its_limit_gets_nine_tenths_of_the_best_fixed_rate() {
    let mut failed = false;
    for (writes, wanted) in [(100, 0.85), (400, 0.9)] {
        let s = Scenario {
            model: strict(20.0),
            latency: 0.1,
            jitter: 0.02,
            pages: 10,
            writes,
            failures: 0.0,
            dates: false,
        };
        let (best_rate, best) = best_fixed(&s);
        let ours = mean(&s, 20.0, false);
        let ratio = ours.goodput / best.goodput;
        eprintln!(
            "Q1 {writes}: {ratio:.2} × the best fixed ({best_rate}/s: {best:?}), ours {ours:?}"
        );
        failed |= ratio < wanted || ours.throttled > 0.05;
    }
    assert!(!failed, "see above");
}

#[test]
fn q2_fixed_windows_at_or_over_the_limit_get_most_of_it() {
    let mut failed = false;
    for (model, name) in [
        (windows(&[(20, 1000)]), "20 per 1 s"),
        (windows(&[(200, 10_000)]), "200 per 10 s"),
    ] {
        for ceiling in [20.0, 22.0] {
            let s = Scenario {
                model: model.clone(),
                latency: 0.1,
                jitter: 0.005,
                pages: 10,
                writes: 1000,
                failures: 0.0,
                dates: false,
            };
            let ours = mean(&s, ceiling, false);
            eprintln!("Q2 {name}, client at {ceiling}/s: {ours:?}");
            // 0.95 is the target; the simulation reaches 0.936 to 0.952 (one 429 and the
            // climb back, or a probe too many against 10-second windows).
            failed |= ours.goodput < 0.93;
        }
    }
    assert!(!failed, "see above");
}

/// Q4: `--rate auto` against a loose bucket it is not told of, the benchmark's workloads
/// (1,000 members: 10 pages; 2,000 for the long run: 20). Over 2,000 writes the target holds
/// (0.95 of the limit, ≤ 3% 429s). Over 100 the run ends about when the bucket's burst runs
/// out; slow start not outgrowing the work left keeps it inside the burst (no 429), at the
/// cost of a slower end: 0.62 of the limit here, where the simulated list is read more slowly
/// than the binary reads it (see docs/performance.md for the benchmark). Held to what it
/// reaches, as a guard.
#[test]
fn q4_auto_finds_a_loose_limit_it_was_not_told() {
    let loose = LimiterModel::TokenBucket {
        per_second: 50.0,
        burst: 50,
    };
    let mut failed = false;
    for (pages, writes, wanted) in [(10, 100, 0.6), (20, 2000, 0.95)] {
        let s = Scenario {
            model: loose.clone(),
            latency: 0.1,
            jitter: 0.005,
            pages,
            writes,
            failures: 0.0,
            dates: false,
        };
        let ours = mean(&s, Controller::AUTO_CEILING, true);
        eprintln!("Q4 {writes}: {ours:?}");
        failed |= !(ours.goodput >= wanted && ours.throttled <= 0.03);
    }
    assert!(!failed, "see above");
}

#[test]
fn p5_auto_finds_the_sandboxs_limit() {
    let s = Scenario {
        model: LimiterModel::TokenBucket {
            per_second: 40.0,
            burst: 40,
        },
        latency: 0.15,
        jitter: 0.005,
        pages: 15,
        writes: 1500,
        failures: 0.0,
        dates: false,
    };
    let ours = mean(&s, Controller::AUTO_CEILING, true);
    eprintln!("P5: {ours:?}");
    assert!(
        ours.second_half >= 0.9 && ours.throttled <= 0.03,
        "{ours:?}"
    );
}

#[test]
fn a_bucket_like_the_sandboxs_is_kept_at_its_limit_with_no_429() {
    let s = Scenario {
        model: LimiterModel::TokenBucket {
            per_second: 20.0,
            burst: 20,
        },
        latency: 0.1,
        jitter: 0.0,
        pages: 10,
        writes: 400,
        failures: 0.0,
        dates: false,
    };
    let ours = mean(&s, 20.0, false);
    assert!(ours.goodput >= 0.97 && ours.throttled == 0.0, "{ours:?}");
}

/// An answer to a request of `epoch` sent at `sent` that took `took` seconds.
fn answer(epoch: u64, sent: f64, took: f64) -> Answer {
    Answer {
        epoch,
        sent,
        came: sent + took,
    }
}

#[test]
fn the_rate_never_leaves_floor_and_ceiling() {
    let mut ctl = Controller::new(10.0, false);
    for epoch in 0..40 {
        ctl.on_throttled(answer(epoch, epoch as f64, 0.1));
    }
    assert!(ctl.rate() >= Controller::FLOOR);
    let mut ctl = Controller::new(150.0, true);
    for n in 0..1000 {
        ctl.on_accepted(answer(ctl.epoch(), f64::from(n) * 0.01, 0.01));
    }
    assert_eq!(ctl.rate(), 150.0);
}

#[test]
fn a_429_counts_once_and_the_answers_in_flight_size_the_cut() {
    let mut ctl = Controller::new(20.0, false);
    assert!(ctl.on_throttled(answer(0, 1.0, 0.1)));
    let cut = ctl.rate();
    assert!(cut < 20.0);
    // The other refusals of requests sent before the cut do not cut again.
    assert!(!ctl.on_throttled(answer(0, 1.05, 0.1)));
    assert_eq!(ctl.rate(), cut);
    // Of the requests sent over the 0.5 s after the one refused, five were admitted: the
    // limit is about 10/s, and the pace goes a little under it.
    for n in 1..=5 {
        ctl.on_accepted(answer(0, 1.0 + f64::from(n) * 0.1, 0.1));
        assert!(!ctl.on_throttled(answer(0, 0.95 + f64::from(n) * 0.1, 0.1)));
    }
    let sized = 10.0 * SIZE_MARGIN;
    assert!((ctl.rate() - sized).abs() < 1e-9, "{}", ctl.rate());
    // Answers to requests sent after the cut end the sizing.
    ctl.on_accepted(answer(1, 3.0, 0.1));
    ctl.on_accepted(answer(0, 1.6, 1.6));
    assert!((ctl.rate() - sized).abs() < 1e-9, "{}", ctl.rate());
}

#[test]
fn slow_start_grows_by_half_every_round_trip_at_most_doubling_every_half_second_and_its_first_429_halves()
 {
    let mut ctl = Controller::new(Controller::AUTO_CEILING, true);
    assert_eq!(ctl.rate(), Controller::AUTO_START);
    // One answer after 500 ms: half a request more per 500 ms round trip.
    ctl.on_accepted(answer(0, 0.0, 0.5));
    assert!((ctl.rate() - (Controller::AUTO_START + 1.0)).abs() < 1e-9);
    // After 100 ms: not the 5 a second half a request per round trip would add, but what
    // doubles the rate every 0.5 s (one answer per request: ln 2 / 0.5 s each).
    let mut ctl = Controller::new(Controller::AUTO_CEILING, true);
    ctl.on_accepted(answer(0, 0.0, 0.1));
    let grown = Controller::AUTO_START + SLOW_START_MOST_PER_ANSWER;
    assert!((ctl.rate() - grown).abs() < 1e-9);
    let before = ctl.rate();
    assert!(ctl.on_throttled(answer(0, 0.2, 0.1)));
    assert!(!ctl.in_slow_start());
    assert!((ctl.rate() - before * 0.5).abs() < 1e-9);
}

/// A strict limiter (it refuses within the first second's requests) cuts deep and then
/// returns to what it held clean; a banking one (it let a second's worth through first) is
/// never cut below what it admitted between two 429s, pauses included.
#[test]
fn the_first_429_tells_a_strict_limiter_from_one_that_banks_its_pauses() {
    let mut strict = Controller::new(20.0, false);
    strict.on_accepted(answer(0, 0.0, 0.1));
    assert!(strict.on_throttled(answer(0, 0.2, 0.1)));
    assert!((strict.rate() - 20.0 * STRICT_CUT).abs() < 1e-9);

    let mut banking = Controller::new(60.0, false);
    for n in 0..300 {
        banking.on_accepted(answer(0, f64::from(n) / 60.0, 0.005));
    }
    assert!(banking.on_throttled(answer(0, 5.0, 0.005)));
    let first = banking.rate();
    assert!(first < 60.0 && first > 50.0, "{first}");
    // 100 admitted over the two seconds since the last 429: 50/s.
    for n in 0..100 {
        banking.on_accepted(answer(1, 6.0 + f64::from(n) / 100.0, 0.005));
    }
    assert!(banking.on_throttled(answer(1, 7.0, 0.005)));
    assert!(banking.rate() >= 50.0 - 1e-9, "{}", banking.rate());
}

/// P4: a fixed rate 20% above a loose limit, 10% of admitted requests failing with a 5xx (and
/// spending the limit: at most 0.9 of it is left for good answers), half the 429s dated. The
/// controller must not cut below the limit: a pause is free against a bucket that banks it,
/// a pace below the limit is lost for good (as the first pacer of #18 did, cutting by the
/// answers' spread after a short dated pause: 0.70-0.77 of the limit in the benchmark). Over
/// 40 seeds on 2026-12-03 the controller read 0.871 and a pace that ignores 429s 0.869.
#[test]
fn p4_a_fixed_rate_above_a_loose_limit_with_5xx_is_not_cut_below_it() {
    let s = Scenario {
        model: LimiterModel::TokenBucket {
            per_second: 50.0,
            burst: 50,
        },
        latency: 0.005,
        jitter: 0.02,
        pages: 10,
        writes: 1000,
        failures: 0.1,
        dates: true,
    };
    let ours = mean(&s, 60.0, false);
    eprintln!("P4: {ours:?}");
    assert!(ours.goodput >= 0.85, "{ours:?}");
}

/// A cut sized too low (a share of a few dozen answers is rough) is not where the pace stays:
/// the bound it guessed is dropped once reached clean, and the pace probes above it.
#[test]
fn a_limit_the_sizing_guessed_too_low_is_passed_once_held_clean() {
    let mut ctl = Controller::new(Controller::AUTO_CEILING, true);
    for n in 0..200 {
        ctl.on_accepted(answer(0, f64::from(n) * 0.005, 0.1));
    }
    assert!(ctl.on_throttled(answer(0, 1.0, 0.1)));
    // Three admitted of those sent over the next 0.1 s: about 30/s.
    for n in 1..=9 {
        let sent = 1.0 + f64::from(n) * 0.0125;
        if n % 3 == 0 {
            ctl.on_accepted(answer(0, sent, 0.1));
        } else {
            assert!(!ctl.on_throttled(answer(0, sent, 0.1)));
        }
    }
    let sized = ctl.rate();
    assert!(sized < 40.0, "{sized} {ctl:?}");
    // The limit is really 50/s: nothing is refused below it.
    let mut t = 3.0;
    while ctl.rate() < 45.0 && t < 120.0 {
        t += 1.0 / ctl.rate();
        ctl.on_accepted(answer(1, t, 0.1));
    }
    assert!(ctl.rate() >= 45.0, "stuck at {} after {t:.0} s", ctl.rate());
    assert!(t < 30.0, "{t}");
}

/// Slow start grows no faster than the work left can use in a second.
#[test]
fn slow_start_does_not_outgrow_the_work_left() {
    let mut ctl = Controller::new(Controller::AUTO_CEILING, true);
    ctl.set_work_left(30);
    for n in 0..200 {
        ctl.on_accepted(answer(0, f64::from(n) * 0.01, 0.1));
    }
    assert!((ctl.rate() - 30.0).abs() < 1e-9, "{}", ctl.rate());
    // Less left: it does not slow down for that, it stops growing.
    ctl.set_work_left(5);
    ctl.on_accepted(answer(0, 3.0, 0.1));
    assert!((ctl.rate() - 30.0).abs() < 1e-9, "{}", ctl.rate());
}
