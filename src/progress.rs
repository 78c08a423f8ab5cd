//! How the core tells a person what is going on, without knowing whether a terminal is there.
//!
//! The library reports through [`Progress`]; only the binary draws bars (it implements this
//! trait with indicatif). Tests and library users get [`Quiet`] or [`Stderr`].

use crate::report::Outcome;

pub trait Progress: Send + Sync {
    /// A line for a person (a plan, a warning, the summary). Never data.
    fn note(&self, line: &str);
    /// Something a person must see even with `--quiet` (cron mails it): a row that did not go
    /// through, a run that matched nobody. Printed as `warning: ...` and `hint: ...`, or as
    /// one JSON event at level WARN.
    fn warn(&self, message: &str, hint: Option<&str>) {
        self.note(&format!("warning: {message}"));
        if let Some(hint) = hint {
            self.note(&format!("hint: {hint}"));
        }
    }
    /// Whether notes go anywhere. Where they do not (`--quiet`), a caller can skip making
    /// them: `plan` would otherwise format a line for every change of a large input.
    fn takes_notes(&self) -> bool {
        true
    }
    /// A long wait without a known length begins (reading the member list).
    fn waiting(&self, _what: &str) {}
    /// Rows start to finish; `total` of them will.
    fn start_rows(&self, _total: u64) {}
    fn row_finished(&self, _outcome: Outcome) {}
    /// The rows that need requests start now (the ones before needed none).
    fn sending(&self) {}
    /// Nothing will be sent for a while (the server's pause, or a limit's window): `line` says
    /// how long, until when and why; `short` is for a progress bar's message. Said at default
    /// verbosity: a run silent for minutes looks hung.
    fn paused(&self, line: &str, _short: &str) {
        self.note(line);
    }
    /// Clears any spinner or bar: the wait or the rows are over, or a question comes.
    fn finish(&self) {}
}

/// Says nothing.
pub struct Quiet;

impl Progress for Quiet {
    fn note(&self, _line: &str) {}

    fn takes_notes(&self) -> bool {
        false
    }
}

/// Notes on stderr, no bar.
pub struct Stderr;

impl Progress for Stderr {
    fn note(&self, line: &str) {
        eprintln!("{line}");
    }
}

/// Whether errors are written as JSON log lines (`--log-format json`) rather than as
/// `error:`/`hint:` lines. Set once by the binary; a process prints in one format.
static JSON_ERRORS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// Chooses how [`print_error`] writes (the binary calls it once, at start).
pub fn errors_as_json(json: bool) {
    let _ = JSON_ERRORS.set(json);
}

/// An error that ends a run, with what to do about it: on stderr as `error: ...` and
/// `hint: ...`, or as one JSON log event. Printed even with `-q`.
pub fn print_error(message: &str, hint: Option<&str>) {
    if JSON_ERRORS.get().copied().unwrap_or(false) {
        tracing::error!(hint = hint.unwrap_or(""), "{message}");
        return;
    }
    eprintln!("error: {message}");
    if let Some(hint) = hint {
        eprintln!("hint: {hint}");
    }
}
