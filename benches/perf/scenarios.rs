//! The scenarios behind P1–P6 and the chart, and how each figure is computed from a run
//! (Q1–Q4 are in `limiters.rs`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use member_sync::sandbox::{Faults, RateLimit, SandboxConfig, SandboxTls};

use crate::chart::Point;
use crate::limited::Sweep;
use crate::org::{Measured, Org, Workload};
use crate::sizes::{Sizes, all_change};

/// One line of the table.
pub struct Row {
    pub target: String,
    pub measured: String,
    pub ratio: String,
    pub goal: String,
    pub met: bool,
}

pub struct Bench<'a> {
    runtime: &'a tokio::runtime::Runtime,
    pub(crate) dir: &'a Path,
    pub(crate) sizes: Sizes,
    pub chart: Vec<Point>,
    /// Q1–Q4's sweeps, for their table and chart.
    pub sweeps: Vec<Sweep>,
    /// Runs against a limiter so far (each gets its own directory).
    pub limited_runs: usize,
    /// Promises broken whatever the machine: these fail the bench.
    pub broken: Vec<String>,
}

fn limited(per_second: f64, latency_ms: u64) -> SandboxConfig {
    SandboxConfig {
        latency: Duration::from_millis(latency_ms),
        faults: Faults {
            rate_limit: Some(RateLimit::new(per_second)),
            ..Faults::default()
        },
        ..SandboxConfig::default()
    }
}

/// A file of the throwaway TLS identity the tests use (`tests/fixtures/tls/`).
fn tls_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tls")
        .join(name)
}

fn test_tls() -> SandboxTls {
    let read = |name| std::fs::read(tls_fixture(name)).expect("the TLS fixtures");
    SandboxTls::from_pem(&read("server.pem"), &read("server.key")).expect("the test identity")
}

pub(crate) fn rate_arg(per_second: f64) -> String {
    format!("{per_second}/s")
}

impl<'a> Bench<'a> {
    pub fn new(runtime: &'a tokio::runtime::Runtime, dir: &'a Path, sizes: Sizes) -> Bench<'a> {
        Bench {
            runtime,
            dir,
            sizes,
            chart: Vec::new(),
            sweeps: Vec::new(),
            limited_runs: 0,
            broken: Vec::new(),
        }
    }

    /// Runs the scenarios `wanted` accepts (`P1`…`P6`, `Q1`…`Q4`, `chart`), in that order.
    pub fn run(&mut self, wanted: impl Fn(&str) -> bool) -> Vec<Row> {
        type Scenario<'a> = fn(&mut Bench<'a>) -> Vec<Row>;
        let scenarios: [(&str, Scenario<'a>); 12] = [
            ("P1", |b| vec![b.p1()]),
            ("P1g", |b| vec![b.p1_groups()]),
            ("P2", Bench::p2),
            ("P3", |b| vec![b.p3()]),
            ("P4", |b| b.p4()),
            ("P5", |b| vec![b.p5()]),
            ("P6", Bench::p6),
            ("Q1", Bench::q1),
            ("Q2", Bench::q2),
            ("Q3", Bench::q3),
            ("Q4", Bench::q4),
            ("chart", |b| {
                b.chart();
                Vec::new()
            }),
        ];
        let mut rows = Vec::new();
        for (name, scenario) in scenarios {
            if wanted(name) {
                rows.extend(scenario(self));
            }
        }
        rows
    }

    pub(crate) fn org(&self, name: &str, config: SandboxConfig, work: Workload) -> Org {
        eprintln!("bench: {name}");
        Org::start(self.runtime, self.dir, name, config, work)
    }

    /// Records what must hold on any machine: a clean exit, every row converged, no request
    /// inside an announced Retry-After window, and (without faults) exactly the minimal
    /// requests.
    pub(crate) fn check(&mut self, name: &str, org: &Org, run: &Measured, exact: bool) {
        if run.code != 0 {
            self.broken
                .push(format!("{name}: exit {} ({})", run.code, run.stderr.trim()));
        }
        let unconverged = org.unconverged();
        if unconverged > 0 {
            self.broken.push(format!(
                "{name}: {unconverged} members not in the wanted state"
            ));
        }
        if run.violations > 0 {
            self.broken
                .push(format!("{name}: {} pacing violations", run.violations));
        }
        if exact && run.requests() != org.work.minimal_requests() {
            self.broken.push(format!(
                "{name}: {} requests, expected {}",
                run.requests(),
                org.work.minimal_requests()
            ));
        }
    }

    fn p1(&mut self) -> Row {
        let work = self.sizes.p1;
        let org = self.org("P1 minimal requests", SandboxConfig::default(), work);
        let run = org.apply("200/s", &[]);
        self.check("P1", &org, &run, true);
        let minimal = work.minimal_requests();
        Row {
            target: format!(
                "P1 minimal requests ({} rows, {} changes + {} role changes, {} pages)",
                work.members,
                work.changes,
                work.role_changes,
                work.pages()
            ),
            measured: format!("{} requests sent (minimal: {minimal})", run.requests()),
            ratio: format!("{:.3}", run.requests() as f64 / minimal as f64),
            goal: "= 1 exactly".into(),
            met: run.requests() == minimal,
        }
    }

    /// P2 at each latency over plain HTTP, then once more at the middle latency over HTTPS
    /// with HTTP/2 offered, as Tallyfy is reached: the same target, over far fewer connections.
    fn p2(&mut self) -> Vec<Row> {
        let cases = self.sizes.p2.clone();
        let mut rows: Vec<Row> = cases
            .iter()
            .map(|&(latency, work)| self.p2_at(latency, work, None))
            .collect();
        let (latency, work) = cases[cases.len() / 2];
        rows.push(self.p2_at(latency, work, Some(test_tls())));
        rows
    }

    fn p2_at(&mut self, latency: u64, work: Workload, tls: Option<SandboxTls>) -> Row {
        let rate = self.sizes.p2_rate;
        let https = tls.is_some();
        let over = if https { " over HTTPS" } else { "" };
        let name = format!("P2 saturation at {latency} ms{over}");
        let config = SandboxConfig {
            tls,
            ..limited(rate, latency)
        };
        let org = self.org(&name, config, work);
        let ca = tls_fixture("ca.pem");
        let ca_cert = ["--ca-cert", ca.to_str().expect("a UTF-8 path")];
        let run = org.apply(&rate_arg(rate), if https { &ca_cert } else { &[] });
        self.check(&name, &org, &run, true);
        let ideal = run.requests() as f64 / rate;
        let ratio = run.wall.as_secs_f64() / ideal;
        let http2 = if https {
            format!(", HTTP/2 on {}", run.http2_connections)
        } else {
            String::new()
        };
        Row {
            target: format!(
                "P2 saturation{over}, {latency} ms latency, limit {rate}/s, concurrency auto ({})",
                concurrency_used(&run)
            ),
            measured: format!(
                "{:.2} s for {} requests on {} connection{}{http2} (requests ÷ rate = {ideal:.2} s)",
                run.wall.as_secs_f64(),
                run.requests(),
                run.connections,
                if run.connections == 1 { "" } else { "s" }
            ),
            ratio: format!("{ratio:.3}"),
            goal: "≤ 1.05".into(),
            met: ratio <= 1.05,
        }
    }

    fn p3(&mut self) -> Row {
        let (work, latency, limit) = (self.sizes.p3, self.sizes.p3_latency_ms, self.sizes.p3_limit);
        let ours = self.org("P3 member-sync", limited(limit, latency), work);
        let run = ours.apply(&rate_arg(limit), &[]);
        self.check("P3 member-sync", &ours, &run, true);
        let theirs = self.org("P3 sequential script", limited(limit, latency), work);
        let baseline = theirs.baseline();
        if baseline.code != 0 || theirs.unconverged() > 0 {
            self.broken.push(format!(
                "P3 baseline: exit {}, {} members not converged ({})",
                baseline.code,
                theirs.unconverged(),
                baseline.stderr.trim()
            ));
        }
        let ratio = baseline.wall.as_secs_f64() / run.wall.as_secs_f64();
        Row {
            target: format!(
                "P3 against a sequential per-row script ({} rows, {} changes, {latency} ms, limit {limit}/s)",
                work.members, work.changes
            ),
            measured: format!(
                "{:.2} s, {} requests vs {:.2} s, {} requests",
                run.wall.as_secs_f64(),
                run.requests(),
                baseline.wall.as_secs_f64(),
                baseline.requests()
            ),
            ratio: format!("{ratio:.1}× faster"),
            goal: "≥ 20×".into(),
            met: ratio >= 20.0,
        }
    }

    fn p5(&mut self) -> Row {
        let (work, limit, latency) = (self.sizes.p5, self.sizes.p5_limit, self.sizes.p5_latency_ms);
        let org = self.org("P5 --rate auto", limited(limit, latency), work);
        let run = org.apply("auto", &[]);
        self.check("P5", &org, &run, false);
        let share_429 = run.throttled() as f64 / run.requests() as f64;
        // The converged rate: admitted requests a second over the second half of the run.
        let end = run.journal.iter().map(|e| e.at).max().unwrap_or_default();
        let start = run.journal.iter().map(|e| e.at).min().unwrap_or_default();
        let half = start + (end - start) / 2;
        let late = run.count(|e| e.at >= half && e.status != 429);
        let steady = late as f64 / (end - half).as_secs_f64().max(1e-9);
        let whole = (run.requests() - run.throttled()) as f64 / run.wall.as_secs_f64();
        Row {
            target: format!(
                "P5 `--rate auto` against an unknown {limit}/s limit ({latency} ms, {} requests)",
                run.requests()
            ),
            measured: format!(
                "second half {steady:.1}/s (whole run {whole:.1}/s from 1.5/s); {} of {} answered 429",
                run.throttled(),
                run.requests()
            ),
            ratio: format!(
                "{:.3} of the limit, {:.1}% 429",
                steady / limit,
                share_429 * 100.0
            ),
            goal: "≥ 0.90, ≤ 3% 429".into(),
            met: steady >= 0.9 * limit && share_429 <= 0.03,
        }
    }

    /// Throughput (all requests ÷ wall time) at each limit and latency, the client paced at
    /// the limit with automatic concurrency.
    fn chart(&mut self) {
        let (limits, latencies) = (
            self.sizes.chart_limits.clone(),
            self.sizes.chart_latencies.clone(),
        );
        for &latency in &latencies {
            for &limit in &limits {
                let members = ((limit * self.sizes.chart_seconds) as u64).max(10);
                let name = format!("chart {limit}/s at {latency} ms");
                let org = self.org(&name, limited(limit, latency), all_change(members));
                let run = org.apply(&rate_arg(limit), &[]);
                self.check(&name, &org, &run, true);
                self.chart.push(Point {
                    limit,
                    latency_ms: latency,
                    throughput: run.requests() as f64 / run.wall.as_secs_f64(),
                });
            }
        }
    }
}

/// The concurrency the run chose, from its log line.
fn concurrency_used(run: &Measured) -> String {
    run.stderr
        .split("concurrency=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or("?")
        .to_string()
}
