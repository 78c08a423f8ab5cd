//! P6: the local overhead of planning, offline (`plan --against`), against Python parsing the
//! same CSV, with wall time and peak memory read from outside the process.

use crate::org::{Workload, member_sync, write_input, write_members_json};
use crate::scenarios::{Bench, Row};

impl Bench<'_> {
    pub(crate) fn p6(&mut self) -> Vec<Row> {
        let n = self.sizes.p6_rows;
        eprintln!("bench: P6 planning {n} rows against {n} members");
        let dir = self.dir.join("p6");
        std::fs::create_dir_all(&dir).unwrap();
        let (input, members) = (dir.join("input.csv"), dir.join("members.json"));
        write_input(
            &input,
            Workload {
                members: n,
                changes: n / 20,
                role_changes: n / 100,
            },
        );
        write_members_json(&members, n);
        // The two files were just written: their pages go to disk now, not while the runs
        // are timed (the kernel's writeback takes a core from whichever side it lands on).
        let _ = std::process::Command::new("sync").status();
        let plan = |report: &std::path::Path| {
            let mut ours = member_sync();
            ours.arg("plan")
                .arg(&input)
                .arg("--against")
                .arg(&members)
                .arg("--report")
                .arg(report)
                .args(["--quiet", "--no-progress"]);
            ours
        };
        let mut python = std::process::Command::new(python_interpreter());
        python
            .args([
                "-c",
                "import csv, sys; sum(1 for _ in csv.reader(open(sys.argv[1], newline='')))",
            ])
            .arg(&input);
        // One run of each to warm the page cache (the binary, Python's standard library, the
        // two files), then both in turn, so a busy moment of the shared machine hits both:
        // the medians are compared.
        let runs = self.sizes.p6_runs;
        let (mut ours_s, mut python_s, mut ours_kb) = (Vec::new(), Vec::new(), 0);
        for run in 0..=runs {
            let report = dir.join(format!("report-{run}.csv"));
            let (seconds, kb, code) = timed_with_peak_rss(&plan(&report));
            if code != 0 {
                self.broken.push(format!("P6: plan exited {code}"));
            }
            let (python_seconds, _, _) = timed_with_peak_rss(&python);
            if run > 0 {
                ours_s.push(seconds);
                python_s.push(python_seconds);
                ours_kb = ours_kb.max(kb);
            }
        }
        // How often the run just after ours (Python's) took longer: the spread, beside the
        // medians.
        let faster = ours_s.iter().zip(&python_s).filter(|(o, p)| o < p).count();
        let (ours_s, python_s) = (median(&mut ours_s), median(&mut python_s));
        let mb = ours_kb as f64 / 1024.0;
        vec![
            Row {
                target: format!(
                    "P6 local overhead: `plan --against`, {n} rows vs {n} members (2 cores)"
                ),
                measured: format!("{ours_s:.3} s (median of {runs}), peak RSS {mb:.0} MB"),
                ratio: format!("{:.2} of 2 s, {:.2} of 300 MB", ours_s / 2.0, mb / 300.0),
                goal: "≤ 2 s, ≤ 300 MB".into(),
                met: ours_s <= 2.0 && mb <= 300.0,
            },
            Row {
                target: "P6 against Python merely parsing the same CSV (`csv.reader`)".into(),
                measured: format!(
                    "{ours_s:.3} s vs {python_s:.3} s (medians of {runs}, run in turn; faster in {faster} of the {runs} pairs)"
                ),
                ratio: format!("{:.2}× Python's time", ours_s / python_s),
                goal: "< 1".into(),
                met: ours_s < python_s,
            },
        ]
    }
}

/// The interpreter `python3` runs, by its own path: a version manager's `python3` on PATH
/// (pyenv's shim is a shell script) would add its start to Python's time.
fn python_interpreter() -> std::path::PathBuf {
    std::process::Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|path| path.trim().to_string())
        .filter(|path| !path.is_empty())
        .map_or_else(|| "python3".into(), std::path::PathBuf::from)
}

/// The middle value (the lower of the two middle ones for an even count).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values
        .get(values.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or(f64::NAN)
}

/// Wall seconds and peak RSS (KiB) of a child process, read with `getrusage` by a few lines
/// of Python (the standard library has it; Rust's does not).
fn timed_with_peak_rss(command: &std::process::Command) -> (f64, u64, i32) {
    const WRAPPER: &str = "import resource, subprocess, sys, time\n\
        t = time.perf_counter()\n\
        code = subprocess.run(sys.argv[1:]).returncode\n\
        print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)";
    let mut wrapped = std::process::Command::new("python3");
    wrapped
        .args(["-c", WRAPPER])
        .arg(command.get_program())
        .args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => wrapped.env(key, value),
            None => wrapped.env_remove(key),
        };
    }
    let output = wrapped.output().expect("python3 runs");
    let text = String::from_utf8_lossy(&output.stdout);
    let mut parts = text.split_whitespace();
    let seconds = parts
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(f64::NAN);
    let kib = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let code = parts.next().and_then(|s| s.parse().ok()).unwrap_or(-1);
    (seconds, kib, code)
}
