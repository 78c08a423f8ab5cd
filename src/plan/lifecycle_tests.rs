//! The joiner and rehire rules, and rows whose member is invited or disabled, planned without
//! a server.

use jiff::civil::date;
use serde_json::json;

use super::super::{MemberIndex, Operation, OperationKind, RowPlan, plan_with};
use super::*;
use crate::fields::{Desired, Field, Value};
use crate::settings::Lifecycle;
use crate::settings::lifecycle::InviteRole;
use crate::validate::{Employment, RowVerdict, Status};

fn member(json: serde_json::Value) -> Member {
    serde_json::from_value(json).unwrap()
}

fn members() -> Vec<Member> {
    vec![
        member(
            json!({"id": 1, "email": "ann@acme.example", "first_name": "Ann",
            "last_name": "A", "timezone": "UTC", "job_title": "Analyst", "status": "active"}),
        ),
        member(
            json!({"id": 2, "email": "bo@acme.example", "first_name": "Bo",
            "last_name": "B", "timezone": "UTC", "job_title": "Analyst", "status": "invited",
            "created_at": "2026-03-01T09:00:00Z"}),
        ),
        member(
            json!({"id": 3, "email": "cy@acme.example", "first_name": "Cy",
            "last_name": "C", "timezone": "UTC", "job_title": "Analyst", "status": "disabled"}),
        ),
    ]
}

/// Row `n` for `email`, named New Person, with this job title.
fn row(n: usize, email: &str, title: &str) -> DesiredRow {
    let fields = [
        (Field::FirstName, "New"),
        (Field::LastName, "Person"),
        (Field::JobTitle, title),
    ];
    row_of(n, email, &fields)
}

fn row_of(n: usize, email: &str, fields: &[(Field, &str)]) -> DesiredRow {
    DesiredRow {
        row: n,
        key: MemberKey::Email(email.into()),
        email_beside_id: None,
        user_id: None,
        fields: fields
            .iter()
            .map(|(field, text)| (*field, Desired::Set(Value::Text((*text).into()))))
            .collect(),
        employment: Employment::default(),
        groups: None,
    }
}

const TODAY: Date = date(2026, 3, 10);

fn planned(rows: Vec<DesiredRow>, lifecycle: &Lifecycle) -> Vec<RowPlan> {
    let members = members();
    let rules = Rules {
        lifecycle,
        today: TODAY,
        now: "2026-03-10T12:00:00Z".parse().unwrap(),
    };
    let verdicts = rows.into_iter().map(RowVerdict::Valid).collect();
    plan_with(verdicts, &MemberIndex::new(&members), &rules).rows
}

fn note(plan: &RowPlan) -> Option<(Noted, &str)> {
    match plan {
        RowPlan::NotFound { note, .. } | RowPlan::Unchanged { note, .. } => {
            note.as_deref().map(|n| (n.outcome, n.reason.as_str()))
        }
        _ => None,
    }
}

fn kinds(plan: &RowPlan) -> Vec<OperationKind> {
    match plan {
        RowPlan::Chain(chain) => chain.steps.iter().map(Operation::kind).collect(),
        other => panic!("expected a chain, got {other:?}"),
    }
}

#[test]
fn an_invited_member_is_pending_for_so_long_and_never_invited_again() {
    let invite = Lifecycle {
        joiners: Joiners::Invite,
        ..Lifecycle::default()
    };
    for lifecycle in [Lifecycle::default(), invite] {
        let plans = planned(vec![row(1, "bo@acme.example", "Lead")], &lifecycle);
        assert_eq!(
            note(&plans[0]),
            Some((
                Noted::Pending,
                "invited 2026-03-01, 9 days ago; not joined yet: never invited again, the \
                 profile is synced once they join"
            ))
        );
    }
}

#[test]
fn a_disabled_member_stays_disabled_with_the_hint_or_is_enabled_then_updated() {
    let rows = || vec![row(1, "cy@acme.example", "Lead")];
    let reported = planned(rows(), &Lifecycle::default());
    assert_eq!(
        note(&reported[0]),
        Some((
            Noted::Disabled,
            "the member is disabled: --rehires enable enables them (Tallyfy emails them) and \
             then updates the profile"
        ))
    );
    let enable = Lifecycle {
        rehires: Rehires::Enable,
        ..Lifecycle::default()
    };
    let rehired = planned(rows(), &enable);
    assert_eq!(
        kinds(&rehired[0]),
        [OperationKind::Enable, OperationKind::UpdateProfile]
    );
    // Nothing to update: the enable alone.
    let same = vec![row_of(
        1,
        "cy@acme.example",
        &[(Field::JobTitle, "Analyst")],
    )];
    assert_eq!(kinds(&planned(same, &enable)[0]), [OperationKind::Enable]);
    // A row saying the person has left is no rehire.
    let mut gone = row(1, "cy@acme.example", "Lead");
    gone.employment.status = Some(Status::Left);
    let plans = planned(vec![gone], &enable);
    assert_eq!(
        note(&plans[0]),
        Some((
            Noted::Disabled,
            "the member is disabled, and the status column says the person has left: nothing \
             to do"
        ))
    );
}

#[test]
fn joiners_are_reported_or_invited_with_the_rows_names_and_role() {
    let rows = || {
        let mut admin = row(2, "boss@acme.example", "CEO");
        admin
            .fields
            .insert(Field::Role, Desired::Set(Value::Text("admin".into())));
        vec![row(1, "new.hire@acme.example", "Lead"), admin]
    };
    let reported = planned(rows(), &Lifecycle::default());
    // Reported, and called what it is: a joiner, with how to invite.
    let RowPlan::NotFound {
        note: Some(note), ..
    } = &reported[0]
    else {
        panic!("{:?}", reported[0]);
    };
    assert_eq!(
        (note.outcome, note.reason.as_str()),
        (Noted::NotFound, JOINER_REPORTED)
    );
    let lifecycle = Lifecycle {
        joiners: Joiners::Invite,
        invite_role: InviteRole::Standard,
        invite_message: "Welcome to Acme".into(),
        ..Lifecycle::default()
    };
    let invited = planned(rows(), &lifecycle);
    let invite = |plan: &RowPlan| match plan {
        RowPlan::Chain(chain) => match &chain.steps[..] {
            [Operation::Invite(invite)] => (**invite).clone(),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    assert_eq!(
        invite(&invited[0]),
        Invite {
            email: "new.hire@acme.example".into(),
            first_name: "New".into(),
            last_name: "Person".into(),
            role: "standard".into(),
            message: "Welcome to Acme".into(),
        }
    );
    assert_eq!(invite(&invited[1]).role, "admin");
}

#[test]
fn past_max_invites_the_rest_are_deferred_in_row_order() {
    let lifecycle = Lifecycle {
        joiners: Joiners::Invite,
        max_invites: 2,
        ..Lifecycle::default()
    };
    let rows = (1..=4)
        .map(|n| row(n, &format!("hire{n}@acme.example"), "Lead"))
        .collect();
    let plans = planned(rows, &lifecycle);
    assert!(is_invite(&plans[0]) && is_invite(&plans[1]));
    for plan in &plans[2..] {
        assert_eq!(
            note(plan),
            Some((
                Noted::Deferred,
                "past --max-invites 2 for one run: a later run invites the person"
            ))
        );
    }
}

#[test]
fn a_start_date_to_come_holds_the_invite_back_and_a_leaver_is_never_invited() {
    let lifecycle = Lifecycle {
        joiners: Joiners::Invite,
        invite_days_before: 3,
        max_invites: 1,
        ..Lifecycle::default()
    };
    let mut later = row(1, "later@acme.example", "Lead");
    later.employment.start_date = Some(date(2026, 4, 1));
    let mut soon = row(2, "soon@acme.example", "Lead");
    soon.employment.start_date = Some(date(2026, 3, 13));
    let mut gone = row(3, "gone@acme.example", "Lead");
    gone.employment.status = Some(Status::Left);
    let plans = planned(vec![later, soon, gone], &lifecycle);
    assert_eq!(
        note(&plans[0]),
        Some((
            Noted::Deferred,
            "starts 2026-04-01: invited from 2026-03-29 (--invite-days-before 3)"
        ))
    );
    // A held row does not spend the run's invites.
    assert!(is_invite(&plans[1]), "{:?}", plans[1]);
    assert_eq!(
        note(&plans[2]),
        Some((
            Noted::NotFound,
            "the status column says the person has left: not invited"
        ))
    );
}

#[test]
fn an_invite_needs_both_names() {
    let lifecycle = Lifecycle {
        joiners: Joiners::Invite,
        ..Lifecycle::default()
    };
    let nameless = row_of(1, "new.hire@acme.example", &[(Field::FirstName, "New")]);
    let plans = planned(vec![nameless], &lifecycle);
    let RowPlan::Invalid(invalid) = &plans[0] else {
        panic!("{:?}", plans[0]);
    };
    assert_eq!(
        crate::validate::describe(&invalid.problems),
        "last_name: an invite needs a last_name (--joiners invite): add a last_name column with \
         a value for this row"
    );
}

#[test]
fn a_last_day_to_come_is_said_on_an_unchanged_row_when_leavers_are_looked_at() {
    let mut leaving = row_of(1, "ann@acme.example", &[(Field::JobTitle, "Analyst")]);
    leaving.employment.end_date = Some(date(2026, 3, 31));
    let report = Lifecycle {
        leavers: Leavers::Report,
        ..Lifecycle::default()
    };
    let plans = planned(vec![leaving.clone()], &report);
    assert_eq!(
        note(&plans[0]),
        Some((
            Noted::Unchanged,
            "last day 2026-03-31 (end date): not a leaver before then"
        ))
    );
    let plans = planned(vec![leaving], &Lifecycle::default());
    assert_eq!(note(&plans[0]), None);
}
