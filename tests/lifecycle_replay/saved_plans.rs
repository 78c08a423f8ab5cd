//! `apply --plan` of a plan that invites, enables and disables: applied when the members are
//! as the plan saw them, `stale` and untouched when they moved on, `unchanged` when done.

use super::*;

#[test]
fn a_leaver_planned_on_monday_is_disabled_when_the_plan_is_applied() {
    let org = org(&[], None);
    let plan = plan_file(&org, 3, json!([leaver(5)]));
    let before = org.journal().len();

    let run = apply_plan(&org, &plan);

    run.assert_code(0);
    assert_eq!(status(&org, 5), "disabled");
    assert_eq!(writes_after(&org, before), ["DELETE /users/5/disable"]);
    let line = line_of(&run, 5);
    assert_eq!(
        (
            line["row"].as_str(),
            line["email"].as_str(),
            line["action"].as_str(),
            line["outcome"].as_str()
        ),
        ("", "person5@gen.example", "disable", "disabled")
    );
}

#[test]
fn a_leaver_who_came_back_since_the_plan_is_stale_and_untouched() {
    let org = org(&[], None);
    let plan = plan_file(&org, 3, json!([leaver(5), leaver(4)]));
    // Between the plan and its apply, member 5 is disabled and enabled again by hand: they
    // are active, as the plan saw them, but not the same since.
    by_hand(&org, "DELETE", "/users/5/disable");
    by_hand(&org, "PUT", "/users/5/enable");
    let before = org.journal().len();

    let run = apply_plan(&org, &plan);

    run.assert_code(3);
    assert_eq!(status(&org, 5), "active", "never disabled");
    assert_eq!(
        writes_after(&org, before),
        ["DELETE /users/4/disable"],
        "the other leaver is"
    );
    let line = line_of(&run, 5);
    assert_eq!(line["outcome"], "stale");
    assert!(
        line["error"]
            .starts_with("not disabled: changed since it was recorded: the member was updated at ")
            && line["error"].ends_with(&format!(
                "after the plan saw them ({SEEN}): they may have come back"
            )),
        "{}",
        line["error"]
    );
}

#[test]
fn an_administrator_is_never_disabled_whatever_the_plan_says() {
    // Two administrators: member 1 is the default one, member 2 another.
    let org = org_where(None, |id, member| {
        if id <= 2 {
            member["role"] = "admin".into();
        }
    });
    // A plan without what it saw of the member (edited by hand, or of an older format).
    let mut entry = leaver(2);
    entry.as_object_mut().unwrap().remove("member_updated_at");
    let plan = plan_file(&org, 3, json!([entry]));
    let before = org.journal().len();

    let run = apply_plan(&org, &plan);

    run.assert_code(0);
    assert!(writes_after(&org, before).is_empty(), "nothing sent");
    assert_eq!(status(&org, 2), "active");
    let line = line_of(&run, 2);
    assert_eq!(
        (line["outcome"].as_str(), line["error"].as_str()),
        (
            "excluded",
            "not disabled: member 2 is an administrator, and bots and administrators are never disabled"
        )
    );
}

#[test]
fn a_saved_plan_disabling_more_than_max_leavers_is_refused_before_anything_is_sent() {
    let org = org(&[], None);
    let plan = plan_file(&org, 3, json!([leaver(4), leaver(5)]));
    let before = org.journal().len();

    let run = apply_plan(&org, &plan);

    run.assert_code(4).assert_stderr_contains(
        "error: max leavers guard: the plan disables 2 members, more than the 1 allowed",
    );
    assert!(writes_after(&org, before).is_empty(), "nothing sent");
    assert_eq!(
        (status(&org, 4), status(&org, 5)),
        ("active".into(), "active".into())
    );
}

#[test]
fn a_leaver_disabled_already_is_unchanged_and_a_rehire_already_active_is_only_updated() {
    let org = org(&[6], None);
    let plan = plan_file(
        &org,
        3,
        json!([leaver(5), rehire(2, 6, "Returning Analyst")]),
    );
    by_hand(&org, "DELETE", "/users/5/disable");
    by_hand(&org, "PUT", "/users/6/enable");
    let before = org.journal().len();

    let run = apply_plan(&org, &plan);

    run.assert_code(0);
    assert_eq!(writes_after(&org, before), ["PUT /users/6"]);
    let leaver = line_of(&run, 5);
    assert_eq!(
        (leaver["outcome"].as_str(), leaver["error"].as_str()),
        ("unchanged", "the member is disabled already")
    );
    let rehire = line_of(&run, 6);
    assert_eq!(
        (
            rehire["row"].as_str(),
            rehire["outcome"].as_str(),
            rehire["action"].as_str()
        ),
        ("2", "updated", "update")
    );
    assert_eq!(org.member(6)["job_title"], "Returning Analyst");
}

#[test]
fn a_rehire_is_enabled_then_updated() {
    let org = org(&[6], None);
    let plan = plan_file(&org, 2, json!([rehire(2, 6, "Returning Analyst")]));
    let before = org.journal().len();

    let run = apply_plan(&org, &plan);

    run.assert_code(0);
    assert_eq!(
        writes_after(&org, before),
        ["PUT /users/6/enable", "PUT /users/6"]
    );
    assert_eq!(status(&org, 6), "active");
    assert_eq!(org.member(6)["job_title"], "Returning Analyst");
    assert_eq!(line_of(&run, 6)["action"], "enable+update");
}

#[test]
fn an_invitee_who_is_a_member_now_is_stale_and_never_invited() {
    let org = org(&[], None);
    let plan = plan_file(
        &org,
        3,
        json!([
            joiner(7, "Person3@gen.example"),
            joiner(8, "new.hire@gen.example")
        ]),
    );
    let before = org.journal().len();

    let run = apply_plan(&org, &plan);

    run.assert_code(3);
    assert_eq!(writes_after(&org, before), ["POST /users/invite"]);
    let taken = run.report.iter().find(|l| l["row"] == "7").unwrap();
    assert_eq!(taken["outcome"], "stale");
    assert_eq!(
        taken["error"],
        "not invited: changed since it was recorded: person3@gen.example is a member now (member 3, active)"
    );
    let invited = run.report.iter().find(|l| l["row"] == "8").unwrap();
    assert_eq!(
        (invited["action"].as_str(), invited["outcome"].as_str()),
        ("invite", "invited")
    );
}

#[test]
fn a_plan_of_the_format_that_wrote_leavers_as_row_0_still_applies() {
    let org = org(&[], None);
    // As the format 2 writer wrote a line without a row: `row` 0, no `subject`.
    let mut entry = leaver(5);
    let entry_object = entry.as_object_mut().unwrap();
    entry_object.remove("subject");
    entry_object.remove("member_updated_at");
    entry_object.insert("row".into(), 0.into());
    let plan = plan_file(&org, 2, json!([entry]));

    let run = apply_plan(&org, &plan);

    run.assert_code(0);
    assert_eq!(status(&org, 5), "disabled");
    assert_eq!(
        line_of(&run, 5)["row"],
        "",
        "the member's line, not a row 0"
    );
}

#[test]
fn a_plan_of_a_newer_format_is_refused_before_anything_is_sent() {
    let org = org(&[], None);
    let plan = plan_file(&org, 5, json!([{"line": {"group": "abc"}}]));
    let before = org.journal().len();

    let run = apply_plan(&org, &plan);

    run.assert_code(1).assert_stderr_contains(&format!(
        "{} is a plan of format 5 made by member-sync {}; this version reads formats 1 to 4: make the plan again",
        plan.display(),
        env!("CARGO_PKG_VERSION")
    ));
    assert_eq!(org.journal().len(), before, "nothing sent, nothing read");
}
