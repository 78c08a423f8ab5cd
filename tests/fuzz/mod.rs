//! A mutation fuzz of `validate` (issue #16): real exports as CSV, as UTF-16 and as XLSX (and
//! as ODS and XLS, which the same reader takes), mutated ([`mutate`]: bytes flipped, cut, truncated, ranges duplicated; a workbook's XML
//! parts mutated and the package rebuilt), then read and validated. No input may panic, abort
//! or hang.
//!
//! Most inputs run in process, through the library's load and validate ([`in_process`]), a
//! panic caught and a hang caught by a watchdog. An abort (an allocation that fails) ends a
//! process, so a share of the inputs run the binary itself under a memory cap ([`binary`]).
//! Every finding is saved for replay under `target/tmp/fuzz-findings/`.
//!
//! `cargo test` runs a fixed number of inputs from a fixed seed: about 20 s of a debug build on
//! two cores. A longer run sets `FUZZ_SEED`, `FUZZ_INPUTS` (in process) and
//! `FUZZ_BINARY_INPUTS` (`cargo test --test tests fuzz -- --nocapture` prints the figures);
//! docs/reliability.md records one.

mod binary;
mod in_process;
mod inputs;
mod mutate;

use std::collections::BTreeMap;
use std::path::PathBuf;

use rand::SeedableRng;
use rand::rngs::StdRng;

use inputs::{Format, Seed};

/// The seed and the number of inputs of a run.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    pub seed: u64,
    pub inputs: usize,
}

impl Run {
    /// `FUZZ_SEED` and `count_variable`, else the defaults `cargo test` runs.
    pub fn from_env(count_variable: &str, default_inputs: usize) -> Run {
        let number = |name: &str| std::env::var(name).ok().and_then(|v| v.parse().ok());
        Run {
            seed: number("FUZZ_SEED").unwrap_or(16),
            inputs: number(count_variable).map_or(default_inputs, |n: u64| n as usize),
        }
    }

    pub fn rng(&self, stream: u64) -> StdRng {
        StdRng::seed_from_u64(self.seed ^ (stream << 32))
    }
}

/// A mutant of a seed chosen at random, and that seed.
pub fn mutant<'a>(rng: &mut StdRng, seeds: &'a [Seed]) -> (&'a Seed, Vec<u8>) {
    use rand::Rng;
    let seed = &seeds[rng.random_range(0..seeds.len())];
    let bytes = match seed.format {
        Format::Xlsx | Format::Ods => mutate::workbook(rng, &seed.bytes),
        Format::Csv | Format::Utf16 | Format::Xls => mutate::text(rng, &seed.bytes),
    };
    (seed, bytes)
}

/// What happened to the inputs of one format.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub tried: usize,
    /// Read and validated (`validate` exit 0 or 3).
    pub read: usize,
    /// Refused with a message (exit 1).
    pub refused: usize,
    pub findings: Vec<String>,
    /// How many refusals of each kind (in process, where the message is at hand).
    pub reasons: BTreeMap<String, usize>,
}

/// Tallies by format, printed as the table docs/reliability.md shows.
#[derive(Debug, Default)]
pub struct Tallies(pub BTreeMap<Format, Tally>);

impl Tallies {
    pub fn of(&mut self, format: Format) -> &mut Tally {
        self.0.entry(format).or_default()
    }

    pub fn findings(&self) -> Vec<&String> {
        self.0.values().flat_map(|t| &t.findings).collect()
    }

    pub fn print(&self, title: &str, run: Run, seconds: f64) {
        eprintln!(
            "{title}: seed {}, {} inputs, {seconds:.1} s",
            run.seed, run.inputs
        );
        eprintln!("| format | inputs | read | refused | findings |");
        for (format, t) in &self.0 {
            eprintln!(
                "| {} | {} | {} | {} | {} |",
                format.name(),
                t.tried,
                t.read,
                t.refused,
                t.findings.len()
            );
        }
        for (format, t) in &self.0 {
            let mut reasons: Vec<_> = t.reasons.iter().collect();
            reasons.sort_by(|a, b| b.1.cmp(a.1));
            for (reason, n) in reasons.iter().take(8) {
                eprintln!("  {} refused {n}: {reason}", format.name());
            }
        }
    }
}

/// Saves a finding's input for replay; returns where.
pub fn save_finding(kind: &str, format: Format, run: Run, index: usize, bytes: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fuzz-findings");
    std::fs::create_dir_all(&dir).expect("the findings directory");
    let path = dir.join(format!(
        "{kind}-seed{}-{index}.{}",
        run.seed,
        format.extension()
    ));
    std::fs::write(&path, bytes).expect("the finding is saved");
    path
}
