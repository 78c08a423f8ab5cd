//! Rehires: a row whose member is disabled stays `disabled` with the hint, or is enabled and
//! then updated, in one chain.

use super::*;

fn back() -> Value {
    json!({"id": 50, "email": "back@gen.example", "first_name": "Back", "last_name": "Again",
        "job_title": "Analyst", "timezone": "Europe/London", "role": "standard",
        "status": "disabled"})
}

#[test]
fn a_rehire_is_reported_disabled_by_default_with_the_hint() {
    let org = org_of(2, &[back()], SandboxConfig::default());
    let path = input(
        &org,
        "rehire.csv",
        &[],
        vec![
            same(1),
            same(2),
            row("back@gen.example", "Back", "Again", "Lead"),
        ],
    );

    let run = org.apply(&path, &[]);

    run.assert_code(0);
    let line = report_row(&run.report, 3);
    assert_eq!(
        (line["outcome"].as_str(), line["error"].as_str()),
        (
            "disabled",
            "the member is disabled: --rehires enable enables them (Tallyfy emails them) and \
             then updates the profile"
        )
    );
    assert!(writes(&org).is_empty());
    assert_eq!(org.member(50)["job_title"], "Analyst");
}

#[test]
fn a_rehire_is_enabled_then_updated_in_one_chain() {
    let org = org_of(2, &[back()], SandboxConfig::default());
    let path = input(
        &org,
        "rehire.csv",
        &[],
        vec![
            same(1),
            same(2),
            row("back@gen.example", "Back", "Again", "Lead"),
        ],
    );

    let plan = org.plan(&path, &["--rehires", "enable"]);
    plan.assert_code(0)
        .assert_stderr_contains("^ enable back@gen.example  job_title: \"Analyst\" -> \"Lead\"")
        .assert_stderr_contains("0 to update, 1 to enable, 2 unchanged");
    let run = org.apply(&path, &["--rehires", "enable"]);

    run.assert_code(0);
    let line = report_row(&run.report, 3);
    assert_eq!(
        (
            line["outcome"].as_str(),
            line["action"].as_str(),
            line["attempts"].as_str()
        ),
        ("enabled", "enable+update", "2")
    );
    assert_eq!(json_cell(line, "landed"), json!(["job_title"]));
    assert_eq!(
        writes(&org),
        [write("PUT", "/users/50/enable"), write("PUT", "/users/50")]
    );
    let member = org.member(50);
    assert_eq!(
        (&member["status"], &member["job_title"]),
        (&json!("active"), &json!("Lead"))
    );

    // Enabled, the member is an active one: the next run has nothing to do.
    let again = org.apply(&path, &["--rehires", "enable"]);
    assert_eq!(report_row(&again.report, 3)["outcome"], "unchanged");
    assert_eq!(writes(&org).len(), 2);
}
