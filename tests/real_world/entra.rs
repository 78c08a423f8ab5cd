//! The two Entra bulk-create templates: header under `version:v1.0`, the example row, names
//! split from the display name, 154 duplicated emails that must never be applied, and a
//! password column that never shows up anywhere.

use std::collections::{BTreeMap, BTreeSet};

use member_sync::sandbox::{SandboxConfig, Seed};
use serde_json::{Value, json};

use crate::util::*;

/// The template's data rows as cells, the example row included (line 3 onwards).
fn entra_rows(name: &str) -> Vec<Vec<String>> {
    let text = String::from_utf8(real_world_bytes(name)).unwrap();
    csv_records(&text).split_off(2)
}

/// Every non-blank cell of the password column: what must never be echoed.
fn passwords(name: &str) -> Vec<String> {
    entra_rows(name)
        .into_iter()
        .map(|row| row[2].trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

#[track_caller]
fn assert_never_echoed(secrets: &[String], outputs: &[(&str, &str)]) {
    for secret in secrets {
        for (name, text) in outputs {
            assert!(!text.contains(secret.as_str()), "a password is in {name}");
        }
    }
}

#[test]
fn small_template_names_come_from_the_display_name() {
    let checked = validate(&real_world("entra-template-small.csv"), &[]);

    checked
        .assert_code(0)
        .assert_stderr_contains("format: CSV, UTF-8 (BOM), delimiter `,`")
        .assert_stderr_contains("header: line 2 (1 row above it skipped)")
        .assert_stderr_contains(
            "preset: Microsoft Entra bulk-create template (detected; --preset entra-template)",
        )
        .assert_stderr_contains("column 2 `User name [userPrincipalName] Required` → email")
        .assert_stderr_contains("5 rows: 5 valid, 0 invalid, 5 warnings");
    assert_eq!(outcome_counts(&checked.report), counts(&[("valid", 5)]));
    let first = checked.row(1);
    assert_eq!(first["email"], "chris@contoso.com");
    assert_eq!(first["line"], "3");
    assert_eq!(
        json_cell(first, "fields"),
        // `Block sign in` No: still employed.
        json!({"first_name": "Chris", "last_name": "Green", "status": "active"})
    );
    assert!(first["warnings"].contains("took first_name \"Chris\" and last_name \"Green\""));
    assert_eq!(checked.lines_starting("~ row").len(), 5);
    assert_never_echoed(
        &passwords("entra-template-small.csv"),
        &[
            ("stdout", &checked.stdout),
            ("stderr", &checked.stderr),
            ("report", &checked.report_text),
        ],
    );
}

#[test]
fn template_700_skips_the_example_and_refuses_every_duplicated_email() {
    let checked = validate(&real_world("entra-template-700.csv"), &[]);

    checked
        .assert_code(3)
        .assert_stderr_contains("header: line 2 (1 row above it skipped)")
        .assert_stderr_contains("preset: Microsoft Entra bulk-create template")
        .assert_stderr_contains(
            "skipped line 3: the template's example row (a cell starts with `Example:`)",
        )
        .assert_stderr_contains("697 rows: 353 valid, 344 invalid, 0 warnings");
    assert_eq!(
        outcome_counts(&checked.report),
        counts(&[("valid", 353), ("invalid", 344)])
    );
    assert_eq!(
        checked.row(1)["line"],
        "4",
        "row 1 is the first user after the example"
    );

    // Worked out from the file as data: which emails occur more than once.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for row in entra_rows("entra-template-700.csv").iter().skip(1) {
        *seen.entry(row[1].trim().to_lowercase()).or_default() += 1;
    }
    let duplicated: BTreeSet<&String> = seen
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(e, _)| e)
        .collect();
    assert_eq!(duplicated.len(), 154);
    for line in &checked.report {
        let email = line["email"].to_lowercase();
        let expected = if duplicated.contains(&email) {
            "invalid"
        } else {
            "valid"
        };
        assert_eq!(line["outcome"], expected, "{line:?}");
        if expected == "invalid" {
            assert!(
                line["problems"].contains("duplicate key, also on row"),
                "{line:?}"
            );
        }
    }
    // Both rows of a pair name each other.
    assert!(checked.row(1)["problems"].ends_with("duplicate key, also on row 519"));
    assert!(checked.row(519)["problems"].ends_with("duplicate key, also on row 1"));
}

#[test]
fn applying_template_700_writes_no_duplicated_member_and_no_password() {
    let rows = entra_rows("entra-template-700.csv");
    let mut emails: Vec<String> = rows.iter().map(|r| r[1].trim().to_lowercase()).collect();
    emails.sort();
    emails.dedup();
    let members: Vec<Value> = emails
        .iter()
        .enumerate()
        .map(|(i, email)| {
            json!({
                "id": i + 1, "email": email, "first_name": "Old", "last_name": "Name",
                "job_title": "Old title", "timezone": "Europe/London", "role": "standard",
            })
        })
        .collect();
    let seed = json!({"org_id": "entra-org", "members": members}).to_string();
    let org = TestOrg::start(SandboxConfig::default(), Seed::from_json(&seed).unwrap());
    let id_of: BTreeMap<&str, u64> = emails
        .iter()
        .enumerate()
        .map(|(i, e)| (e.as_str(), i as u64 + 1))
        .collect();

    let run = org.apply(&real_world("entra-template-700.csv"), &[]);

    run.assert_code(3);
    assert_eq!(
        outcome_counts(&run.report),
        counts(&[("updated", 353), ("invalid", 344)])
    );
    let mut per_email: BTreeMap<String, usize> = BTreeMap::new();
    for row in rows.iter().skip(1) {
        *per_email.entry(row[1].trim().to_lowercase()).or_default() += 1;
    }
    let written: BTreeSet<u64> = org
        .requests()
        .iter()
        .filter(|r| r.is_profile_update())
        .filter_map(|r| r.member_id())
        .collect();
    let unique: BTreeSet<u64> = per_email
        .iter()
        .filter(|(_, n)| **n == 1)
        .map(|(e, _)| id_of[e.as_str()])
        .collect();
    assert_eq!(
        written, unique,
        "exactly the members with one row are written"
    );
    assert_eq!(
        org.member(id_of["chris@contoso.com"])["first_name"],
        "Old",
        "the example row is never applied"
    );
    assert_never_echoed(
        &passwords("entra-template-700.csv"),
        &[
            ("stdout", &run.stdout),
            ("stderr", &run.stderr),
            ("report", &run.report_text()),
        ],
    );
}
