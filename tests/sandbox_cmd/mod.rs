//! `member-sync sandbox`: a standalone server that prints how to reach it, as shell
//! assignments on stdout, and serves the sample org to a separate `plan` run.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::util::*;

mod limits;

/// How long the server may take to print its connection.
const STARTUP: Duration = Duration::from_secs(20);

/// Kills the server however the test ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `member-sync sandbox --port 0 EXTRA...` and reads the connection it prints.
fn serve(extra: &[&str]) -> (Server, Vec<(String, String)>) {
    let mut server = Server(
        Command::new(binary())
            .args(["sandbox", "--port", "0"])
            .args(extra)
            .env_remove("TALLYFY_ACCESS_TOKEN")
            .env_remove("TALLYFY_ORG_ID")
            .env_remove("TALLYFY_BASE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start `member-sync sandbox`"),
    );
    let stdout = server.0.stdout.take().unwrap();
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().take(3) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut connection = Vec::new();
    for _ in 0..3 {
        let line = received
            .recv_timeout(STARTUP)
            .expect("the sandbox prints three lines in time")
            .expect("readable stdout");
        let (name, value) = line.split_once('=').expect("NAME=value");
        connection.push((name.to_string(), value.to_string()));
    }
    (server, connection)
}

/// Sends SIGTERM (what `systemctl stop` or `docker stop` sends) and waits: the exit code and
/// what the server said on stderr.
fn terminate(server: &mut Server) -> (Option<i32>, String) {
    let status = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = server.0.wait().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut server.0.stderr.take().unwrap(), &mut stderr).unwrap();
    (exit.code(), stderr)
}

#[test]
fn sandbox_command_prints_its_connection() {
    let (server, connection) = serve(&[]);
    let names: Vec<&str> = connection.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["TALLYFY_BASE_URL", "TALLYFY_ORG_ID", "TALLYFY_ACCESS_TOKEN"]
    );
    assert!(connection[0].1.starts_with("http://127.0.0.1:"));

    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.csv");
    let mut plan = member_sync();
    plan.arg("plan")
        .arg(sample_export())
        .args(["--rate", "1000/s", "--report"])
        .arg(&report)
        .timeout(Duration::from_secs(30));
    for (name, value) in &connection {
        plan.env(name, value);
    }
    let run = Run::of(&mut plan, report);

    run.assert_code(3);
    assert_eq!(run.report.len(), 44);
    assert_eq!(
        outcome_counts(&run.report),
        counts(&[
            ("planned", 14),
            ("unchanged", 22),
            ("invalid", 6),
            ("not_found", 2),
        ])
    );
    drop(server);
}

#[test]
fn sandbox_command_injects_faults_and_writes_its_journal() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    let journal_arg = journal.to_str().unwrap();
    let (mut server, connection) = serve(&[
        "--server-errors",
        "30%",
        "--rate-limit",
        "20/s",
        "--burst",
        "5",
        "--retry-after",
        "http-date",
        "--refuse",
        "1003=409",
        "--field-names",
        "legacy",
        "--journal",
        journal_arg,
    ]);
    let report = dir.path().join("report.csv");
    let mut apply = member_sync();
    apply
        .arg("apply")
        .arg(sample_export())
        .args(["--rate", "50/s", "--yes", "--max-retries", "10", "--report"])
        .arg(&report)
        .timeout(Duration::from_secs(60));
    for (name, value) in &connection {
        apply.env(name, value);
    }
    let run = Run::of(&mut apply, report);
    run.assert_code(3);
    assert_eq!(run.report.len(), 44);
    // Through 30% 5xx and 429s the outcome is the one the sample always has, but for the row
    // of member 1003, refused with 409.
    let counted = outcome_counts(&run.report);
    assert_eq!(counted["failed"], 3, "{counted:?}");
    assert_eq!(counted["updated"], 11, "{counted:?}");

    let status = Command::new("kill")
        .args(["-INT", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = server.0.wait().unwrap();
    assert_eq!(exit.code(), Some(0));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut server.0.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(stderr.contains("pacing violations: 0"), "{stderr}");
    assert!(stderr.contains("injected faults: "), "{stderr}");

    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["status"] == 409 && l["path"].as_str().unwrap().ends_with("/users/1003"))
    );
    assert!(lines.iter().any(|l| {
        l["fault"]
            .as_str()
            .is_some_and(|f| f.starts_with("server_error_"))
    }));
    for key in ["at_ms", "method", "path", "status", "request_id", "body"] {
        assert!(lines[0].get(key).is_some(), "{key} in {}", lines[0]);
    }
}

#[test]
fn sandbox_command_stops_on_sigterm_with_its_journal_and_exit_line() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    let (mut server, connection) = serve(&["--journal", journal.to_str().unwrap()]);
    let report = dir.path().join("report.csv");
    let mut plan = member_sync();
    plan.arg("plan")
        .arg(sample_export())
        .args(["--rate", "1000/s", "--report"])
        .arg(&report)
        .timeout(Duration::from_secs(30));
    for (name, value) in &connection {
        plan.env(name, value);
    }
    Run::of(&mut plan, report).assert_code(3);

    let (code, stderr) = terminate(&mut server);

    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("SIGTERM received: stopping the sandbox"),
        "{stderr}"
    );
    let served = std::fs::read_to_string(&journal).unwrap().lines().count();
    assert!(served > 0);
    assert!(
        stderr.contains(&format!(
            "served {served} requests on 1 connection (200: {served})"
        )),
        "{stderr}"
    );
}

/// The journal is an output like any other: never written over a file that is not an earlier
/// journal, never through a link, and private. Refused before anything is served.
#[test]
fn sandbox_journal_refuses_another_file_or_a_link_before_serving() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("people.csv");
    std::fs::write(&input, "email\nann@example.com\n").unwrap();
    let link = dir.path().join("journal-link.jsonl");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&input, &link).unwrap();
    for path in [&input, &link] {
        let output = member_sync()
            .args(["sandbox", "--port", "0", "--journal"])
            .arg(path)
            .timeout(Duration::from_secs(10))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("cannot write the journal"), "{stderr}");
        assert!(output.stdout.is_empty(), "nothing served");
    }
    assert_eq!(
        std::fs::read_to_string(&input).unwrap(),
        "email\nann@example.com\n"
    );
}

#[cfg(unix)]
#[test]
fn sandbox_journal_is_private_and_replaces_an_earlier_journal() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    std::fs::write(&journal, "{\"at_ms\":0}\n").unwrap();
    let (mut server, _) = serve(&["--journal", journal.to_str().unwrap()]);
    let (code, stderr) = terminate(&mut server);
    assert_eq!(code, Some(0), "{stderr}");
    let mode = std::fs::metadata(&journal).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(
        std::fs::read_to_string(&journal).unwrap(),
        "",
        "no request served"
    );
}

// The lifecycle settings a seed carries (seat pool, invite cap, scripted faults).
mod lifecycle;

// The groups a seed carries (paged by 10, 201 on PUT, the manage_groups switch).
mod groups;
