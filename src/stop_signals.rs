//! Stop signals: the one place that listens for a request to stop the process, and decides
//! what the first and the second one do.
//!
//! A person presses Ctrl-C (SIGINT); everything else that stops a program asks with SIGTERM:
//! `systemctl stop`, `timeout`, `docker stop`, Kubernetes deleting a pod. A closed terminal or
//! SSH session sends SIGHUP. Left to the default action, SIGTERM and SIGHUP kill the process
//! at once: the report misses the rows still running, no summary JSON is written, the lock
//! stays behind. So all three are handled alike:
//!
//! 1. the **first** cancels the run's stop token (after a note naming it): no new request
//!    starts, requests in flight get their grace period, every other row is written
//!    `cancelled`, the summary JSON is written, the lock released, and the run exits with the
//!    conventional `128 + signal` code ([`ExitCode::Stopped`]);
//! 2. a **second** (any of them) exits at once, with its own code: whoever sends it has
//!    decided not to wait (systemd and Kubernetes follow up with SIGKILL anyway).
//!
//! A process running as PID 1 in a container gets no default action for SIGTERM at all: the
//! kernel drops it, and `docker stop` waits ten seconds for SIGKILL. Handling it here is also
//! what makes the tool stop properly there (docs/operations.md).
//!
//! On Windows, Ctrl-C is the interrupt, and Ctrl-Break (what service wrappers and
//! `GenerateConsoleCtrlEvent` send to ask a console program to stop) stands for SIGTERM.

use std::sync::{Arc, OnceLock};

use tokio_util::sync::CancellationToken;

use crate::exit_code::ExitCode;
use crate::progress::Progress;

/// A request to stop, by the signal that carried it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopSignal {
    /// SIGINT: Ctrl-C.
    Interrupt,
    /// SIGTERM: a service manager, `timeout`, a container runtime (Windows: Ctrl-Break).
    Terminate,
    /// SIGHUP: the terminal or session went away.
    HangUp,
}

impl StopSignal {
    /// The signal's name, as `kill -l` and service managers say it.
    pub fn name(self) -> &'static str {
        match self {
            StopSignal::Interrupt => "SIGINT",
            StopSignal::Terminate => "SIGTERM",
            StopSignal::HangUp => "SIGHUP",
        }
    }

    /// How messages say a run ended by this signal: `interrupted`, `stopped by SIGTERM`.
    pub fn stopped_run(self) -> String {
        match self {
            StopSignal::Interrupt => "interrupted".to_string(),
            other => format!("stopped by {}", other.name()),
        }
    }
}

/// The first stop signal this process received. Signals belong to the process, not to a run,
/// so this does too.
static FIRST: OnceLock<StopSignal> = OnceLock::new();

/// The stop signal this process received first, if any.
pub fn received() -> Option<StopSignal> {
    FIRST.get().copied()
}

/// The signal a stopped run was stopped by. A stop token cancelled without one (a test, a
/// run stopped from inside) counts as an interrupt.
pub fn stopped_by() -> StopSignal {
    received().unwrap_or(StopSignal::Interrupt)
}

/// What the first signal means for the command being run.
#[derive(Debug, Clone, Copy)]
pub enum OnFirst {
    /// Stop taking new work, finish what is in flight, write the report, then exit
    /// (`apply`, `plan`, `rollback`).
    FinishRun,
    /// Stop serving and print what was served (`member-sync sandbox`).
    StopSandbox,
    /// Name the signal, nothing more: `export` stops reading the member list (and writes
    /// nothing); `validate`, offline and quick, finishes its report and exits with the
    /// signal's code.
    Plain,
}

impl OnFirst {
    fn note(self, signal: StopSignal) -> String {
        let what = match signal {
            StopSignal::Interrupt => "interrupted".to_string(),
            other => format!("{} received", other.name()),
        };
        let again = match signal {
            StopSignal::Interrupt => "Ctrl-C again to quit now",
            _ => "a second signal quits now",
        };
        match self {
            OnFirst::FinishRun => {
                format!("{what}: finishing requests in flight and writing the report ({again})")
            }
            OnFirst::StopSandbox => format!("{what}: stopping the sandbox"),
            OnFirst::Plain => what,
        }
    }
}

/// Listens for SIGINT, SIGTERM and SIGHUP (Windows: Ctrl-C and Ctrl-Break) for the rest of
/// the process's life: the first cancels `stop`, a second exits at once. Returns once the
/// handlers are installed, so a signal sent after it returns is never the default action.
pub fn listen(stop: CancellationToken, progress: Arc<dyn Progress>, on_first: OnFirst) {
    let mut signals = match Signals::install() {
        Ok(signals) => signals,
        Err(e) => {
            tracing::warn!("cannot listen for stop signals: {e}");
            return;
        }
    };
    tokio::spawn(async move {
        let Some(first) = signals.next().await else {
            return;
        };
        let _ = FIRST.set(first);
        progress.note(&on_first.note(first));
        stop.cancel();
        if let Some(second) = signals.next().await {
            std::process::exit(i32::from(ExitCode::Stopped(second).code()));
        }
    });
}

#[cfg(unix)]
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
    hang_up: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn install() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            hang_up: signal(SignalKind::hangup())?,
        })
    }

    /// The next signal; `None` only if the runtime is shutting down.
    async fn next(&mut self) -> Option<StopSignal> {
        tokio::select! {
            got = self.interrupt.recv() => got.map(|()| StopSignal::Interrupt),
            got = self.terminate.recv() => got.map(|()| StopSignal::Terminate),
            got = self.hang_up.recv() => got.map(|()| StopSignal::HangUp),
        }
    }
}

#[cfg(windows)]
struct Signals {
    ctrl_c: tokio::signal::windows::CtrlC,
    ctrl_break: tokio::signal::windows::CtrlBreak,
}

#[cfg(windows)]
impl Signals {
    fn install() -> std::io::Result<Signals> {
        Ok(Signals {
            ctrl_c: tokio::signal::windows::ctrl_c()?,
            ctrl_break: tokio::signal::windows::ctrl_break()?,
        })
    }

    async fn next(&mut self) -> Option<StopSignal> {
        tokio::select! {
            got = self.ctrl_c.recv() => got.map(|()| StopSignal::Interrupt),
            got = self.ctrl_break.recv() => got.map(|()| StopSignal::Terminate),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_signal_is_named_in_the_note_and_how_to_quit_matches_it() {
        let note = OnFirst::FinishRun.note(StopSignal::Terminate);
        assert_eq!(
            note,
            "SIGTERM received: finishing requests in flight and writing the report (a second signal quits now)"
        );
        let note = OnFirst::FinishRun.note(StopSignal::Interrupt);
        assert!(note.starts_with("interrupted: "), "{note}");
        assert!(note.ends_with("(Ctrl-C again to quit now)"), "{note}");
        assert_eq!(
            OnFirst::StopSandbox.note(StopSignal::HangUp),
            "SIGHUP received: stopping the sandbox"
        );
    }
}
