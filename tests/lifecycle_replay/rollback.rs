//! `rollback REPORT` of a run that disabled, enabled and invited: the disabled enabled again
//! (within the seat pool), the enabled disabled again, and each invitation named as one that
//! stays.

use super::*;

/// Applies `changes` as a saved plan: the run whose report the rollback reads. (Its leavers
/// may be more than the 5% of the members `--max-leavers` allows by default.)
fn applied(org: &TestOrg, format: u32, changes: Value) -> Run {
    let plan = plan_file(org, format, changes);
    let run = apply_plan_with(org, &plan, &["--max-leavers", "100%"]);
    run.assert_code(0);
    run
}

#[test]
fn rollback_of_a_disable_enables_the_member_again() {
    let org = org(&[], None);
    let run = applied(&org, 3, json!([leaver(5)]));
    assert_eq!(status(&org, 5), "disabled");
    let before = org.journal().len();

    let undo = rollback(&org, &run.report_path);

    undo.assert_code(0);
    assert_eq!(status(&org, 5), "active");
    assert_eq!(writes_after(&org, before), ["PUT /users/5/enable"]);
    let line = line_of(&undo, 5);
    assert_eq!(
        (
            line["row"].as_str(),
            line["action"].as_str(),
            line["outcome"].as_str()
        ),
        ("", "enable", "enabled")
    );
}

#[test]
fn rollback_run_twice_changes_nothing_the_second_time() {
    let org = org(&[], None);
    let run = applied(&org, 3, json!([leaver(5)]));
    rollback(&org, &run.report_path).assert_code(0);
    let before = org.journal().len();

    let again = rollback(&org, &run.report_path);

    again.assert_code(0);
    assert!(writes_after(&org, before).is_empty());
    assert_eq!(line_of(&again, 5)["outcome"], "unchanged");
}

#[test]
fn rollback_of_an_enable_disables_the_member_again_and_restores_the_fields() {
    let org = org(&[6], None);
    let run = applied(&org, 2, json!([rehire(2, 6, "Returning Analyst")]));
    assert_eq!(status(&org, 6), "active");
    let before = org.journal().len();

    let undo = rollback(&org, &run.report_path);

    undo.assert_code(0);
    assert_eq!(status(&org, 6), "disabled");
    assert_eq!(org.member(6)["job_title"], "Analyst");
    assert_eq!(
        writes_after(&org, before),
        ["PUT /users/6", "DELETE /users/6/disable"],
        "restored first, while the member may still be changed; then disabled"
    );
    assert_eq!(line_of(&undo, 6)["action"], "update+disable");
}

#[test]
fn rollback_of_a_disable_meeting_a_full_seat_pool_fails_the_rollback_naming_the_line() {
    // Five seats, five active members; member 6 waits, disabled.
    let org = org(&[6], Some(5));
    let run = applied(&org, 3, json!([leaver(5), leaver(4)]));
    // The seats the leavers freed: one goes to member 6, one is left.
    by_hand(&org, "PUT", "/users/6/enable");
    let before = org.journal().len();

    let undo = rollback(&org, &run.report_path);

    undo.assert_code(3)
        .assert_stderr_contains("warning: the seat pool is full (HTTP 409")
        .assert_stderr_contains("SEAT_POOL_EXHAUSTED");
    let active: Vec<u64> = [4, 5]
        .into_iter()
        .filter(|id| status(&org, *id) == "active")
        .collect();
    assert_eq!(active.len(), 1, "one seat, one member enabled again");
    let held = undo
        .report
        .iter()
        .find(|line| line["outcome"] == "deferred")
        .expect("the line the seat pool held back");
    assert_ne!(held["user_id"], active[0].to_string());
    assert!(
        held["error"].starts_with("the seat pool is full (HTTP 409")
            && held["error"].contains("SEAT_POOL_EXHAUSTED")
            && held["error"].ends_with("free or add seats, then run again"),
        "{}",
        held["error"]
    );
    assert_eq!(
        writes_after(&org, before).len(),
        2,
        "each enable sent at most once, the refused one not retried"
    );
    // A seat freed, the same rollback finishes the job.
    by_hand(&org, "DELETE", "/users/6/disable");
    let again = rollback(&org, &run.report_path);
    again.assert_code(0);
    assert_eq!(
        (status(&org, 4), status(&org, 5)),
        ("active".into(), "active".into())
    );
}

#[test]
fn rollback_names_each_invitation_it_cannot_withdraw_and_undoes_the_rest() {
    let org = org(&[], None);
    let run = applied(
        &org,
        3,
        json!([
            joiner(7, "new.hire@gen.example"),
            joiner(8, "second.hire@gen.example"),
            leaver(5)
        ]),
    );
    let before = org.journal().len();

    let undo = rollback(&org, &run.report_path);

    undo.assert_code(0);
    let report = run.report_path.display();
    for (row, email) in [(7, "new.hire@gen.example"), (8, "second.hire@gen.example")] {
        undo.assert_stderr_contains(&format!(
            ", row {row}: the invitation of {email} stays: Tallyfy's API cannot withdraw an invitation"
        ));
    }
    undo.assert_stderr_contains(&format!("warning: {report} line "));
    undo.assert_stderr_contains(
        "hint: withdraw an invitation in Tallyfy's web app if it should not stand; a person who has joined can be disabled",
    );
    assert_eq!(writes_after(&org, before), ["PUT /users/5/enable"]);
    assert_eq!(status(&org, 5), "active");
    let invited: Vec<Value> = org
        .members()
        .into_iter()
        .filter(|m| m["status"] == "invited")
        .collect();
    assert_eq!(invited.len(), 2, "the invitations stay");
}

#[test]
fn rollback_of_a_run_that_only_invited_names_them_and_sends_nothing() {
    let org = org(&[], None);
    let run = applied(&org, 3, json!([joiner(7, "new.hire@gen.example")]));
    let before = org.journal().len();

    let undo = rollback(&org, &run.report_path);

    undo.assert_code(0)
        .assert_stderr_contains(
            "row 7: the invitation of new.hire@gen.example stays: Tallyfy's API cannot withdraw an invitation",
        )
        .assert_stderr_contains("has no change that landed: nothing to undo");
    assert_eq!(org.journal().len(), before, "nothing sent");
}
