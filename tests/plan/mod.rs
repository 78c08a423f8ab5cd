//! `member-sync plan`: every decision `apply` would make, in the report, and nothing written.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::util::scenario::{comparable, twenty_changes};
use crate::util::*;

#[test]
fn plan_writes_nothing() {
    let org = TestOrg::embedded();
    let scenario = twenty_changes(&org, &[]);

    let run = org.plan(&scenario.input, &[]);

    run.assert_code(0);
    assert!(
        org.requests().iter().all(|r| r.is("GET")),
        "nothing is written"
    );
    assert_eq!(
        org.members(),
        scenario.before.into_values().collect::<Vec<_>>()
    );
}

#[test]
fn planned_rows_show_the_change() {
    let org = TestOrg::embedded();
    let scenario = twenty_changes(&org, &[]);

    let run = org.plan(&scenario.input, &[]);

    run.assert_code(0);
    assert_eq!(outcome_counts(&run.report), counts(&[("planned", 20)]));
    for (id, want) in &scenario.expected {
        let line = report_row(&run.report, scenario.row_of[id]);
        assert_eq!(line["user_id"], id.to_string());
        assert!(!line["changes"].is_empty(), "{line:?}");
        let (before, after) = (json_cell(line, "before"), json_cell(line, "after"));
        let (before, after) = (as_object(&before), as_object(&after));
        assert!(!after.is_empty(), "{line:?}");
        let (was, will_be) = (comparable(&scenario.before[id]), comparable(want));
        for (field, value) in after {
            assert_eq!(
                &lower_role(field, value),
                &will_be[field],
                "{field} of {id}"
            );
            assert_eq!(
                &lower_role(field, &before[field]),
                &was[field],
                "{field} of {id}"
            );
        }
        // Exactly the fields that differ are listed.
        let differing: BTreeSet<&String> = was
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| was[k.as_str()] != will_be[k.as_str()])
            .collect();
        assert_eq!(
            after.keys().collect::<BTreeSet<_>>(),
            differing,
            "member {id}"
        );
    }
}

#[test]
fn plan_exits_3_when_rows_are_invalid() {
    let org = TestOrg::embedded();
    let bad = vec![
        "hannah.schmidt@acme.example".to_string(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        "Europe/Atlantis".to_string(),
        String::new(),
    ];
    let scenario = twenty_changes(&org, &[bad]);

    let run = org.plan(&scenario.input, &[]);

    run.assert_code(3);
    assert_eq!(
        outcome_counts(&run.report),
        counts(&[("planned", 20), ("invalid", 1)])
    );
    assert!(
        org.requests().iter().all(|r| r.is("GET")),
        "nothing is written"
    );
}

fn as_object(value: &Value) -> &Map<String, Value> {
    value.as_object().expect("a JSON object")
}

/// Roles are compared in lower case, as [`comparable`] shows them.
fn lower_role(field: &str, value: &Value) -> Value {
    match (field, value) {
        ("role", Value::String(role)) => Value::String(role.to_lowercase()),
        _ => value.clone(),
    }
}
