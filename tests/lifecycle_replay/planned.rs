//! The whole flow, with plans the planner made: `plan --leavers disable` (or `--rehires
//! enable`, `--joiners invite`) `--out` on Monday, `apply --plan` on Tuesday, `rollback` of
//! that run after.

use super::*;

/// Members 1 to 5 as the organization has them; member 6 is absent: a leaver.
fn export_without_6(org: &TestOrg) -> PathBuf {
    let rows = (1..=5).map(|id| vec![email(id), "Analyst".to_string()]);
    org.input("people.csv", &["email", "job_title"], rows)
}

/// `plan INPUT ...FLAGS --out plan.json`: the plan file and its JSON.
fn saved(org: &TestOrg, input: &std::path::Path, flags: &[&str]) -> (PathBuf, Value) {
    let path = org.path("plan.json");
    let mut args = flags.to_vec();
    args.extend(["--out", path.to_str().unwrap()]);
    org.plan(input, &args).assert_code(0);
    let json = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    (path, json)
}

const LEAVERS: [&str; 4] = ["--leavers", "disable", "--leaver-grace-runs", "1"];

#[test]
fn a_leaver_planned_on_monday_is_disabled_on_tuesday_and_a_rollback_enables_them_again() {
    let org = org(&[], None);
    let (plan, json) = saved(&org, &export_without_6(&org), &LEAVERS);
    assert_eq!(json["format_version"], 3);
    assert_eq!(
        json["changes"],
        json!([{
            "subject": "member",
            "member_id": 6,
            "email": "person6@gen.example",
            "fields": {},
            "steps": [{"op": "disable"}],
            "member_updated_at": SEEN,
        }])
    );
    assert_eq!(status(&org, 6), "active", "plan sends nothing");

    let run = apply_plan(&org, &plan);

    run.assert_code(0);
    assert_eq!(status(&org, 6), "disabled");
    assert_eq!(line_of(&run, 6)["outcome"], "disabled");

    let undo = rollback(&org, &run.report_path);

    undo.assert_code(0);
    assert_eq!(status(&org, 6), "active");
    assert_eq!(line_of(&undo, 6)["outcome"], "enabled");
}

#[test]
fn a_leaver_disabled_and_enabled_again_after_the_plan_is_stale_on_tuesday() {
    let org = org(&[], None);
    let (plan, _) = saved(&org, &export_without_6(&org), &LEAVERS);
    by_hand(&org, "DELETE", "/users/6/disable");
    by_hand(&org, "PUT", "/users/6/enable");
    let before = org.journal().len();

    let run = apply_plan(&org, &plan);

    run.assert_code(3);
    assert!(writes_after(&org, before).is_empty(), "nothing sent");
    assert_eq!(status(&org, 6), "active");
    let line = line_of(&run, 6);
    assert_eq!(line["outcome"], "stale");
    assert!(
        line["error"].ends_with("they may have come back"),
        "{}",
        line["error"]
    );
}

#[test]
fn a_rehire_planned_is_enabled_then_updated_and_a_rollback_undoes_both() {
    let org = org(&[6], None);
    let rows = [vec![email(6), "Back Again".to_string()]];
    let input = org.input("people.csv", &["email", "job_title"], rows);
    let (plan, json) = saved(&org, &input, &["--rehires", "enable"]);
    assert_eq!(json["format_version"], 2);
    assert_eq!(
        json["changes"][0]["steps"],
        json!([{"op": "enable"}, {"op": "update_profile"}])
    );

    let run = apply_plan(&org, &plan);

    run.assert_code(0);
    assert_eq!(status(&org, 6), "active");
    assert_eq!(org.member(6)["job_title"], "Back Again");
    let before = org.journal().len();

    let undo = rollback(&org, &run.report_path);

    undo.assert_code(0);
    assert_eq!(
        writes_after(&org, before),
        ["PUT /users/6", "DELETE /users/6/disable"]
    );
    assert_eq!(status(&org, 6), "disabled");
    assert_eq!(org.member(6)["job_title"], "Analyst");
}

#[test]
fn a_joiner_planned_is_invited_and_a_rollback_names_the_invitation_it_leaves() {
    let org = org(&[], None);
    // The organization's members, as it has them (a file matching nobody invites nobody),
    // and a new hire on row 7.
    let mut rows: Vec<Vec<String>> = (1..=6)
        .map(|id| vec![email(id), format!("First{id}"), format!("Last{id}")])
        .collect();
    rows.push(
        ["new.hire@gen.example", "New", "Hire"]
            .map(str::to_string)
            .to_vec(),
    );
    let input = org.input("people.csv", &["email", "first_name", "last_name"], rows);
    let (plan, json) = saved(&org, &input, &["--joiners", "invite"]);
    assert_eq!(json["format_version"], 3, "no member id yet");
    assert_eq!(json["changes"][0]["steps"][0]["op"], "invite");
    assert!(json["changes"][0].get("member_id").is_none());

    let run = apply_plan(&org, &plan);

    run.assert_code(0);
    let invited = org
        .members()
        .into_iter()
        .find(|m| m["email"] == "new.hire@gen.example")
        .expect("the invitee is listed");
    assert_eq!(invited["status"], "invited");
    let before = org.journal().len();

    let undo = rollback(&org, &run.report_path);

    undo.assert_code(0).assert_stderr_contains(
        "row 7: the invitation of new.hire@gen.example stays: Tallyfy's API cannot withdraw an invitation",
    );
    assert_eq!(org.journal().len(), before, "nothing sent");

    // Applied again, the plan invites nobody twice.
    let again = apply_plan(&org, &plan);
    again.assert_code(0);
    let line = again.report.iter().find(|l| l["row"] == "7").unwrap();
    assert_eq!(line["outcome"], "pending");
}
