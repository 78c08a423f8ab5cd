//! One writer per organization (issue #17, items 1 and 2): `apply` runs of one organization
//! started at the same moment, round after round, and a run killed with SIGKILL whose lock file
//! names a process that is alive again (a container's next run is PID 1 on the same host too).
//! Every run here is the real binary, as cron starts it.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use member_sync::sandbox::SandboxConfig;
use serde_json::Value;

use crate::util::*;

/// Runs started together in each round.
const RACERS: usize = 5;
const ROUNDS: usize = 30;
/// Every member gets a new title each round: this many writes for the round's one writer.
const MEMBERS: u64 = 20;

const HELD: &str = "another member-sync run is applying changes to this organization";

/// Every member's title for `round`, as CSV.
fn round_input(round: usize) -> Vec<u8> {
    let mut text = String::from("email,job_title\n");
    for id in 1..=MEMBERS {
        text.push_str(&format!(
            "person{id}@gen.example,Round {round} title {id}\n"
        ));
    }
    text.into_bytes()
}

/// The racers of one round, each reading its input from a named pipe, so that all of them are
/// held at the same point (reading the input, just before the lock) and let go together.
struct StartingLine {
    pipes: Vec<PathBuf>,
}

impl StartingLine {
    fn new(org: &TestOrg, round: usize) -> StartingLine {
        let pipes: Vec<PathBuf> = (1..=RACERS)
            .map(|n| org.path(&format!("round-{round}-input-{n}.csv")))
            .collect();
        let made = std::process::Command::new("mkfifo")
            .args(&pipes)
            .status()
            .expect("mkfifo runs");
        assert!(made.success(), "mkfifo");
        StartingLine { pipes }
    }

    /// Waits until every racer has opened its pipe, writes each the input, then closes every
    /// pipe at once: each racer then sees the end of its input within microseconds of the others.
    /// A racer that never opens its pipe within a minute is an error.
    fn release(&self, input: &[u8]) -> Result<(), String> {
        let (sender, opened) = std::sync::mpsc::channel();
        for pipe in &self.pipes {
            let (sender, pipe) = (sender.clone(), pipe.clone());
            // Opening a pipe for writing waits for its reader; a racer that never opens it
            // leaves this thread waiting, and the release fails below instead of hanging.
            std::thread::spawn(move || {
                let _ = sender.send(std::fs::OpenOptions::new().write(true).open(pipe));
            });
        }
        let mut writers = Vec::new();
        for _ in &self.pipes {
            let writer = opened
                .recv_timeout(Duration::from_secs(60))
                .map_err(|_| "a racer did not open its input within a minute".to_string())?;
            writers.push(writer.map_err(|e| format!("a pipe does not open: {e}"))?);
        }
        for writer in &mut writers {
            writer.write_all(input).map_err(|e| e.to_string())?;
        }
        drop(writers);
        Ok(())
    }
}

/// One racer's end.
struct Finished {
    pid: u32,
    code: Option<i32>,
    stderr: String,
    report_path: PathBuf,
    report: Vec<ReportRow>,
}

impl Finished {
    fn wrote(&self) -> bool {
        self.report.iter().any(|row| row["outcome"] == "updated")
    }
}

fn finish(child: Child, report_path: PathBuf) -> Finished {
    let pid = child.id();
    let output = child.wait_with_output().expect("the run ends");
    Finished {
        pid,
        code: output.status.code(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        report: read_report(&report_path),
        report_path,
    }
}

#[test]
fn applies_started_together_have_exactly_one_writer() {
    // Each request takes 10 ms: the writer holds the lock for over a hundred milliseconds, long
    // past the moment the other runs of its round reach the lock.
    let org = TestOrg::start(
        SandboxConfig {
            latency: Duration::from_millis(10),
            ..SandboxConfig::default()
        },
        generated_seed(MEMBERS),
    );
    let (mut broken, mut stopped_at_the_lock) = (Vec::new(), 0);
    for round in 1..=ROUNDS {
        let line = StartingLine::new(&org, round);
        let before = org.journal().len();
        let mut racers: Vec<(Child, PathBuf)> = line
            .pipes
            .iter()
            .enumerate()
            .map(|(n, input)| {
                let report = org.path(&format!("round-{round}-run-{}.csv", n + 1));
                let child = org.spawn("apply", input, &report, &["--concurrency", "2"]);
                (child, report)
            })
            .collect();
        if let Err(e) = line.release(&round_input(round)) {
            // None of them is left waiting on its pipe after the test.
            for (child, _) in &mut racers {
                let _ = child.kill();
            }
            panic!("round {round}: {e}");
        }
        let pids: BTreeSet<u32> = racers.iter().map(|(child, _)| child.id()).collect();
        let runs: Vec<Finished> = racers
            .into_iter()
            .map(|(child, report)| finish(child, report))
            .collect();

        let puts = org
            .requests_after(before)
            .iter()
            .filter(|r| r.is("PUT"))
            .count();
        stopped_at_the_lock += runs.iter().filter(|r| r.code == Some(1)).count();
        broken.extend(
            round_problems(&runs, puts, &pids)
                .into_iter()
                .map(|problem| format!("round {round}: {problem}")),
        );
    }
    assert!(
        broken.is_empty(),
        "{} of {ROUNDS} rounds had more than one writer or a run that did not name its holder:\n{}",
        broken
            .iter()
            .map(|p| &p[..p.find(':').unwrap()])
            .collect::<BTreeSet<_>>()
            .len(),
        broken.join("\n")
    );
    // The runs did meet at the lock (and did not simply follow one another).
    assert!(
        stopped_at_the_lock > 0,
        "no run was ever stopped by the lock"
    );
    // Every member holds the last round's title.
    for id in 1..=MEMBERS {
        let title = format!("Round {ROUNDS} title {id}");
        assert_eq!(org.member(id)["job_title"], title.as_str());
    }
}

/// What is wrong with a round: more (or fewer) than one run that wrote, PUTs other than one
/// per member, and any other run that did not either stop at the lock naming a live holder and
/// writing nothing, or come after the writer and find nothing to change.
fn round_problems(runs: &[Finished], puts: usize, pids: &BTreeSet<u32>) -> Vec<String> {
    let mut problems = Vec::new();
    let writers: Vec<u32> = runs.iter().filter(|r| r.wrote()).map(|r| r.pid).collect();
    if writers.len() != 1 {
        problems.push(format!("runs that wrote: {writers:?}"));
    }
    if puts != MEMBERS as usize {
        problems.push(format!("{puts} PUTs for {MEMBERS} members"));
    }
    for run in runs.iter().filter(|r| !r.wrote()) {
        let named = pids
            .iter()
            .any(|pid| run.stderr.contains(&format!("(pid {pid} on ")));
        let fine = match run.code {
            Some(1) => run.stderr.contains(HELD) && named && !run.report_path.exists(),
            Some(0) => run.report.iter().all(|row| row["outcome"] == "unchanged"),
            _ => false,
        };
        if !fine {
            problems.push(format!(
                "pid {} exited {:?}, report {:?}:\n{}",
                run.pid,
                run.code,
                outcome_counts(&run.report),
                run.stderr
            ));
        }
    }
    problems
}

/// The lock file of `org` in its state directory.
fn lock_file(org: &TestOrg) -> PathBuf {
    org.path("state")
        .join("orgs")
        .join(format!("{}.lock", org.org_id()))
}

fn wait_for_puts(org: &TestOrg, at_least: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while org.requests().iter().filter(|r| r.is("PUT")).count() < at_least {
        assert!(Instant::now() < deadline, "the run never started writing");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn kill(child: &mut Child) {
    let status = std::process::Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -KILL");
    let status = child.wait().expect("the killed run is reaped");
    assert_eq!(status.code(), None, "killed by a signal");
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("the lock file is kept");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

#[test]
fn a_killed_runs_lock_is_free_even_when_its_pid_lives_again() {
    let org = TestOrg::start(
        SandboxConfig {
            latency: Duration::from_millis(50),
            ..SandboxConfig::default()
        },
        generated_seed(60),
    );
    let rows = (1..=60u64).map(|id| vec![format!("person{id}@gen.example"), format!("T{id}")]);
    let input = org.input("input.csv", &["email", "job_title"], rows);
    let mut killed = org.spawn(
        "apply",
        &input,
        &org.path("killed.csv"),
        &["--rate", "20/s", "--concurrency", "1"],
    );
    wait_for_puts(&org, 2);
    let killed_pid = killed.id();
    kill(&mut killed);

    // The killed run never released anything by hand: its lock file still names it.
    let lock = lock_file(&org);
    let mut holder = read_json(&lock);
    assert_eq!(holder["pid"], killed_pid, "{holder}");
    // What a container's next run finds: the same host name, and the same PID (1) alive
    // again. Here the live process is this test.
    holder["pid"] = std::process::id().into();
    std::fs::write(&lock, holder.to_string()).expect("rewrite the lock file");

    let next = org.apply(&input, &[]);

    next.assert_code(0);
    next.assert_stderr_contains("took over the lock of a run that is gone");
    next.assert_stderr_contains(&format!("pid {} on ", std::process::id()));
    for id in 1..=60u64 {
        assert_eq!(org.member(id)["job_title"], format!("T{id}").as_str());
    }
    // The lock file stays, and says nobody holds it now.
    assert_eq!(std::fs::read_to_string(&lock).expect("kept"), "");
}

#[test]
fn a_lock_taken_but_not_yet_signed_is_not_stale() {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(5));
    let rows = (1..=5u64).map(|id| vec![format!("person{id}@gen.example"), format!("T{id}")]);
    let input = org.input("input.csv", &["email", "job_title"], rows);
    // The moment after a run has taken the lock and before it has written its name: the file
    // is empty, and locked. This test is that run.
    let lock = lock_file(&org);
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    let holder = std::fs::File::create(&lock).unwrap();
    holder.try_lock().expect("the test takes the lock");

    let refused = org.apply(&input, &[]);

    refused.assert_code(1);
    refused.assert_stderr_contains(HELD);
    assert!(refused.report.is_empty(), "no report");
    assert!(org.requests().is_empty(), "nothing read, nothing written");
    // Released (as the kernel releases it when its holder ends), it is free again.
    drop(holder);
    org.apply(&input, &[]).assert_code(0);
    assert_eq!(org.member(5)["job_title"], "T5");
}
