//! Item 10: the confirmation question on a real terminal. The binary runs inside tmux (a
//! terminal emulator with a screen the test can read), so what is checked is what a person
//! sees: the question stays on screen, no spinner draws over it, and `y` applies.
//!
//! tmux must be installed (`apt-get install -y tmux`); without it these tests fail and say so,
//! unless `MEMBER_SYNC_SKIP_TERMINAL_TESTS=1` is set.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use member_sync::sandbox::SandboxConfig;

use super::partly_matching;
use crate::util::*;

/// How long a screen may take to show what is awaited before the test gives up: a bound on a
/// hang, not a measurement.
const PATIENCE: Duration = Duration::from_secs(60);

/// A program running in a detached tmux session of its own server, ended when dropped.
struct Terminal {
    socket: PathBuf,
    exit_file: PathBuf,
}

impl Terminal {
    /// Runs `program ARGS` in `dir` on a 160×50 terminal with exactly `env` from member-sync's
    /// variables; `None` when tmux is missing and the skip is asked for.
    fn start(dir: &Path, args: &[OsString], env: &[(&str, &str)]) -> Option<Terminal> {
        if Command::new("tmux").arg("-V").output().is_err() {
            if std::env::var_os("MEMBER_SYNC_SKIP_TERMINAL_TESTS").is_some() {
                eprintln!("SKIPPED: tmux is not installed");
                return None;
            }
            panic!(
                "these tests need tmux (apt-get install -y tmux), or MEMBER_SYNC_SKIP_TERMINAL_TESTS=1"
            );
        }
        let terminal = Terminal {
            socket: dir.join("tmux.sock"),
            exit_file: dir.join("exit-code"),
        };
        let mut script = String::from("#!/bin/sh\n");
        for name in member_sync::env_vars::ALL {
            script.push_str(&format!("unset {name}\n"));
        }
        for (name, value) in env.iter().chain(&[("NO_COLOR", "1")]) {
            script.push_str(&format!("export {name}={}\n", quote(value)));
        }
        script.push_str(&format!("cd {}\n", quote(&dir.display().to_string())));
        script.push_str(&quote(&binary().display().to_string()));
        for arg in args {
            script.push(' ');
            script.push_str(&quote(&arg.to_string_lossy()));
        }
        let exit = quote(&terminal.exit_file.display().to_string());
        script.push_str(&format!(
            "\necho $? > {exit}.part && mv {exit}.part {exit}\n"
        ));
        let script_path = dir.join("run.sh");
        std::fs::write(&script_path, script).expect("write the script");
        let started = terminal
            .tmux()
            .args([
                "new-session",
                "-d",
                "-s",
                "run",
                "-x",
                "160",
                "-y",
                "50",
                "sh",
            ])
            .arg(&script_path)
            .status()
            .expect("tmux runs");
        assert!(started.success(), "tmux new-session failed");
        Some(terminal)
    }

    fn tmux(&self) -> Command {
        let mut command = Command::new("tmux");
        command.arg("-S").arg(&self.socket);
        command
    }

    /// What the terminal shows now.
    fn screen(&self) -> String {
        let output = self
            .tmux()
            .args(["capture-pane", "-p", "-t", "run"])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Waits until the screen satisfies `wanted`, and returns it; panics with the last screen
    /// after [`PATIENCE`].
    fn wait_for_screen(&self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let screen = self.screen();
            if wanted(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "the screen never showed {what}; it shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn type_keys(&self, keys: &[&str]) {
        let sent = self
            .tmux()
            .args(["send-keys", "-t", "run"])
            .args(keys)
            .status()
            .expect("tmux send-keys");
        assert!(sent.success());
    }

    /// The program's exit code, once it has ended.
    fn exit_code(&self) -> i32 {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(text) = std::fs::read_to_string(&self.exit_file) {
                return text.trim().parse().expect("an exit code");
            }
            assert!(
                Instant::now() < deadline,
                "the run never ended; the screen shows:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").output();
    }
}

/// `'text'` for sh.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn run_args(org: &TestOrg, command: &str, input: &Path, report: &Path) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![command.into(), input.into()];
    args.extend(
        [
            "--base-url",
            &org.base_url(),
            "--org",
            org.org_id(),
            "--rate",
            "1000/s",
        ]
        .map(Into::into),
    );
    args.extend(["--report".into(), report.into()]);
    args
}

fn titles_of(org: &TestOrg) -> Vec<String> {
    org.members()
        .iter()
        .map(|m| m["job_title"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The question is on screen, whole, with no spinner left over it.
fn question_asked(screen: &str) -> bool {
    screen.contains("Apply 5 update(s) to generated-org? [y/N]")
        && !screen.contains("reading the organization's members")
}

#[test]
fn apply_asks_on_a_terminal_where_the_question_can_be_seen_and_y_applies() {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(5));
    let input = partly_matching(&org, "titles.csv", 5, 5);
    let report = org.path("report.csv");
    let state = org.path("state").display().to_string();
    let Some(terminal) = Terminal::start(
        &org.path(""),
        &run_args(&org, "apply", &input, &report),
        &[
            ("TALLYFY_ACCESS_TOKEN", org.token()),
            ("MEMBER_SYNC_STATE_DIR", &state),
        ],
    ) else {
        return;
    };

    terminal.wait_for_screen("the question alone", question_asked);
    assert!(
        titles_of(&org).iter().all(|t| t == "Analyst"),
        "nothing sent before the answer"
    );
    terminal.type_keys(&["y", "Enter"]);

    assert_eq!(terminal.exit_code(), 0, "{}", terminal.screen());
    assert_eq!(
        outcome_counts(&read_report(&report)),
        counts(&[("updated", 5)])
    );
    assert_eq!(
        titles_of(&org),
        (1..=5).map(|n| format!("Title {n}")).collect::<Vec<_>>()
    );
}

#[test]
fn rollback_asks_on_a_terminal_too() {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(5));
    let input = partly_matching(&org, "titles.csv", 5, 5);
    let first = org.apply(&input, &[]);
    first.assert_code(0);
    let applied = first.report_path.clone();
    let report = org.path("undo.csv");
    let state = org.path("state").display().to_string();
    let Some(terminal) = Terminal::start(
        &org.path(""),
        &run_args(&org, "rollback", &applied, &report),
        &[
            ("TALLYFY_ACCESS_TOKEN", org.token()),
            ("MEMBER_SYNC_STATE_DIR", &state),
        ],
    ) else {
        return;
    };

    terminal.wait_for_screen("the question alone", question_asked);
    terminal.type_keys(&["y", "Enter"]);

    assert_eq!(terminal.exit_code(), 0, "{}", terminal.screen());
    assert!(
        titles_of(&org).iter().all(|t| t == "Analyst"),
        "{:?}",
        titles_of(&org)
    );
}

#[test]
fn a_non_interactive_apply_says_once_that_it_does_not_ask() {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(5));
    let input = partly_matching(&org, "titles.csv", 5, 5);
    let report = org.fresh_report_path();
    let mut command = member_sync();
    command
        .args(run_args(&org, "apply", &input, &report))
        .env("TALLYFY_ACCESS_TOKEN", org.token())
        .env("MEMBER_SYNC_STATE_DIR", org.path("state"));

    let run = Run::of(&mut command, report);

    run.assert_code(0);
    let said: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("without asking"))
        .collect();
    assert_eq!(
        said,
        [
            "stdin is not a terminal: applying 5 update(s) to generated-org without asking (--yes says so and hides this line)"
        ],
        "{}",
        run.stderr
    );

    // --yes is the answer given in advance: nothing to say.
    let rows = (1..=5).map(|n| vec![format!("person{n}@gen.example"), format!("Lead {n}")]);
    let again = org.input("again.csv", &["email", "job_title"], rows);
    let with_yes = org.apply(&again, &[]);
    with_yes.assert_code(0);
    assert_eq!(outcome_counts(&with_yes.report), counts(&[("updated", 5)]));
    assert!(
        !with_yes.stderr.contains("without asking"),
        "{}",
        with_yes.stderr
    );
}

/// A long pause of the server's is on the progress bar (and said above it), with its end: a
/// run that sits still for minutes must not look hung (#18).
#[test]
fn a_long_pause_shows_on_the_progress_bar_with_its_end() {
    use member_sync::sandbox::{Faults, RateLimit};
    let config = SandboxConfig {
        faults: Faults {
            rate_limit: Some(RateLimit::windows(&[(4, Duration::from_secs(6))])),
            ..Faults::default()
        },
        ..SandboxConfig::default()
    };
    let org = TestOrg::start(config, generated_seed(8));
    let input = partly_matching(&org, "titles.csv", 8, 8);
    let report = org.path("report.csv");
    let state = org.path("state").display().to_string();
    let mut args = run_args(&org, "apply", &input, &report);
    args.extend(["--rate", "20/s", "--yes"].map(Into::into));
    let Some(terminal) = Terminal::start(
        &org.path(""),
        &args,
        &[
            ("TALLYFY_ACCESS_TOKEN", org.token()),
            ("MEMBER_SYNC_STATE_DIR", &state),
        ],
    ) else {
        return;
    };
    let screen = terminal.wait_for_screen("the pause on the bar", |screen| {
        screen
            .lines()
            .any(|l| l.contains(" rows · ") && l.contains("· paused by the server until "))
    });
    assert!(
        screen.contains("paused by the server until ") && screen.contains("a 429 with Retry-After"),
        "{screen}"
    );
    assert_eq!(terminal.exit_code(), 0, "{}", terminal.screen());
    assert_eq!(
        outcome_counts(&read_report(&report)),
        counts(&[("updated", 8)])
    );
}
