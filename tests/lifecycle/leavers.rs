//! Leavers: an active member absent from the input, or a row saying the person has left;
//! ignored (and counted), reported, or disabled after the grace runs; a last day still to come
//! is no leaver yet; a removal hands the leaver's tasks over.

use super::*;

/// Members 1..=40, the input names 1..=39: member 40 is absent.
fn all_but_the_last(org: &TestOrg) -> std::path::PathBuf {
    input(org, "nightly.csv", &[], (1..=39).map(same).collect())
}

#[test]
fn a_nightly_sync_disables_a_leaver_absent_from_two_runs_not_one() {
    let org = org_of(40, &[], SandboxConfig::default());
    let path = all_but_the_last(&org);

    let night_1 = org.apply(&path, &["--leavers", "disable"]);

    night_1.assert_code(0);
    let line = member_line(&night_1.report, 40);
    assert_eq!(line["outcome"], "leaver");
    assert!(
        line["error"].starts_with("absent from the input 1 of 2 runs in a row (since 20"),
        "{}",
        line["error"]
    );
    assert!(
        line["error"].ends_with("disabled when absent from 2 (--leaver-grace-runs)"),
        "{}",
        line["error"]
    );
    assert_eq!(line["email"], "person40@gen.example");
    assert_eq!(status(&org, 40), "active");
    assert!(writes(&org).is_empty());
    night_1.assert_stderr_contains("39 rows and 1 member without a row: 39 unchanged, 1 leaver ·");

    let night_2 = org.apply(&path, &["--leavers", "disable"]);

    night_2.assert_code(0);
    let line = member_line(&night_2.report, 40);
    assert_eq!(
        (
            line["row"].as_str(),
            line["outcome"].as_str(),
            line["action"].as_str(),
            line["http_status"].as_str()
        ),
        ("", "disabled", "disable", "200")
    );
    assert_eq!(status(&org, 40), "disabled");
    assert_eq!(writes(&org), [write("DELETE", "/users/40/disable")]);
    night_2
        .assert_stderr_contains("39 rows and 1 member without a row: 39 unchanged, 1 disabled ·");

    // Disabled, they are no leaver any more: the third night sends nothing.
    let night_3 = org.apply(&path, &["--leavers", "disable"]);
    night_3.assert_code(0);
    assert_eq!(night_3.report.len(), 39);
    assert_eq!(writes(&org).len(), 1);
}

#[test]
fn a_member_back_in_the_input_starts_the_count_again() {
    let org = org_of(40, &[], SandboxConfig::default());
    let path = all_but_the_last(&org);
    org.apply(&path, &["--leavers", "disable"]).assert_code(0);
    // The next night's file names them again...
    write_csv(&path, &HEADERS, (1..=40).map(same));
    org.apply(&path, &["--leavers", "disable"]).assert_code(0);
    // ... and the one after does not: absent from one run in a row, not two.
    write_csv(&path, &HEADERS, (1..=39).map(same));

    let run = org.apply(&path, &["--leavers", "disable"]);

    let line = member_line(&run.report, 40);
    assert_eq!(line["outcome"], "leaver", "{line:#?}");
    assert!(line["error"].starts_with("absent from the input 1 of 2 runs"));
    assert_eq!(status(&org, 40), "active");
    assert!(writes(&org).is_empty());
}

#[test]
fn reported_leavers_are_listed_and_nothing_is_sent() {
    let org = org_of(40, &[], SandboxConfig::default());
    let path = all_but_the_last(&org);

    let plan = org.plan(&path, &["--leavers", "report"]);
    plan.assert_code(0)
        .assert_stderr_contains(". leaver person40@gen.example: absent from the input")
        .assert_stderr_contains("to update, 39 unchanged, 0 invalid, 0 not found, 1 leaver\n");
    let run = org.apply(&path, &["--leavers", "report", "--leaver-grace-runs", "1"]);

    run.assert_code(0);
    let line = member_line(&run.report, 40);
    assert_eq!(
        (line["outcome"].as_str(), line["action"].as_str()),
        ("leaver", "")
    );
    assert!(writes(&org).is_empty());
}

#[test]
fn ignored_leavers_are_counted_in_the_summary_with_how_to_see_them() {
    let org = org_of(40, &[], SandboxConfig::default());
    let path = all_but_the_last(&org);

    let run = org.apply(&path, &[]);

    run.assert_code(0).assert_stderr_contains(
        "1 active member of the organization is not in the input; leavers are ignored \
         (--leavers ignore): `member-sync plan INPUT --leavers report` lists them",
    );
    assert_eq!(run.report.len(), 39, "no line for an ignored leaver");
}

/// A row whose status says the person has left is a leaver at once (the input says so, no
/// grace runs); a last day still to come is no leaver yet, and the row says so.
#[test]
fn a_row_that_says_the_person_left_is_disabled_and_a_last_day_to_come_is_not_yet() {
    let org = org_of(40, &[], SandboxConfig::default());
    let mut rows: Vec<Vec<String>> = (1..=38)
        .map(|id| [same(id), vec!["Active".into(), String::new()]].concat())
        .collect();
    rows.push([same(39), vec!["Terminated".into(), "2026-01-31".into()]].concat());
    rows.push([same(40), vec!["Active".into(), "2099-06-30".into()]].concat());
    let path = input(
        &org,
        "statuses.csv",
        &["employment_status", "end_date"],
        rows,
    );

    let reported = org.apply(&path, &["--leavers", "report"]);
    reported.assert_code(0);
    let line = report_row(&reported.report, 39);
    assert_eq!(
        (line["outcome"].as_str(), line["error"].as_str()),
        (
            "leaver",
            "the status column says the person has left (last day 2026-01-31)"
        )
    );
    let not_yet = report_row(&reported.report, 40);
    assert_eq!(
        (not_yet["outcome"].as_str(), not_yet["error"].as_str()),
        (
            "unchanged",
            "last day 2099-06-30 (end date): not a leaver before then"
        )
    );

    let disabled = org.apply(&path, &["--leavers", "disable"]);

    disabled.assert_code(0);
    let line = report_row(&disabled.report, 39);
    assert_eq!(
        (line["outcome"].as_str(), line["action"].as_str()),
        ("disabled", "disable")
    );
    assert_eq!(status(&org, 39), "disabled");
    assert_eq!(status(&org, 40), "active");
    assert_eq!(writes(&org), [write("DELETE", "/users/39/disable")]);
}

#[test]
fn with_reassign_to_a_leaver_is_removed_and_their_tasks_handed_over() {
    let org = org_of(40, &[], SandboxConfig::default());
    let path = all_but_the_last(&org);
    let args = [
        "--leavers",
        "disable",
        "--leaver-grace-runs",
        "1",
        "--reassign-to",
        "Person1@gen.example",
    ];

    let run = org.apply(&path, &args);

    run.assert_code(0);
    assert_eq!(member_line(&run.report, 40)["outcome"], "disabled");
    let removal = org
        .journal()
        .into_iter()
        .find(|e| e.method == "DELETE")
        .expect("the removal");
    assert!(removal.path.ends_with("/users/40"), "{}", removal.path);
    assert_eq!(
        removal.query.as_deref(),
        Some("with_reassignment=true&to=1")
    );
    assert!(
        member_by_email(&org, "person40@gen.example").is_none(),
        "removed"
    );

    let unknown = org.apply(
        &path,
        &[
            "--leavers",
            "disable",
            "--reassign-to",
            "nobody@gen.example",
        ],
    );
    unknown
        .assert_code(1)
        .assert_stderr_contains(
            "error: --reassign-to nobody@gen.example: no member of the organization has this email",
        )
        .assert_stderr_contains("hint: name an active member who takes over leavers' tasks");
}
