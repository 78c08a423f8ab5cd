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
//! cargo bench --bench perf -- --only P4,Q1 # some scenarios only (P1, P1g, P2…P6, Q1…Q4, chart)
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
mod groups;
mod limited;
mod limiter_chart;
mod limiter_sizes;
mod limiters;
mod local;
mod org;
mod results;
mod scenarios;
mod sizes;

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

    let built = users_binary(quick);
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
    let command = if quick {
        "cargo test --bench perf -- --quick"
    } else {
        "cargo bench --bench perf"
    };
    let header = format!(
        "Machine: {}\nCommand: `{command}`\nBinary: {}\n",
        results::machine(),
        built.describe()
    );
    let table = results::table(&header, quick, &rows, &bench);
    print!("{table}");
    results::write(&out, &table, &bench);

    if !bench.broken.is_empty() {
        for problem in &bench.broken {
            eprintln!("BROKEN: {problem}");
        }
        std::process::exit(1);
    }
}

/// The binary as users build it, or the bench stops here: every figure would be of another
/// program.
fn users_binary(quick: bool) -> &'static binary::Built {
    match binary::build(!quick) {
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
    }
}
