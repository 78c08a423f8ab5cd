//! The terminal side of the binary: an indicatif progress bar on stderr (only when stderr is a
//! terminal, and not with `--quiet`/`--no-progress`), and a tracing writer that prints log lines
//! above the bar instead of through it.

use std::fmt;
use std::io::{self, IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use member_sync::cli::{GlobalArgs, LogFormat};
use member_sync::env_vars;
use member_sync::progress::Progress;
use member_sync::report::Outcome;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Counts shown on the bar.
#[derive(Default)]
struct Tally {
    updated: u64,
    failed: u64,
}

pub struct TerminalUi {
    quiet: bool,
    /// Notes go out as log events (`--log-format json`), not as lines.
    json: bool,
    bars: bool,
    bar: Mutex<Option<ProgressBar>>,
    tally: Mutex<Tally>,
}

impl TerminalUi {
    pub fn new(global: &GlobalArgs) -> Arc<TerminalUi> {
        Arc::new(TerminalUi {
            quiet: global.quiet,
            json: global.log_format == LogFormat::Json,
            bars: !global.quiet && !global.no_progress && io::stderr().is_terminal(),
            bar: Mutex::new(None),
            tally: Mutex::new(Tally::default()),
        })
    }

    /// Runs `f` with the bar (if any) cleared, so the output lands above it.
    fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        let bar = self.bar.lock().expect("bar lock").clone();
        match bar {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    fn replace_bar(&self, bar: Option<ProgressBar>) {
        if let Some(old) = std::mem::replace(&mut *self.bar.lock().expect("bar lock"), bar) {
            old.finish_and_clear();
        }
    }
}

impl Progress for TerminalUi {
    fn note(&self, line: &str) {
        if self.json {
            tracing::info!(target: "member_sync::note", "{line}");
        } else if !self.quiet {
            self.suspend(|| eprintln!("{line}"));
        }
    }

    fn takes_notes(&self) -> bool {
        self.json || !self.quiet
    }

    /// Kept by `--quiet`: a warning is what cron must mail.
    fn warn(&self, message: &str, hint: Option<&str>) {
        if self.json {
            tracing::warn!(target: "member_sync::note", hint = hint.unwrap_or(""), "{message}");
            return;
        }
        self.suspend(|| {
            let mut stderr = io::stderr().lock();
            let _ = writeln!(stderr, "warning: {message}");
            if let Some(hint) = hint {
                let _ = writeln!(stderr, "hint: {hint}");
            }
        });
    }

    fn waiting(&self, what: &str) {
        if self.bars {
            let spinner = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            spinner.set_style(
                ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .expect("static template"),
            );
            spinner.set_message(what.to_string());
            spinner.enable_steady_tick(Duration::from_millis(120));
            self.replace_bar(Some(spinner));
        }
    }

    fn start_rows(&self, total: u64) {
        if !self.bars {
            return;
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:30.cyan/blue} {pos}/{len} rows · {rate} · ETA {eta} · {msg}",
            )
            .expect("static template")
            .with_key("rate", |state: &ProgressState, out: &mut dyn fmt::Write| {
                let _ = write!(out, "{:.1} rows/s", state.per_sec());
            })
            .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        self.replace_bar(Some(bar));
    }

    fn row_finished(&self, outcome: Outcome) {
        // Without bars (not a terminal, --quiet, --no-progress) there is nothing to move:
        // no lock taken per row.
        if !self.bars {
            return;
        }
        let bar = self.bar.lock().expect("bar lock");
        let Some(bar) = bar.as_ref() else {
            return;
        };
        let message = {
            let mut tally = self.tally.lock().expect("tally lock");
            match outcome {
                Outcome::Updated => tally.updated += 1,
                Outcome::Failed => tally.failed += 1,
                _ => {}
            }
            format!("{} updated, {} failed", tally.updated, tally.failed)
        };
        bar.inc(1);
        bar.set_message(message);
    }

    /// The line above the bar (or in the log), and the bar's message until the next row ends.
    fn paused(&self, line: &str, short: &str) {
        self.note(line);
        if let Some(bar) = self.bar.lock().expect("bar lock").as_ref() {
            bar.set_message(short.to_string());
        }
    }

    fn sending(&self) {
        if let Some(bar) = self.bar.lock().expect("bar lock").as_ref() {
            // Rows settled without a request would make the rate and ETA look far too good.
            bar.reset_eta();
        }
    }

    fn finish(&self) {
        self.replace_bar(None);
    }
}

/// Log lines go to stderr, above the bar. Warnings and errors by default and with `-q`, `-v`
/// info, `-vv` debug, `-vvv` trace, for this crate; HTTP libraries stay at `warn` unless
/// `MEMBER_SYNC_LOG` says otherwise (their debug output is noise, and the Authorization header
/// is marked sensitive anyway).
pub fn init_logging(global: &GlobalArgs, ui: Arc<TerminalUi>) {
    let json = global.log_format == LogFormat::Json;
    // JSON lines are for machines: they start at info (notes and finished rows). -q keeps
    // warnings either way: it is what cron runs with, and cron mails what a job prints.
    let level = match (global.quiet, global.verbose, json) {
        (true, _, _) | (false, 0, false) => "warn",
        (false, 0, true) | (false, 1, false) => "info",
        (false, 1, true) | (false, 2, false) => "debug",
        (false, _, _) => "trace",
    };
    // One line per finished row is for log collectors (a row that did not go through is a
    // WARN event, so JSON under -q keeps it); in text mode only from -vv on: a person gets
    // those rows as the list that ends the run (`sync/show.rs`), not twice.
    let rows = if json || global.verbose >= 2 {
        level
    } else {
        "off"
    };
    let filter = std::env::var(env_vars::LOG)
        .ok()
        .and_then(|spec| EnvFilter::try_new(spec).ok())
        .unwrap_or_else(|| {
            EnvFilter::new(format!("warn,member_sync={level},member_sync::rows={rows}"))
        });
    member_sync::progress::errors_as_json(json);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(AboveTheBar(ui));
    if json {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init();
    } else {
        builder
            .with_ansi(io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
            .with_target(global.verbose >= 2)
            .init();
    }
}

#[derive(Clone)]
struct AboveTheBar(Arc<TerminalUi>);

impl<'a> MakeWriter<'a> for AboveTheBar {
    type Writer = LineWriter;

    fn make_writer(&'a self) -> LineWriter {
        LineWriter {
            ui: self.0.clone(),
            buffer: Vec::new(),
        }
    }
}

/// Collects one log event and prints it in one piece when dropped.
struct LineWriter {
    ui: Arc<TerminalUi>,
    buffer: Vec<u8>,
}

impl Write for LineWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        let buffer = std::mem::take(&mut self.buffer);
        self.ui.suspend(|| {
            let _ = io::stderr().lock().write_all(&buffer);
        });
    }
}
