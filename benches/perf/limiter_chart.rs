//! The limiter chart of `docs/performance.md`: goodput against the client's fixed rate, both as
//! shares of the limit, one line per limiter (from Q1–Q4's sweeps), so that limiters of
//! different rates share one scale; an adaptive setting measured beside a sweep (`auto`) is a
//! dashed level in its limiter's colour.

use crate::chart::{COLOURS, Frame};
use crate::limited::Sweep;

/// Room on the right for the limiters' names.
const LEGEND_WIDTH: f64 = 210.0;

pub fn svg(sweeps: &[Sweep]) -> String {
    let x_max = sweeps
        .iter()
        .flat_map(|s| s.points.iter().map(move |p| p.0 / s.limit))
        .fold(1.0_f64, f64::max)
        * 1.1;
    let y_max = sweeps
        .iter()
        .flat_map(|s| {
            s.points
                .iter()
                .map(|p| p.1)
                .chain(s.adaptive.iter().map(|a| a.1))
        })
        .fold(1.0_f64, f64::max)
        * 1.1;
    let mut frame = Frame::new(
        LEGEND_WIDTH,
        "member-sync: goodput against the client's rate, by limiter",
        "client's rate ÷ the limit",
        "goodput ÷ the limit",
        x_max,
        y_max,
    );
    frame.dashed((0.0, 1.0), (x_max, 1.0), "#999");
    frame.dashed((1.0, 0.0), (1.0, y_max), "#999");
    for (n, sweep) in sweeps.iter().enumerate() {
        let colour = COLOURS[n % COLOURS.len()];
        let points: Vec<(f64, f64)> = sweep
            .points
            .iter()
            .map(|&(rate, goodput, ..)| (rate / sweep.limit, goodput))
            .collect();
        frame.line(&points, colour);
        let (best_rate, best, _) = sweep.best();
        frame.ring((best_rate / sweep.limit, best), colour);
        frame.legend(&sweep.key, colour, false);
        for (setting, goodput) in &sweep.adaptive {
            frame.dashed((0.0, *goodput), (x_max, *goodput), colour);
            let key = sweep.key.split(' ').next().unwrap_or_default();
            frame.legend(&format!("{key} --rate {setting}"), colour, true);
        }
    }
    frame.legend("the limit", "#999", true);
    frame.legend_ring("best fixed rate", "#333");
    frame.finish()
}
