//! Stopping a run from outside, the real binary and real signals: SIGTERM (systemd, `timeout`,
//! `docker stop`, Kubernetes) and SIGHUP (a closed terminal) wind a run down as Ctrl-C does,
//! and a second signal quits at once; a row stopped between its two calls says which of them
//! landed, and `rollback` restores exactly that.

mod partial;
mod signals;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;

use crate::util::*;

/// A server whose member list answers at once and whose writes never answer in time (20 s,
/// far past the 3 s a stopped run gives requests in flight): a run stopped once its first
/// writes are out has requests in flight whatever the machine's speed.
fn stuck_writes(members: u64) -> Hostile {
    Hostile::start(move |seen| {
        if seen.is_list() {
            let all = (1..=members)
                .map(|id| member(id, &format!("person{id}@example.com")))
                .collect();
            Answer::json(200, &page(all, 1, Some(1.0), Some(members as f64)))
        } else if seen.method == "PUT" {
            std::thread::sleep(Duration::from_secs(20));
            Answer::json(503, &json!({"error": "too late"}))
        } else {
            Answer::json(404, &json!({"error": "not here"}))
        }
    })
}

/// `apply` of `rows` new job titles against `server`, `--concurrency 2`, in the background,
/// with its stderr collected.
fn start_against(server: &Hostile, dir: &Path, rows: u64, extra: &[&str]) -> (Running, PathBuf) {
    let input = dir.join("titles.csv");
    write_csv(
        &input,
        &["email", "job_title"],
        (1..=rows).map(|id| vec![format!("person{id}@example.com"), format!("Title {id}")]),
    );
    let report = dir.join("report.csv");
    let mut command = std::process::Command::new(binary());
    for name in member_sync::env_vars::ALL {
        command.env_remove(name);
    }
    command
        .arg("apply")
        .arg(&input)
        .args(["--base-url", &server.base_url(), "--org", "org1"])
        .args(["--rate", "1000/s", "--yes", "--max-changes", "100%"])
        .args(["--concurrency", "2", "--report"])
        .arg(&report)
        .args(extra)
        .env("TALLYFY_ACCESS_TOKEN", "hostile-test-token")
        .env("MEMBER_SYNC_STATE_DIR", dir.join("state"))
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let child = command.spawn().expect("member-sync starts");
    (Running::new(child), report)
}

/// Waits until `server` has received `n` writes.
fn wait_for_writes(server: &Hostile, n: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while server.seen().iter().filter(|s| s.method == "PUT").count() < n {
        assert!(
            std::time::Instant::now() < deadline,
            "fewer than {n} writes after 60 s"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
