//! `member-sync validate` under an address-space limit: a reader that tries to allocate
//! gigabytes fails the allocation and aborts, so the test sees the abort instead of a machine
//! that happened to have the memory (or a kernel that promised it).

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::time::Duration;

/// The most address space a run may take: the debug binary needs about 120 MB for a small
/// file, and every limit of docs/input.md keeps a refused workbook well under this.
pub const MEMORY_CAP: u64 = 1 << 30;

/// How a capped run ended.
#[derive(Debug)]
pub struct Ended {
    /// The exit code, `None` when a signal ended the run (an abort is SIGABRT).
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub stderr: String,
}

impl Ended {
    /// Panics unless the run exited 1 saying `text`.
    #[track_caller]
    pub fn assert_refused(&self, text: &str) -> &Ended {
        assert_eq!(
            (self.code, self.signal),
            (Some(1), None),
            "exit code 1 expected\n--- stderr\n{}",
            self.stderr
        );
        assert!(
            self.stderr.contains(text),
            "{text:?} not in stderr:\n{}",
            self.stderr
        );
        self
    }
}

/// `member-sync validate INPUT ...EXTRA` with at most [`MEMORY_CAP`] of address space and a
/// minute to finish (a hang fails the test).
pub fn validate_capped(input: &Path, extra: &[&str]) -> Ended {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut command = std::process::Command::new(crate::util::binary());
    for name in member_sync::env_vars::ALL {
        command.env_remove(name);
    }
    command
        .arg("validate")
        .arg(input)
        .arg("--report")
        .arg(dir.path().join("report.csv"))
        .args(extra)
        .env("NO_COLOR", "1")
        .env("MEMBER_SYNC_STATE_DIR", dir.path().join("state"))
        .current_dir(dir.path());
    cap_memory(&mut command, MEMORY_CAP);
    let output = assert_cmd::Command::from_std(command)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("member-sync runs");
    Ended {
        code: output.status.code(),
        signal: output.status.signal(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Limits the child's address space (RLIMIT_AS) to `bytes`.
pub fn cap_memory(command: &mut std::process::Command, bytes: u64) {
    let limit = libc::rlimit {
        rlim_cur: bytes,
        rlim_max: bytes,
    };
    // SAFETY: setrlimit is async-signal-safe and touches only the child about to exec.
    unsafe {
        command.pre_exec(move || {
            if libc::setrlimit(libc::RLIMIT_AS, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
}
