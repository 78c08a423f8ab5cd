//! member-sync: keep Tallyfy member profiles in line with an HR or directory export.
//!
//! The pipeline, one module per stage: [`ingest`] → [`validate`] → [`plan`] → [`execute`] →
//! [`report`], with [`api`] (the Tallyfy client) and [`sandbox`] (a local stand-in for Tallyfy)
//! beside them. `main.rs` only parses arguments, calls [`run`] and turns its result into an exit
//! code.

pub mod blank;
pub mod fields;
pub mod ingest;
pub mod sandbox;
pub mod validate;
