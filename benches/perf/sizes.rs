//! How big each scenario is: the full run, or the CI smoke.

use crate::limiter_sizes::LimiterSizes;
use crate::org::Workload;

pub struct Sizes {
    pub p1: Workload,
    /// P1 for groups: department groups, and members the input moves to another.
    pub p1_departments: u64,
    pub p1_movers: u64,
    /// (latency ms, workload) at `p2_rate`.
    pub p2: Vec<(u64, Workload)>,
    pub p2_rate: f64,
    pub p3: Workload,
    pub p3_latency_ms: u64,
    pub p3_limit: f64,
    pub p4: Workload,
    pub p4_limit: f64,
    pub p4_client_rate: f64,
    pub p5: Workload,
    pub p5_limit: f64,
    pub p5_latency_ms: u64,
    pub p6_rows: u64,
    /// Timed runs of each side (after one warm-up run each).
    pub p6_runs: usize,
    pub chart_limits: Vec<f64>,
    pub chart_latencies: Vec<u64>,
    /// Seconds of requests per chart point, at the limit.
    pub chart_seconds: f64,
    /// Q1–Q4.
    pub q: LimiterSizes,
}

pub const fn all_change(members: u64) -> Workload {
    Workload {
        members,
        changes: members,
        role_changes: 0,
    }
}

impl Sizes {
    pub fn full() -> Sizes {
        Sizes {
            p1: Workload {
                members: 1_000,
                changes: 50,
                role_changes: 10,
            },
            p1_departments: 150,
            p1_movers: 40,
            // Each long enough that the three round trips no pacing can hide (the first page,
            // the last page, the last write) stay within 5%.
            p2: vec![
                (50, all_change(500)),
                (150, all_change(600)),
                (500, all_change(2_000)),
            ],
            p2_rate: 50.0,
            p3: Workload {
                members: 1_000,
                changes: 50,
                role_changes: 0,
            },
            p3_latency_ms: 150,
            // Tallyfy's documented 600 requests a minute per user; the baseline's ~6/s stays
            // under it, so it is never throttled.
            p3_limit: 10.0,
            p4: all_change(1_000),
            p4_limit: 50.0,
            p4_client_rate: 60.0,
            p5: all_change(1_500),
            p5_limit: 40.0,
            p5_latency_ms: 150,
            p6_rows: 100_000,
            p6_runs: 21,
            chart_limits: vec![10.0, 30.0, 100.0],
            chart_latencies: vec![50, 150, 500],
            chart_seconds: 6.0,
            q: LimiterSizes::full(),
        }
    }

    pub fn quick() -> Sizes {
        Sizes {
            p1: Workload {
                members: 250,
                changes: 20,
                role_changes: 4,
            },
            p1_departments: 12,
            p1_movers: 5,
            p2: vec![(20, all_change(150))],
            p2_rate: 100.0,
            p3: Workload {
                members: 100,
                changes: 10,
                role_changes: 0,
            },
            p3_latency_ms: 10,
            p3_limit: 50.0,
            p4: all_change(150),
            p4_limit: 100.0,
            p4_client_rate: 120.0,
            p5: all_change(200),
            p5_limit: 60.0,
            p5_latency_ms: 10,
            p6_rows: 5_000,
            p6_runs: 1,
            chart_limits: vec![50.0, 100.0],
            chart_latencies: vec![10],
            chart_seconds: 1.0,
            q: LimiterSizes::quick(),
        }
    }
}
