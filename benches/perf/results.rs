//! What a run prints and writes: the table of targets (with the machine, the command and the
//! binary measured), the throughput table and the limiter sweeps, `results.md`, and the charts
//! `throughput.svg` and `limiters.svg` (each only when its scenarios ran).

use std::fmt::Write as _;
use std::path::Path;

use crate::scenarios::{Bench, Row, rate_arg};
use crate::{chart, limited, limiter_chart};

pub fn table(header: &str, quick: bool, rows: &[Row], bench: &Bench) -> String {
    let mut table = format!("{header}\n");
    if quick {
        let _ = writeln!(
            table,
            "Smoke run: sizes far too small to judge the targets; only the promises that hold on\nany machine are checked (exact requests, convergence, no request inside an announced\nwindow, no row failed).\n"
        );
    }
    let _ = writeln!(table, "| target | measured | ratio | goal | met |");
    let _ = writeln!(table, "|---|---|---|---|---|");
    for row in rows {
        let _ = writeln!(
            table,
            "| {} | {} | {} | {} | {} |",
            row.target,
            row.measured,
            row.ratio,
            row.goal,
            if row.met { "yes" } else { "**no**" }
        );
    }
    if !bench.chart.is_empty() {
        throughput_table(&mut table, &bench.chart);
    }
    if !bench.sweeps.is_empty() {
        sweep_table(&mut table, &bench.sweeps);
    }
    table
}

/// `results.md`, and the charts of the scenarios that ran.
pub fn write(out: &Path, table: &str, bench: &Bench) {
    let mut written = vec![out.join("results.md")];
    std::fs::write(&written[0], table).expect("results.md");
    if !bench.chart.is_empty() {
        let svg = chart::svg(
            &bench.chart,
            "member-sync: throughput against the rate limit",
        );
        written.push(out.join("throughput.svg"));
        std::fs::write(out.join("throughput.svg"), svg).expect("throughput.svg");
    }
    if !bench.sweeps.is_empty() {
        written.push(out.join("limiters.svg"));
        std::fs::write(out.join("limiters.svg"), limiter_chart::svg(&bench.sweeps))
            .expect("limiters.svg");
    }
    let written: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    eprintln!("wrote {}", written.join(", "));
}

fn throughput_table(table: &mut String, chart: &[chart::Point]) {
    let _ = writeln!(
        table,
        "\nThroughput (all requests ÷ wall time, client paced at the limit, concurrency auto):\n"
    );
    let _ = writeln!(table, "| limit | latency | requests/s | of the limit |");
    let _ = writeln!(table, "|---|---|---|---|");
    for point in chart {
        let _ = writeln!(
            table,
            "| {}/s | {} ms | {:.1} | {:.3} |",
            point.limit,
            point.latency_ms,
            point.throughput,
            point.throughput / point.limit
        );
    }
}

/// Q1–Q4's sweeps: every fixed rate tried against each limiter, the best one marked.
fn sweep_table(table: &mut String, sweeps: &[limited::Sweep]) {
    let _ = writeln!(
        table,
        "\nSweeps (goodput ÷ the limit at fixed client rates, same limiter, same run; best in bold):\n"
    );
    let _ = writeln!(
        table,
        "| limiter | changes | client rate | goodput | 429s of requests |"
    );
    let _ = writeln!(table, "|---|---|---|---|---|");
    for sweep in sweeps {
        let (best, ..) = sweep.best();
        for &(rate, goodput, throttled, requests) in &sweep.points {
            let bold = if rate == best { "**" } else { "" };
            let _ = writeln!(
                table,
                "| {} | {} | `{}` | {bold}{goodput:.3}{bold} | {throttled} of {requests} |",
                sweep.label,
                sweep.changes,
                rate_arg(rate)
            );
        }
        for (setting, goodput) in &sweep.adaptive {
            let _ = writeln!(
                table,
                "| {} | {} | `{setting}` | {goodput:.3} | |",
                sweep.label, sweep.changes
            );
        }
    }
}

/// Cores, CPU model and kernel, for the table's header.
pub fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, model)| model.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|k| k.trim().to_string())
        .unwrap_or_default();
    format!("{cores} cores, {cpu}, Linux {kernel}")
}
