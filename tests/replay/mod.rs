//! Saved plans (`plan --out`, `apply --plan`) and `rollback`: recorded changes applied only
//! where the member still holds what was recorded; the others are `stale` and untouched.

use member_sync::sandbox::SandboxConfig;
use serde_json::Value;

use crate::util::*;

mod operations;

/// Member `id`'s job title and role, as the org shows them now.
fn title_and_role(org: &TestOrg, id: u64) -> (Value, String) {
    let m = org.member(id);
    (
        m["job_title"].clone(),
        m["role"].as_str().unwrap().to_lowercase(),
    )
}

fn input(org: &TestOrg, name: &str, rows: &[(u64, &str, &str)]) -> std::path::PathBuf {
    let rows = rows.iter().map(|(id, title, role)| {
        vec![
            format!("person{id}@gen.example"),
            title.to_string(),
            role.to_string(),
        ]
    });
    org.input(name, &["email", "job_title", "role"], rows)
}

fn puts_to(org: &TestOrg, skip: usize) -> Vec<u64> {
    org.requests_after(skip)
        .iter()
        .filter(|r| r.is("PUT"))
        .filter_map(|r| r.member_id())
        .collect()
}

#[test]
fn a_saved_plan_applies_exactly_and_leaves_stale_members_alone() {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(10));
    let export = input(
        &org,
        "export.csv",
        &[
            (1, "A1", ""),
            (2, "A2", ""),
            (3, "A3", "admin"),
            (4, "Analyst", ""),
        ],
    );
    let plan_path = org.path("plan.json");

    let planned = org.plan(&export, &["--out", plan_path.to_str().unwrap()]);
    planned.assert_code(0);
    planned.assert_stderr_contains("apply it with `member-sync apply --plan");
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(&plan_path).unwrap()).unwrap();
    assert_eq!(plan["org"], org.org_id());
    assert_eq!(plan["format_version"], 1);
    assert_eq!(plan["counts"]["update"], 3);
    assert_eq!(plan["counts"]["unchanged"], 1);
    assert_eq!(plan["input"]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(
        plan["changes"][0]["fields"]["job_title"]["before"],
        "Analyst"
    );
    assert_eq!(plan["changes"][0]["fields"]["job_title"]["after"], "A1");
    assert!(
        org.requests().iter().all(|r| !r.is("PUT")),
        "plan writes nothing"
    );

    // Someone edits member 2 between plan and apply.
    org.apply(&input(&org, "edit.csv", &[(2, "Changed by HR", "")]), &[])
        .assert_code(0);
    let before = org.journal().len();

    let report = org.fresh_report_path();
    let plan_arg = plan_path.to_str().unwrap();
    let mut command = org.connected(&["apply", "--plan", plan_arg, "--yes", "--rate", "1000/s"]);
    command.arg("--report").arg(&report);
    let run = Run::of(&mut command, report);

    run.assert_code(3);
    assert_eq!(
        outcome_counts(&run.report),
        counts(&[("updated", 2), ("stale", 1)])
    );
    let stale = report_row(&run.report, 2);
    assert_eq!(stale["outcome"], "stale");
    assert!(
        stale["error"].contains(r#"job_title is now "Changed by HR" (expected "Analyst")"#),
        "{stale:?}"
    );
    assert_eq!(
        title_and_role(&org, 2).0,
        "Changed by HR",
        "the stale member is untouched"
    );
    assert_eq!(title_and_role(&org, 3), (Value::from("A3"), "admin".into()));
    let mut sent = puts_to(&org, before);
    sent.sort_unstable();
    assert_eq!(
        sent,
        [1, 3, 3],
        "member 1's title; member 3's title and role"
    );
}

#[test]
fn a_plan_for_another_organization_is_refused() {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(5));
    let plan_path = org.path("plan.json");
    org.plan(
        &input(&org, "export.csv", &[(1, "A1", "")]),
        &["--out", plan_path.to_str().unwrap()],
    )
    .assert_code(0);
    let other = TestOrg::embedded();
    let report = other.fresh_report_path();
    let mut command = other.connected(&["apply", "--plan", plan_path.to_str().unwrap(), "--yes"]);
    command.arg("--report").arg(&report);
    let run = Run::of(&mut command, report);
    run.assert_code(1);
    run.assert_stderr_contains("was made for organization `generated-org`, not `acme-sandbox`");
    assert!(other.requests().is_empty());
}

#[test]
fn plan_format_json_prints_the_plan_on_stdout() {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(5));
    let run = org.plan(
        &input(&org, "export.csv", &[(1, "A1", ""), (2, "Analyst", "")]),
        &["--format", "json"],
    );
    run.assert_code(0);
    let plan: Value = serde_json::from_str(&run.stdout).expect("stdout is the plan as JSON");
    assert_eq!(plan["changes"].as_array().unwrap().len(), 1);
    assert_eq!(plan["changes"][0]["member_id"], 1);
}

#[test]
fn rollback_restores_a_run_and_leaves_members_changed_since() {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(6));
    let export = input(
        &org,
        "export.csv",
        &[
            (1, "A1", ""),
            (2, "A2", "light"),
            (3, "A3", ""),
            (4, "Analyst", ""),
        ],
    );
    let run = org.apply(&export, &[]);
    run.assert_code(0);
    assert_eq!(title_and_role(&org, 2), (Value::from("A2"), "light".into()));
    // Member 3 is edited again after the run. (A one-row export after a four-row one trips
    // the source-shrink guard, hence --force.)
    org.apply(
        &input(&org, "edit.csv", &[(3, "Edited later", "")]),
        &["--force"],
    )
    .assert_code(0);
    let before = org.journal().len();

    let undo = org.run_command("rollback", &run.report_path, &[]);

    undo.assert_code(3);
    assert_eq!(
        outcome_counts(&undo.report),
        counts(&[("updated", 2), ("stale", 1)])
    );
    assert_eq!(
        title_and_role(&org, 1),
        (Value::from("Analyst"), "standard".into())
    );
    assert_eq!(
        title_and_role(&org, 2),
        (Value::from("Analyst"), "standard".into())
    );
    assert_eq!(title_and_role(&org, 3).0, "Edited later");
    assert!(
        report_row(&undo.report, 3)["error"]
            .contains("job_title is now \"Edited later\" (expected \"A3\")")
    );
    let mut sent = puts_to(&org, before);
    sent.sort_unstable();
    assert_eq!(sent, [1, 2, 2]);

    // --force restores the member changed since, too.
    let forced = org.run_command("rollback", &run.report_path, &["--force"]);
    forced.assert_code(0);
    assert_eq!(title_and_role(&org, 3).0, "Analyst");
}

#[test]
fn an_export_plans_back_to_no_changes() {
    let org = TestOrg::embedded();
    let out = org.path("members.csv");
    let mut command = member_sync();
    command
        .args(["export", "--rate", "1000/s", "--out", out.to_str().unwrap()])
        .args(["--base-url", &org.base_url(), "--org", org.org_id()])
        .env("TALLYFY_ACCESS_TOKEN", org.token());
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let mut reader = csv::Reader::from_path(&out).unwrap();
    let headers: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(&headers[..3], ["email", "user_id", "first_name"]);
    assert_eq!(reader.records().count(), 60);

    let plan = org.plan(&out, &[]);
    plan.assert_code(0);
    // The invited and disabled members have nothing planned either (`pending`, `disabled`).
    let nothing = [("unchanged", 57), ("pending", 2), ("disabled", 1)];
    assert_eq!(outcome_counts(&plan.report), counts(&nothing));
    assert_eq!(
        org.requests().len(),
        2,
        "one list page for export, one for plan"
    );
}

#[test]
fn a_rollback_run_again_finds_its_members_restored_and_changes_nothing() {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(6));
    let export = input(
        &org,
        "export.csv",
        &[(1, "A1", ""), (2, "A2", "light"), (3, "A3", "")],
    );
    let run = org.apply(&export, &[]);
    run.assert_code(0);
    org.run_command("rollback", &run.report_path, &[])
        .assert_code(0);
    let before = org.journal().len();

    // "Run it again" is the recovery from a rollback that was stopped: every member it had
    // reached already holds the value it restores.
    let again = org.run_command("rollback", &run.report_path, &[]);

    again.assert_code(0);
    assert_eq!(outcome_counts(&again.report), counts(&[("unchanged", 3)]));
    assert!(puts_to(&org, before).is_empty(), "nothing is sent again");
    for id in 1..=3 {
        assert_eq!(
            title_and_role(&org, id),
            (Value::from("Analyst"), "standard".into())
        );
    }
}

#[test]
fn a_rollback_stopped_part_way_is_finished_by_running_it_again() {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(6));
    let export = input(&org, "export.csv", &[(1, "A1", ""), (2, "A2", "light")]);
    let run = org.apply(&export, &[]);
    run.assert_code(0);
    // The rollback reached member 1 and was stopped before member 2.
    org.apply(
        &input(&org, "undo-1.csv", &[(1, "Analyst", "")]),
        &["--force"],
    )
    .assert_code(0);
    let before = org.journal().len();

    let again = org.run_command("rollback", &run.report_path, &[]);

    again.assert_code(0);
    assert_eq!(
        outcome_counts(&again.report),
        counts(&[("unchanged", 1), ("updated", 1)])
    );
    let mut sent = puts_to(&org, before);
    sent.sort_unstable();
    assert_eq!(sent, [2, 2], "member 2's title and role only");
    assert_eq!(
        title_and_role(&org, 2),
        (Value::from("Analyst"), "standard".into())
    );
}
