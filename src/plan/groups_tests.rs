//! Who joins and leaves which group, decided without a server.

use std::collections::HashSet;

use serde_json::json;

use super::groups::*;
use crate::api::{Group, Member};
use crate::guard::groups::RemovalLimit;
use crate::settings::groups::{GroupMode, GroupPattern, GroupSync};

fn member(json: serde_json::Value) -> Member {
    serde_json::from_value(json).unwrap()
}

/// 1–6 active, 7 invited, 8 disabled.
fn members() -> Vec<Member> {
    let mut members: Vec<Member> = (1..=6)
        .map(|id| {
            member(json!({"id": id, "email": format!("p{id}@acme.example"), "status": "active"}))
        })
        .collect();
    members.push(member(
        json!({"id": 7, "email": "p7@acme.example", "status": "invited"}),
    ));
    members.push(member(
        json!({"id": 8, "email": "p8@acme.example", "status": "disabled"}),
    ));
    members
}

fn group(id: &str, name: &str, members: &[u64]) -> Group {
    Group {
        id: format!("{id:0>32}"),
        name: name.into(),
        description: format!("{name} team"),
        members: members.to_vec(),
        guests: vec!["guest@partner.example".into()],
        last_updated: Some("2026-12-01T10:00:00Z".into()),
    }
}

fn sync() -> GroupSync {
    GroupSync {
        manage: Vec::new(),
        mode: GroupMode::Sync,
        create: false,
        max_removals: RemovalLimit::DEFAULT,
    }
}

fn row(row: usize, member_id: Option<u64>, groups: &[&str]) -> Placement {
    Placement {
        row,
        member_id,
        groups: Some(groups.iter().map(|g| g.to_string()).collect()),
        enabled_by_run: false,
        invitee: None,
    }
}

fn blank(row: usize, member_id: u64) -> Placement {
    Placement {
        row,
        member_id: Some(member_id),
        groups: None,
        enabled_by_run: false,
        invitee: None,
    }
}

fn plan(settings: &GroupSync, placements: Vec<Placement>, groups: &[Group]) -> GroupPlan {
    let members = members();
    let protected = HashSet::new();
    plan_groups(GroupInput {
        settings,
        placements,
        named_by_invalid: HashSet::new(),
        rowless_kept: None,
        members: &members,
        groups,
        protected: &protected,
    })
}

fn change<'a>(plan: &'a GroupPlan, name: &str) -> &'a GroupChange {
    plan.changes.iter().find(|c| c.name == name).unwrap()
}

#[test]
fn a_first_sync_fills_empty_groups_one_write_each() {
    let groups = [group("a", "Sales", &[]), group("b", "Engineering", &[])];
    let rows = vec![
        row(1, Some(1), &["Sales"]),
        row(2, Some(2), &["engineering "]),
        row(3, Some(3), &["Sales"]),
    ];
    let plan = plan(&sync(), rows, &groups);
    assert_eq!(plan.changes.len(), 2);
    assert_eq!(change(&plan, "Sales").after, vec![1, 3]);
    assert_eq!(change(&plan, "Engineering").after, vec![2]);
    assert_eq!(change(&plan, "Sales").guests, vec!["guest@partner.example"]);
    assert_eq!(plan.row(2).unwrap().describe(), "joins Engineering");
}

#[test]
fn a_mover_leaves_one_group_and_joins_another() {
    let groups = [group("a", "Sales", &[1, 2]), group("b", "Support", &[3])];
    let rows = vec![
        row(1, Some(1), &["Sales"]),
        row(2, Some(2), &["Support"]),
        row(3, Some(3), &["Support"]),
    ];
    let plan = plan(&sync(), rows, &groups);
    assert_eq!(change(&plan, "Sales").removed(), vec![2]);
    assert_eq!(change(&plan, "Support").added(), vec![2]);
    assert_eq!(
        plan.row(2).unwrap().describe(),
        "joins Support; leaves Sales"
    );
    assert!(plan.row(1).is_none());
}

#[test]
fn additive_mode_never_removes() {
    let groups = [group("a", "Sales", &[1, 2])];
    let settings = GroupSync {
        mode: GroupMode::Additive,
        ..sync()
    };
    let plan = plan(&settings, vec![row(1, Some(3), &["Sales"])], &groups);
    assert_eq!(change(&plan, "Sales").after, vec![1, 2, 3]);
}

#[test]
fn members_without_a_row_leave_a_managed_group_unless_that_cannot_be_trusted() {
    let groups = [group("a", "Sales", &[1, 5, 8])];
    let rows = vec![row(1, Some(1), &["Sales"])];
    let plan1 = plan(&sync(), rows.clone(), &groups);
    // 5 has no row and is active: removed. 8 is disabled: left where they are.
    assert_eq!(change(&plan1, "Sales").after, vec![1, 8]);
    let members = members();
    let protected = HashSet::new();
    let kept = plan_groups(GroupInput {
        settings: &sync(),
        placements: rows,
        named_by_invalid: HashSet::new(),
        rowless_kept: Some("row 4's key cannot be read"),
        members: &members,
        groups: &groups,
        protected: &protected,
    });
    assert!(kept.changes.is_empty());
}

#[test]
fn a_blank_cell_an_invalid_row_and_a_protected_member_keep_their_groups() {
    let groups = [group("a", "Sales", &[1, 2, 3, 4])];
    let members = members();
    let protected: HashSet<u64> = [4].into();
    let plan = plan_groups(GroupInput {
        settings: &sync(),
        placements: vec![
            row(1, Some(1), &["Sales"]),
            blank(2, 2),
            row(4, Some(4), &["Support"]),
        ],
        named_by_invalid: [3].into(),
        rowless_kept: None,
        members: &members,
        groups: &groups,
        protected: &protected,
    });
    assert!(plan.changes.is_empty(), "{plan:?}");
}

#[test]
fn a_name_matching_two_groups_changes_neither() {
    let groups = [group("a", "Sales", &[]), group("b", "SALES", &[])];
    let plan = plan(&sync(), vec![row(1, Some(1), &["sales"])], &groups);
    assert!(plan.changes.is_empty());
    assert_eq!(
        plan.row(1).unwrap().describe(),
        "sales: matches 2 groups (Sales, SALES): neither is changed"
    );
}

#[test]
fn a_missing_group_is_created_only_when_asked() {
    let rows = vec![row(1, Some(1), &["Finance"]), row(2, Some(2), &["finance"])];
    let without = plan(&sync(), rows.clone(), &[]);
    assert!(without.changes.is_empty());
    assert_eq!(
        without.row(1).unwrap().describe(),
        "Finance: no such group (--create-groups creates it)"
    );
    let with = plan(
        &GroupSync {
            create: true,
            ..sync()
        },
        rows,
        &[],
    );
    let created = change(&with, "Finance");
    assert_eq!(
        (created.id.as_deref(), created.after.as_slice()),
        (None, &[1, 2][..])
    );
    assert_eq!(created.description, CREATED_DESCRIPTION);
}

#[test]
fn manage_groups_limits_what_is_written_and_takes_in_groups_the_file_no_longer_names() {
    let groups = [
        group("a", "Dept: Sales", &[1, 2]),
        group("b", "Dept: Legal", &[3]),
        group("c", "Book club", &[1]),
    ];
    let settings = GroupSync {
        manage: vec![GroupPattern::new("dept: *")],
        ..sync()
    };
    let rows = vec![
        row(1, Some(1), &["Dept: Sales", "Book club"]),
        row(2, Some(2), &["Dept: Sales"]),
        row(3, Some(3), &["Dept: Sales"]),
    ];
    let plan = plan(&settings, rows, &groups);
    assert_eq!(change(&plan, "Dept: Sales").after, vec![1, 2, 3]);
    // Named by nobody now, but managed: 3 leaves it.
    assert_eq!(change(&plan, "Dept: Legal").after, Vec::<u64>::new());
    assert!(plan.changes.iter().all(|c| c.name != "Book club"));
    assert_eq!(
        plan.row(1).unwrap().describe(),
        "not managed (--manage-groups): Book club"
    );
}

#[test]
fn joiners_and_disabled_members_are_not_placed_and_their_rows_say_why() {
    let groups = [group("a", "Sales", &[1])];
    let rows = vec![
        row(1, Some(1), &["Sales"]),
        row(2, None, &["Sales"]),
        row(3, Some(8), &["Sales"]),
        row(4, Some(7), &["Sales"]),
    ];
    let plan = plan(&sync(), rows, &groups);
    assert_eq!(change(&plan, "Sales").after, vec![1, 7]);
    assert!(plan.row(2).unwrap().describe().contains("not a member yet"));
    assert_eq!(
        plan.row(3).unwrap().describe(),
        "Sales: not placed, the member is disabled"
    );
    let mut rehire = row(3, Some(8), &["Sales"]);
    rehire.enabled_by_run = true;
    let plan = self::plan(&sync(), vec![row(1, Some(1), &["Sales"]), rehire], &groups);
    assert_eq!(change(&plan, "Sales").after, vec![1, 8]);
}

#[test]
fn an_unchanged_group_is_not_written() {
    let groups = [group("a", "Sales", &[2, 1])];
    let plan = plan(
        &sync(),
        vec![row(1, Some(1), &["Sales"]), row(2, Some(2), &["Sales"])],
        &groups,
    );
    assert!(plan.changes.is_empty());
    assert!(plan.rows.is_empty());
}

#[test]
fn a_joiner_this_run_invites_joins_once_the_invitation_gives_an_id() {
    let groups = [group("a", "Sales", &[1])];
    let mut joiner = row(2, None, &["Sales"]);
    joiner.invitee = Some("new.hire@acme.example".into());
    let plan = plan(&sync(), vec![row(1, Some(1), &["Sales"]), joiner], &groups);
    let sales = change(&plan, "Sales");
    assert_eq!(sales.after, vec![1]);
    assert_eq!(sales.invitees, vec!["new.hire@acme.example"]);
    assert_eq!(sales.summary(), "+1 -0 (1 → 2 members)");
    assert_eq!(plan.row(2).unwrap().describe(), "joins Sales");
}
