//! One measured run: a sandbox org served in this process (generated members, the latency,
//! limit and faults asked for), an input with a known number of changes, and the release
//! binary run against it the way a user runs it. Everything measured comes from outside the
//! tool: the wall clock around the process, and the sandbox's own journal of what it served.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use member_sync::sandbox::{JournalEntry, Sandbox, SandboxConfig, Seed};
use serde_json::json;

pub const NEW_TITLE: &str = "Senior Analyst";

/// The org and input of one scenario: `members` members, every one of them in the input,
/// `changes` of them with a new job title, `role_changes` with a new role (half of those also
/// have a new title).
#[derive(Debug, Clone, Copy)]
pub struct Workload {
    pub members: u64,
    pub changes: u64,
    pub role_changes: u64,
}

impl Workload {
    pub fn pages(&self) -> u64 {
        self.members.div_ceil(100).max(1)
    }

    /// Requests a perfect client sends: one per change and role change, one per list page.
    pub fn minimal_requests(&self) -> u64 {
        self.changes + self.role_changes + self.pages()
    }

    fn title_changes(&self, id: u64) -> bool {
        id <= self.changes
    }

    fn role_changes(&self, id: u64) -> bool {
        let first = self.changes / 2 + 1;
        (first..first + self.role_changes).contains(&id)
    }
}

pub fn seed(members: u64) -> Seed {
    Seed::generated("bench-org", members)
}

/// The input CSV: every member, the changed ones changed.
pub fn write_input(path: &Path, work: Workload) {
    write_input_with(path, work, None);
}

/// [`write_input`] with one more column: its header, and each member's cell by id.
pub fn write_input_with(
    path: &Path,
    work: Workload,
    extra: Option<(&str, &dyn Fn(u64) -> String)>,
) {
    let mut out = csv::Writer::from_path(path).expect("the input file");
    let mut header = vec![
        "email",
        "first_name",
        "last_name",
        "timezone",
        "job_title",
        "team",
        "role",
    ];
    header.extend(extra.map(|(name, _)| name));
    out.write_record(&header).unwrap();
    for id in 1..=work.members {
        let title = if work.title_changes(id) {
            NEW_TITLE
        } else {
            "Analyst"
        };
        let role = if work.role_changes(id) {
            "admin"
        } else {
            "standard"
        };
        let mut record = vec![
            format!("person{id}@gen.example"),
            format!("First{id}"),
            format!("Last{id}"),
            "Europe/London".into(),
            title.into(),
            "Operations".into(),
            role.into(),
        ];
        record.extend(extra.map(|(_, cell)| cell(id)));
        out.write_record(&record).unwrap();
    }
    out.flush().unwrap();
}

/// The members as the list endpoint shows them, for `plan --against`.
pub fn write_members_json(path: &Path, members: u64) {
    let data = Seed::generated("bench-org", members).members;
    std::fs::write(path, json!({ "data": data }).to_string()).expect("the member export");
}

/// A sandbox and a scratch directory for one scenario.
pub struct Org {
    pub sandbox: Sandbox,
    pub work: Workload,
    pub input: PathBuf,
    dir: PathBuf,
}

/// What one run of the binary left behind.
pub struct Measured {
    pub wall: Duration,
    /// The report the run wrote (`apply --report`).
    pub report: PathBuf,
    pub code: i32,
    pub stderr: String,
    pub journal: Vec<JournalEntry>,
    pub violations: usize,
    /// TCP connections the run opened (kept alive, they are far fewer than its requests).
    pub connections: u64,
    /// Of those, the ones that chose HTTP/2 (only over HTTPS).
    pub http2_connections: u64,
}

impl Measured {
    pub fn requests(&self) -> u64 {
        self.journal.len() as u64
    }

    pub fn count(&self, keep: impl Fn(&JournalEntry) -> bool) -> u64 {
        self.journal.iter().filter(|e| keep(e)).count() as u64
    }

    pub fn throttled(&self) -> u64 {
        self.count(|e| e.status == 429)
    }

    /// How long the run went on after the last write sent for the first time: retries only,
    /// each waiting out its backoff (P4's loss at the end of a run).
    pub fn retry_tail(&self) -> Duration {
        let mut seen = std::collections::HashSet::new();
        let last_first = self
            .journal
            .iter()
            .filter(|e| e.method == "PUT" && seen.insert(e.path.as_str()))
            .map(|e| e.at)
            .max();
        let last = self.journal.iter().map(|e| e.at).max();
        match (last_first, last) {
            (Some(first), Some(last)) => last.saturating_sub(first),
            _ => Duration::ZERO,
        }
    }

    /// The server's capacity the run left unspent, in requests: the journal replayed through a
    /// token bucket of `per_second` and `burst` (the sandbox's limit), from when the first
    /// request arrived, each request that `spends` the limit taking a token: every token that
    /// went unused, overflowing the full bucket while nothing was sent or left in it at the
    /// end. Each one is 1 ÷ `per_second` of wall time the limit would have allowed.
    pub fn unspent(
        &self,
        per_second: f64,
        burst: f64,
        spends: impl Fn(&JournalEntry) -> bool,
    ) -> f64 {
        let (mut tokens, mut overflow, mut last) = (burst, 0.0, None);
        let mut arrivals: Vec<&JournalEntry> = self.journal.iter().collect();
        arrivals.sort_by_key(|e| e.at);
        for entry in arrivals {
            let earned = last.map_or(0.0, |at: Duration| {
                entry.at.saturating_sub(at).as_secs_f64() * per_second
            });
            overflow += (tokens + earned - burst).max(0.0);
            tokens = (tokens + earned).min(burst);
            last = Some(entry.at);
            if spends(entry) {
                tokens -= 1.0;
            }
        }
        overflow + tokens.max(0.0)
    }

    /// Goodput, the one measure of every limiter row and sweep: the requests the server
    /// accepted (answered anything but 429, as the sandbox's journal has them) per second, over
    /// the span from the first request's arrival to the last's. Divided by the limit's
    /// sustained rate, it is the share of what the limit allows that the run used.
    pub fn accepted_per_second(&self) -> f64 {
        let accepted = self.count(|e| e.status != 429);
        accepted as f64 / self.arrival_span().as_secs_f64().max(1e-3)
    }

    /// From the first request's arrival at the server to the last's.
    pub fn arrival_span(&self) -> std::time::Duration {
        let first = self.journal.iter().map(|e| e.at).min().unwrap_or_default();
        let last = self.journal.iter().map(|e| e.at).max().unwrap_or_default();
        last - first
    }

    /// How many report rows ended with each outcome (`updated`, `unchanged`, `cancelled`…).
    pub fn outcomes(&self) -> std::collections::BTreeMap<String, u64> {
        let mut counts = std::collections::BTreeMap::new();
        let Ok(mut report) = csv::Reader::from_path(&self.report) else {
            return counts;
        };
        let column = report
            .headers()
            .ok()
            .and_then(|h| h.iter().position(|name| name == "outcome"));
        for record in report.records().flatten() {
            let outcome = column.and_then(|c| record.get(c)).unwrap_or("(none)");
            *counts.entry(outcome.to_string()).or_insert(0) += 1;
        }
        counts
    }

    /// Requests answered 2xx with no injected fault: work that got done.
    pub fn good(&self) -> u64 {
        self.count(|e| (200..300).contains(&e.status) && e.fault.is_none())
    }
}

impl Org {
    pub fn start(
        runtime: &tokio::runtime::Runtime,
        dir: &Path,
        name: &str,
        config: SandboxConfig,
        work: Workload,
    ) -> Org {
        let dir = dir.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let sandbox = runtime
            .block_on(Sandbox::start(config, seed(work.members), addr))
            .expect("the sandbox starts");
        let input = dir.join("input.csv");
        write_input(&input, work);
        Org {
            sandbox,
            work,
            input,
            dir,
        }
    }

    /// `member-sync apply INPUT --rate RATE ...extra` against this org, timed.
    pub fn apply(&self, rate: &str, extra: &[&str]) -> Measured {
        let report = self.dir.join(format!("report-{}.csv", self.journal_len()));
        let mut command = member_sync();
        command
            .arg("apply")
            .arg(&self.input)
            .args(["--base-url", &self.sandbox.base_url()])
            .args(["--org", self.sandbox.org_id()])
            .arg("--report")
            .arg(&report)
            .args(["--rate", rate, "--yes", "--quiet", "--no-progress"])
            // Benchmarks change whole organizations on purpose: no change-count guard.
            .args(["--max-changes", "100%"])
            .args(extra)
            .env("TALLYFY_ACCESS_TOKEN", self.sandbox.token())
            // Its own state (last run sizes, locks), never the user's.
            .env("MEMBER_SYNC_STATE_DIR", self.dir.join("state"))
            // The one log line that says which concurrency was chosen.
            .env("MEMBER_SYNC_LOG", "member_sync::sync=info");
        let mut run = self.timed(command, "member-sync runs");
        run.report = report;
        run
    }

    /// The sequential per-row script (`sequential_baseline.py`) against this org, timed.
    pub fn baseline(&self) -> Measured {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/sequential_baseline.py");
        let mut command = Command::new("python3");
        command
            .arg(script)
            .args([
                &self.sandbox.base_url(),
                self.sandbox.org_id(),
                self.sandbox.token(),
            ])
            .arg(&self.input);
        self.timed(command, "python3 runs")
    }

    /// Runs `command` against this org, timed, and keeps the sandbox's journal of what it
    /// served to it (also written as `journal-N.jsonl`, one request a line, for `--keep`).
    fn timed(&self, mut command: Command, what: &str) -> Measured {
        let skip = self.journal_len();
        let connections = self.sandbox.connections();
        let http2_connections = self.sandbox.http2_connections();
        let started = Instant::now();
        let output = command.output().expect(what);
        let wall = started.elapsed();
        let journal: Vec<JournalEntry> = self.sandbox.journal().into_iter().skip(skip).collect();
        let lines: String = journal
            .iter()
            .map(|entry| format!("{}\n", entry.to_json()))
            .collect();
        std::fs::write(self.dir.join(format!("journal-{skip}.jsonl")), lines)
            .expect("the journal file");
        Measured {
            wall,
            report: PathBuf::new(),
            code: output.status.code().unwrap_or(-1),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            journal,
            violations: self.sandbox.pacing_violations().len(),
            connections: self.sandbox.connections() - connections,
            http2_connections: self.sandbox.http2_connections() - http2_connections,
        }
    }

    fn journal_len(&self) -> usize {
        self.sandbox.journal().len()
    }

    /// Members whose state is not what the input asks for (none after a complete sync).
    pub fn unconverged(&self) -> usize {
        self.sandbox
            .members()
            .iter()
            .filter(|m| {
                let id = m["id"].as_u64().unwrap_or(0);
                let title = if self.work.title_changes(id) {
                    NEW_TITLE
                } else {
                    "Analyst"
                };
                let admin = self.work.role_changes(id);
                let role = m["role"].as_str().unwrap_or("").to_ascii_lowercase();
                m["job_title"] != title || (role == "admin") != admin
            })
            .count()
    }
}

/// The binary as users build it ([`crate::binary`]), with a clean environment.
pub fn member_sync() -> Command {
    let mut command = Command::new(crate::binary::path());
    for name in member_sync::env_vars::ALL {
        command.env_remove(name);
    }
    command
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null());
    command
}
