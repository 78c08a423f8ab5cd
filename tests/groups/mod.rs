//! Group membership through the binary against the sandbox (#20): a first sync filling
//! groups, a mover, a multi-group cell, additive mode, groups created or not, the removal and
//! emptying guards, a group edited between plan and apply, rollback of a group write, the
//! manage_groups permission, and the requests a group sync sends.

use member_sync::sandbox::SandboxConfig;

use crate::util::*;

mod replay;

/// Six members (ids 1–6, `person{id}@gen.example`) and the groups `groups`, each with a
/// description and no guests.
pub fn org(groups: &[(&str, &[u64])]) -> TestOrg {
    TestOrg::with_groups(SandboxConfig::default(), generated_seed(6), groups)
}

/// An export of `rows` (member id, its Groups cell): the email and the cell, nothing else.
pub fn export(org: &TestOrg, rows: &[(u64, &str)]) -> std::path::PathBuf {
    let lines = rows
        .iter()
        .map(|(id, groups)| vec![format!("person{id}@gen.example"), groups.to_string()]);
    org.input("people.csv", &["email", "Groups"], lines)
}

/// The requests since `skip`, as `METHOD kind` (`GET users`, `GET groups`, `PUT group Sales`).
pub fn sent(org: &TestOrg, skip: usize) -> Vec<String> {
    let names: std::collections::HashMap<String, String> = org
        .groups()
        .iter()
        .map(|g| {
            (
                g["id"].as_str().unwrap().to_string(),
                g["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    org.requests_after(skip)
        .iter()
        .map(|r| match r.group_id() {
            Some(id) => format!("{} group {}", r.method, names[id]),
            None if r.is_group_list() => format!("{} groups", r.method),
            None => format!("{} {}", r.method, r.route.trim_start_matches('/')),
        })
        .collect()
}

/// A group's line of the report.
pub fn group_line<'r>(run: &'r Run, name: &str) -> &'r ReportRow {
    run.report
        .iter()
        .find(|line| line["action"].contains("group") && line["groups"] == name)
        .unwrap_or_else(|| panic!("no line for group {name}: {:#?}", run.report))
}

const GROUPS: &[&str] = &["--groups-from", "Groups"];

#[test]
fn a_first_sync_fills_the_groups_the_export_names_one_write_each() {
    let org = org(&[("Sales", &[]), ("Support", &[]), ("Book club", &[2])]);
    let input = export(&org, &[(1, "Sales"), (2, "Support"), (3, "sales"), (4, "")]);

    let run = org.apply(&input, GROUPS);

    run.assert_code(0);
    assert_eq!(org.group_members("Sales"), [1, 3]);
    assert_eq!(org.group_members("Support"), [2]);
    assert_eq!(
        org.group_members("Book club"),
        [2],
        "not named: never written"
    );
    assert_eq!(
        sent(&org, 0),
        [
            "GET users",
            "GET groups",
            "PUT group Sales",
            "PUT group Support"
        ]
    );
    let sales = group_line(&run, "Sales");
    assert_eq!(
        (sales["outcome"].as_str(), sales["action"].as_str()),
        ("updated", "group")
    );
    assert_eq!(sales["changes"], "members added: 1 3");
    assert_eq!(
        json_cell(sales, "before"),
        serde_json::json!({"members": []})
    );
    assert_eq!(
        json_cell(sales, "after"),
        serde_json::json!({"members": [1, 3]})
    );
    assert_eq!(report_row(&run.report, 1)["groups"], "joins Sales");
    assert_eq!(
        report_row(&run.report, 4)["groups"],
        "",
        "a blank cell says nothing"
    );

    let again = org.apply(&input, GROUPS);
    again.assert_code(0);
    assert_eq!(
        sent(&org, 4),
        ["GET users", "GET groups"],
        "nothing left to write"
    );
}

#[test]
fn a_mover_leaves_one_group_and_joins_another_with_one_request_per_group() {
    let org = org(&[("Sales", &[1, 2, 3, 4, 5]), ("Support", &[6])]);
    let input = export(
        &org,
        &[
            (1, "Sales"),
            (2, "Support"),
            (3, "Sales"),
            (4, "Sales"),
            (5, "Sales"),
            (6, "Support"),
        ],
    );

    let plan = org.plan(&input, GROUPS);
    plan.assert_code(0)
        .assert_stderr_contains("= group Sales: +0 -1 (5 → 4 members): -person2@gen.example")
        .assert_stderr_contains("= group Support: +1 -0 (1 → 2 members): +person2@gen.example");
    let skip = org.requests().len();
    let run = org.apply(&input, GROUPS);

    run.assert_code(0);
    assert_eq!(org.group_members("Sales"), [1, 3, 4, 5]);
    assert_eq!(org.group_members("Support"), [2, 6]);
    assert_eq!(
        sent(&org, skip),
        [
            "GET users",
            "GET groups",
            "PUT group Sales",
            "PUT group Support"
        ]
    );
    assert_eq!(
        report_row(&run.report, 2)["groups"],
        "joins Support; leaves Sales"
    );
    assert_eq!(group_line(&run, "Sales")["changes"], "members removed: 2");
}

#[test]
fn a_cell_naming_several_groups_places_the_person_in_each() {
    let org = org(&[("Sales", &[]), ("EMEA", &[]), ("Key Accounts", &[])]);
    let input = export(&org, &[(1, "Sales; EMEA, key  accounts"), (2, "EMEA")]);

    org.apply(&input, GROUPS).assert_code(0);

    assert_eq!(org.group_members("Sales"), [1]);
    assert_eq!(org.group_members("EMEA"), [1, 2]);
    assert_eq!(org.group_members("Key Accounts"), [1]);
}

#[test]
fn members_without_a_row_leave_a_managed_group_unless_additive() {
    let org = org(&[("Sales", &[1, 5])]);
    let input = export(
        &org,
        &[(1, "Sales"), (2, "Sales"), (3, ""), (4, ""), (6, "")],
    );

    org.apply(&input, &["--groups-from", "Groups", "--groups", "additive"])
        .assert_code(0);
    assert_eq!(org.group_members("Sales"), [1, 2, 5], "additive only adds");

    org.apply(&input, GROUPS).assert_code(0);
    assert_eq!(
        org.group_members("Sales"),
        [1, 2],
        "5 has no row: removed in sync mode"
    );
}

#[test]
fn a_group_that_does_not_exist_is_created_only_with_create_groups() {
    let org = org(&[]);
    let input = export(&org, &[(1, "Finance"), (2, "finance")]);

    let run = org.apply(&input, GROUPS);
    run.assert_code(0);
    assert!(org.groups().is_empty());
    assert_eq!(
        report_row(&run.report, 1)["groups"],
        "Finance: no such group (--create-groups creates it)"
    );

    let run = org.apply(&input, &["--groups-from", "Groups", "--create-groups"]);
    run.assert_code(0);
    assert_eq!(org.group_members("Finance"), [1, 2]);
    let finance = org.group("Finance");
    assert_eq!(
        finance["description"],
        "Created by member-sync from the HR export"
    );
    assert_eq!(group_line(&run, "Finance")["action"], "create_group+group");
    assert_eq!(group_line(&run, "Finance")["group_id"].len(), 32);
}

#[test]
fn a_group_losing_more_than_its_share_stops_the_run_before_any_write() {
    let org = org(&[("Sales", &[1, 2, 3, 4, 5, 6]), ("Support", &[])]);
    // 2 of 6 leave Sales: more than 20% (1).
    let input = export(
        &org,
        &[
            (1, "Sales"),
            (2, "Sales"),
            (3, "Sales"),
            (4, "Sales"),
            (5, "Support"),
            (6, "Support"),
        ],
    );

    let run = org.apply(&input, GROUPS);

    run.assert_code(4).assert_stderr_contains(
        "max group removals guard: the plan removes 2 members from group Sales, more than the 1 allowed (20% of its 6 members, at least 1)",
    );
    assert!(
        org.requests().iter().all(|r| !r.is_group_write()),
        "nothing written"
    );
    assert_eq!(org.group_members("Sales"), [1, 2, 3, 4, 5, 6]);
    assert_eq!(group_line(&run, "Sales")["outcome"], "planned");

    org.apply(
        &input,
        &["--groups-from", "Groups", "--max-group-removals", "2"],
    )
    .assert_code(0);
    assert_eq!(org.group_members("Sales"), [1, 2, 3, 4]);
}

#[test]
fn a_managed_group_emptied_needs_force() {
    let org = org(&[("Sales", &[1]), ("Support", &[])]);
    let input = export(&org, &[(1, "Support")]);

    // The export no longer names Sales: only --manage-groups makes it managed.
    org.apply(&input, GROUPS).assert_code(0);
    assert_eq!(org.group_members("Sales"), [1]);
    let managed = ["--groups-from", "Groups", "--manage-groups", "S*"];
    org.apply(&input, &managed)
        .assert_code(4)
        .assert_stderr_contains(
            "empty group guard: the plan removes every member of group Sales (1 member)",
        );
    assert_eq!(org.group_members("Sales"), [1]);

    let managed = [
        "--groups-from",
        "Groups",
        "--manage-groups",
        "S*",
        "--force",
    ];
    org.apply(&input, &managed).assert_code(0);
    assert!(org.group_members("Sales").is_empty());
    assert_eq!(org.group_members("Support"), [1]);
}

#[test]
fn without_the_manage_groups_permission_the_group_lines_fail_and_say_why() {
    let config = SandboxConfig {
        manage_groups: false,
        ..SandboxConfig::default()
    };
    let org = TestOrg::with_groups(config, generated_seed(3), &[("Sales", &[])]);
    let input = export(&org, &[(1, "Sales")]);

    let run = org.apply(&input, GROUPS);

    run.assert_code(3);
    let sales = group_line(&run, "Sales");
    assert_eq!(
        (sales["outcome"].as_str(), sales["http_status"].as_str()),
        ("failed", "403")
    );
    assert!(
        sales["error"].contains("manage_groups permission"),
        "{}",
        sales["error"]
    );
    run.assert_stderr_contains("group Sales");
}

#[test]
fn a_joiner_invited_in_the_run_joins_the_group_in_the_same_run() {
    let org = org(&[("Sales", &[1])]);
    let input = org.input(
        "people.csv",
        &["email", "first_name", "last_name", "Groups"],
        [
            vec!["person1@gen.example", "First1", "Last1", "Sales"],
            vec!["new.hire@gen.example", "New", "Hire", "Sales"],
        ],
    );

    let plan = org.plan(&input, &["--groups-from", "Groups", "--joiners", "invite"]);
    plan.assert_code(0).assert_stderr_contains(
        "= group Sales: +1 -0 (1 → 2 members): +new.hire@gen.example (once invited)",
    );
    let run = org.apply(&input, &["--groups-from", "Groups", "--joiners", "invite"]);

    run.assert_code(0);
    let hire = org
        .members()
        .into_iter()
        .find(|m| m["email"] == "new.hire@gen.example")
        .expect("invited");
    let id = hire["id"].as_u64().unwrap();
    assert_eq!(org.group_members("Sales"), [1, id]);
    let sales = group_line(&run, "Sales");
    assert_eq!(sales["changes"], format!("members added: {id}"));
    assert_eq!(
        json_cell(sales, "after"),
        serde_json::json!({"members": [1, id]})
    );
    assert_eq!(report_row(&run.report, 2)["groups"], "joins Sales");
}

#[test]
fn apply_previews_the_group_changes_apart_from_a_long_list_of_rows() {
    let org = TestOrg::with_groups(
        SandboxConfig::default(),
        generated_seed(30),
        &[("Sales", &[])],
    );
    let rows = (1..=30).map(|id| {
        vec![
            format!("person{id}@gen.example"),
            "Senior Analyst".to_string(),
            "Sales".to_string(),
        ]
    });
    let input = org.input("people.csv", &["email", "job_title", "Groups"], rows);

    let run = org.apply(&input, GROUPS);

    run.assert_code(0)
        .assert_stderr_contains("… and 10 more (`member-sync plan` lists them all)")
        .assert_stderr_contains("= group Sales: +30 -0 (0 → 30 members)")
        .assert_stderr_contains("groups: 1 to write of 1 managed");
}
