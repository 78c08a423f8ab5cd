//! The reliability suite: syncs through every fault the sandbox can inject, alone and mixed,
//! the binary killed mid-run, and a long soak. Each ends with the same three checks, the
//! guarantees `docs/reliability.md` states:
//!
//! 1. every input row is in the report exactly once, with an outcome that tells the truth;
//! 2. the organization ends in the desired state for every valid row;
//! 3. no request arrived inside a `Retry-After` window the server had announced.

mod crash;
pub mod matrix;
mod refusals;
mod soak;

use std::collections::BTreeMap;
use std::path::PathBuf;

use member_sync::sandbox::SandboxConfig;
use serde_json::{Value, json};

use crate::util::*;

/// Invalid rows at the end of every directory export (bad emails).
const INVALID_ROWS: usize = 3;
/// Rows for people the org does not have.
const UNKNOWN_ROWS: usize = 2;

/// A generated org and an export of it where three members in four change.
pub struct Directory {
    pub org: TestOrg,
    pub input: PathBuf,
    /// Input rows in all.
    pub rows: usize,
    /// Per member id: `(job_title, team, role)` wanted at the end.
    pub wanted: BTreeMap<u64, (String, String, String)>,
    /// Members whose profile or role differs before the sync.
    pub changing: usize,
}

impl Directory {
    /// `members` people; row `i` is member `i`. Cycling by id: unchanged; a new title; a new
    /// team and title; a new role and team (two calls). Then invalid and unknown rows.
    pub fn new(members: u64, config: SandboxConfig) -> Directory {
        let org = TestOrg::start(config, generated_seed(members));
        let mut rows = Vec::new();
        let mut wanted = BTreeMap::new();
        let mut changing = 0;
        for id in 1..=members {
            let (title, team, role) = match id % 4 {
                0 => ("Analyst".to_string(), "Operations".to_string(), ""),
                1 => (format!("Senior Analyst {id}"), "Operations".to_string(), ""),
                2 => (format!("Lead {id}"), format!("Team {}", id % 7), ""),
                _ => ("Analyst".to_string(), format!("Team {}", id % 5), "light"),
            };
            changing += usize::from(id % 4 != 0);
            let email = if id % 2 == 0 {
                format!("PERSON{id}@GEN.EXAMPLE")
            } else {
                format!("person{id}@gen.example")
            };
            rows.push(vec![email, title.clone(), team.clone(), role.to_string()]);
            let role = if role.is_empty() { "standard" } else { role };
            wanted.insert(id, (title, team, role.to_string()));
        }
        for n in 0..INVALID_ROWS {
            rows.push(vec![
                format!("not-an-email-{n}"),
                "X".into(),
                String::new(),
                String::new(),
            ]);
        }
        for n in 0..UNKNOWN_ROWS {
            rows.push(vec![
                format!("nobody{n}@gen.example"),
                "X".into(),
                String::new(),
                String::new(),
            ]);
        }
        let count = rows.len();
        let input = org.input(
            "directory.csv",
            &["email", "job_title", "team", "role"],
            rows,
        );
        Directory {
            org,
            input,
            rows: count,
            wanted,
            changing,
        }
    }

    /// `apply` with the pacing and retry settings every case shares, plus `extra`.
    pub fn apply(&self, extra: &[&str]) -> Run {
        let report = self.org.fresh_report_path();
        let mut command = self.org.command("apply", &self.input, &report);
        command
            .args(["--rate", "200/s", "--concurrency", "8", "--timeout", "1"])
            // Generous, so that a 13% fault rate cannot exhaust them (0.13^9 per request).
            .args(["--max-retries", "8", "-q"])
            .args(extra)
            .timeout(std::time::Duration::from_secs(240));
        Run::of(&mut command, report)
    }

    /// Members not (yet) in the wanted state, by id.
    pub fn diverging(&self) -> Vec<u64> {
        let members: BTreeMap<u64, Value> = self
            .org
            .members()
            .into_iter()
            .map(|m| (m["id"].as_u64().expect("id"), m))
            .collect();
        self.wanted
            .iter()
            .filter(|(id, (title, team, role))| {
                let m = &members[id];
                m["job_title"] != json!(title)
                    || m["team"] != json!(team)
                    || m["role"].as_str().map(str::to_lowercase).as_deref() != Some(role.as_str())
            })
            .map(|(id, _)| *id)
            .collect()
    }

    /// The three guarantees, for a run that went to completion.
    #[track_caller]
    pub fn assert_converged(&self, run: &Run) {
        run.assert_code(3); // the invalid rows
        assert_every_row_once(run, self.rows);
        let members = self.wanted.len();
        assert_eq!(
            outcome_counts(&run.report),
            counts(&[
                ("updated", self.changing),
                ("unchanged", members - self.changing),
                ("invalid", INVALID_ROWS),
                ("not_found", UNKNOWN_ROWS),
            ]),
            "failed rows: {:?}",
            run.report
                .iter()
                .filter(|r| r["outcome"] == "failed")
                .map(|r| (&r["row"], &r["error"]))
                .collect::<Vec<_>>()
        );
        assert_eq!(
            self.diverging(),
            Vec::<u64>::new(),
            "members not in the wanted state"
        );
        self.assert_paced();
    }

    #[track_caller]
    pub fn assert_paced(&self) {
        let violations = self.org.pacing_violations();
        assert!(violations.is_empty(), "pacing violations: {violations:#?}");
    }
}

/// Every input row `1..=rows` has exactly one report line.
#[track_caller]
pub fn assert_every_row_once(run: &Run, rows: usize) {
    assert_eq!(
        row_numbers(&run.report),
        (1..=rows).collect::<Vec<_>>(),
        "every row is reported, each once\n--- stderr\n{}",
        run.stderr
    );
}
