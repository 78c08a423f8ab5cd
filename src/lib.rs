//! member-sync: keep Tallyfy member profiles in line with an HR or directory export.
//!
//! The pipeline, one module per stage: [`ingest`] → [`validate`] → [`plan`] → [`execute`] →
//! [`report`], with [`api`] (the Tallyfy client) and [`sandbox`] (a local stand-in for Tallyfy)
//! beside them. [`check`] is the offline `validate` command: ingest and validation alone.
//! `main.rs` only parses arguments, calls [`run()`] and turns its result into an exit code.

pub mod api;
pub mod blank;
pub mod cell_safety;
pub mod check;
pub mod cli;
pub mod config;
pub mod env_vars;
pub mod execute;
pub mod exit_code;
pub mod export;
pub mod fields;
mod file_bytes;
pub mod guard;
mod halves;
pub mod ingest;
pub mod members_export;
pub mod notify;
pub mod output_file;
pub mod plan;
pub mod progress;
pub mod replay;
pub mod report;
pub mod rerun;
pub mod run;
pub mod sandbox;
mod sandbox_command;
pub mod settings;
pub mod state;
pub mod stop_signals;
pub mod sync;
pub mod validate;

pub use run::run;
