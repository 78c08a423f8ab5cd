//! The performance benchmark of issues #6 and #18: P1–P6 and the limiter rows Q1–Q4, measured
//! side by side in one run.
//!
//! Each scenario starts the sandbox in this process on 127.0.0.1 (generated members, the
//! latency, rate limit and faults it needs), writes the input, and runs the release binary,
//! built as users build it (`binary.rs`), against it as a user would. Times are the wall clock around the process; request counts,
//! 429s and arrival times come from the sandbox's journal, not from the tool's own summary.
//! The sequential baseline of P3 is `benches/sequential_baseline.py` (stdlib only).
//!
//! ```sh
//! cargo bench --bench perf                 # the full run, about 6.5 minutes on 2 cores
//! cargo bench --bench perf -- --out DIR    # where results.md and the charts go
//! cargo test --bench perf -- --quick       # the CI smoke: tiny sizes, seconds
//! cargo bench --bench perf -- --only P4,Q1 # some scenarios only (P1…P6, Q1…Q4, chart)
//! cargo bench --bench perf -- --keep       # keep the generated inputs, reports and journals
//! ```
//!
//! Timings are printed, never asserted. What makes the process exit non-zero is a broken
//! promise that does not depend on the machine: a request count different from
//! changes + role changes + pages (P1), a row not converged, a failed run or row, a request
//! inside a window the server announced, a binary built with tokio's `test-util`.

mod binary;
mod chart;
mod fault_mix;
mod limited;
mod limiter_chart;
mod limiter_sizes;
mod limiters;
mod local;
mod org;
mod scenarios;
mod sizes;

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let out = args
        .iter()
        .position(|a| a == "--out")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/perf"));
    std::fs::create_dir_all(&out).expect("the output directory");
    let only: Option<Vec<String>> = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(|list| list.split(',').map(|s| s.trim().to_uppercase()).collect());
    let mut scratch = tempfile::tempdir().expect("a scratch directory");
    if args.iter().any(|a| a == "--keep") {
        scratch.disable_cleanup(true);
        eprintln!(
            "bench: keeping the scenarios' files in {}",
            scratch.path().display()
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime for the sandbox");

    let built = match binary::build(!quick) {
        Ok(built) if !built.has_test_util() => built,
        Ok(built) => {
            eprintln!(
                "BROKEN: the binary measured is not the users' one: {}",
                built.describe()
            );
            std::process::exit(1);
        }
        Err(problem) => {
            eprintln!("BROKEN: {problem}");
            std::process::exit(1);
        }
    };
    let sizes = if quick {
        sizes::Sizes::quick()
    } else {
        sizes::Sizes::full()
    };
    let mut bench = scenarios::Bench::new(&runtime, scratch.path(), sizes);
    let rows = bench.run(|name| {
        only.as_ref()
            .is_none_or(|only| only.iter().any(|o| *o == name.to_uppercase()))
    });

    let mut table = String::new();
    let _ = writeln!(
        table,
        "Machine: {}\nCommand: `{}`\nBinary: {}\n",
        machine(),
        if quick {
            "cargo test --bench perf -- --quick"
        } else {
            "cargo bench --bench perf"
        },
        built.describe()
    );
    if quick {
        let _ = writeln!(
            table,
            "Smoke run: sizes far too small to judge the targets; only the promises that hold on\nany machine are checked (exact requests, convergence, no pacing violation).\n"
        );
    }
    let _ = writeln!(table, "| target | measured | ratio | goal | met |");
    let _ = writeln!(table, "|---|---|---|---|---|");
    for row in &rows {
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
    print!("{table}");
    let mut written = vec![out.join("results.md")];
    std::fs::write(&written[0], &table).expect("results.md");
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

    if !bench.broken.is_empty() {
        for problem in &bench.broken {
            eprintln!("BROKEN: {problem}");
        }
        std::process::exit(1);
    }
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
                scenarios::rate_arg(rate)
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
fn machine() -> String {
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
