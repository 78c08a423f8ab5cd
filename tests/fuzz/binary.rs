//! The binary on mutants, under the memory cap of [`crate::workbooks::capped`]: an allocation
//! of gigabytes fails there and aborts, which only a separate process can see.

use std::time::Instant;

use super::inputs;
use super::{Run, Tallies, mutant, save_finding};
use crate::workbooks::capped::validate_capped;

/// Inputs `cargo test` runs: each is a start of the debug binary, about 20 ms.
const INPUTS: usize = 250;

#[test]
fn mutated_inputs_never_abort_or_hang_the_binary() {
    let run = Run::from_env("FUZZ_BINARY_INPUTS", INPUTS);
    let seeds = inputs::seeds();
    let mut rng = run.rng(2);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let started = Instant::now();
    let mut tallies = Tallies::default();
    for index in 0..run.inputs {
        let (seed, bytes) = mutant(&mut rng, &seeds);
        let format = seed.format;
        let input = dir.path().join(format!("input.{}", format.extension()));
        std::fs::write(&input, &bytes).expect("the input is written");
        let ended = validate_capped(&input, &seed.args());
        let tally = tallies.of(format);
        tally.tried += 1;
        match (ended.code, ended.signal) {
            (Some(0 | 3), None) => tally.read += 1,
            (Some(1), None) => tally.refused += 1,
            (code, signal) => {
                let saved = save_finding("binary", format, run, index, &bytes);
                let last_lines: Vec<&str> = ended.stderr.lines().rev().take(3).collect();
                tally.findings.push(format!(
                    "{}: exit {code:?}, signal {signal:?}: {last_lines:?}",
                    saved.display()
                ));
            }
        }
    }
    tallies.print("binary", run, started.elapsed().as_secs_f64());
    let findings = tallies.findings();
    assert!(
        findings.is_empty(),
        "aborts, panics or hangs:\n{findings:#?}"
    );
}
