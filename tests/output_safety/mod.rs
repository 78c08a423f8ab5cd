//! Output files a person can trust: cells a spreadsheet would run are neutralized (and read
//! back as they were), files are private to their owner, and no output ever replaces another
//! file, follows a link, or lands where the input is.

use std::path::{Path, PathBuf};

use member_sync::sandbox::{SandboxConfig, Seed};

use crate::util::*;

mod clobber;
mod formulas;
mod paths;
mod permissions;
mod spreadsheet;

/// Job titles a member could give themselves in Tallyfy that a spreadsheet would run, and one
/// that already starts with the escape's own `'`.
const FORMULA_TITLES: [&str; 6] = [
    "=1+1",
    "=HYPERLINK(\"http://x.example\";\"click\")",
    "+1+1",
    "-2+3",
    "@SUM(1)",
    "'=quote",
];

/// The sample org, with members 1001.. holding [`FORMULA_TITLES`].
fn org_with_formula_titles() -> TestOrg {
    let mut seed = Seed::embedded();
    for (member, title) in seed.members.iter_mut().zip(FORMULA_TITLES) {
        member["job_title"] = title.into();
    }
    TestOrg::start(SandboxConfig::default(), seed)
}

/// `member-sync export ...EXTRA` against `org`.
fn export(org: &TestOrg, extra: &[&str]) -> Finished {
    let mut command = member_sync();
    command
        .args(["export", "--rate", "1000/s"])
        .args(["--base-url", &org.base_url(), "--org", org.org_id()])
        .args(extra)
        .env("TALLYFY_ACCESS_TOKEN", org.token());
    Finished::of(&mut command)
}

/// What a command without a report left: its exit code and output.
#[derive(Debug)]
struct Finished {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Finished {
    fn of(command: &mut assert_cmd::Command) -> Finished {
        let output = command.output().expect("member-sync runs");
        Finished {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    #[track_caller]
    fn assert_code(&self, code: i32) -> &Finished {
        assert_eq!(self.code, code, "exit code\n--- stderr\n{}", self.stderr);
        self
    }

    #[track_caller]
    fn assert_stderr_contains(&self, text: &str) -> &Finished {
        assert!(
            self.stderr.contains(text),
            "{text:?} not in stderr:\n{}",
            self.stderr
        );
        self
    }
}

/// Every record of a CSV file, header first, as data.
fn csv_records(path: &Path) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .unwrap_or_else(|e| panic!("{} reads as CSV: {e}", path.display()))
        .records()
        .map(|r| r.expect("a CSV record").iter().map(String::from).collect())
        .collect()
}

/// The cells of column `name` of a CSV file with a header, by the value of column `key`.
fn column_by(path: &Path, key: &str, name: &str) -> std::collections::BTreeMap<String, String> {
    let records = csv_records(path);
    let at = |wanted: &str| {
        records[0]
            .iter()
            .position(|h| h == wanted)
            .unwrap_or_else(|| panic!("no column {wanted} in {:?}", records[0]))
    };
    let (key, name) = (at(key), at(name));
    records[1..]
        .iter()
        .map(|r| (r[key].clone(), r[name].clone()))
        .collect()
}

/// A two-row input for `org`'s sample members, one of them changing title.
fn small_input(org: &TestOrg) -> PathBuf {
    org.input(
        "input.csv",
        &["email", "job_title"],
        [
            vec!["amelia.hart@acme.example", "Head of DevOps"],
            vec!["jose.garcia@acme.example", ""],
        ],
    )
}
