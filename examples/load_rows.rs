//! Measures loading a large export: `ingest` then `validate`, the work `validate`, `plan` and
//! `apply` do before any request. Numbers are in docs/input.md ("Performance").
//!
//! ```sh
//! cargo build --release --example load_rows
//! target/release/examples/load_rows generate /tmp/users-100k.csv 100000
//! /usr/bin/time -v target/release/examples/load_rows load /tmp/users-100k.csv
//! /usr/bin/time -v target/release/examples/load_rows load /tmp/users-100k.csv --ingest-only
//! ```
//!
//! `generate` writes an Entra bulk-create template (17 columns, a password column among them)
//! with unique users; `load` reads it as `member-sync` does and prints the timings. Generating
//! and loading are separate runs so the peak memory of `load` is the loader's alone.

use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["generate", path, rows] => generate(Path::new(path), rows.parse().expect("a row count")),
        ["load", path] => load(Path::new(path), true),
        ["load", path, "--ingest-only"] => load(Path::new(path), false),
        _ => {
            eprintln!("usage: load_rows generate PATH ROWS | load_rows load PATH [--ingest-only]");
            std::process::exit(2);
        }
    }
}

fn generate(path: &Path, rows: usize) {
    const TITLES: [&str; 5] = ["Engineer", "Analyst", "Manager", "Designer", "Director "];
    const TEAMS: [&str; 4] = ["Engineering", "Finance", "Sales", ""];
    const COUNTRIES: [&str; 4] = ["GB", "US", "DE", ""];
    let file = std::fs::File::create(path).expect("create the file");
    let mut out = BufWriter::new(file);
    out.write_all(b"\xEF\xBB\xBFversion:v1.0,,,,,,,,,,,,,,,,\r\n")
        .unwrap();
    out.write_all(
        b"Name [displayName] Required,User name [userPrincipalName] Required,Initial password \
          [passwordProfile] Required,Block sign in (Yes/No) [accountEnabled] Required,First name \
          [givenName],Last name [surname],Job title [jobTitle],Department [department],Usage \
          location [usageLocation],Street address [streetAddress],State or province [state],\
          Country or region [country],Office [physicalDeliveryOfficeName],City [city],ZIP or \
          postal code [postalCode],Office phone [telephoneNumber],Mobile phone [mobile]\r\n",
    )
    .unwrap();
    for i in 0..rows {
        writeln!(
            out,
            "Person{i} Surname{i},person{i}@example.onmicrosoft.com,Pw{i:09}x,No,Person{i},\
             Surname{i},{},{},{},\"{} Main St., Apt {}\",WA,United States,HQ,Redmond,98052,\
             +1 425 555 {:04},\r",
            TITLES[i % 5],
            TEAMS[i % 4],
            COUNTRIES[i % 4],
            i % 997,
            i % 13,
            i % 10_000,
        )
        .unwrap();
    }
    out.flush().unwrap();
    println!("wrote {rows} rows to {}", path.display());
}

fn load(path: &Path, validate: bool) {
    let size = std::fs::metadata(path).expect("the file exists").len();
    let started = Instant::now();
    let table = member_sync::ingest::load(path).expect("the file loads");
    let loaded = started.elapsed();
    if !validate {
        println!(
            "{} rows ({:.1} MB): ingest {:.0} ms",
            table.records.len(),
            size as f64 / 1e6,
            loaded.as_secs_f64() * 1e3
        );
        return;
    }
    let validation = member_sync::validate::validate_all(&table);
    let total = started.elapsed();
    let valid = validation
        .verdicts
        .iter()
        .filter(|v| matches!(v, member_sync::validate::RowVerdict::Valid(_)))
        .count();
    println!(
        "{} rows ({:.1} MB): ingest {:.0} ms, ingest + validate {:.0} ms; {valid} valid",
        table.records.len(),
        size as f64 / 1e6,
        loaded.as_secs_f64() * 1e3,
        total.as_secs_f64() * 1e3,
    );
}
