//! Chains run against the in-process sandbox: steps in order, a chain stopped at the step that
//! fails, and the line's error saying what landed and what did not. (The lifecycle steps'
//! tests, in `lifecycle_tests.rs`, share these helpers.)

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use serde_json::{Map, Value as Json, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::super::{ChainOutcome, ChainResult, run_chains};
use super::PROFILE_ONLY;
use crate::api::{Client, Connection};
use crate::execute::Engine;
use crate::execute::retry_policy::RetryPolicy;
use crate::fields::{Field, Value};
use crate::plan::{Chain, Change, LineKey, Operation};
use crate::sandbox::{JournalEntry, Sandbox, SandboxConfig, Seed};

/// Amelia Hart in the embedded seed: an admin, `DevOps Engineer`.
pub(in crate::execute::pool) const AMELIA: u64 = 1001;

pub(in crate::execute::pool) async fn sandbox() -> Sandbox {
    let addr = "127.0.0.1:0".parse().unwrap();
    Sandbox::start(SandboxConfig::default(), Seed::embedded(), addr)
        .await
        .unwrap()
}

pub(in crate::execute::pool) fn engine(sandbox: &Sandbox) -> Arc<Engine> {
    let connection = Connection {
        base_url: url::Url::parse(&sandbox.base_url()).unwrap(),
        org_id: sandbox.org_id().into(),
        token: SecretString::from(sandbox.token().to_string()),
        ca_certs: Vec::new(),
    };
    let client = Client::new(&connection, Duration::from_secs(5)).unwrap();
    let pace = "1000/s".parse().unwrap();
    let policy = RetryPolicy::default();
    Arc::new(Engine::new(client, pace, policy, CancellationToken::new()))
}

fn text(s: &str) -> Option<Value> {
    Some(Value::Text(s.into()))
}

pub(in crate::execute::pool) fn title(after: &str) -> Operation {
    let change = Change {
        field: Field::JobTitle,
        before: text("DevOps Engineer"),
        after: text(after),
    };
    let body: Map<String, Json> = json!({
        "first_name": "Amelia", "last_name": "Hart", "timezone": "Europe/London",
        "job_title": after,
    })
    .as_object()
    .unwrap()
    .clone();
    Operation::UpdateProfile {
        body,
        changes: vec![change],
    }
}

fn role(after: &str) -> Operation {
    Operation::ChangeRole {
        change: Change {
            field: Field::Role,
            before: text("admin"),
            after: text(after),
        },
    }
}

pub(in crate::execute::pool) fn chain(steps: Vec<Operation>) -> Chain {
    Chain {
        line: LineKey::Row(1),
        member_id: Some(AMELIA),
        email: Some("amelia.hart@acme.example".into()),
        steps,
    }
}

/// Runs `chains` through the pool; the results in the order of the chains.
async fn run(sandbox: &Sandbox, chains: Vec<Chain>) -> Vec<ChainResult> {
    let (sender, mut receiver) = mpsc::unbounded_channel();
    let chains = Arc::new(chains);
    run_chains(engine(sandbox), chains.clone(), 4, sender).await;
    let mut results = Vec::new();
    while let Some(result) = receiver.recv().await {
        results.push(result);
    }
    results.sort_by_key(|r| r.index);
    assert_eq!(results.len(), chains.len(), "one result per chain");
    results
}

/// The writes the sandbox saw: `PUT /users/1001`, `PUT /users/1001/role`.
pub(in crate::execute::pool) fn writes(sandbox: &Sandbox) -> Vec<String> {
    let org = format!("/api/organizations/{}", sandbox.org_id());
    sandbox
        .journal()
        .iter()
        .filter(|e: &&JournalEntry| e.method != "GET")
        .map(|e| format!("{} {}", e.method, e.path.trim_start_matches(&org)))
        .collect()
}

#[tokio::test]
async fn a_chain_runs_its_steps_in_order_and_ends_its_line_once() {
    let sandbox = sandbox().await;
    let results = run(&sandbox, vec![chain(vec![title("Lead"), role("standard")])]).await;
    let result = &results[0];
    assert_eq!(result.outcome, ChainOutcome::Done, "{result:?}");
    assert_eq!(result.attempts, 2);
    assert_eq!(result.landed, [Field::JobTitle, Field::Role]);
    assert_eq!(result.error, None);
    assert_eq!(
        writes(&sandbox),
        ["PUT /users/1001", "PUT /users/1001/role"]
    );
    let ids = result.request_id.as_deref().unwrap();
    assert_eq!(ids.split(' ').count(), 2, "{ids}");
}

#[tokio::test]
async fn a_step_that_fails_stops_its_chain_and_the_rest_is_never_sent() {
    let sandbox = sandbox().await;
    let too_long = "x".repeat(300);
    let results = run(
        &sandbox,
        vec![chain(vec![title(&too_long), role("standard")])],
    )
    .await;
    let result = &results[0];
    assert_eq!(result.outcome, ChainOutcome::Failed);
    assert_eq!(result.http_status, Some(422));
    let error = result.error.as_deref().unwrap();
    assert!(error.starts_with("HTTP 422: job_title"), "{error}");
    assert!(result.landed.is_empty());
    assert_eq!(
        writes(&sandbox),
        ["PUT /users/1001"],
        "the role is never sent"
    );
}

#[tokio::test]
async fn a_later_step_that_fails_says_what_landed_before_it() {
    let sandbox = sandbox().await;
    let results = run(&sandbox, vec![chain(vec![title("Lead"), role("Owner")])]).await;
    let result = &results[0];
    assert_eq!(result.outcome, ChainOutcome::Failed);
    let error = result.error.as_deref().unwrap();
    assert_eq!(
        error,
        format!("{PROFILE_ONLY}HTTP 422: role: The selected role is invalid.")
    );
    assert_eq!(result.landed, [Field::JobTitle]);
}

#[test]
fn the_line_of_a_chain_stopped_part_way_names_what_did_and_did_not_happen() {
    use super::partly_done;
    let profile = title("Lead");
    let steps = [Operation::Enable, profile.clone(), role("light")];
    assert_eq!(partly_done(&steps[..0], &steps), "");
    assert_eq!(
        partly_done(&steps[..1], &steps[1..]),
        "the member was enabled, the profile fields and the role were not: "
    );
    assert_eq!(
        partly_done(&steps[..2], &steps[2..]),
        "the member was enabled and the profile fields were updated, the role was not: "
    );
    assert_eq!(
        partly_done(&[profile], &[role("light")]),
        PROFILE_ONLY,
        "the wording rollback reads in older reports"
    );
}
