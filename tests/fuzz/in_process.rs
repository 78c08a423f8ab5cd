//! The library's load and validate on each mutant, on a worker thread this test watches: a
//! panic is caught there, a hang is an input that gets no answer within [`WATCHDOG`].

use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use member_sync::ingest::{LoadOptions, PresetChoice, load_bytes_with};
use rand::Rng;
use rand::rngs::StdRng;

use super::inputs::{self, Format, Seed};
use super::{Run, Tallies, mutant, save_finding};

/// Inputs of each format group `cargo test` runs: 11 to 15 s of one core each in a debug
/// build, the two groups side by side (docs/reliability.md).
const INPUTS: usize = 2_500;

/// The longest an input may take; a debug build reads any of them in well under a second.
const WATCHDOG: Duration = Duration::from_secs(30);

enum Outcome {
    Read,
    Refused(String),
    Panicked(String),
}

/// Loads and, when that works, validates, as `validate` does.
fn exercise(bytes: &[u8], options: &LoadOptions) -> Outcome {
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        match load_bytes_with(bytes, Path::new("fuzz.csv"), options) {
            Ok(table) => {
                let verdicts = member_sync::validate::validate(&table);
                assert_eq!(verdicts.len(), table.records.len());
                Outcome::Read
            }
            Err(e) => Outcome::Refused(e.to_string()),
        }
    }));
    result.unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Outcome::Panicked(message)
    })
}

/// The seed's flags, sometimes others forced (and sometimes wrong).
fn options(rng: &mut StdRng, seed: &Seed) -> LoadOptions {
    let mut options = LoadOptions::default();
    if let Some(encoding) = seed.encoding {
        let encoding = encoding_rs::Encoding::for_label(encoding.as_bytes()).expect("a label");
        options = options.with_encoding(encoding);
    }
    if let Some(sheet) = seed.sheet {
        options = options.with_sheet(sheet);
    }
    match rng.random_range(0..12) {
        0 => options.with_encoding(encoding_rs::UTF_16LE),
        1 => options.with_encoding(encoding_rs::WINDOWS_1252),
        2 => options.with_delimiter(b';'),
        3 => options.with_delimiter(b'\t'),
        4 => options.with_sheet("Users"),
        5 => options.with_preset(PresetChoice::Off),
        _ => options,
    }
}

/// A refusal's kind: its message without the path and the details that vary.
fn reason(message: &str) -> String {
    let message = message.split_once(": ").map_or(message, |(_, rest)| rest);
    let end = message
        .find(|c: char| c.is_ascii_digit() || c == '(' || c == '`' || c == ':')
        .unwrap_or(message.len());
    message[..end].trim().to_string()
}

#[test]
fn text_mutants_never_panic_or_hang_in_process() {
    fuzz("text in process", 1, |format| !format.is_workbook());
}

#[test]
fn workbook_mutants_never_panic_or_hang_in_process() {
    fuzz("workbooks in process", 3, Format::is_workbook);
}

/// Runs the mutants of the seeds whose format `formats` takes, from random stream `stream`.
fn fuzz(title: &str, stream: u64, formats: impl Fn(Format) -> bool) {
    let run = Run::from_env("FUZZ_INPUTS", INPUTS);
    let seeds: Vec<Seed> = inputs::seeds()
        .into_iter()
        .filter(|seed| formats(seed.format))
        .collect();
    let mut rng = run.rng(stream);
    let (inputs, received) = mpsc::channel::<(Vec<u8>, LoadOptions)>();
    let (answer, answers) = mpsc::channel::<Outcome>();
    std::thread::spawn(move || {
        for (bytes, options) in received {
            if answer.send(exercise(&bytes, &options)).is_err() {
                break;
            }
        }
    });

    let started = Instant::now();
    let mut tallies = Tallies::default();
    for index in 0..run.inputs {
        let (seed, bytes) = mutant(&mut rng, &seeds);
        let format = seed.format;
        let options = options(&mut rng, seed);
        let flags = format!("{options:?}");
        inputs
            .send((bytes.clone(), options))
            .expect("the worker runs");
        let tally = tallies.of(format);
        tally.tried += 1;
        match answers.recv_timeout(WATCHDOG) {
            Ok(Outcome::Read) => tally.read += 1,
            Ok(Outcome::Refused(message)) => {
                tally.refused += 1;
                *tally.reasons.entry(reason(&message)).or_default() += 1;
            }
            Ok(Outcome::Panicked(message)) => {
                let saved = save_finding("panic", format, run, index, &bytes);
                tally
                    .findings
                    .push(format!("{}: {message} ({})", saved.display(), flags));
            }
            Err(_) => {
                let saved = save_finding("hang", format, run, index, &bytes);
                tallies.print(title, run, started.elapsed().as_secs_f64());
                panic!(
                    "input {index} ({}) got no answer in {WATCHDOG:?}: saved to {} ({flags})",
                    format.name(),
                    saved.display()
                );
            }
        }
    }
    tallies.print(title, run, started.elapsed().as_secs_f64());
    let findings = tallies.findings();
    assert!(findings.is_empty(), "panics:\n{findings:#?}");
}
