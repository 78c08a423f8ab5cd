//! Group membership from the export, met where a user meets it: `validate` reading group cells
//! (several columns, a multi-group cell, blank, `__CLEAR__`, names refused), the mapping file's
//! `groups`, `plan`/`apply` refusing group flags that cannot act and columns that are not in
//! the file, and `config show` naming each group setting's origin.

use serde_json::json;

use crate::util::*;

/// A BambooHR-style export: Department (also the team) and a Groups cell with several names.
fn export(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = dir.path().join("people.csv");
    let long = "G".repeat(201);
    write_csv(
        &path,
        &["Work Email", "First name", "Department", "Groups"],
        [
            vec![
                "ann@x.example",
                "Ann",
                "Sales",
                "EMEA; sales , Key Accounts",
            ],
            vec!["bo@x.example", "Bo", "", ""],
            vec!["cy@x.example", "Cy", "__CLEAR__", ""],
            vec!["di@x.example", "Di", "Support", long.as_str()],
            vec!["ed@x.example", "Ed", "Ops", "Night\u{1b}[31mShift"],
        ],
    );
    path
}

#[test]
fn validate_reads_every_group_column_and_refuses_names_no_group_can_have() {
    let dir = tempfile::tempdir().unwrap();

    let checked = validate(
        &export(&dir),
        &["--groups-from", "department", "--groups-from", "GROUPS"],
    );

    checked
        .assert_code(3)
        .assert_stderr_contains("column 3 `Department` → team")
        .assert_stderr_contains(
            "column 3 `Department` → groups (group names, split at `;` and `,`; blank keeps the \
             person's groups)",
        )
        .assert_stderr_contains("column 4 `Groups` → groups")
        .assert_stderr_contains("5 rows: 3 valid, 2 invalid, 0 warnings");
    let groups = |row: usize| json_cell(checked.row(row), "fields").get("groups").cloned();
    assert_eq!(groups(1), Some(json!(["Sales", "EMEA", "Key Accounts"])));
    assert_eq!(groups(2), None, "blank cells say nothing of groups");
    assert_eq!(
        groups(3),
        Some(json!([])),
        "__CLEAR__: none of the managed groups"
    );
    assert_eq!(checked.row(4)["outcome"], "invalid");
    assert_eq!(
        checked.lines_starting("! row 4"),
        [format!(
            "! row 4 (line 5) invalid: Groups: \"{}\" has a group name of 201 characters; at most \
             200: shorten it in the export (or split the cell with --groups-separator)",
            "G".repeat(201)
        )]
    );
    assert_eq!(
        checked.lines_starting("! row 5"),
        [
            "! row 5 (line 6) invalid: Groups: \"Night\\u{1b}[31mShift\" contains U+001B ESCAPE at \
          character 6: control characters are not allowed in a group name; remove it from the \
          cell"
        ]
    );
}

#[test]
fn the_mapping_file_names_group_columns_and_the_separator_flag_cuts_cells() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("people.csv");
    write_csv(
        &input,
        &["email", "Cost Center"],
        [vec!["ann@x.example", "R&D, Berlin | Platform"]],
    );
    let mapping = dir.path().join("mapping.toml");
    std::fs::write(&mapping, "groups = [\"Cost Center\"]\n").unwrap();
    let mapping = mapping.to_str().unwrap();

    let by_default = validate(&input, &["--mapping", mapping]);
    let piped = validate(&input, &["--mapping", mapping, "--groups-separator", "|"]);
    let whole = validate(&input, &["--mapping", mapping, "--groups-separator", ""]);

    let groups = |checked: &Checked| json_cell(checked.row(1), "fields")["groups"].clone();
    by_default.assert_code(0);
    assert_eq!(groups(&by_default), json!(["R&D", "Berlin | Platform"]));
    assert_eq!(groups(&piped), json!(["R&D, Berlin", "Platform"]));
    assert_eq!(groups(&whole), json!(["R&D, Berlin | Platform"]));
}

/// `SUBCOMMAND INPUT --sandbox FLAGS` in a scratch directory: exit code and stderr.
fn run_with(subcommand: &str, flags: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let input = export(&dir);
    let output = member_sync()
        .current_dir(dir.path())
        .env("MEMBER_SYNC_STATE_DIR", dir.path())
        .arg(subcommand)
        .arg(&input)
        .arg("--sandbox")
        .args(flags)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code().unwrap_or(-1), stderr)
}

#[test]
fn plan_with_group_columns_reads_the_export_and_runs() {
    let (code, stderr) = run_with(
        "plan",
        &[
            "--groups-from",
            "Department",
            "--groups-from",
            "Groups",
            "--manage-groups",
            "Dept: *",
            "--groups",
            "additive",
            "--create-groups",
            "--max-group-removals",
            "2",
        ],
    );
    // Rows 4 and 5 are invalid (exit 3); nothing else stops the run.
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("plan for acme-sandbox"),
        "the plan is made: {stderr}"
    );
    assert!(!stderr.contains("error:"), "{stderr}");
}

#[test]
fn group_flags_that_cannot_act_and_bad_values_are_refused_before_anything_is_sent() {
    let usage: [(&[&str], &str); 5] = [
        (
            &["--groups", "replace"],
            "[possible values: sync, additive]",
        ),
        (
            &["--max-group-removals", "lots"],
            "`lots` is not a number of members (5) or a share (20%)",
        ),
        (
            &["--create-groups"],
            "error: --create-groups is given, but no column names groups\nhint: name the column \
             whose cells name each person's groups: --groups-from COLUMN (profile key \
             groups_from; mapping file: groups = [\"COLUMN\"])",
        ),
        (
            &["--manage-groups", "Sales"],
            "error: --manage-groups is given, but no column names groups",
        ),
        (
            &["--groups-from", ""],
            "error: --groups-from is blank: name the column whose cells name groups",
        ),
    ];
    for (flags, message) in usage {
        let (code, stderr) = run_with("plan", flags);
        assert_eq!(code, 2, "{flags:?}: {stderr}");
        assert!(stderr.contains(message), "{flags:?}: {stderr}");
        assert!(
            !stderr.contains("plan for"),
            "nothing read from the API: {stderr}"
        );
    }
}

#[test]
fn a_group_column_not_in_the_file_is_named_with_the_headers_found() {
    for (subcommand, more) in [("plan", None), ("apply", Some("--yes"))] {
        let mut flags = vec!["--groups-from", "Dept"];
        flags.extend(more);
        let (code, stderr) = run_with(subcommand, &flags);
        assert_eq!(code, 1, "{stderr}");
        assert!(
            stderr.contains(
                "people.csv: --groups-from names `Dept`, but the file has no such column; \
                 headers found: `Work Email`, `First name`, `Department`, `Groups`\nhint: name a \
                 column of the header row as written there (case, spaces, `_` and `-` aside), \
                 or check that this is the export you meant"
            ),
            "{stderr}"
        );
        assert!(
            !stderr.contains("plan for"),
            "nothing read from the API: {stderr}"
        );
    }
}

#[test]
fn group_flags_are_refused_beside_a_saved_plan_and_by_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let refused = |args: &[&str]| {
        let output = member_sync()
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status.code().unwrap_or(-1), stderr)
    };
    let (code, stderr) = refused(&["apply", "--plan", "plan.json", "--groups-from", "Team"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(
            "error: the argument '--plan <PLAN>' cannot be used with '--groups-from <COLUMN>'"
        ),
        "{stderr}"
    );
    let (code, stderr) = refused(&["rollback", "report.csv", "--create-groups"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("error: unexpected argument '--create-groups' found"),
        "{stderr}"
    );
}

#[test]
fn config_show_names_every_group_setting_and_its_origin() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("member-sync.toml");
    std::fs::write(
        &config,
        "[profile.nightly]\norg = \"acme\"\ngroups_from = [\"Department\"]\n\
         manage_groups = [\"Dept: *\"]\ncreate_groups = true\n",
    )
    .unwrap();
    let show = || {
        member_sync()
            .args(["config", "show", "--profile", "nightly", "--config"])
            .arg(&config)
            .output()
            .unwrap()
    };
    let output = show();
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
    assert_eq!(
        line("groups_from"),
        "groups_from = [\"Department\"] (profile nightly)"
    );
    assert_eq!(
        line("groups_separator"),
        "groups_separator = `;` and `,` (default)"
    );
    assert_eq!(
        line("manage_groups"),
        "manage_groups = [\"Dept: *\"] (profile nightly)"
    );
    assert_eq!(line("groups"), "groups = sync (default)");
    assert_eq!(
        line("create_groups"),
        "create_groups = true (profile nightly)"
    );
    assert_eq!(
        line("max_group_removals"),
        "max_group_removals = 20% (default)"
    );

    std::fs::write(&config, "[profile.nightly]\ngroups = \"replace\"\n").unwrap();
    let refused = show();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("[profile.nightly] groups: `replace` is not one of sync, additive"),
        "{stderr}"
    );
}
