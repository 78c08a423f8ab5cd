//! Who is absent, who is disabled, who only reported, and who never touched: planned without a
//! server or a state directory.

use std::collections::BTreeMap;

use serde_json::json;

use super::*;
use crate::validate::InvalidRow;

fn member(json: serde_json::Value) -> Member {
    serde_json::from_value(json).unwrap()
}

/// 1 admin, 2–5 active, 6 invited, 7 disabled, 8 a bot, 9 a contractor.
fn members() -> Vec<Member> {
    let mut members = vec![member(
        json!({"id": 1, "email": "boss@acme.example", "role": "admin", "status": "active"}),
    )];
    for id in 2..=5 {
        members.push(member(
            json!({"id": id, "email": format!("p{id}@acme.example"),
            "role": "standard", "status": "active"}),
        ));
    }
    members.extend([
        member(json!({"id": 6, "email": "p6@acme.example", "status": "invited"})),
        member(json!({"id": 7, "email": "p7@acme.example", "status": "disabled"})),
        member(json!({"id": 8, "email": "robot@acme.example", "status": "active", "type": "bot"})),
        member(json!({"id": 9, "email": "temp@contractors.example", "status": "active"})),
    ]);
    members
}

fn unchanged(row: usize, member_id: u64) -> RowPlan {
    RowPlan::Unchanged {
        row,
        member_id,
        email: Some(format!("p{member_id}@acme.example")),
        note: None,
    }
}

fn invalid(row: usize, email: &str, user_id: &str) -> RowPlan {
    RowPlan::Invalid(Box::new(InvalidRow {
        row,
        email: email.into(),
        user_id: user_id.into(),
        problems: Vec::new(),
    }))
}

#[test]
fn absent_are_the_active_members_no_row_names_invalid_rows_included() {
    let members = members();
    let index = MemberIndex::new(&members);
    let rows = vec![
        unchanged(1, 2),
        // Invalid, but its key names member 3; another by user id names 4.
        invalid(2, "P3@acme.example", ""),
        invalid(3, "", "4"),
    ];
    let found = presence(&rows, &index, &members);
    assert_eq!(
        found.absent,
        [1, 5, 8, 9],
        "invited and disabled are no leavers"
    );
    assert!(found.unreadable_keys.is_empty());
    assert_eq!(found.active, 7);
    // A key that cannot be read might name anyone.
    let rows = vec![
        invalid(4, "p3@acme", ""),
        invalid(5, "", ""),
        invalid(6, "", "x1"),
    ];
    assert_eq!(presence(&rows, &index, &members).unreadable_keys, [4, 5, 6]);
}

/// What a test changes of the leaver rules.
#[derive(Default)]
struct Edit {
    blocked: Option<&'static str>,
    reassign_to: Option<u64>,
}

/// Runs the leaver rules with absences counted as `runs` (member → runs absent).
fn decide_all(
    mode: Leavers,
    runs: &[(u64, u32)],
    rows: Vec<RowPlan>,
    edit: Edit,
) -> (Plan, LeaverPlan) {
    let members = members();
    let index = MemberIndex::new(&members);
    let exclusions = Exclusions::new(&["*@contractors.example".into()]).unwrap();
    let rules = LeaverRules {
        mode,
        grace_runs: 2,
        reassign_to: edit
            .reassign_to
            .and_then(|id| members.iter().find(|m| m.id == id)),
        exclusions: &exclusions,
        token_owner: None,
        blocked: edit.blocked.map(str::to_string),
    };
    let counts: BTreeMap<u64, u32> = runs.iter().copied().collect();
    let of = |id: u64| {
        counts.get(&id).map(|&runs| Absence {
            runs,
            since: "night 1".into(),
        })
    };
    let absences = Absences {
        of: &of,
        not_counted: None,
    };
    let mut plan = Plan {
        rows,
        subjects: Vec::new(),
    };
    let presence = presence(&plan.rows, &index, &members);
    let decided = leavers(&mut plan, &index, &presence, &absences, &rules);
    (plan, decided)
}

fn lines(decided: &LeaverPlan) -> Vec<(u64, Noted, &str)> {
    decided
        .lines
        .iter()
        .map(|l| (l.member_id, l.note.outcome, l.note.reason.as_str()))
        .collect()
}

fn disabled(plan: &Plan) -> Vec<u64> {
    plan.subjects.iter().filter_map(|c| c.member_id).collect()
}

#[test]
fn ignored_leavers_are_only_counted() {
    let rows = vec![unchanged(1, 2), unchanged(2, 3)];
    let (plan, decided) = decide_all(Leavers::Ignore, &[(4, 5)], rows, Edit::default());
    assert_eq!(decided.absent, 5);
    assert!(decided.lines.is_empty() && plan.subjects.is_empty());
}

#[test]
fn absent_members_are_disabled_after_the_grace_runs_and_protected_ones_never() {
    let rows = vec![unchanged(1, 2), unchanged(2, 3)];
    let (plan, decided) = decide_all(Leavers::Disable, &[(4, 2), (5, 1)], rows, Edit::default());
    assert_eq!(disabled(&plan), [4]);
    assert_eq!(
        plan.subjects[0].steps,
        [Operation::Disable { reassign_to: None }]
    );
    assert_eq!(plan.subjects[0].line, LineKey::Member(4));
    let lines = lines(&decided);
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_eq!(lines[0].0, 1);
    assert_eq!(lines[0].1, Noted::Excluded);
    assert!(lines[0].2.ends_with("never disabled: an administrator: a sync never disables one (if they left, change their role in Tallyfy first)"), "{}", lines[0].2);
    assert_eq!(
        lines[1],
        (
            5,
            Noted::Leaver,
            "absent from the input 1 of 2 runs in a row (since night 1): disabled when absent from 2 (--leaver-grace-runs)"
        )
    );
    assert_eq!((lines[2].0, lines[2].1), (8, Noted::Excluded));
    assert!(lines[2].2.contains("a bot account"));
    assert_eq!((lines[3].0, lines[3].1), (9, Noted::Excluded));
    assert!(lines[3].2.contains("--exclude *@contractors.example"));
}

#[test]
fn reported_leavers_are_listed_and_nothing_is_disabled() {
    let (plan, decided) = decide_all(
        Leavers::Report,
        &[(4, 3)],
        vec![unchanged(1, 2)],
        Edit::default(),
    );
    assert!(plan.subjects.is_empty());
    let lines = lines(&decided);
    assert!(lines.contains(&(
        4,
        Noted::Leaver,
        "absent from the input 3 runs in a row (since night 1)"
    )));
    assert!(lines.contains(&(3, Noted::Leaver, "absent from the input")));
}

#[test]
fn a_row_whose_key_cannot_be_read_disables_nobody() {
    let rows = vec![unchanged(1, 2), invalid(2, "", "")];
    let edit = Edit {
        blocked: Some("row 2 is invalid and its key cannot be read"),
        ..Edit::default()
    };
    let (plan, decided) = decide_all(Leavers::Disable, &[(3, 2), (4, 2), (5, 2)], rows, edit);
    assert!(plan.subjects.is_empty());
    let blocked: Vec<_> = lines(&decided)
        .into_iter()
        .filter(|(_, outcome, _)| *outcome == Noted::Leaver)
        .collect();
    assert_eq!(blocked.len(), 3);
    assert!(
        blocked[0]
            .2
            .ends_with("not disabled: row 2 is invalid and its key cannot be read"),
        "{blocked:?}"
    );
}

#[test]
fn a_row_saying_its_person_left_is_disabled_at_once_or_removed_with_reassignment() {
    let leaving = RowPlan::Unchanged {
        row: 1,
        member_id: 2,
        email: Some("p2@acme.example".into()),
        note: Some(Note::new(
            Noted::Leaver,
            "the status column says the person has left",
        )),
    };
    let rows = vec![
        leaving.clone(),
        unchanged(2, 3),
        unchanged(3, 4),
        unchanged(4, 5),
    ];
    let edit = Edit {
        reassign_to: Some(3),
        ..Edit::default()
    };
    let (plan, _) = decide_all(Leavers::Disable, &[], rows, edit);
    let RowPlan::Chain(chain) = &plan.rows[0] else {
        panic!("{:?}", plan.rows[0]);
    };
    assert_eq!(chain.line, LineKey::Row(1));
    assert_eq!(
        chain.steps,
        [Operation::Disable {
            reassign_to: Some(3)
        }]
    );
    // Reported, the row keeps its note.
    let (plan, _) = decide_all(Leavers::Report, &[], vec![leaving], Edit::default());
    assert!(
        matches!(&plan.rows[0], RowPlan::Unchanged { note: Some(n), .. } if n.outcome == Noted::Leaver)
    );
}
