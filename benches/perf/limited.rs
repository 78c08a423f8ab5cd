//! The client against one limiter (a run, a sweep of fixed rates), as Q1–Q4 measure it: every
//! figure is goodput ([`crate::org::Measured::accepted_per_second`]) divided by the limit's
//! sustained rate, and every run is checked for what holds on any machine: no request sent
//! inside a window the server announced, no row `failed`, every row in its wanted state.

use std::time::Duration;

use member_sync::sandbox::{Faults, RateLimit, SandboxConfig};

use crate::org::{Measured, Workload};
use crate::scenarios::{Bench, rate_arg};

/// One limiter the client meets, as the sandbox runs it.
#[derive(Clone)]
pub struct Limiter {
    /// How the tables name it.
    pub label: String,
    /// How the chart's legend names it, in a few words.
    pub key: String,
    pub rate_limit: RateLimit,
    pub latency_ms: u64,
}

impl Limiter {
    /// The sustained rate: the bucket's refill, or the tightest window's count ÷ length.
    pub fn limit(&self) -> f64 {
        self.rate_limit.model.sustained_per_second()
    }

    fn config(&self) -> SandboxConfig {
        SandboxConfig {
            latency: Duration::from_millis(self.latency_ms),
            faults: Faults {
                rate_limit: Some(self.rate_limit.clone()),
                ..Faults::default()
            },
            ..SandboxConfig::default()
        }
    }
}

/// What a run must end as, whatever the machine.
#[derive(Clone, Copy, PartialEq)]
pub enum Wanted {
    /// Exit 0, every change `updated`.
    Updated,
    /// Every change `updated`, or `cancelled` with the hint to re-run the rest (a wait longer
    /// than `--max-wait` stops the run).
    UpdatedOrCancelled,
}

/// One run of the client against a limiter, as the server saw it.
pub struct Limited {
    /// The client's setting: `--rate 20/s`, `--rate auto`.
    pub setting: String,
    pub run: Measured,
    /// Goodput ÷ the limit.
    pub goodput: f64,
}

impl Limited {
    pub fn share_429(&self) -> f64 {
        self.run.throttled() as f64 / self.run.requests().max(1) as f64
    }

    /// "0.93 of the limit (105 accepted in 5.61 s), 2 429s of 112 (1.8%)".
    pub fn summary(&self) -> String {
        let span = self.run.arrival_span();
        format!(
            "goodput {:.3} of the limit ({} accepted in {:.2} s); {} 429s of {} requests ({:.1}%)",
            self.goodput,
            self.run.requests() - self.run.throttled(),
            span.as_secs_f64(),
            self.run.throttled(),
            self.run.requests(),
            self.share_429() * 100.0
        )
    }
}

/// Fixed client rates against one limiter, and the best of them.
pub struct Sweep {
    pub label: String,
    pub key: String,
    pub limit: f64,
    pub changes: u64,
    /// (client rate, goodput ÷ limit, 429s, requests), by rate.
    pub points: Vec<(f64, f64, u64, u64)>,
    /// The adaptive settings measured beside it (`auto`): (setting, goodput ÷ limit).
    pub adaptive: Vec<(String, f64)>,
}

impl Sweep {
    /// The best fixed rate in hindsight: (rate, goodput ÷ limit, 429s).
    pub fn best(&self) -> (f64, f64, u64) {
        self.points
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|&(rate, goodput, throttled, _)| (rate, goodput, throttled))
            .unwrap_or_default()
    }

    pub fn describe_best(&self) -> String {
        let (rate, goodput, throttled) = self.best();
        format!(
            "best fixed rate in hindsight `{}`: {goodput:.3}, {throttled} 429s",
            rate_arg(rate)
        )
    }
}

impl Bench<'_> {
    /// `member-sync apply --rate RATE` against a fresh sandbox running `limiter`, checked.
    pub(crate) fn against(
        &mut self,
        limiter: &Limiter,
        work: Workload,
        rate: &str,
        extra: &[String],
        wanted: Wanted,
    ) -> Limited {
        let setting = std::iter::once(format!("--rate {rate}"))
            .chain(extra.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        self.limited_runs += 1;
        // Numbered: the same setting may meet the same limiter twice (a row and a sweep).
        let name = format!(
            "{} run {}, {} changes, {setting}",
            limiter.key, self.limited_runs, work.changes
        );
        let org = self.org(&name, limiter.config(), work);
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        let run = org.apply(rate, &extra);
        self.check_limited(&name, &run, org.unconverged(), wanted);
        Limited {
            setting: format!("`{setting}`"),
            goodput: run.accepted_per_second() / limiter.limit(),
            run,
        }
    }

    /// The promises of issue #18 that hold on any machine.
    fn check_limited(&mut self, name: &str, run: &Measured, unconverged: usize, wanted: Wanted) {
        if run.violations > 0 {
            self.broken.push(format!(
                "{name}: {} requests sent inside a window the server had announced",
                run.violations
            ));
        }
        let outcomes = run.outcomes();
        let count = |outcome: &str| outcomes.get(outcome).copied().unwrap_or(0);
        if count("failed") > 0 {
            self.broken
                .push(format!("{name}: {} rows failed", count("failed")));
        }
        // Failed rows are counted above; cancelled ones are wanted only of a run that may stop.
        let expected = |outcome: &str| match outcome {
            "updated" | "unchanged" | "failed" => true,
            "cancelled" => wanted == Wanted::UpdatedOrCancelled,
            _ => false,
        };
        let stray: Vec<String> = outcomes
            .iter()
            .filter(|(outcome, _)| !expected(outcome))
            .map(|(outcome, n)| format!("{n} {outcome}"))
            .collect();
        if !stray.is_empty() {
            self.broken
                .push(format!("{name}: rows ended {}", stray.join(", ")));
        }
        let stopped = count("cancelled") > 0;
        if stopped && !run.stderr.contains("--only-rows-from") {
            self.broken.push(format!(
                "{name}: rows cancelled without the hint to re-run them ({})",
                run.stderr.trim()
            ));
        }
        if !stopped && (run.code != 0 || unconverged > 0) {
            self.broken.push(format!(
                "{name}: exit {}, {unconverged} members not in the wanted state ({})",
                run.code,
                run.stderr.trim()
            ));
        }
    }

    /// Each fixed rate of `rates` against `limiter`; the runs at `keep` are handed back too, so
    /// that a row and a point of the sweep are one run.
    pub(crate) fn sweep(
        &mut self,
        limiter: &Limiter,
        work: Workload,
        rates: &[f64],
        extra: &[String],
        keep: &[f64],
    ) -> (Sweep, Vec<Limited>) {
        let mut sweep = Sweep {
            label: limiter.label.clone(),
            key: limiter.key.clone(),
            limit: limiter.limit(),
            changes: work.changes,
            points: Vec::new(),
            adaptive: Vec::new(),
        };
        let mut kept = Vec::new();
        for &rate in rates {
            let run = self.against(limiter, work, &rate_arg(rate), extra, Wanted::Updated);
            sweep
                .points
                .push((rate, run.goodput, run.run.throttled(), run.run.requests()));
            if keep.contains(&rate) {
                kept.push(run);
            }
        }
        (sweep, kept)
    }
}
