//! The files of `packaging/`, the Dockerfile and the Debian package's metadata stay true to the
//! binary: every flag an example passes is one the binary accepts, every environment variable
//! one it reads, the cron wrapper keeps what it says, the Windows task names parameters its
//! wrapper declares. Nothing here builds a release or needs a container engine
//! (scripts/release does that, docs/install.md says what it verified).

mod windows;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::util::{binary, member_sync};

/// The repository's file `path`, as text.
fn repo_file(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// The long and short flags `member-sync SUBCOMMAND --help` lists.
fn accepted_flags(subcommand: &str) -> BTreeSet<String> {
    let output = member_sync().args([subcommand, "--help"]).output().unwrap();
    assert!(output.status.success(), "{subcommand} --help failed");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::trim_start)
        .filter(|line| line.starts_with('-'))
        .flat_map(|line| {
            line.split([' ', ','])
                .take_while(|word| word.is_empty() || word.starts_with('-'))
                .filter(|word| !word.is_empty())
                .map(|word| word.split(['<', '[', '=', '.']).next().unwrap().to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Asserts that `args` (a member-sync command line without the binary) runs a subcommand that
/// accepts every flag in it.
#[track_caller]
fn assert_accepted(file: &str, args: &[String]) {
    let subcommand = args.first().unwrap_or_else(|| panic!("{file}: no command"));
    let accepted = accepted_flags(subcommand);
    assert!(
        accepted.contains("--yes") || subcommand != "apply",
        "{accepted:?}"
    );
    let unknown: Vec<_> = args
        .iter()
        .filter(|arg| arg.starts_with('-') && !accepted.contains(*arg))
        .collect();
    assert!(
        unknown.is_empty(),
        "{file}: `member-sync {subcommand}` does not accept {unknown:?} (it accepts {accepted:?})"
    );
}

/// Asserts that every `MEMBER_SYNC_*` and `TALLYFY_*` name in `text` is a variable the tool reads.
#[track_caller]
fn assert_known_env_vars(file: &str, text: &str) {
    let named: BTreeSet<&str> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| word.starts_with("MEMBER_SYNC_") || word.starts_with("TALLYFY_"))
        .collect();
    for name in named {
        assert!(
            member_sync::env_vars::ALL.contains(&name),
            "{file} names {name}, which member-sync does not read"
        );
    }
}

/// A systemd value with its `\` continuation lines joined.
fn systemd_value(unit: &str, key: &str) -> String {
    let start = unit
        .find(&format!("\n{key}="))
        .unwrap_or_else(|| panic!("no {key}= in the unit"));
    let mut value = String::new();
    for line in unit[start + key.len() + 2..].lines() {
        match line.strip_suffix('\\') {
            Some(part) => value.push_str(part),
            None => {
                value.push_str(line);
                break;
            }
        }
    }
    value
}

#[test]
fn the_systemd_service_runs_apply_with_flags_the_binary_accepts() {
    let unit = repo_file("packaging/systemd/member-sync@.service");
    let exec: Vec<String> = systemd_value(&unit, "ExecStart")
        .split_whitespace()
        .map(String::from)
        .collect();
    assert_eq!(
        exec[0], "/usr/bin/member-sync",
        "the .deb installs it there"
    );
    assert_eq!(exec[1], "apply");
    assert_accepted("member-sync@.service", &exec[1..]);
    assert_known_env_vars("member-sync@.service", &unit);
    for setting in ["UMask=0077", "TimeoutStopSec=", "StandardError=journal"] {
        assert!(unit.contains(setting), "the service sets {setting}");
    }
    let timer = repo_file("packaging/systemd/member-sync@.timer");
    assert!(timer.contains("OnCalendar=") && timer.contains("WantedBy=timers.target"));
}

#[test]
fn the_crontab_line_runs_the_wrapper_with_flags_the_binary_accepts() {
    let crontab = repo_file("packaging/cron/member-sync.cron");
    let jobs: Vec<Vec<String>> = crontab
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#') && !line.contains('='))
        .map(|line| line.split_whitespace().map(String::from).collect())
        .collect();
    assert_eq!(jobs.len(), 1, "one job: {jobs:?}");
    // minute hour day month weekday user command args...
    let job = &jobs[0];
    assert!(job[6].ends_with("/member-sync-cron"), "{job:?}");
    assert_accepted("member-sync.cron", &job[7..]);
    assert_known_env_vars("member-sync.cron", &crontab);
}

#[test]
fn the_kubernetes_cronjob_passes_flags_the_binary_accepts_and_a_profile_it_reads() {
    let yaml = repo_file("packaging/kubernetes/cronjob.yaml");
    let start = yaml.find("args: [").expect("args as a flow sequence") + "args: ".len();
    let end = start + yaml[start..].find(']').unwrap() + 1;
    let args: Vec<String> = serde_json::from_str(&yaml[start..end]).expect("args parse as JSON");
    assert_accepted("cronjob.yaml", &args);
    assert_known_env_vars("cronjob.yaml", &yaml);
    assert!(yaml.contains("concurrencyPolicy: Forbid"));
    let token_file = &args[args.iter().position(|a| a == "--token-file").unwrap() + 1];
    let secret_mount = "mountPath: /var/run/secrets/member-sync";
    assert!(token_file.starts_with("/var/run/secrets/member-sync/") && yaml.contains(secret_mount));
    assert!(yaml.contains("secretName: member-sync-token"));

    let config = config_map_file(&yaml, "member-sync.toml");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("member-sync.toml");
    std::fs::write(&path, config).unwrap();
    let profile = &args[args.iter().position(|a| a == "--profile").unwrap() + 1];
    let shown = member_sync()
        .args(["config", "show", "--profile", profile, "--config"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&shown.stderr);
    assert!(shown.status.success(), "the ConfigMap's profile: {stderr}");
}

/// The block scalar `key: |` of a ConfigMap, unindented.
fn config_map_file(yaml: &str, key: &str) -> String {
    let start = yaml
        .find(&format!("{key}: |\n"))
        .expect("the ConfigMap key")
        + key.len()
        + 4;
    let lines: Vec<&str> = yaml[start..]
        .lines()
        .take_while(|line| line.starts_with("    ") || line.is_empty())
        .collect();
    lines
        .iter()
        .map(|line| format!("{}\n", line.trim()))
        .collect()
}

#[test]
fn the_container_image_runs_the_binary_as_pid_1_as_a_non_root_user_on_an_empty_image() {
    let dockerfile = repo_file("Dockerfile");
    let last_stage = &dockerfile[dockerfile.rfind("\nFROM ").unwrap()..];
    assert!(last_stage.starts_with("\nFROM scratch"), "{last_stage}");
    let user = last_stage
        .lines()
        .find_map(|line| line.strip_prefix("USER "))
        .expect("a USER");
    assert!(
        !user.starts_with('0') && !user.starts_with("root"),
        "{user}"
    );
    let entrypoint = last_stage
        .lines()
        .find_map(|line| line.strip_prefix("ENTRYPOINT "))
        .expect("an ENTRYPOINT");
    let entrypoint: Vec<String> = serde_json::from_str(entrypoint).expect("exec form");
    assert_eq!(entrypoint, ["/usr/local/bin/member-sync"]);
    assert!(dockerfile.contains("sh packaging/container/rootfs.sh"));
    assert!(repo_file("packaging/container/rootfs.sh").contains("/usr/local/bin/member-sync"));
    assert_known_env_vars("Dockerfile", &dockerfile);
}

#[test]
fn every_file_the_debian_package_takes_from_the_repository_exists() {
    let manifest: toml::Table = toml::from_str(&repo_file("Cargo.toml")).unwrap();
    let assets = manifest["package"]["metadata"]["deb"]["assets"]
        .as_array()
        .expect("deb assets");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut from_repository = 0;
    for asset in assets {
        let source = asset[0].as_str().unwrap();
        // target/release/ is made by scripts/release (the binary, its man page, completions).
        if !source.starts_with("target/") {
            assert!(root.join(source).is_file(), "{source} is missing");
            from_repository += 1;
        }
    }
    assert!(from_repository >= 5, "{assets:?}");
}

/// Reports that look like earlier runs' (names from the time their run started).
fn earlier_reports(dir: &Path, stamps: &[&str]) {
    for stamp in stamps {
        std::fs::write(dir.join(format!("member-sync-report-{stamp}.csv")), "row\n").unwrap();
    }
}

fn file_names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect()
}

#[test]
fn the_cron_wrapper_keeps_the_newest_runs_reports_and_exits_with_the_runs_code() {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    std::fs::create_dir(&reports).unwrap();
    earlier_reports(
        &reports,
        &["20010101-020000", "20010102-020000", "20010103-020000"],
    );
    std::fs::write(reports.join("notes.txt"), "not a report").unwrap();

    let wrapper = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/cron/member-sync-cron");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/hr-export.csv");
    let run = std::process::Command::new("sh")
        .arg(&wrapper)
        .args(["plan", sample.to_str().unwrap(), "--sandbox", "--quiet"])
        .env("MEMBER_SYNC", binary())
        .env("REPORT_DIR", &reports)
        .env("KEEP_REPORTS", "2")
        .env("MEMBER_SYNC_STATE_DIR", dir.path().join("state"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    // The sample has invalid rows: member-sync exits 3, and so does the wrapper.
    assert_eq!(run.status.code(), Some(3), "{stderr}");

    let left = file_names(&reports);
    assert!(
        left.contains("notes.txt"),
        "only reports are pruned: {left:?}"
    );
    assert!(
        left.contains("member-sync-report-20010103-020000.csv"),
        "{left:?}"
    );
    let new: Vec<_> = left
        .iter()
        .filter(|name| {
            name.starts_with("member-sync-report-")
                && name.ends_with(".csv")
                && !name.contains("-2001")
        })
        .collect();
    assert_eq!(new.len(), 1, "this run's report stays: {left:?}");
    // This run's report and its HTML page (written beside every report in a report
    // directory), the newer old run, and the other file.
    assert_eq!(
        left.len(),
        4,
        "the newest 2 runs and the other file: {left:?}"
    );
}

#[test]
fn the_cron_wrapper_refuses_a_keep_count_that_is_not_a_number() {
    let dir = tempfile::tempdir().unwrap();
    let wrapper = Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/cron/member-sync-cron");
    let run = std::process::Command::new("sh")
        .arg(&wrapper)
        .args(["plan", "x.csv"])
        .env("MEMBER_SYNC", "/nonexistent/member-sync")
        .env("REPORT_DIR", dir.path())
        .env("KEEP_REPORTS", "30d")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("KEEP_REPORTS must be a number of runs, not `30d`"),
        "{stderr}"
    );
}
