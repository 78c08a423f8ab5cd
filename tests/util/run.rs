//! Running the binary: against a [`TestOrg`] the way the README shows, or bare.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

use super::files::{ReportRow, read_report};
use super::org::TestOrg;

/// A state directory for runs that do not name one: never the developer's own.
pub fn scratch_state_dir() -> PathBuf {
    std::env::temp_dir().join(format!("member-sync-test-state-{}", std::process::id()))
}

/// `member-sync` with a clean environment and no stdin.
pub fn member_sync() -> Command {
    let mut command = Command::new(binary());
    for name in member_sync::env_vars::ALL {
        command.env_remove(name);
    }
    command
        .env("NO_COLOR", "1")
        .env("MEMBER_SYNC_STATE_DIR", scratch_state_dir())
        .write_stdin("")
        .timeout(std::time::Duration::from_secs(60));
    command
}

/// What a finished run left behind.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub report_path: PathBuf,
    pub report: Vec<ReportRow>,
}

impl Run {
    /// Runs `command` and reads the report it was pointed at (none if it wrote none).
    pub fn of(command: &mut Command, report_path: PathBuf) -> Run {
        let output = command.output().expect("member-sync runs");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            report: read_report(&report_path),
            report_path,
        }
    }

    /// The raw report file, for looking for things that must never be in it.
    pub fn report_text(&self) -> String {
        std::fs::read_to_string(&self.report_path).unwrap_or_default()
    }

    /// Panics with the run's output unless the exit code is `code`.
    /// Asserts that stderr says `text`, showing stderr when it does not.
    #[track_caller]
    pub fn assert_stderr_contains(&self, text: &str) -> &Run {
        assert!(
            self.stderr.contains(text),
            "{text:?} not in stderr:\n{}",
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

impl TestOrg {
    /// `member-sync SUBCOMMAND INPUT --base-url URL --org ORG --report PATH --rate 1000/s` with
    /// `TALLYFY_ACCESS_TOKEN` set to the sandbox's token and the state directory in the
    /// scratch directory (`apply` also gets `--yes --max-changes 100%`).
    pub fn command(&self, subcommand: &str, input: &Path, report: &Path) -> Command {
        let mut command = member_sync();
        command
            .args(self.arguments(subcommand, input, report))
            .env("TALLYFY_ACCESS_TOKEN", self.token())
            .env("MEMBER_SYNC_STATE_DIR", self.path("state"));
        command
    }

    /// `member-sync ARGS --base-url URL --org ORG` with this org's token and state directory:
    /// for the runs [`TestOrg::command`] does not shape (`apply --plan`, `--report-dir`, ...).
    pub fn connected(&self, args: &[&str]) -> Command {
        let mut command = member_sync();
        command
            .args(args)
            .args(["--base-url", &self.base_url(), "--org", self.org_id()])
            .env("TALLYFY_ACCESS_TOKEN", self.token())
            .env("MEMBER_SYNC_STATE_DIR", self.path("state"));
        command
    }

    /// The same run as [`TestOrg::command`], started in the background (for killing it).
    pub fn spawn(
        &self,
        subcommand: &str,
        input: &Path,
        report: &Path,
        extra: &[&str],
    ) -> std::process::Child {
        let mut command = std::process::Command::new(binary());
        for name in member_sync::env_vars::ALL {
            command.env_remove(name);
        }
        command
            .args(self.arguments(subcommand, input, report))
            .args(extra)
            .env("TALLYFY_ACCESS_TOKEN", self.token())
            .env("MEMBER_SYNC_STATE_DIR", self.path("state"))
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("member-sync starts")
    }

    fn arguments(&self, subcommand: &str, input: &Path, report: &Path) -> Vec<std::ffi::OsString> {
        let mut args: Vec<std::ffi::OsString> = vec![subcommand.into(), input.into()];
        for arg in [
            "--base-url",
            &self.base_url(),
            "--org",
            self.org_id(),
            "--report",
        ] {
            args.push(arg.into());
        }
        args.push(report.into());
        args.extend(["--rate", "1000/s"].map(Into::into));
        if subcommand == "apply" {
            // Tests change whole organizations on purpose; the guard's own tests set a limit.
            args.extend(["--yes", "--max-changes", "100%"].map(Into::into));
        }
        if subcommand == "rollback" {
            args.push("--yes".into());
        }
        args
    }

    /// A report path in the scratch directory not used yet.
    pub fn fresh_report_path(&self) -> PathBuf {
        (1..)
            .map(|n| self.path(&format!("report-{n}.csv")))
            .find(|p| !p.exists())
            .expect("a free report name")
    }

    /// `member-sync apply INPUT ...EXTRA` against this org.
    pub fn apply(&self, input: &Path, extra: &[&str]) -> Run {
        self.run("apply", input, extra)
    }

    /// `member-sync plan INPUT ...EXTRA` against this org.
    pub fn plan(&self, input: &Path, extra: &[&str]) -> Run {
        self.run("plan", input, extra)
    }

    /// `member-sync SUBCOMMAND INPUT ...EXTRA` against this org.
    pub fn run_command(&self, subcommand: &str, input: &Path, extra: &[&str]) -> Run {
        self.run(subcommand, input, extra)
    }

    fn run(&self, subcommand: &str, input: &Path, extra: &[&str]) -> Run {
        let report = self.fresh_report_path();
        Run::of(self.command(subcommand, input, &report).args(extra), report)
    }

    /// Writes `name` in the scratch directory and returns its path.
    pub fn input<R, C>(&self, name: &str, headers: &[&str], rows: R) -> PathBuf
    where
        R: IntoIterator<Item = Vec<C>>,
        C: AsRef<str>,
    {
        let path = self.path(name);
        super::files::write_csv(&path, headers, rows);
        path
    }
}

/// The sample export shipped in the repository.
pub fn sample_export() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/hr-export.csv")
}

/// The binary Cargo built for this test run.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_member-sync"))
}
