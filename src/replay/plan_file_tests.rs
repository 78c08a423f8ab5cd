use serde_json::json;

use super::*;
use crate::fields::{Field, Value};
use crate::plan::{Change, Invite, LineKey};
use crate::replay::Lifecycle;

const URL: &str = "https://go.tallyfy.com/api";

fn saved(dir: &Path, edit: impl FnOnce(&mut Json)) -> std::path::PathBuf {
    let input = dir.join("in.csv");
    std::fs::write(&input, "email\n").unwrap();
    let plan = PlanFile::new(&Plan::default(), "acme", URL, &input, &[]).unwrap();
    let mut json = serde_json::to_value(&plan).unwrap();
    edit(&mut json);
    write(dir, &json)
}

#[test]
fn plans_of_another_org_api_or_format_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ok = saved(dir.path(), |_| {});
    assert!(PlanFile::load(&ok, "acme", URL).is_ok());
    assert!(PlanFile::load(&ok, "acme", "https://go.tallyfy.com/api/").is_ok());
    let err = PlanFile::load(&ok, "other", URL).unwrap_err();
    assert!(
        err.contains("made for organization `acme`, not `other`"),
        "{err}"
    );
    let err = PlanFile::load(&ok, "acme", "https://api.tallyfy.com").unwrap_err();
    assert!(err.contains("was made against"), "{err}");
    std::fs::write(dir.path().join("junk.json"), "{}").unwrap();
    let err = PlanFile::load(&dir.path().join("junk.json"), "acme", URL).unwrap_err();
    assert!(err.contains("is not a member-sync plan"), "{err}");
}

#[test]
fn a_newer_plan_is_refused_as_one_whatever_its_entries_look_like() {
    let dir = tempfile::tempdir().unwrap();
    let newer = saved(dir.path(), |j| {
        j["format_version"] = 5.into();
        j["changes"] = json!([{"line": {"group": "abc"}}]);
    });
    let err = PlanFile::load(&newer, "acme", URL).unwrap_err();
    assert!(
        err.contains("is a plan of format 5 made by member-sync")
            && err.ends_with("this version reads formats 1 to 4: make the plan again"),
        "{err}"
    );
}

fn text(s: &str) -> Option<Value> {
    Some(Value::Text(s.into()))
}

/// A plan of one chain, profile then role, on member 1001 for row 3.
fn plan_of_one_chain() -> Plan {
    let title = Change {
        field: Field::JobTitle,
        before: text("Analyst"),
        after: text("Lead"),
    };
    let role = Change {
        field: Field::Role,
        before: text("standard"),
        after: text("admin"),
    };
    let body = json!({"first_name": "A", "last_name": "B", "timezone": "UTC", "job_title": "Lead"});
    let chain = Chain {
        line: LineKey::Row(3),
        member_id: Some(1001),
        email: Some("a.b@acme.example".into()),
        steps: vec![
            Operation::UpdateProfile {
                body: body.as_object().unwrap().clone(),
                changes: vec![title],
            },
            Operation::ChangeRole { change: role },
        ],
    };
    Plan {
        rows: vec![RowPlan::Chain(Box::new(chain))],
        subjects: Vec::new(),
    }
}

fn write(dir: &Path, json: &Json) -> std::path::PathBuf {
    let path = dir.join("plan.json");
    std::fs::write(&path, json.to_string()).unwrap();
    path
}

fn saved_json(plan: &Plan, members: &[Member]) -> Json {
    let saved = PlanFile::for_input(plan, "acme", URL, InputFile::of("in.csv", b""), members);
    serde_json::to_value(&saved).unwrap()
}

fn reloaded(dir: &Path, json: &Json) -> Result<Vec<Recorded>, String> {
    PlanFile::load(&write(dir, json), "acme", URL)
        .unwrap()
        .recorded()
}

#[test]
fn a_saved_plan_carries_its_operations_and_reads_back_as_the_same_changes() {
    let dir = tempfile::tempdir().unwrap();
    let input = InputFile::of("in.csv", b"email\n");
    let plan = PlanFile::for_input(&plan_of_one_chain(), "acme", URL, input, &[]);
    let json = serde_json::to_value(&plan).unwrap();
    // Profile and role changes only: every version reads it.
    assert_eq!(json["format_version"], 1);
    assert_eq!(json["changes"][0]["row"], 3);
    assert_eq!(json["changes"][0]["member_id"], 1001);
    assert!(json["changes"][0].get("subject").is_none());
    assert_eq!(
        json["changes"][0]["steps"],
        json!([{"op": "update_profile"}, {"op": "change_role"}])
    );
    let loaded = PlanFile::load(&write(dir.path(), &json), "acme", URL).unwrap();
    assert_eq!(loaded, plan);
    let recorded = loaded.recorded().unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(
        (recorded[0].line, recorded[0].member_id),
        (LineKey::Row(3), Some(1001))
    );
    assert_eq!(recorded[0].lifecycle, None);
    let fields: Vec<Field> = recorded[0].fields.keys().copied().collect();
    assert_eq!(fields, [Field::JobTitle, Field::Role]);
    // A plan written before operations (no `steps`) reads as the same changes.
    let mut older = json.clone();
    older["changes"][0].as_object_mut().unwrap().remove("steps");
    assert_eq!(reloaded(dir.path(), &older).unwrap(), recorded);
}

#[test]
fn a_rehire_is_format_2_and_reads_back_as_an_enable_before_its_fields() {
    let dir = tempfile::tempdir().unwrap();
    let mut plan = plan_of_one_chain();
    let RowPlan::Chain(chain) = &mut plan.rows[0] else {
        unreachable!()
    };
    chain.steps.insert(0, Operation::Enable);
    let json = saved_json(&plan, &[]);
    assert_eq!(json["format_version"], 2, "older versions must refuse it");
    assert_eq!(json["changes"][0]["steps"][0], json!({"op": "enable"}));
    let recorded = reloaded(dir.path(), &json).unwrap();
    assert_eq!(recorded[0].lifecycle, Some(Lifecycle::Enable));
    assert_eq!(recorded[0].fields.len(), 2);
}

fn member(id: u64, updated_at: &str) -> Member {
    serde_json::from_value(
        json!({"id": id, "email": "l@acme.example", "status": "active", "updated_at": updated_at}),
    )
    .unwrap()
}

/// A leaver: member 1042's own line, disabled with the work going to member 7.
fn plan_of_a_leaver() -> Plan {
    Plan {
        rows: Vec::new(),
        subjects: vec![Chain {
            line: LineKey::Member(1042),
            member_id: Some(1042),
            email: Some("l@acme.example".into()),
            steps: vec![Operation::Disable {
                reassign_to: Some(7),
            }],
        }],
    }
}

#[test]
fn a_leaver_is_saved_as_its_members_line_with_the_member_as_the_plan_saw_it() {
    let dir = tempfile::tempdir().unwrap();
    let members = [member(1042, "2026-03-02T09:00:00Z"), member(1043, "x")];
    let json = saved_json(&plan_of_a_leaver(), &members);
    assert_eq!(json["format_version"], 3);
    assert_eq!(
        json["changes"][0],
        json!({
            "subject": "member",
            "member_id": 1042,
            "email": "l@acme.example",
            "fields": {},
            "steps": [{"op": "disable", "reassign_to": 7}],
            "member_updated_at": "2026-03-02T09:00:00Z",
        })
    );
    let recorded = reloaded(dir.path(), &json).unwrap();
    assert_eq!(recorded[0].line, LineKey::Member(1042));
    assert_eq!(recorded[0].member_id, Some(1042));
    assert_eq!(
        recorded[0].lifecycle,
        Some(Lifecycle::Disable {
            reassign_to: Some(7),
            seen_updated_at: Some("2026-03-02T09:00:00Z".parse().unwrap()),
        })
    );
}

#[test]
fn an_invite_is_saved_whole_and_reads_back_as_the_same_invite() {
    let dir = tempfile::tempdir().unwrap();
    let invite = Invite {
        email: "new.hire@acme.example".into(),
        first_name: "New".into(),
        last_name: "Hire".into(),
        role: "light".into(),
        message: "Welcome.".into(),
    };
    let plan = Plan {
        rows: vec![RowPlan::Chain(Box::new(Chain {
            line: LineKey::Row(4),
            member_id: None,
            email: Some("new.hire@acme.example".into()),
            steps: vec![Operation::Invite(Box::new(invite.clone()))],
        }))],
        subjects: Vec::new(),
    };
    let mut json = saved_json(&plan, &[]);
    assert_eq!(json["format_version"], 3, "no member id yet");
    assert!(json["changes"][0].get("member_id").is_none());
    assert_eq!(
        json["changes"][0]["steps"],
        json!([{"op": "invite", "first_name": "New", "last_name": "Hire", "role": "light", "message": "Welcome."}])
    );
    let recorded = reloaded(dir.path(), &json).unwrap();
    assert_eq!(
        (recorded[0].line, recorded[0].member_id),
        (LineKey::Row(4), None)
    );
    assert_eq!(
        recorded[0].lifecycle,
        Some(Lifecycle::Invite(Box::new(invite)))
    );
    // An edited plan sends nothing Tallyfy would refuse.
    json["changes"][0]["steps"][0]["role"] = "owner".into();
    assert_eq!(
        reloaded(dir.path(), &json).unwrap_err(),
        "row 4: `owner` is not a role to invite with (admin, standard or light): make the plan again"
    );
}

#[test]
fn a_format_2_plan_with_row_0_reads_as_the_members_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut json = saved_json(&plan_of_a_leaver(), &[]);
    // As the format 2 writer wrote a line without a row.
    json["format_version"] = 2.into();
    let entry = json["changes"][0].as_object_mut().unwrap();
    entry.remove("subject");
    entry.insert("row".into(), 0.into());
    let recorded = reloaded(dir.path(), &json).unwrap();
    assert_eq!(recorded[0].line, LineKey::Member(1042));
    assert!(matches!(
        recorded[0].lifecycle,
        Some(Lifecycle::Disable {
            reassign_to: Some(7),
            seen_updated_at: None
        })
    ));
}

#[test]
fn steps_no_planner_makes_are_refused_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut json = saved_json(&plan_of_a_leaver(), &[]);
    json["changes"][0]["steps"] = json!([{"op": "disable"}, {"op": "enable"}]);
    assert_eq!(
        reloaded(dir.path(), &json).unwrap_err(),
        "member 1042: the plan's steps `disable, enable` are not a chain this version of member-sync runs: make the plan again"
    );
    json["changes"][0]["steps"] = json!([{"op": "disable"}]);
    json["changes"][0]
        .as_object_mut()
        .unwrap()
        .remove("subject");
    assert_eq!(
        reloaded(dir.path(), &json).unwrap_err(),
        "an entry of the plan (l@acme.example) has neither a `row` nor a `subject`"
    );
}
