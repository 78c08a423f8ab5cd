//! Group writes replayed: a saved plan applied later (its groups read again first, a group
//! edited in the web app since left alone), and rollback restoring a group's members.

use super::*;

fn saved_plan(org: &TestOrg, input: &std::path::Path) -> std::path::PathBuf {
    let plan = org.path("plan.json");
    org.plan(
        input,
        &["--groups-from", "Groups", "--out", plan.to_str().unwrap()],
    )
    .assert_code(0)
    .assert_stderr_contains("1 groups to write");
    plan
}

fn apply_plan(org: &TestOrg, plan: &std::path::Path) -> Run {
    let report = org.fresh_report_path();
    let mut command = org.connected(&["apply", "--plan", plan.to_str().unwrap(), "--yes"]);
    command.args(["--report", report.to_str().unwrap()]);
    Run::of(&mut command, report)
}

#[test]
fn a_saved_plan_reads_each_group_again_and_writes_it_when_unchanged() {
    let org = org(&[("Sales", &[1, 2])]);
    let input = export(&org, &[(1, "Sales"), (2, ""), (3, "Sales")]);
    let plan = saved_plan(&org, &input);
    let skip = org.requests().len();

    let run = apply_plan(&org, &plan);

    run.assert_code(0);
    assert_eq!(org.group_members("Sales"), [1, 2, 3]);
    assert_eq!(
        sent(&org, skip),
        ["GET users", "GET group Sales", "PUT group Sales"]
    );
    assert_eq!(group_line(&run, "Sales")["outcome"], "updated");
}

#[test]
fn a_group_edited_in_the_web_app_between_plan_and_apply_is_stale_and_untouched() {
    let org = org(&[("Sales", &[1, 2])]);
    let input = export(&org, &[(1, "Sales"), (2, ""), (3, "Sales")]);
    let plan = saved_plan(&org, &input);
    org.edit_group_in_ui("Sales", &[1, 2, 6]);

    let run = apply_plan(&org, &plan);

    run.assert_code(3);
    assert_eq!(
        org.group_members("Sales"),
        [1, 2, 6],
        "the person's edit stands"
    );
    let sales = group_line(&run, "Sales");
    assert_eq!(sales["outcome"], "stale");
    assert!(
        sales["error"].contains(
            "the group's members changed since the plan read them (2 then, 3 now): not written"
        ),
        "{}",
        sales["error"]
    );
    assert!(org.requests().iter().all(|r| !r.is_group_write()));
}

#[test]
fn rollback_restores_a_groups_members_unless_they_moved_on() {
    let org = org(&[("Sales", &[1, 2, 3]), ("Support", &[])]);
    let input = export(&org, &[(1, "Sales"), (2, "Sales"), (3, "Support")]);
    let run = org.apply(&input, GROUPS);
    run.assert_code(0);
    assert_eq!(org.group_members("Sales"), [1, 2]);
    assert_eq!(org.group_members("Support"), [3]);
    org.edit_group_in_ui("Support", &[3, 4]);

    let undo = org.run_command("rollback", &run.report_path, &[]);

    undo.assert_code(3);
    assert_eq!(org.group_members("Sales"), [1, 2, 3], "restored");
    assert_eq!(
        org.group_members("Support"),
        [3, 4],
        "changed since: left alone"
    );
    assert_eq!(group_line(&undo, "Sales")["outcome"], "updated");
    assert_eq!(group_line(&undo, "Support")["outcome"], "stale");
}
