//! The safety nets of `--leavers disable`, each checked before the first write: the leaver
//! limit (exit 4, nothing written, the counts not kept), members never disabled, inputs that
//! disable nobody (a row whose key cannot be read, leaver counts that cannot be read), and the
//! empty-input and source-shrink guards.

use super::*;

/// `--leavers disable --leaver-grace-runs 1`: absent once is enough.
const AT_ONCE: [&str; 4] = ["--leavers", "disable", "--leaver-grace-runs", "1"];

#[test]
fn more_leavers_than_the_limit_are_refused_with_nothing_written() {
    let org = org_of(40, &[], SandboxConfig::default());
    // Ten of forty absent, and one row to update: 5% of 40 is 2.
    let mut rows: Vec<Vec<String>> = (1..=30).map(same).collect();
    rows[0] = row("person1@gen.example", "First1", "Last1", "Lead");
    let path = input(&org, "truncated.csv", &[], rows);

    let refused = org.apply(&path, &AT_ONCE);

    refused
        .assert_code(4)
        .assert_stderr_contains(
            "error: max leavers guard: the plan disables 10 members, more than the 2 allowed \
             (5% of 40 active members, at least 1); nothing was written",
        )
        .assert_stderr_contains(
            "hint: list them first (`member-sync plan --leavers report`); if every one has left, \
             pass --max-leavers 10 (--force does not lift this guard)",
        );
    assert!(
        writes(&org).is_empty(),
        "nothing written, not even the update"
    );
    let forced = org.apply(&path, &[&AT_ONCE[..], &["--force"]].concat());
    forced.assert_code(4);
    assert!(writes(&org).is_empty(), "--force does not lift it");
    // `plan` says what apply would refuse.
    org.plan(&path, &AT_ONCE)
        .assert_code(0)
        .assert_stderr_contains(
            "warning: apply would refuse: max leavers guard: the plan disables 10 members",
        );

    // A refused run is no completed run: its absences were not counted.
    let counted = org.apply(&path, &["--leavers", "disable", "--max-leavers", "10"]);
    counted.assert_code(0);
    assert!(
        member_line(&counted.report, 40)["error"].starts_with("absent from the input 1 of 2 runs")
    );

    // Named, the limit lets them go.
    let allowed = org.apply(&path, &[&AT_ONCE[..], &["--max-leavers", "10"]].concat());
    allowed.assert_code(0);
    assert_eq!(outcome_counts(&allowed.report)["disabled"], 10);
}

/// An administrator, the token's own account, an `--exclude` match and a bot are never
/// disabled, absent or not: each line says why.
#[test]
fn administrators_the_token_owner_exclusions_and_bots_are_never_disabled() {
    let extra = [
        json!({"id": 41, "email": "boss@gen.example", "first_name": "Bo", "last_name": "Ss",
            "timezone": "UTC", "role": "admin", "status": "active"}),
        json!({"id": 42, "email": "sync@gen.example", "first_name": "Sy", "last_name": "Nc",
            "timezone": "UTC", "role": "standard", "status": "active"}),
        json!({"id": 43, "email": "temp@contractors.example", "first_name": "Te",
            "last_name": "Mp", "timezone": "UTC", "role": "light", "status": "active"}),
        json!({"id": 44, "email": "robot@gen.example", "first_name": "Ro", "last_name": "Bot",
            "timezone": "UTC", "role": "standard", "status": "active", "is_bot": true}),
    ];
    let org = org_of(40, &extra, SandboxConfig::default());
    let path = input(&org, "people.csv", &[], (1..=39).map(same).collect());
    let args = [
        &AT_ONCE[..],
        &[
            "--token-owner",
            "Sync@gen.example",
            "--exclude",
            "*@contractors.example",
        ],
    ]
    .concat();

    let run = org.apply(&path, &args);

    run.assert_code(0);
    let why = |id: u64| {
        let line = member_line(&run.report, id);
        assert_eq!(line["outcome"], "excluded", "{line:#?}");
        line["error"].clone()
    };
    assert!(why(41).ends_with(
        "never disabled: an administrator: a sync never disables one (if they left, change \
         their role in Tallyfy first)"
    ));
    assert!(why(42).ends_with(
        "never disabled: the token's own account (--token-owner): a sync never disables the \
         account it runs as"
    ));
    assert!(
        why(43).ends_with("never disabled: the member matches --exclude *@contractors.example")
    );
    assert!(why(44).ends_with("never disabled: a bot account: a sync never disables one"));
    assert_eq!(member_line(&run.report, 40)["outcome"], "disabled");
    assert_eq!(writes(&org), [write("DELETE", "/users/40/disable")]);
    for id in 41..=44 {
        assert_eq!(status(&org, id), "active");
    }
}

/// A row whose key cannot be read may be any member's: while it is in the input nobody is
/// disabled, and the run says why.
#[test]
fn an_invalid_row_whose_key_cannot_be_read_disables_nobody() {
    let org = org_of(40, &[], SandboxConfig::default());
    let mut rows: Vec<Vec<String>> = (1..=39).map(same).collect();
    rows.push(row(
        "person40(at)gen.example",
        "First40",
        "Last40",
        "Analyst",
    ));
    let path = input(&org, "garbled.csv", &[], rows);

    let run = org.apply(&path, &AT_ONCE);

    run.assert_code(3).assert_stderr_contains(
        "warning: nobody is disabled in this run: row 40 is invalid and its key cannot be read, \
         so it may be any member's; fix the row, then run again",
    );
    let line = member_line(&run.report, 40);
    assert_eq!(line["outcome"], "leaver");
    assert!(
        line["error"].ends_with(
            "not disabled: row 40 is invalid and its key cannot be read, so it may be any \
             member's; fix the row, then run again"
        ),
        "{}",
        line["error"]
    );
    assert!(writes(&org).is_empty());

    // An invalid row whose key can be read names its member: that member is no leaver.
    let mut rows: Vec<Vec<String>> = (1..=39).map(same).collect();
    rows.push(row(
        "person40@gen.example",
        "First40",
        "Last40",
        &"x".repeat(300),
    ));
    let path = input(&org, "one-bad-cell.csv", &[], rows);
    let run = org.apply(&path, &AT_ONCE);
    run.assert_code(3);
    assert_eq!(report_row(&run.report, 40)["outcome"], "invalid");
    assert_eq!(run.report.len(), 40, "no leaver line");
    assert!(writes(&org).is_empty());
}

/// Leaver counts that cannot be read (torn, edited by hand) disable nobody for being absent,
/// never everybody; the run says so and the counts start again.
#[test]
fn torn_leaver_counts_disable_nobody_and_start_again() {
    let org = org_of(40, &[], SandboxConfig::default());
    let path = input(&org, "nightly.csv", &[], (1..=39).map(same).collect());
    org.apply(&path, &["--leavers", "disable"]).assert_code(0);
    let counts = org.path("state").join("orgs/lifecycle-org.leavers.json");
    let text = std::fs::read_to_string(&counts).expect("the counts were kept");
    std::fs::write(&counts, &text[..text.len() / 2]).unwrap();

    let run = org.apply(&path, &["--leavers", "disable"]);

    run.assert_code(0).assert_stderr_contains(&format!(
        "warning: the leaver counts {} cannot be read (",
        counts.display()
    ));
    run.assert_stderr_contains(
        "no member is disabled for being absent in this run; the leaver counts start again when it completes",
    );
    let line = member_line(&run.report, 40);
    assert_eq!(line["outcome"], "leaver");
    assert!(
        line["error"].ends_with(
            "not disabled in this run: the leaver counts could not be read (see the warning above)"
        ),
        "{}",
        line["error"]
    );
    assert!(writes(&org).is_empty());
    // Started again from that run: the next one is the second in a row.
    org.apply(&path, &["--leavers", "disable"]).assert_code(0);
    assert_eq!(status(&org, 40), "disabled");
}

#[test]
fn the_empty_input_and_source_shrink_guards_stop_a_leaver_run_before_any_write() {
    let org = org_of(40, &[], SandboxConfig::default());
    let empty = input(&org, "empty.csv", &[], Vec::new());
    org.apply(&empty, &AT_ONCE)
        .assert_code(4)
        .assert_stderr_contains("empty input guard");

    let path = input(&org, "nightly.csv", &[], (1..=40).map(same).collect());
    org.apply(&path, &AT_ONCE).assert_code(0);
    // The same sync's file, cut to a quarter.
    write_csv(&path, &HEADERS, (1..=10).map(same));
    let shrunk = org.apply(&path, &[&AT_ONCE[..], &["--max-leavers", "100%"]].concat());

    shrunk
        .assert_code(4)
        .assert_stderr_contains("source shrink guard");
    assert!(writes(&org).is_empty());
}
