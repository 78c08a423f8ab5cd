use std::collections::BTreeMap;

use serde_json::json;

use super::*;
use crate::fields::{Field, Value};
use crate::plan::{Invite, OperationKind};

const SEEN: &str = "2026-03-02T09:00:00Z";

fn member(id: u64, status: &str, updated_at: &str) -> Member {
    serde_json::from_value(json!({
        "id": id, "email": format!("p{id}@x.example"), "status": status,
        "updated_at": updated_at, "first_name": "F", "last_name": "L",
        "timezone": "UTC", "job_title": "Analyst",
    }))
    .unwrap()
}

fn record(id: u64, lifecycle: Option<Lifecycle>, title: Option<&str>) -> Recorded {
    let text = |s: &str| Some(Value::Text(s.into()));
    let fields: BTreeMap<_, _> = title
        .map(|t| (Field::JobTitle, (text("Analyst"), text(t))))
        .into_iter()
        .collect();
    Recorded {
        line: LineKey::Member(id),
        member_id: Some(id),
        email: format!("p{id}@x.example"),
        fields,
        lifecycle,
    }
}

fn disable(seen: Option<&str>, reassign_to: Option<u64>) -> Option<Lifecycle> {
    Some(Lifecycle::Disable {
        reassign_to,
        seen_updated_at: seen.map(|s| s.parse().unwrap()),
    })
}

/// What becomes of `record` against `members`: the kinds of the chain sent, or the line's
/// outcome and error.
fn fate(record: Recorded, members: &[Member], force: bool) -> Result<Vec<OperationKind>, String> {
    let recorded = [record];
    let mut replayed = against(&recorded, members, force);
    if let Some(line) = replayed.take_lines().pop() {
        return Err(format!(
            "{}: {}",
            line.outcome.unwrap().as_str(),
            line.error
        ));
    }
    let chain = replayed.chains.pop().expect("a chain or a line");
    Ok(chain.steps.iter().map(|s| s.kind()).collect())
}

#[test]
fn a_disable_goes_only_to_a_member_active_and_unchanged_since_the_plan() {
    let seen = Some(SEEN);
    let active = [member(5, "active", SEEN)];
    assert_eq!(
        fate(record(5, disable(seen, None), None), &active, false),
        Ok(vec![OperationKind::Disable])
    );
    let came_back = [member(5, "active", "2026-03-03T08:00:00Z")];
    assert_eq!(
        fate(record(5, disable(seen, None), None), &came_back, false),
        Err("stale: not disabled: changed since it was recorded: the member was updated at 2026-03-03T08:00:00Z, after the plan saw them (2026-03-02T09:00:00Z): they may have come back".into())
    );
    // Without what the plan saw (a rollback, an older plan), the status alone decides.
    assert_eq!(
        fate(record(5, disable(None, None), None), &came_back, false),
        Ok(vec![OperationKind::Disable])
    );
    assert_eq!(
        fate(
            record(5, disable(seen, None), None),
            &[member(5, "disabled", SEEN)],
            false
        ),
        Err("unchanged: the member is disabled already".into())
    );
    assert_eq!(
        fate(record(5, disable(seen, None), None), &[member(5, "invited", SEEN)], false),
        Err("stale: not disabled: changed since it was recorded: status is now invited (expected active)".into())
    );
}

#[test]
fn a_member_gone_from_the_organization_is_stale_unless_a_removal_was_planned() {
    assert!(
        fate(record(5, disable(None, None), None), &[], false)
            .unwrap_err()
            .starts_with("stale: not disabled: changed since it was recorded: member 5 is not in the organization any more")
    );
    assert_eq!(
        fate(record(5, disable(None, Some(1)), None), &[], false),
        Err("unchanged: member 5 is not in the organization any more: removed already".into())
    );
    assert!(
        fate(record(5, Some(Lifecycle::Enable), None), &[], false)
            .unwrap_err()
            .starts_with("stale: not enabled:")
    );
}

#[test]
fn an_enable_goes_before_the_fields_and_is_left_out_once_done() {
    let rehire = || record(6, Some(Lifecycle::Enable), Some("Lead"));
    assert_eq!(
        fate(rehire(), &[member(6, "disabled", SEEN)], false),
        Ok(vec![OperationKind::Enable, OperationKind::UpdateProfile])
    );
    assert_eq!(
        fate(rehire(), &[member(6, "active", SEEN)], false),
        Ok(vec![OperationKind::UpdateProfile])
    );
    assert_eq!(
        fate(
            record(6, Some(Lifecycle::Enable), None),
            &[member(6, "active", SEEN)],
            false
        ),
        Err("unchanged: the member is active already".into())
    );
    let invited = [member(6, "invited", SEEN)];
    assert_eq!(
        fate(rehire(), &invited, false),
        Err("stale: not enabled: changed since it was recorded: status is now invited (expected disabled)".into())
    );
    // A rollback's --force sends it all the same.
    assert_eq!(
        fate(rehire(), &invited, true),
        Ok(vec![OperationKind::Enable, OperationKind::UpdateProfile])
    );
}

#[test]
fn a_disable_goes_after_the_fields_and_a_moved_field_makes_the_whole_line_stale() {
    let undo = || record(6, disable(None, None), Some("Lead"));
    assert_eq!(
        fate(undo(), &[member(6, "active", SEEN)], false),
        Ok(vec![OperationKind::UpdateProfile, OperationKind::Disable])
    );
    let mut edited = member(6, "active", SEEN);
    edited.set_raw(Field::JobTitle, json!("Edited"));
    assert_eq!(
        fate(undo(), &[edited], false),
        Err("stale: not disabled: changed since it was recorded: job_title is now \"Edited\" (expected \"Analyst\")".into())
    );
}

#[test]
fn an_invite_goes_only_to_an_email_nobody_has() {
    let invite = |email: &str| Recorded {
        line: LineKey::Row(7),
        member_id: None,
        email: email.into(),
        fields: BTreeMap::new(),
        lifecycle: Some(Lifecycle::Invite(Box::new(Invite {
            email: email.to_lowercase(),
            first_name: "N".into(),
            last_name: "H".into(),
            role: "light".into(),
            message: "Hi".into(),
        }))),
    };
    let members = [member(3, "active", SEEN), member(4, "invited", SEEN)];
    assert_eq!(
        fate(invite("new@x.example"), &members, false),
        Ok(vec![OperationKind::Invite])
    );
    assert_eq!(
        fate(invite("P3@x.example"), &members, false),
        Err("stale: not invited: changed since it was recorded: p3@x.example is a member now (member 3, active)".into())
    );
    assert_eq!(
        fate(invite("p4@x.example"), &members, false),
        Err("pending: p4@x.example is invited already (member 4): never invited twice".into())
    );
}

#[test]
fn a_rows_field_changes_go_to_the_planner_unless_stale() {
    let row = |title: &str| {
        let text = |s: &str| Some(Value::Text(s.into()));
        let fields = BTreeMap::from([(Field::JobTitle, (text("Analyst"), text(title)))]);
        Recorded::of_fields(3, 6, "p6@x.example", fields)
    };
    let mut edited = member(6, "active", SEEN);
    edited.set_raw(Field::JobTitle, json!("Edited"));
    let recorded = [row("Lead")];
    let replayed = against(&recorded, &[member(6, "active", SEEN)], false);
    assert!(replayed.plans_row(3) && replayed.chains.is_empty() && replayed.lines.is_empty());
    let replayed = against(&recorded, std::slice::from_ref(&edited), false);
    assert!(!replayed.plans_row(3));
    assert_eq!(
        replayed.lines[0].outcome,
        Some(crate::report::Outcome::Stale)
    );
    assert!(against(&recorded, &[edited], true).plans_row(3));
}

#[test]
fn bots_and_administrators_are_never_disabled_whatever_the_line_says() {
    let leaver = || record(5, disable(None, None), None);
    let mut admin = member(5, "active", SEEN);
    admin.set_raw(Field::Role, json!("Admin"));
    assert_eq!(
        fate(leaver(), std::slice::from_ref(&admin), true),
        Err("excluded: not disabled: member 5 is an administrator, and bots and administrators are never disabled".into())
    );
    let mut bot = member(5, "active", SEEN);
    bot.is_bot = true;
    assert!(
        fate(leaver(), &[bot], false)
            .unwrap_err()
            .starts_with("excluded: not disabled: member 5 is a bot")
    );
    // A rollback that makes them a standard member again first may disable them.
    let text = |s: &str| Some(Value::Text(s.into()));
    let mut demoted = leaver();
    demoted
        .fields
        .insert(Field::Role, (text("admin"), text("standard")));
    assert_eq!(
        fate(demoted, &[admin], false),
        Ok(vec![OperationKind::ChangeRole, OperationKind::Disable])
    );
}

#[test]
fn a_line_without_a_row_that_only_changed_fields_is_restored_on_its_member() {
    assert_eq!(
        fate(
            record(6, None, Some("Lead")),
            &[member(6, "active", SEEN)],
            false
        ),
        Ok(vec![OperationKind::UpdateProfile])
    );
}
