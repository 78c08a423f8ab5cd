//! Item 12 of issue #16: no output replaces a file it was not asked to, follows a symbolic
//! link, or names the input or another output of the same run. The summary JSON replaces only
//! an earlier summary.

use super::*;

const SECRET: &str = "precious, not member-sync's\n";

fn precious(org: &TestOrg, name: &str) -> PathBuf {
    let path = org.path(name);
    std::fs::write(&path, SECRET).unwrap();
    path
}

#[cfg(unix)]
fn link_to(org: &TestOrg, name: &str, target: &Path) -> PathBuf {
    let link = org.path(name);
    std::os::unix::fs::symlink(target, &link).unwrap();
    link
}

#[test]
fn the_report_and_the_summary_cannot_be_one_file() {
    let org = TestOrg::embedded();
    let input = small_input(&org);
    let report = org.fresh_report_path();
    let mut command = org.command("apply", &input, &report);
    command.arg("--summary-json").arg(&report);

    let run = Run::of(&mut command, report.clone());

    run.assert_code(1);
    run.assert_stderr_contains("--report and --summary-json name the same file");
    assert!(!report.exists(), "nothing written");
    assert!(
        org.requests().is_empty(),
        "nothing sent: {:?}",
        org.requests()
    );
}

#[test]
fn no_output_may_name_the_input() {
    let org = TestOrg::embedded();
    let input = small_input(&org);
    let before = std::fs::read(&input).unwrap();
    let path = input.to_str().unwrap();
    for (subcommand, flags) in [
        ("apply", ["--summary-json", path, ""]),
        ("plan", ["--out", path, "--overwrite"]),
    ] {
        let flags: Vec<&str> = flags.into_iter().filter(|f| !f.is_empty()).collect();
        let run = org.run_command(subcommand, &input, &flags);
        run.assert_code(1);
        run.assert_stderr_contains(&format!("{} names the input", flags[0]));
        assert_eq!(
            std::fs::read(&input).unwrap(),
            before,
            "{subcommand} {flags:?}"
        );
    }
    assert!(org.requests().is_empty(), "nothing sent");
}

#[test]
fn a_saved_plan_never_replaces_a_file_unless_told_to() {
    let org = TestOrg::embedded();
    let input = small_input(&org);
    let out = precious(&org, "plan.json");

    let refused = org.plan(&input, &["--out", out.to_str().unwrap()]);

    refused.assert_code(1);
    refused.assert_stderr_contains(&format!("{}: it exists", out.display()));
    refused.assert_stderr_contains("--overwrite");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), SECRET);

    let replaced = org.plan(&input, &["--out", out.to_str().unwrap(), "--overwrite"]);
    replaced.assert_code(0);
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(plan["format"], "member-sync plan");
}

#[test]
fn an_export_never_replaces_a_file_unless_told_to() {
    let org = TestOrg::embedded();
    let out = precious(&org, "members.csv");

    let refused = export(&org, &["--out", out.to_str().unwrap()]);

    refused.assert_code(1);
    refused.assert_stderr_contains(&format!("{}: it exists", out.display()));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), SECRET);
    assert!(
        org.requests().is_empty(),
        "refused before reading the members"
    );

    export(&org, &["--out", out.to_str().unwrap(), "--overwrite"]).assert_code(0);
    assert_eq!(csv_records(&out).len(), 61);
}

#[cfg(unix)]
#[test]
fn no_output_is_written_through_a_symbolic_link() {
    let org = TestOrg::embedded();
    let input = small_input(&org);
    let target = precious(&org, "target.txt");

    let summary = link_to(&org, "summary.json", &target);
    let run = org.plan(&input, &["--summary-json", summary.to_str().unwrap()]);
    run.assert_code(1);
    run.assert_stderr_contains("is a symbolic link");

    let plan = link_to(&org, "plan.json", &target);
    let run = org.plan(&input, &["--out", plan.to_str().unwrap(), "--overwrite"]);
    run.assert_code(1);
    run.assert_stderr_contains("is a symbolic link");

    let members = link_to(&org, "members.csv", &target);
    export(&org, &["--out", members.to_str().unwrap(), "--overwrite"])
        .assert_code(1)
        .assert_stderr_contains("is a symbolic link");

    assert_eq!(std::fs::read_to_string(&target).unwrap(), SECRET);
    assert!(std::fs::symlink_metadata(&plan).unwrap().is_symlink());
}

#[test]
fn the_summary_replaces_only_an_earlier_summary() {
    let org = TestOrg::embedded();
    let input = small_input(&org);
    let summary = org.path("last.json");
    let flag = ["--summary-json", summary.to_str().unwrap()];

    // Night after night: each run's summary replaces the last one.
    org.plan(&input, &flag).assert_code(0);
    let first = std::fs::read_to_string(&summary).unwrap();
    org.apply(&input, &flag).assert_code(0);
    let second: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_ne!(first, second.to_string());
    assert_eq!(second["command"], "apply");

    // Anything else there is left alone, and the run does not start.
    let other = precious(&org, "notes.json");
    let sent = org.requests().len();
    let run = org.apply(&input, &["--summary-json", other.to_str().unwrap()]);
    run.assert_code(1);
    run.assert_stderr_contains("it is not a summary of an earlier run");
    assert_eq!(std::fs::read_to_string(&other).unwrap(), SECRET);
    assert_eq!(org.requests().len(), sent, "nothing read or sent");
}
