//! Item 8: `-` reads the export from standard input (`curl … | member-sync apply -`), in every
//! format a file may have, and messages call it `standard input`.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::*;

const CHANGES: &str = "Work Email,Job Title\n\
                       amelia.hart@acme.example,Chief Engineer\n\
                       jose.garcia@acme.example,Sales Director\n";

#[test]
fn validate_reads_csv_utf16_and_workbooks_from_standard_input() {
    let records = csv_records(CHANGES);
    let inputs: [(&str, Vec<u8>); 4] = [
        ("CSV, UTF-8", CHANGES.as_bytes().to_vec()),
        (
            "CSV, windows-1252",
            windows_1252(&CHANGES.replace("Chief", "Jefe ñ")),
        ),
        (
            "TSV, UTF-16LE (BOM)",
            utf16le_with_bom(&csv_text(&records, b'\t')),
        ),
        ("XLSX, sheet `Staff`", xlsx(&[("Staff", &records)])),
    ];
    for (format, bytes) in inputs {
        let extra: &[&str] = if format.contains("1252") {
            &["--encoding", "windows-1252"]
        } else {
            &[]
        };

        let (code, stderr, report) = validate_stdin(&bytes, extra);

        assert_eq!(code, 0, "{format}: {stderr}");
        assert!(stderr.contains("input: standard input\n"), "{stderr}");
        assert!(stderr.contains(&format!("format: {format}")), "{stderr}");
        assert_eq!(report.len(), 2, "{format}");
    }
}

#[test]
fn apply_reads_standard_input_and_sends_the_changes() {
    let org = TestOrg::embedded();
    let run = from_stdin(&org, "apply", CHANGES, &[]);

    run.assert_code(0);
    assert_eq!(outcome_counts(&run.report), counts(&[("updated", 2)]));
    assert_eq!(org.member(1001)["job_title"], "Chief Engineer");
}

/// `member-sync SUBCOMMAND - ...EXTRA` against `org`, with `input` on standard input.
fn from_stdin(org: &TestOrg, subcommand: &str, input: &str, extra: &[&str]) -> Run {
    let report = org.fresh_report_path();
    let mut command = org.command(subcommand, Path::new("-"), &report);
    command.args(extra).write_stdin(input.to_string());
    Run::of(&mut command, report)
}

#[test]
fn a_plan_made_from_standard_input_names_it_and_hashes_what_was_read() {
    let org = TestOrg::embedded();
    let plan_file = org.path("plan.json");

    let run = from_stdin(
        &org,
        "plan",
        CHANGES,
        &["--out", plan_file.to_str().unwrap()],
    );

    run.assert_code(0);
    let plan: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&plan_file).unwrap()).unwrap();
    assert_eq!(plan["input"]["path"], "standard input");
    assert_eq!(
        plan["input"]["sha256"],
        format!("{:x}", Sha256::digest(CHANGES.as_bytes()))
    );
    let report = org.fresh_report_path();
    let mut apply = org.connected(&["apply", "--plan", plan_file.to_str().unwrap(), "--yes"]);
    apply.arg("--report").arg(&report);
    Run::of(&mut apply, report)
        .assert_code(0)
        .assert_stderr_contains("from standard input");
}

#[test]
fn a_repair_run_from_standard_input_checks_it_is_the_same_input() {
    let org = TestOrg::embedded();
    let planned = from_stdin(&org, "plan", CHANGES, &[]);
    planned.assert_code(0);
    let earlier = planned.report_path.to_str().unwrap().to_string();
    let again = ["--only-rows-from", &earlier, "--outcomes", "planned"];

    from_stdin(&org, "apply", CHANGES, &again)
        .assert_code(0)
        .assert_stderr_contains("running again 2 rows of");

    let other = CHANGES.replace("jose.garcia", "grace.okafor");
    from_stdin(&org, "apply", &other, &again)
        .assert_code(1)
        .assert_stderr_contains("does not come from this input");
}

#[test]
fn errors_about_standard_input_name_it() {
    let (code, stderr, _) = validate_stdin(b"email\nj\xe9@x.example\n", &[]);

    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("error: standard input: not valid UTF-8 at line 2"),
        "{stderr}"
    );
}

/// `-` on a terminal is refused at once instead of waiting for someone to type an export.
/// (`script` from util-linux gives the binary a terminal.)
#[cfg(target_os = "linux")]
#[test]
fn a_terminal_as_standard_input_is_refused_not_waited_on() {
    let output = std::process::Command::new("script")
        .args([
            "-qec",
            &format!("{} validate -", binary().display()),
            "/dev/null",
        ])
        .env("NO_COLOR", "1")
        .output()
        .expect("`script` (util-linux) runs");
    let shown = String::from_utf8_lossy(&output.stdout).replace('\r', "");

    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains(
            "error: cannot read standard input: it is a terminal, not a piped export\n\
             hint: pipe the export in (curl … | member-sync apply -), or give its path \
             instead of -"
        ),
        "{shown}"
    );
}
