//! How big each limiter scenario (Q1–Q4) is: the full run, and the CI smoke's tiny version.
//!
//! The full sizes are the (1,000 members, 100 changes, 100 ms latency, 20/s), plus the
//! longer workloads the targets name; the sweeps are as few points as show the curve's top,
//! so that Q1–Q4 together take minutes, not tens of minutes.

use std::time::Duration;

use crate::org::Workload;

/// A fixed window of Q2, the workload it is met with, and the rates swept against it (the
/// limit and 10% over it among them: those two runs are the rows).
#[derive(Clone)]
pub struct WindowCase {
    pub max: u32,
    pub length: Duration,
    pub changes: u64,
    pub sweep: Vec<f64>,
}

/// Q3's long window.
#[derive(Clone, Copy)]
pub struct Long {
    pub max: u32,
    pub length: Duration,
}

#[derive(Clone)]
pub struct LimiterSizes {
    pub members: u64,
    pub latency_ms: u64,
    pub q1_limit: f64,
    pub q1_jitter: Duration,
    /// The target's workload, then the longer one.
    pub q1_changes: [u64; 2],
    /// Fixed rates swept on the target's workload; the limit among them (that run is the row).
    pub q1_sweep: Vec<f64>,
    pub q2_windows: Vec<WindowCase>,
    /// (max, length) of the window the client is told of.
    pub q3_short: (u32, Duration),
    pub q3_long: Long,
    pub q3_changes: u64,
    /// Fixed rates swept, the short window's rate among them (that run is the waiting row).
    pub q3_sweep: Vec<f64>,
    /// The client's flags when a long wait is to be waited out, and when it is to stop the run.
    pub q3_wait_args: Vec<String>,
    pub q3_stop_args: Vec<String>,
    pub q4_limit: f64,
    /// The two workloads of the target (≥ 0.8 over the first, ≥ 0.95 over the second).
    pub q4_changes: [u64; 2],
    pub q4_sweep: Vec<f64>,
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|a| a.to_string()).collect()
}

impl LimiterSizes {
    pub fn full() -> LimiterSizes {
        LimiterSizes {
            members: 1_000,
            latency_ms: 100,
            q1_limit: 20.0,
            q1_jitter: Duration::from_millis(20),
            q1_changes: [100, 400],
            q1_sweep: vec![10.0, 12.0, 14.0, 16.0, 18.0, 20.0],
            q2_windows: vec![
                WindowCase {
                    max: 20,
                    length: Duration::from_secs(1),
                    changes: 100,
                    sweep: vec![16.0, 18.0, 19.0, 20.0, 22.0],
                },
                // 310 requests: the run crosses a window's end at the limit.
                WindowCase {
                    max: 200,
                    length: Duration::from_secs(10),
                    changes: 300,
                    sweep: vec![16.0, 18.0, 19.0, 20.0, 22.0],
                },
            ],
            // Tallyfy's proportions (a short window and a long one about ten times its
            // count), scaled down in time: about 35 s of requests at the long window's pace,
            // each long window announcing a wait of about 4 s.
            q3_short: (10, Duration::from_secs(1)),
            q3_long: Long {
                max: 60,
                length: Duration::from_secs(10),
            },
            q3_changes: 200,
            q3_sweep: vec![6.0, 8.0, 10.0],
            q3_wait_args: args(&["--max-wait", "60s"]),
            q3_stop_args: args(&["--max-wait", "2s"]),
            q4_limit: 50.0,
            q4_changes: [100, 2_000],
            q4_sweep: vec![40.0, 45.0, 50.0, 55.0],
        }
    }

    pub fn quick() -> LimiterSizes {
        LimiterSizes {
            members: 200,
            latency_ms: 10,
            q1_limit: 50.0,
            q1_jitter: Duration::from_millis(5),
            q1_changes: [20, 40],
            q1_sweep: vec![25.0, 50.0],
            q2_windows: vec![WindowCase {
                max: 50,
                length: Duration::from_secs(1),
                changes: 60,
                sweep: vec![50.0, 55.0],
            }],
            q3_short: (10, Duration::from_secs(1)),
            q3_long: Long {
                max: 20,
                length: Duration::from_secs(4),
            },
            q3_changes: 30,
            q3_sweep: vec![10.0],
            q3_wait_args: args(&["--max-wait", "60s"]),
            q3_stop_args: args(&["--max-wait", "1s"]),
            q4_limit: 100.0,
            q4_changes: [50, 200],
            q4_sweep: vec![100.0],
        }
    }

    /// `changes` title changes among this size's members (at least as many members).
    pub fn work(&self, changes: u64) -> Workload {
        Workload {
            members: self.members.max(changes),
            changes,
            role_changes: 0,
        }
    }
}
