//! `member-sync sandbox`: a standalone server that prints how to reach it, as shell
//! assignments on stdout, and serves the sample org to a separate `plan` run.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::util::*;

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

#[test]
fn sandbox_command_prints_its_connection() {
    let mut server = Server(
        Command::new(binary())
            .args(["sandbox", "--port", "0"])
            .env_remove("TALLYFY_ACCESS_TOKEN")
            .env_remove("TALLYFY_ORG_ID")
            .env_remove("TALLYFY_BASE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
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
