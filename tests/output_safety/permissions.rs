//! Item 11 of issue #16: every file member-sync writes holds names, emails and roles, so it
//! is readable by its owner only (0600), and every directory it creates is 0700, whatever the
//! umask of the process that ran it.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;

use super::*;

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// `command` run with umask 000, the most permissive: what member-sync asks for is what the
/// files get.
fn with_open_umask(command: &assert_cmd::Command) -> assert_cmd::Command {
    let std = command.get_program().to_owned();
    let mut wrapped = assert_cmd::Command::new("sh");
    wrapped
        .arg("-c")
        .arg("umask 000; exec \"$0\" \"$@\"")
        .arg(std);
    wrapped.args(command.get_args());
    for (name, value) in command.get_envs() {
        match value {
            Some(value) => wrapped.env(name, value),
            None => wrapped.env_remove(name),
        };
    }
    wrapped.write_stdin("");
    wrapped
}

#[test]
fn every_output_and_state_file_is_private() {
    let org = TestOrg::embedded();
    let input = small_input(&org);
    let report = org.fresh_report_path();
    let (summary, plan, state) = (
        org.path("summary.json"),
        org.path("plan.json"),
        org.path("state/nested"),
    );
    let mut command = org.command("plan", &input, &report);
    command
        .args(["--summary-json", summary.to_str().unwrap()])
        .args(["--out", plan.to_str().unwrap()]);
    Finished::of(&mut with_open_umask(&command)).assert_code(0);

    let applied = org.fresh_report_path();
    let mut command = org.command("apply", &input, &applied);
    command.args(["--state-dir", state.to_str().unwrap()]);
    Finished::of(&mut with_open_umask(&command)).assert_code(0);

    let members = org.path("members.csv");
    let mut command = member_sync();
    command
        .args([
            "export",
            "--rate",
            "1000/s",
            "--out",
            members.to_str().unwrap(),
        ])
        .args(["--base-url", &org.base_url(), "--org", org.org_id()])
        .env("TALLYFY_ACCESS_TOKEN", org.token());
    Finished::of(&mut with_open_umask(&command)).assert_code(0);

    let validated = org.path("validate.csv");
    let mut command = member_sync();
    command
        .args(["validate", input.to_str().unwrap(), "--report"])
        .arg(&validated);
    Finished::of(&mut with_open_umask(&command)).assert_code(0);

    let orgs = state.join("orgs");
    let (syncs, lock) = (
        orgs.join(format!("{}.syncs.json", org.org_id())),
        orgs.join(format!("{}.lock", org.org_id())),
    );
    for file in [
        &report, &summary, &plan, &applied, &members, &validated, &syncs, &lock,
    ] {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    for dir in [org.path("state"), state.clone(), state.join("orgs")] {
        assert_eq!(mode(&dir), 0o700, "{}", dir.display());
    }
}

#[test]
fn a_created_report_dir_is_private() {
    let org = TestOrg::embedded();
    let input = small_input(&org);
    let dir = org.path("reports/nightly");
    let mut command = org.connected(&[
        "plan",
        "--rate",
        "1000/s",
        "--report-dir",
        dir.to_str().unwrap(),
    ]);
    command.arg(&input);

    Finished::of(&mut with_open_umask(&command)).assert_code(0);

    assert_eq!(mode(&org.path("reports")), 0o700);
    assert_eq!(mode(&dir), 0o700);
}
