//! What the input says of employment, and the lifecycle flags, met where a user meets them:
//! `validate` reading status and date columns, `plan`/`apply` refusing bad flag values, and
//! `config show` naming each lifecycle setting's origin.

use crate::util::*;

/// A BambooHR report with its status and date columns: one row of each kind.
fn bamboohr(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = dir.path().join("bamboohr.csv");
    write_csv(
        &path,
        &[
            "Employee #",
            "Work Email",
            "First name",
            "Status",
            "Hire Date",
            "Termination Date",
        ],
        [
            vec!["1", "ann@x.example", "Ann", "Active", "2019-04-01", ""],
            vec![
                "2",
                "bo@x.example",
                "Bo",
                "Inactive",
                "2018-01-15",
                "2026-01-31",
            ],
            vec!["3", "cy@x.example", "Cy", "On Sabbatical", "", ""],
            vec!["4", "di@x.example", "Di", "Active", "04/03/2024", ""],
        ],
    );
    path
}

#[test]
fn validate_reads_status_and_dates_and_warns_of_a_word_or_date_it_cannot_read() {
    let dir = tempfile::tempdir().unwrap();

    let checked = validate(&bamboohr(&dir), &[]);

    // `validate` has no lifecycle flag: nothing acts on these cells, so one that cannot be
    // read is a warning, and the row is judged on its profile.
    checked
        .assert_code(0)
        .assert_stderr_contains(
            "column 4 `Status` → status (employment status: Active, Terminated, ...; for joiners \
             and leavers, never sent)",
        )
        .assert_stderr_contains(
            "column 5 `Hire Date` → start_date (for joiners and leavers; never sent)",
        )
        .assert_stderr_contains("column 6 `Termination Date` → end_date")
        .assert_stderr_contains("4 rows: 4 valid, 0 invalid, 2 warnings");
    assert!(
        checked.lines_starting("! row").is_empty(),
        "{}",
        checked.stderr
    );
    let warned = checked.lines_starting("~ row");
    assert_eq!(warned.len(), 2, "{warned:?}");
    assert!(
        warned[0].starts_with(
            "~ row 3 (line 4): Status: \"On Sabbatical\" is not a status member-sync knows; \
             still employed: Active, Leave of Absence"
        ),
        "{}",
        warned[0]
    );
    assert!(
        warned[0].ends_with(
            "left unread: only --joiners invite, --leavers report or disable, --rehires enable \
             and --invite-days-before act on it"
        ),
        "{}",
        warned[0]
    );
    assert!(
        warned[1].starts_with(
            "~ row 4 (line 5): Hire Date: \"04/03/2024\" is not a date member-sync reads on its \
             own"
        ),
        "{}",
        warned[1]
    );
    assert_eq!(
        json_cell(checked.row(1), "fields"),
        serde_json::json!({"first_name": "Ann", "status": "active", "start_date": "2019-04-01"})
    );
    assert_eq!(
        json_cell(checked.row(2), "fields"),
        serde_json::json!({
            "first_name": "Bo",
            "status": "left",
            "start_date": "2018-01-15",
            "end_date": "2026-01-31"
        })
    );
    assert_eq!(
        json_cell(checked.row(3), "fields"),
        serde_json::json!({"first_name": "Cy"}),
        "the status it could not read is unknown, never a guess"
    );
}

/// The same file planned with a flag that acts on status and dates: the cells that cannot be
/// read make their rows invalid; without one, the rows plan as profile syncs.
#[test]
fn a_lifecycle_flag_makes_a_status_or_date_it_cannot_read_an_invalid_row() {
    for (flags, invalid) in [
        (&[][..], 0),
        (&["--leavers", "report"][..], 2),
        (&["--joiners", "invite"][..], 2),
        (&["--rehires", "enable"][..], 2),
        (&["--invite-days-before", "3"][..], 2),
        (&["--leavers", "ignore", "--max-invites", "3"][..], 0),
    ] {
        let (_, stderr) = plan_with(flags);
        // (`--joiners invite` also finds the joiners without a last name: not this test's.)
        let rows: Vec<&str> = stderr
            .lines()
            .filter(|l| l.starts_with("! row") && !l.contains("an invite needs"))
            .collect();
        assert_eq!(rows.len(), invalid, "{flags:?}: {stderr}");
        if invalid > 0 {
            assert!(
                rows[0].starts_with("! row 3 invalid: Status: \"On Sabbatical\""),
                "{rows:?}"
            );
            assert!(
                rows[1].starts_with("! row 4 invalid: Hire Date: \"04/03/2024\""),
                "{rows:?}"
            );
        }
    }
}

#[test]
fn the_mapping_file_says_the_date_order_and_more_status_words() {
    let dir = tempfile::tempdir().unwrap();
    let mapping = dir.path().join("mapping.toml");
    std::fs::write(
        &mapping,
        "preset = \"bamboohr\"\ndates = \"dd/mm/yyyy\"\n[status]\nactive = [\"On Sabbatical\"]\n",
    )
    .unwrap();

    let checked = validate(&bamboohr(&dir), &["--mapping", mapping.to_str().unwrap()]);

    checked.assert_code(0);
    assert!(
        checked.lines_starting("! row").is_empty(),
        "{}",
        checked.stderr
    );
}

#[test]
fn a_mapping_file_with_a_bad_status_table_or_date_order_stops_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let mapping = dir.path().join("mapping.toml");
    std::fs::write(&mapping, "dates = \"yyyy/dd/mm\"\n").unwrap();

    let checked = validate(&bamboohr(&dir), &["--mapping", mapping.to_str().unwrap()]);

    checked.assert_code(1).assert_stderr_contains(
        "dates: `yyyy/dd/mm` is not a date order; use \"mm/dd/yyyy\" or \"dd/mm/yyyy\"",
    );
}

/// `plan INPUT --sandbox FLAGS`: refused before anything is read or sent.
fn plan_with(flags: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let input = bamboohr(&dir);
    let output = member_sync()
        .current_dir(dir.path())
        .arg("plan")
        .arg(&input)
        .arg("--sandbox")
        .args(flags)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code().unwrap_or(-1), stderr)
}

#[test]
fn bad_lifecycle_flags_are_refused_with_what_is_accepted() {
    let usage: [(&[&str], &str); 5] = [
        (&["--joiners", "add"], "[possible values: report, invite]"),
        (
            &["--leavers", "delete"],
            "[possible values: ignore, report, disable]",
        ),
        (&["--rehires", "yes"], "[possible values: report, enable]"),
        (
            &["--max-leavers", "lots"],
            "`lots` is not a leaver limit: write a number of members (3) or a share of the \
             active members (5%)",
        ),
        (
            &["--leaver-grace-runs", "0"],
            "1 disables at the first absence",
        ),
    ];
    for (flags, message) in usage {
        let (code, stderr) = plan_with(flags);
        assert_eq!(code, 2, "{flags:?}: {stderr}");
        assert!(stderr.contains(message), "{flags:?}: {stderr}");
    }
    let (code, stderr) = plan_with(&["--invite-message", "@no-such-message.txt"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("error: cannot read the --invite-message file no-such-message.txt"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: give the text itself, or @FILE"),
        "{stderr}"
    );
}

#[test]
fn config_show_names_every_lifecycle_setting_and_its_origin() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("member-sync.toml");
    std::fs::write(
        &config,
        "[profile.nightly]\norg = \"acme\"\nleavers = \"report\"\nmax_leavers = \"3\"\n",
    )
    .unwrap();
    let output = member_sync()
        .args(["config", "show", "--profile", "nightly", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let shown = String::from_utf8(output.stdout).unwrap();
    let line = |name: &str| {
        let found = shown.lines().find(|l| l.split(' ').next() == Some(name));
        found
            .unwrap_or_else(|| panic!("no {name} in:\n{shown}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(line("leavers"), "leavers = report (profile nightly)");
    assert_eq!(line("max_leavers"), "max_leavers = 3 (profile nightly)");
    assert_eq!(line("joiners"), "joiners = report (default)");
    assert_eq!(line("max_invites"), "max_invites = 10 (default)");
    assert_eq!(line("leaver_grace_runs"), "leaver_grace_runs = 2 (default)");
    assert_eq!(line("rehires"), "rehires = report (default)");

    std::fs::write(&config, "[profile.nightly]\nleavers = \"delete\"\n").unwrap();
    let refused = member_sync()
        .args(["config", "show", "--profile", "nightly", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(
        stderr
            .contains("[profile.nightly] leavers: `delete` is not one of ignore, report, disable"),
        "{stderr}"
    );
}
