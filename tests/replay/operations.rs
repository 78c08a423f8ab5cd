//! Saved plans carry each chain's operations (`steps`); a plan whose steps are not a chain this
//! version runs is refused before anything is sent; a plan saved before `steps` existed still
//! applies. Rollback refuses a report line whose action it cannot undo.

use member_sync::sandbox::SandboxConfig;
use serde_json::{Value, json};

use crate::util::*;

/// Plans `rows` (email, title, role) of a five-member org into `plan.json`: the org, and the
/// plan as JSON.
fn saved_plan(rows: &[[&str; 3]]) -> (TestOrg, std::path::PathBuf, Value) {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(5));
    let input = org.input(
        "export.csv",
        &["email", "job_title", "role"],
        rows.iter().map(|r| r.to_vec()),
    );
    let path = org.path("plan.json");
    org.plan(&input, &["--out", path.to_str().unwrap()])
        .assert_code(0);
    let plan = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    (org, path, plan)
}

fn apply_plan(org: &TestOrg, plan: &std::path::Path) -> Run {
    let report = org.fresh_report_path();
    let plan = plan.to_str().unwrap();
    let mut command = org.connected(&["apply", "--plan", plan, "--yes", "--rate", "1000/s"]);
    command.arg("--report").arg(&report);
    Run::of(&mut command, report)
}

fn writes(org: &TestOrg) -> usize {
    org.requests().iter().filter(|r| r.is("PUT")).count()
}

#[test]
fn a_saved_plan_names_each_chains_steps_in_the_order_they_run() {
    let (_, _, plan) = saved_plan(&[
        ["person1@gen.example", "Lead", "admin"],
        ["person2@gen.example", "Lead", ""],
        ["person3@gen.example", "Analyst", "light"],
    ]);
    assert_eq!(plan["format_version"], 1, "every version reads it");
    let steps: Vec<&Value> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|chain| &chain["steps"])
        .collect();
    assert_eq!(
        steps,
        [
            &json!([{"op": "update_profile"}, {"op": "change_role"}]),
            &json!([{"op": "update_profile"}]),
            &json!([{"op": "change_role"}]),
        ]
    );
}

#[test]
fn a_plan_whose_steps_are_not_a_chain_this_version_runs_is_refused_before_anything_is_sent() {
    let (org, path, mut plan) = saved_plan(&[["person1@gen.example", "Lead", ""]]);
    plan["format_version"] = 2.into();
    // An enable runs first, before the fields: no planner makes it after them.
    plan["changes"][0]["steps"] = json!([{"op": "update_profile"}, {"op": "enable"}]);
    std::fs::write(&path, plan.to_string()).unwrap();
    let before = writes(&org);

    let run = apply_plan(&org, &path);

    run.assert_code(1).assert_stderr_contains(
        "row 1: the plan's steps `update_profile, enable` are not a chain this version of member-sync runs: make the plan again",
    );
    assert_eq!(writes(&org), before, "nothing sent");
}

#[test]
fn a_plan_saved_before_steps_existed_still_applies() {
    let (org, path, mut plan) = saved_plan(&[["person1@gen.example", "Lead", "admin"]]);
    plan["changes"][0].as_object_mut().unwrap().remove("steps");
    std::fs::write(&path, plan.to_string()).unwrap();

    let run = apply_plan(&org, &path);

    run.assert_code(0);
    assert_eq!(outcome_counts(&run.report), counts(&[("updated", 1)]));
    let member = org.member(1);
    assert_eq!(member["job_title"], "Lead");
    assert_eq!(member["role"].as_str().unwrap().to_lowercase(), "admin");
}

#[test]
fn rollback_refuses_a_line_whose_action_it_cannot_undo_before_anything_is_sent() {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(5));
    let input = org.input(
        "export.csv",
        &["email", "job_title"],
        [vec!["person1@gen.example", "Lead"]],
    );
    let run = org.apply(&input, &[]);
    run.assert_code(0);
    // The same report, with its line's action as a later version may write it.
    let mut lines = run.report.clone();
    lines[0].insert("action".into(), "join_group".into());
    let edited = org.path("edited.csv");
    let cells = lines.iter().map(|line| {
        REPORT_COLUMNS
            .iter()
            .map(|column| line[*column].clone())
            .collect::<Vec<String>>()
    });
    write_csv(&edited, &REPORT_COLUMNS, cells);
    let before = writes(&org);

    let undo = org.run_command("rollback", &edited, &[]);

    undo.assert_code(1).assert_stderr_contains(&format!(
        "{} line 2: its action `join_group` cannot be undone by this version of member-sync",
        edited.display()
    ));
    assert_eq!(writes(&org), before, "nothing sent");
}
