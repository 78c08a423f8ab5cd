//! The integration tests of `member-sync`: one binary, every test running the real executable
//! against the in-process sandbox on 127.0.0.1 (never the internet).
//!
//! Each group is a directory module (`apply/mod.rs`), not a top-level `apply.rs`: Cargo would
//! build every top-level file in `tests/` as a test binary of its own.

// Shared helpers: a sandbox org per test, CSV inputs and reports as data, running the binary.
mod util;

// `apply`: outcomes, the organization's end state, the requests sent, re-runs, stopping.
mod apply;
// `plan`: the same decisions as `apply`, nothing written.
mod plan;
// The access token never shows up in output, logs or reports, whatever the verbosity.
mod secrets;
// Usage and configuration errors: exit codes 1 and 2 and what the messages say.
mod errors;
// `member-sync sandbox`: the standalone server and the connection it prints.
mod sandbox_cmd;
// Guards that stop apply before its first write, the per-org lock, the summary JSON.
mod guards;
// The configuration file, its profiles, and `config show`.
mod config_file;
// Saved plans and rollback: recorded changes, and stale members left alone.
mod replay;
// Syncs through injected faults, the binary killed mid-run, and a soak: nothing is lost.
mod reliability;
// What goes where: stdout stays empty, report cells are safe to open in a spreadsheet.
mod output;
// Every file of ../shared/fixtures/real-world as it is, with its exact verdict.
mod real_world;
// The real files as Excel saves them elsewhere (UTF-16 tabs, Windows-1252 `;`, a workbook).
mod derived_inputs;
// `member-sync validate`: exit codes, the report, the input flags shared with plan and apply.
mod validate_cmd;
// Performance promises that need no stopwatch: minimal requests, auto pacing, offline plans.
mod perf;
// Hostile servers: huge or endless answers, redirects, endless pages, ambiguous member lists.
mod hostile_server;
// Output files: formula-safe cells read back as written, 0600 files, no clobbering.
mod output_safety;
// Row rules met through the binary: lengths, characters, duplicates, wrapped cells.
mod row_rules;
// Reading the input right or saying why: open quotes, rows wider than the header, standard
// input, hints that fit the cause.
mod input_trust;
// The report as a file: a full disk, a torn last line, the XLSX report, values shown as text.
mod report_files;
// One writer per organization: applies started together, a killed run's lock (the real binary).
mod one_writer;
// Stopping a run from outside: SIGTERM, SIGHUP, a second signal; rows stopped part-way.
mod stops;
// Failures that reach a person: -q keeps failed rows, unmatched runs fail, the summary JSON,
// the confirmation question on a real terminal.
mod loud_failures;
// Workbooks: hostile ones refused within a memory cap, the sheet that holds the data.
mod workbooks;
// A mutation fuzz of `validate`: CSV, UTF-16 and XLSX mutants never panic, abort or hang.
mod fuzz;
// Pacing under rate limiters of several designs (#18).
mod pacing;
// Employment status and dates read from the input; the lifecycle flags and profile keys.
mod lifecycle_input;
// The HTML run report: its sections, hostile values as text, a row cap, headless Chromium.
mod html_report;
// Notifications at the end of a run (#21): webhooks, their shapes, failures that stay warnings.
mod notify;
// Report retention (#21): old time-named reports removed, nothing else ever.
mod retention;
// Joiners, leavers and rehires through the binary: invites, disables, enables, their nets (#19).
mod lifecycle;
// Saved plans and rollback of joiners, leavers and rehires: disables applied or left stale,
// rollback of disables and enables, invitations named.
mod lifecycle_replay;
// The files of packaging/ and the Dockerfile stay true to the binary: flags, variables, the cron wrapper.
mod packaging;
// Group membership from the export: group cells read by validate, the group flags, profile keys
// and mapping file, refused where they cannot act.
mod groups_input;
// Group membership through the binary: first syncs, movers, additive mode, created groups, the
// removal and emptying guards, saved plans and rollback of group writes, manage_groups.
mod groups;
