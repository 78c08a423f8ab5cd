//! A run that must stop part-way through: the token is revoked (its owner logged out), or
//! the server's certificate is no longer one this machine trusts (a proxy that inspects TLS
//! came onto the path).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

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
    let rows =
        (1..=MEMBERS).map(|id| vec![format!("person{id}@gen.example"), format!("Title {id}")]);
    let input = trusted.input("everyone.csv", &["email", "job_title"], rows);
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
    let finished = AtomicBool::new(false);
    let run = std::thread::scope(|scope| {
        scope.spawn(|| {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !finished.load(Ordering::SeqCst) && Instant::now() < deadline {
                if trusted.requests().iter().filter(|r| r.is("PUT")).count() >= 20 {
                    relay.switch();
                    return;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        let run = Run::of(&mut command, report);
        finished.store(true, Ordering::SeqCst);
        run
    });

    run.assert_code(1);
    run.assert_stderr_contains("the server's certificate was refused");
    run.assert_stderr_contains("UnknownIssuer");
    run.assert_stderr_contains("the run stopped and every row not done is `cancelled`");
    run.assert_stderr_contains("do not vouch for this server");
    assert_eq!(
        row_numbers(&run.report),
        (1..=MEMBERS as usize).collect::<Vec<_>>(),
        "every row is reported, each once"
    );

    // Stopped at the first refusal: a handshake for each worker that was in flight at most,
    // not one per row left, and not a byte of HTTP to the stranger.
    assert!(
        (1..=CONCURRENCY as u64).contains(&stranger.connections()),
        "{} handshakes with the untrusted server",
        stranger.connections()
    );
    assert!(stranger.journal().is_empty());
    let counted = outcome_counts(&run.report);
    assert!(
        counted["cancelled"] > MEMBERS as usize / 2,
        "most rows are cancelled: {counted:?}"
    );

    // The report tells the truth: `updated` rows were written, rows never sent were not. A
    // write cut by the switch or the stop may have landed before its answer was lost: the
    // row says so (`failed` or `cancelled`), and running it again puts the same values.
    let titles: BTreeMap<u64, serde_json::Value> = trusted
        .members()
        .into_iter()
        .map(|m| (m["id"].as_u64().unwrap(), m["job_title"].clone()))
        .collect();
    for line in &run.report {
        let id: u64 = line["user_id"].parse().unwrap();
        let changed = titles[&id] == format!("Title {id}");
        match line["outcome"].as_str() {
            "updated" => assert!(changed, "{line:?}"),
            "cancelled" if line["attempts"] == "0" => assert!(!changed, "{line:?}"),
            "cancelled" => assert!(line["error"].contains("may or may not"), "{line:?}"),
            "failed" => assert!(
                line["error"].contains("the server's certificate was refused"),
                "{line:?}"
            ),
            other => panic!("unexpected outcome {other}: {line:?}"),
        }
    }
}
