//! P4: goodput under the sandbox's fault mix (10% 5xx, 429 bursts), measured under both
//! models of where Tallyfy's throttle sits, since the reference cannot say which is true.

use std::time::Duration;

use member_sync::sandbox::{
    Fault, Faults, JournalEntry, RateLimit, RetryAfterForm, SandboxConfig, ThrottleSeat,
};

use crate::scenarios::{Bench, Row, rate_arg};

impl Bench<'_> {
    /// P4 twice, because the reference cannot say where Tallyfy's throttle sits: at the edge
    /// (every admitted request spends the limit, the sandbox's default and the stricter
    /// reading), and in the application as Laravel's `throttle:api` is (the 502s and 503s are
    /// answered before it and spend nothing).
    pub(crate) fn p4(&mut self) -> Vec<Row> {
        vec![
            self.p4_with(ThrottleSeat::Edge),
            self.p4_with(ThrottleSeat::Application),
        ]
    }

    fn p4_with(&mut self, seat: ThrottleSeat) -> Row {
        let (work, limit) = (self.sizes.p4, self.sizes.p4_limit);
        let rate_limit = RateLimit {
            retry_after: RetryAfterForm::Mixed,
            seat,
            ..RateLimit::new(limit)
        };
        let burst = f64::from(rate_limit.burst());
        let config = SandboxConfig {
            latency: Duration::from_millis(5),
            faults: Faults {
                jitter: Duration::from_millis(20),
                server_errors: 0.10,
                rate_limit: Some(rate_limit),
                seed: 6,
                ..Faults::default()
            },
            ..SandboxConfig::default()
        };
        let (name, seat_text) = match seat {
            ThrottleSeat::Edge => (
                "P4 fault mix",
                "the throttle at the edge: every 5xx spends it",
            ),
            ThrottleSeat::Application => (
                "P4 fault mix, throttle in the application",
                "the throttle in the application: 502s and 503s spend nothing",
            ),
        };
        let org = self.org(name, config, work);
        let run = org.apply(
            &rate_arg(self.sizes.p4_client_rate),
            &["--max-retries", "8"],
        );
        self.check(name, &org, &run, false);

        // What spends the limit: every admitted request, but the 502s and 503s answered before
        // the throttle when it is the application's.
        let spends = |e: &JournalEntry| {
            e.status != 429 && !(seat == ThrottleSeat::Application && matches!(e.status, 502 | 503))
        };
        let goodput = run.good() as f64 / run.wall.as_secs_f64();
        let unspent = run.unspent(limit, burst, spends);
        let bound = limit * run.good() as f64 / run.count(spends) as f64;
        Row {
            target: format!(
                "{name} (10% 5xx, 429 bursts: client {}/s against a {limit}/s limit, {seat_text})",
                self.sizes.p4_client_rate
            ),
            measured: format!(
                "{} good answers in {:.2} s = {goodput:.1}/s; {} 429s, {} 5xx retried ({} of them 502 or 503); nothing lost; capacity unspent: {unspent:.0} requests ({:.2} s); retries alone took the last {:.2} s",
                run.good(),
                run.wall.as_secs_f64(),
                run.throttled(),
                run.count(|e| matches!(e.fault, Some(Fault::ServerError(_)))),
                run.count(|e| matches!(e.status, 502 | 503)),
                unspent / limit,
                run.retry_tail().as_secs_f64(),
            ),
            ratio: format!(
                "{:.3} of the limit ({:.3} of the {bound:.1}/s the failures leave)",
                goodput / limit,
                goodput / bound
            ),
            // Issue #18 reframed the target: 0.9 × the limit is the ceiling itself when 10% of
            // what the limit admits fails, so the target is a share of that ceiling; the old
            // goal is still reported.
            goal: format!(
                "≥ 0.97 of what the failures leave (the old ≥ 0.9 × rate: {})",
                if goodput >= 0.9 * limit {
                    "met"
                } else {
                    "not met"
                }
            ),
            met: goodput >= 0.97 * bound,
        }
    }
}
