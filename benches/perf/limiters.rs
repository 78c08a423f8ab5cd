//! Q1–Q4 (issue #18): goodput against rate limiters built the ways servers build them (a
//! strict token bucket, Laravel's fixed windows, two windows at once, a loose bucket whose
//! limit the client is not told), each beside a sweep of fixed client rates against the same
//! limiter in the same run: the best fixed rate in hindsight, which no client could know in
//! advance, is what the client's own setting is measured against.

use std::time::Duration;

use member_sync::sandbox::RateLimit;

use crate::limited::{Limited, Limiter, Sweep, Wanted};
use crate::limiter_sizes::{LimiterSizes, Long, WindowCase};
use crate::scenarios::{Bench, Row, rate_arg};

impl Bench<'_> {
    /// Q1: a strict bucket (burst 1) with arrival jitter, the client given the limit as its
    /// rate; on the workload (the target's row) and a longer one, where the start-up
    /// weighs less.
    pub(crate) fn q1(&mut self) -> Vec<Row> {
        let q = self.sizes.q.clone();
        let limiter = Limiter {
            label: format!(
                "strict bucket {}/s (burst 1), {} ms arrival jitter",
                q.q1_limit,
                q.q1_jitter.as_millis()
            ),
            key: format!("Q1 strict bucket {}/s", q.q1_limit),
            rate_limit: RateLimit {
                arrival_jitter: q.q1_jitter,
                ..RateLimit::strict(q.q1_limit)
            },
            latency_ms: q.latency_ms,
        };
        let [target, long] = q.q1_changes;
        let rate = q.q1_limit;
        let (sweep, mut rows) = self.sweep(&limiter, q.work(target), &q.q1_sweep, &[], &[rate]);
        let at_target = rows.remove(0);
        let best = sweep.best();
        let at_long = self.against(
            &limiter,
            q.work(long),
            &rate_arg(rate),
            &[],
            Wanted::Updated,
        );
        let best_long = self.against(
            &limiter,
            q.work(long),
            &rate_arg(best.0),
            &[],
            Wanted::Updated,
        );
        let q1_row = |run: &Limited, changes: u64, best: (f64, f64), role: &str| {
            let ratio = run.goodput / best.1.max(1e-9);
            Row {
                target: format!(
                    "Q1 {}, {} ms, {} members, {changes} changes ({role}): {}",
                    limiter.label, q.latency_ms, q.members, run.setting
                ),
                measured: format!(
                    "{}; best fixed rate in hindsight `{}`: {:.3}",
                    run.summary(),
                    rate_arg(best.0),
                    best.1
                ),
                ratio: format!(
                    "{ratio:.2} × the best fixed, {:.1}% 429",
                    run.share_429() * 100.0
                ),
                goal: "≥ 0.9 × the best fixed, ≤ 5% 429".into(),
                met: ratio >= 0.9 && run.share_429() <= 0.05,
            }
        };
        let rows = vec![
            q1_row(&at_target, target, (best.0, best.1), "the target's row"),
            q1_row(
                &at_long,
                long,
                (best.0, best_long.goodput),
                "longer: the start-up weighs less",
            ),
        ];
        self.sweeps.push(sweep);
        rows
    }

    /// Q2: Laravel's fixed window, N per second and N per 10 s, the client at the limit and
    /// 10% over it.
    pub(crate) fn q2(&mut self) -> Vec<Row> {
        let q = self.sizes.q.clone();
        let mut rows = Vec::new();
        for case in &q.q2_windows {
            rows.extend(self.q2_window(&q, case));
        }
        rows
    }

    fn q2_window(&mut self, q: &LimiterSizes, case: &WindowCase) -> Vec<Row> {
        let limiter = Limiter {
            label: format!(
                "fixed window {} per {} s",
                case.max,
                case.length.as_secs_f64()
            ),
            key: format!("Q2 window {}/{} s", case.max, case.length.as_secs_f64()),
            rate_limit: RateLimit::windows(&[(case.max, case.length)]),
            latency_ms: q.latency_ms,
        };
        let limit = limiter.limit();
        let settings = [limit, (limit * 1.1 * 10.0).round() / 10.0];
        let (sweep, runs) = self.sweep(&limiter, q.work(case.changes), &case.sweep, &[], &settings);
        let rows = runs
            .iter()
            .map(|run| Row {
                target: format!(
                    "Q2 {}, {} ms, {} changes: {}",
                    limiter.label, q.latency_ms, case.changes, run.setting
                ),
                measured: format!("{}; {}", run.summary(), sweep.describe_best()),
                ratio: format!("{:.3} of the limit", run.goodput),
                goal: "≥ 0.95 of the limit".into(),
                met: run.goodput >= 0.95,
            })
            .collect();
        self.sweeps.push(sweep);
        rows
    }

    /// Q3: two windows at once, a short one the client is told and a long one it is not,
    /// whose `Retry-After` is a long wait: waited out when `--max-wait` allows it, or the run
    /// stops with every unsent row `cancelled` and the hint when it does not.
    pub(crate) fn q3(&mut self) -> Vec<Row> {
        let q = self.sizes.q.clone();
        let Long { max, length } = q.q3_long;
        let (short_max, short_length) = q.q3_short;
        let limiter = Limiter {
            label: format!(
                "two windows, {short_max} per {} s and {max} per {} s",
                short_length.as_secs_f64(),
                length.as_secs_f64()
            ),
            key: format!(
                "Q3 {short_max}/{} s + {max}/{} s",
                short_length.as_secs_f64(),
                length.as_secs_f64()
            ),
            rate_limit: RateLimit::windows(&[(short_max, short_length), (max, length)]),
            latency_ms: q.latency_ms,
        };
        let work = q.work(q.q3_changes);
        let rate = f64::from(short_max) / short_length.as_secs_f64();
        let waits = q.q3_wait_args.clone();
        let (sweep, mut runs) = self.sweep(&limiter, work, &q.q3_sweep, &waits, &[rate]);
        let waited = runs.remove(0);
        let stopped = self.against(
            &limiter,
            work,
            &rate_arg(rate),
            &q.q3_stop_args,
            Wanted::UpdatedOrCancelled,
        );
        let rows = vec![
            self.q3_row(&limiter, &waited, length, &sweep),
            self.q3_row(&limiter, &stopped, length, &sweep),
        ];
        self.sweeps.push(sweep);
        rows
    }

    fn q3_row(&self, limiter: &Limiter, run: &Limited, long: Duration, sweep: &Sweep) -> Row {
        let outcomes = run.run.outcomes();
        let count = |outcome: &str| outcomes.get(outcome).copied().unwrap_or(0);
        let span = run.run.arrival_span();
        let windows = (span.as_secs_f64() / long.as_secs_f64()).ceil().max(1.0);
        let per_window = run.run.throttled() as f64 / windows;
        let hint = run.run.stderr.contains("--only-rows-from");
        let ended = format!(
            "{} updated, {} cancelled{}, {} failed",
            count("updated"),
            count("cancelled"),
            if count("cancelled") > 0 && hint {
                " (with the hint)"
            } else {
                ""
            },
            count("failed")
        );
        Row {
            target: format!(
                "Q3 {}, {} ms, {} changes: {}",
                limiter.label, limiter.latency_ms, sweep.changes, run.setting,
            ),
            measured: format!(
                "{ended}; {} 429s over {windows:.0} long window{}; {} sent inside an announced window; {}{}",
                run.run.throttled(),
                if windows == 1.0 { "" } else { "s" },
                run.run.violations,
                // A run that stopped at the first long window has no goodput to speak of.
                if count("cancelled") > 0 {
                    String::new()
                } else {
                    format!("goodput {:.3} of the long window's limit; ", run.goodput)
                },
                sweep.describe_best()
            ),
            ratio: format!("{per_window:.1} 429s per window"),
            goal: "every row updated (or cancelled with the hint), none failed, ≤ 2 429s per window, 0 inside a window".into(),
            met: count("failed") == 0
                && per_window <= 2.0
                && run.run.violations == 0
                && (count("cancelled") == 0 || hint),
        }
    }

    /// Q4: `--rate auto` against a loose bucket (a second's worth of burst) it is not told of.
    pub(crate) fn q4(&mut self) -> Vec<Row> {
        let q = self.sizes.q.clone();
        let limit = q.q4_limit;
        let limiter = Limiter {
            label: format!("loose bucket {limit}/s (burst {limit}), unknown to the client"),
            key: format!("Q4 loose bucket {limit}/s"),
            rate_limit: RateLimit::bucket(limit, limit as u32),
            latency_ms: q.latency_ms,
        };
        let [short, long] = q.q4_changes;
        let (mut sweep, _) = self.sweep(&limiter, q.work(short), &q.q4_sweep, &[], &[]);
        let mut rows = Vec::new();
        for (changes, goal) in [(short, 0.8), (long, 0.95)] {
            let run = self.against(&limiter, q.work(changes), "auto", &[], Wanted::Updated);
            if changes == short {
                sweep.adaptive.push(("auto".into(), run.goodput));
            }
            rows.push(Row {
                target: format!(
                    "Q4 {}, {} ms, {changes} changes: {}",
                    limiter.label, q.latency_ms, run.setting
                ),
                measured: format!(
                    "{}; {} ({} changes)",
                    run.summary(),
                    sweep.describe_best(),
                    short
                ),
                ratio: format!(
                    "{:.3} of the limit, {:.1}% 429",
                    run.goodput,
                    run.share_429() * 100.0
                ),
                goal: format!("≥ {goal} of the limit, ≤ 3% 429"),
                met: run.goodput >= goal && run.share_429() <= 0.03,
            });
        }
        self.sweeps.push(sweep);
        rows
    }
}
