//! A run that must stop part-way through: the token is revoked (its owner logged out), or
//! the server's certificate is no longer one this machine trusts (a proxy that inspects TLS
//! came onto the path).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use member_sync::sandbox::SandboxConfig;

use crate::util::*;

const MEMBERS: u64 = 200;
const CONCURRENCY: usize = 4;

/// Every member gets a new title, `Title {id}`.
fn everyone_retitled(org: &TestOrg) -> PathBuf {
    let rows =
        (1..=MEMBERS).map(|id| vec![format!("person{id}@gen.example"), format!("Title {id}")]);
    org.input("everyone.csv", &["email", "job_title"], rows)
}

/// Per member id, whether it has the title the input gave it.
fn retitled(org: &TestOrg) -> BTreeMap<u64, bool> {
    org.members()
        .into_iter()
        .map(|m| {
            let id = m["id"].as_u64().unwrap();
            (id, m["job_title"] == format!("Title {id}"))
        })
        .collect()
}

/// Every row reported once, most of them `cancelled`: the run stopped early.
#[track_caller]
fn assert_stopped_early(run: &Run) -> BTreeMap<String, usize> {
    assert_eq!(
        row_numbers(&run.report),
        (1..=MEMBERS as usize).collect::<Vec<_>>(),
        "every row is reported, each once"
    );
    let counted = outcome_counts(&run.report);
    assert!(
        counted["cancelled"] > MEMBERS as usize / 2,
        "most rows are cancelled: {counted:?}"
    );
    counted
}

#[test]
fn a_revoked_token_stops_the_run() {
    let config = SandboxConfig {
        revoke_token_after: Some(30),
        latency: latency(5),
        ..SandboxConfig::default()
    };
    let org = TestOrg::start(config, generated_seed(MEMBERS));
    let input = everyone_retitled(&org);

    let run = org.apply(&input, &["--concurrency", &CONCURRENCY.to_string()]);

    run.assert_code(1);
    run.assert_stderr_contains("the access token was refused");
    let counted = assert_stopped_early(&run);
    let outcomes: BTreeSet<String> = outcome_counts(&run.report).into_keys().collect();
    let allowed: BTreeSet<String> = ["updated", "failed", "cancelled"].map(String::from).into();
    assert!(outcomes.is_subset(&allowed), "{outcomes:?}");

    // The run stops promptly: only requests already on their way are refused.
    let refused = org.requests().iter().filter(|r| r.status == 401).count();
    assert!(
        (1..=CONCURRENCY).contains(&refused),
        "{refused} requests got 401"
    );

    // The report tells the truth about each member.
    let retitled = retitled(&org);
    for line in &run.report {
        let id: u64 = line["user_id"].parse().unwrap();
        assert_eq!(line["outcome"] == "updated", retitled[&id], "{line:?}");
    }
    let updated = counted.get("updated").copied().unwrap_or(0);
    let accepted = org
        .requests()
        .iter()
        .filter(|r| r.is("PUT") && r.status == 200)
        .count();
    assert_eq!(updated, accepted);
}

#[test]
fn a_certificate_refused_part_way_stops_the_run() {
    // The org over HTTPS, its certificate vouched for by the CA the run is given...
    let trusted = TestOrg::start(
        SandboxConfig {
            tls: Some(test_tls()),
            latency: latency(5),
            ..SandboxConfig::default()
        },
        generated_seed(MEMBERS),
    );
    // ...and, at the same address once the relay switches, a server nothing vouches for.
    let stranger = TestOrg::start(
        SandboxConfig {
            tls: Some(stranger_tls()),
            ..SandboxConfig::default()
        },
        generated_seed(MEMBERS),
    );
    let relay = Relay::start(&trusted.base_url(), &stranger.base_url());
    let input = everyone_retitled(&trusted);
    let report = trusted.fresh_report_path();
    let mut command = trusted.command("apply", &input, &report);
    command.args([
        "--base-url",
        &relay.base_url(&trusted.base_url()),
        "--ca-cert",
        &test_ca(),
        "--concurrency",
        &CONCURRENCY.to_string(),
        "--rate",
        "200/s",
    ]);

    // The switch comes after the 20th write, about a tenth of the way through.
    let run = meddling(
        &trusted,
        &[20],
        || relay.switch(),
        || Run::of(&mut command, report),
    );

    run.assert_code(1);
    run.assert_stderr_contains("the server's certificate was refused");
    run.assert_stderr_contains("UnknownIssuer");
    run.assert_stderr_contains("the run stopped and every row not done is `cancelled`");
    run.assert_stderr_contains("do not vouch for this server");
    assert_stopped_early(&run);

    // Stopped at the first refusal: a handshake for each worker that was in flight at most,
    // not one per row left, and not a byte of HTTP to the stranger.
    assert!(
        (1..=CONCURRENCY as u64).contains(&stranger.connections()),
        "{} handshakes with the untrusted server",
        stranger.connections()
    );
    assert!(stranger.journal().is_empty());

    // The report tells the truth: `updated` rows were written, rows never sent were not. A
    // write cut by the switch or the stop may have landed before its answer was lost: the
    // row says so (`failed` or `cancelled`), and running it again puts the same values.
    let retitled = retitled(&trusted);
    for line in &run.report {
        let changed = retitled[&line["user_id"].parse().unwrap()];
        match line["outcome"].as_str() {
            "updated" => assert!(changed, "{line:?}"),
            "cancelled" if line["attempts"] == "0" => assert!(!changed, "{line:?}"),
            "cancelled" => assert!(line["error"].contains("may or may not"), "{line:?}"),
            "failed" => {
                assert!(
                    line["error"].contains("the server's certificate was refused"),
                    "{line:?}"
                );
                if line["attempts"] != "1" {
                    assert!(line["error"].contains("may have been applied"), "{line:?}");
                }
            }
            other => panic!("unexpected outcome {other}: {line:?}"),
        }
    }
}
