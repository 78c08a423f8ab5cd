//! A run that must stop: the token is revoked part-way through (its owner logged out).

use std::collections::{BTreeMap, BTreeSet};

use member_sync::sandbox::SandboxConfig;

use crate::util::*;

const MEMBERS: u64 = 200;
const CONCURRENCY: usize = 4;

#[test]
fn a_revoked_token_stops_the_run() {
    let config = SandboxConfig {
        revoke_token_after: Some(30),
        latency: latency(5),
        ..SandboxConfig::default()
    };
    let org = TestOrg::start(config, generated_seed(MEMBERS));
    let rows =
        (1..=MEMBERS).map(|id| vec![format!("person{id}@gen.example"), format!("Title {id}")]);
    let input = org.input("everyone.csv", &["email", "job_title"], rows);

    let run = org.apply(&input, &["--concurrency", &CONCURRENCY.to_string()]);

    run.assert_code(1);
    run.assert_stderr_contains("the access token was refused");
    assert_eq!(
        row_numbers(&run.report),
        (1..=MEMBERS as usize).collect::<Vec<_>>(),
        "every row is reported, each once"
    );
    let outcomes: BTreeSet<String> = outcome_counts(&run.report).into_keys().collect();
    let allowed: BTreeSet<String> = ["updated", "failed", "cancelled"].map(String::from).into();
    assert!(outcomes.is_subset(&allowed), "{outcomes:?}");

    // The run stops promptly: only requests already on their way are refused.
    let refused = org.requests().iter().filter(|r| r.status == 401).count();
    assert!(
        (1..=CONCURRENCY).contains(&refused),
        "{refused} requests got 401"
    );
    let counted = outcome_counts(&run.report);
    assert!(
        counted["cancelled"] > MEMBERS as usize / 2,
        "most rows are cancelled: {counted:?}"
    );

    // The report tells the truth about each member.
    let titles: BTreeMap<u64, serde_json::Value> = org
        .members()
        .into_iter()
        .map(|m| (m["id"].as_u64().unwrap(), m["job_title"].clone()))
        .collect();
    for line in &run.report {
        let id: u64 = line["user_id"].parse().unwrap();
        let changed = titles[&id] == format!("Title {id}");
        assert_eq!(line["outcome"] == "updated", changed, "{line:?}");
    }
    let updated = counted.get("updated").copied().unwrap_or(0);
    let accepted = org
        .requests()
        .iter()
        .filter(|r| r.is("PUT") && r.status == 200)
        .count();
    assert_eq!(updated, accepted);
}
