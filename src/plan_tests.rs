use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::fields::Desired;
use crate::ingest::load_from_bytes;
use crate::validate::validate;

fn member(json: serde_json::Value) -> Member {
    serde_json::from_value(json).unwrap()
}

fn amelia() -> Member {
    member(json!({
        "id": 1001, "email": "Amelia.Hart@acme.example", "first_name": "Amelia",
        "last_name": "Hart", "timezone": "Europe/London", "job_title": "Engineer",
        "team": "", "role": "Admin", "date_format": "MM/DD/YYYY", "phone": null
    }))
}

fn wants(fields: &[(Field, Desired)]) -> DesiredRow {
    DesiredRow {
        row: 1,
        key: MemberKey::Email("amelia.hart@acme.example".into()),
        email_beside_id: None,
        user_id: None,
        fields: fields.iter().cloned().collect(),
        employment: Default::default(),
        groups: None,
    }
}

fn text(s: &str) -> Desired {
    Desired::Set(Value::Text(s.into()))
}

fn plan_one(row: DesiredRow, members: &[Member]) -> RowPlan {
    let plan = plan(vec![RowVerdict::Valid(row)], &MemberIndex::new(members));
    assert!(plan.subjects.is_empty(), "no row plans a subject");
    plan.rows.into_iter().next().unwrap()
}

/// The chain of a row that needs requests.
fn chain(plan: RowPlan) -> Chain {
    match plan {
        RowPlan::Chain(chain) => *chain,
        other => panic!("expected a chain, got {other:?}"),
    }
}

/// The profile body a chain sends, if it updates the profile.
fn profile_body_of(chain: &Chain) -> Option<&Map<String, Json>> {
    chain.steps.iter().find_map(|step| match step {
        Operation::UpdateProfile { body, .. } => Some(body),
        _ => None,
    })
}

fn kinds(chain: &Chain) -> Vec<OperationKind> {
    chain.steps.iter().map(Operation::kind).collect()
}

#[test]
fn the_servers_casing_and_empty_strings_are_not_changes() {
    let row = wants(&[
        (Field::Role, text("admin")),
        (Field::DateFormat, text("mm/dd/yyyy")),
        (Field::Team, Desired::Clear),
        (Field::Phone, Desired::Clear),
        (Field::JobTitle, text("Engineer")),
    ]);
    assert!(diff(&row, &amelia()).is_empty());
    assert!(matches!(
        plan_one(row, &[amelia()]),
        RowPlan::Unchanged {
            member_id: 1001,
            ..
        }
    ));
}

#[test]
fn a_profile_update_carries_the_required_fields_and_only_the_changes() {
    let chain = chain(plan_one(
        wants(&[(Field::JobTitle, text("Lead"))]),
        &[amelia()],
    ));
    assert_eq!(
        Json::Object(profile_body_of(&chain).unwrap().clone()),
        json!({"first_name": "Amelia", "last_name": "Hart", "timezone": "Europe/London", "job_title": "Lead"})
    );
    assert_eq!(kinds(&chain), [OperationKind::UpdateProfile]);
    assert_eq!(chain.new_role(), None);
}

#[test]
fn a_role_change_alone_sends_no_profile_body() {
    let chain = chain(plan_one(
        wants(&[(Field::Role, text("light"))]),
        &[amelia()],
    ));
    assert_eq!(profile_body_of(&chain), None);
    assert_eq!(kinds(&chain), [OperationKind::ChangeRole]);
    assert_eq!(chain.new_role(), Some("light"));
    let change = chain.changes().next().unwrap();
    assert_eq!(change.before, Some(Value::Text("admin".into())));
}

#[test]
fn a_row_changing_profile_and_role_is_a_chain_profile_then_role_ending_its_line() {
    let mut row = wants(&[
        (Field::Role, text("standard")),
        (Field::JobTitle, text("Lead")),
        (Field::Team, text("Ops")),
    ]);
    row.row = 7;
    let chain = chain(plan_one(row, &[amelia()]));
    assert_eq!(chain.line, LineKey::Row(7));
    assert_eq!(chain.member_id, Some(1001));
    assert_eq!(chain.email.as_deref(), Some("amelia.hart@acme.example"));
    assert_eq!(
        kinds(&chain),
        [OperationKind::UpdateProfile, OperationKind::ChangeRole]
    );
    let fields: Vec<Field> = chain.steps[0].changes().iter().map(|c| c.field).collect();
    assert_eq!(fields, [Field::JobTitle, Field::Team]);
    let all: Vec<Field> = chain.changes().map(|c| c.field).collect();
    assert_eq!(all, [Field::JobTitle, Field::Team, Field::Role]);
    assert_eq!(chain.action(), "update");
    // What each step expects to find, for a saved plan's stale check: the values before.
    let Expect::Fields(expected) = chain.steps[1].expects() else {
        panic!("a role change expects its field")
    };
    assert_eq!(expected[0].before, Some(Value::Text("admin".into())));
}

#[test]
fn clearing_sends_null() {
    let chain = chain(plan_one(
        wants(&[(Field::JobTitle, Desired::Clear)]),
        &[amelia()],
    ));
    assert_eq!(profile_body_of(&chain).unwrap()["job_title"], Json::Null);
}

#[test]
fn a_member_without_a_timezone_needs_one_from_the_row() {
    let mut no_tz = amelia();
    no_tz.set_raw(Field::Timezone, Json::Null);
    let RowPlan::Invalid(invalid) =
        plan_one(wants(&[(Field::JobTitle, text("Lead"))]), &[no_tz.clone()])
    else {
        panic!("expected invalid")
    };
    assert!(invalid.problems[0].rule.contains("requires timezone"));
    let with_tz = wants(&[
        (Field::JobTitle, text("Lead")),
        (Field::Timezone, text("Europe/Paris")),
    ]);
    assert!(matches!(plan_one(with_tz, &[no_tz]), RowPlan::Chain(_)));
}

#[test]
fn unknown_keys_are_not_found() {
    let mut row = wants(&[(Field::JobTitle, text("Lead"))]);
    row.key = MemberKey::Email("nobody@acme.example".into());
    assert!(matches!(
        plan_one(row, &[amelia()]),
        RowPlan::NotFound { .. }
    ));
}

#[test]
fn a_user_id_that_belongs_to_another_email_is_refused() {
    let mut row = wants(&[(Field::JobTitle, text("Lead"))]);
    row.key = MemberKey::UserId(1001);
    row.user_id = Some(1001);
    row.email_beside_id = Some("someone.else@acme.example".into());
    let RowPlan::Invalid(invalid) = plan_one(row, &[amelia()]) else {
        panic!("expected invalid")
    };
    assert!(
        invalid.problems[0]
            .rule
            .contains("belongs to Amelia.Hart@acme.example")
    );
}

#[test]
fn two_rows_reaching_one_member_by_different_keys_are_both_refused() {
    let by_email = wants(&[(Field::JobTitle, text("Lead"))]);
    let mut by_id = wants(&[(Field::JobTitle, text("Manager"))]);
    by_id.row = 2;
    by_id.key = MemberKey::UserId(1001);
    by_id.email_beside_id = None;
    let plans = plan(
        vec![RowVerdict::Valid(by_email), RowVerdict::Valid(by_id)],
        &MemberIndex::new(&[amelia()]),
    );
    for (plan, other) in plans.rows.iter().zip(["row 2", "row 1"]) {
        let RowPlan::Invalid(invalid) = plan else {
            panic!("expected invalid: {plan:?}")
        };
        assert!(
            invalid.problems[0].rule.contains(other),
            "{:?}",
            invalid.problems
        );
    }
}

/// A member as the list endpoint may show it, and the same values as an HR export might spell
/// them (other casing, stray spaces and NBSPs, legacy-free zone names in lower case).
fn member_and_export_row() -> impl Strategy<Value = (serde_json::Value, Vec<String>)> {
    let name = "[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ' .-]{0,30}";
    let optional_text = proptest::option::of("[A-Za-z0-9&/ ,-]{0,40}");
    let zones = prop::sample::select(vec![
        "Europe/London",
        "America/New_York",
        "Asia/Kolkata",
        "UTC",
        "America/Argentina/Buenos_Aires",
    ]);
    let roles = prop::sample::select(vec!["Admin", "Standard", "Light", "admin", "standard"]);
    let formats = prop::sample::select(vec!["MM/DD/YYYY", "dd/mm/yyyy", "DD/MM/YYYY"]);
    (
        (name, name, optional_text.clone(), optional_text, proptest::option::of("[+0-9 ()-]{1,20}")),
        (zones, roles, formats, proptest::option::of(1i64..300), any::<bool>(), 0u8..4),
    )
        .prop_map(|((first, last, title, team, phone), (tz, role, format, country, steps, style))| {
            let member = json!({
                "id": 7, "email": "Pat.Lee@Acme.example", "first_name": first, "last_name": last,
                "job_title": title, "team": team, "phone": phone, "timezone": tz, "role": role,
                "date_format": format, "country_id": country, "step_preferences": steps
            });
            let dress = |s: &str| match style {
                0 => s.to_string(),
                1 => format!(" {s} "),
                2 => format!("\u{a0}{s}"),
                _ => s.to_uppercase(),
            };
            let cell = |v: &Option<String>| v.clone().unwrap_or_default();
            let row = vec![
                dress("pat.lee@acme.example"),
                first.clone(),
                last.clone(),
                cell(&title),
                cell(&team),
                cell(&phone),
                if style == 3 { tz.to_lowercase() } else { tz.to_string() },
                dress(role),
                dress(format),
                country.map(|c| format!(" {c}")).unwrap_or_default(),
                match (style, steps) {
                    (1, true) => "Yes".to_string(),
                    (1, false) => "No".to_string(),
                    (_, steps) => steps.to_string(),
                },
            ];
            (member, row)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Ingest → validate → plan of a member against its own values finds nothing to do.
    #[test]
    fn a_member_against_itself_is_unchanged((json, cells) in member_and_export_row()) {
        let mut out = csv::Writer::from_writer(Vec::new());
        out.write_record(["Email", "First Name", "Last Name", "Job Title", "Department", "Phone", "Time Zone", "Role", "Date Format", "Country ID", "Step Preferences"]).unwrap();
        out.write_record(&cells).unwrap();
        let bytes = out.into_inner().unwrap();
        let table = load_from_bytes(&bytes, "generated.csv").unwrap();
        let verdicts = validate(&table);
        let members = [member(json)];
        let plans = plan(verdicts, &MemberIndex::new(&members)).rows;
        prop_assert!(matches!(plans[0], RowPlan::Unchanged { .. }), "{:?}\n{:?}", plans[0], cells);
    }

    /// Under the default lifecycle settings (joiners and rehires reported, leavers ignored)
    /// the planner never produces an invite, an enable or a disable, whatever the rows and
    /// members: only profile and role changes, on members that exist, and no subject without
    /// a row. Every lifecycle write is opt-in.
    #[test]
    fn the_planner_produces_only_profile_and_role_changes(
        (json, cells) in member_and_export_row(),
        other_title in "[A-Za-z ]{1,20}",
        role in prop::sample::select(vec!["admin", "standard", "light"]),
        unknown in any::<bool>(),
    ) {
        let mut out = csv::Writer::from_writer(Vec::new());
        out.write_record(["Email", "First Name", "Last Name", "Job Title", "Role"]).unwrap();
        let email = if unknown { "new.hire@acme.example" } else { cells[0].as_str() };
        out.write_record([email, &cells[1], &cells[2], &other_title, role]).unwrap();
        let table = load_from_bytes(&out.into_inner().unwrap(), "generated.csv").unwrap();
        let members = [member(json)];
        let plan = plan(validate(&table), &MemberIndex::new(&members));
        prop_assert!(plan.subjects.is_empty());
        for chain in plan.chains() {
            prop_assert_eq!(chain.member_id, Some(7));
            for step in &chain.steps {
                prop_assert!(
                    matches!(step.kind(), OperationKind::UpdateProfile | OperationKind::ChangeRole),
                    "{:?}", step
                );
            }
        }
    }
}
