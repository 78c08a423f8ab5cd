//! Chains run against the in-process sandbox: steps in order, a chain stopped at the step that
//! fails, and the line's error saying what landed and what did not.

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use serde_json::{Map, Value as Json, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::super::{ChainOutcome, ChainResult, HeldSteps, run_chains};
use super::PROFILE_ONLY;
use crate::api::{Client, Connection};
use crate::execute::Engine;
use crate::execute::retry_policy::RetryPolicy;
use crate::fields::{Field, Value};
use crate::plan::{Chain, Change, Invite, LineKey, Operation};
use crate::sandbox::{
    Faults, InviteCap, JournalEntry, LifecycleCall, Sandbox, SandboxConfig, ScriptedFault,
    ScriptedKind, Seed,
};

/// Amelia Hart in the embedded seed: an admin, `DevOps Engineer`.
const AMELIA: u64 = 1001;

async fn sandbox() -> Sandbox {
    let addr = "127.0.0.1:0".parse().unwrap();
    Sandbox::start(SandboxConfig::default(), Seed::embedded(), addr)
        .await
        .unwrap()
}

fn engine(sandbox: &Sandbox) -> Arc<Engine> {
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

fn title(after: &str) -> Operation {
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

fn chain(steps: Vec<Operation>) -> Chain {
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
fn writes(sandbox: &Sandbox) -> Vec<String> {
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

/// Zainab Hussain in the embedded seed: `disabled`, a standard member.
const ZAINAB: u64 = 1039;
/// Bob in the embedded seed: active, standard.
const ACTIVE: u64 = 1002;

fn on(member: u64, steps: Vec<Operation>) -> Chain {
    Chain {
        line: LineKey::Row(1),
        member_id: Some(member),
        email: None,
        steps,
    }
}

fn invite(email: &str) -> Chain {
    Chain {
        line: LineKey::Row(1),
        member_id: None,
        email: Some(email.into()),
        steps: vec![Operation::Invite(Box::new(Invite {
            email: email.into(),
            first_name: "New".into(),
            last_name: "Hire".into(),
            role: "light".into(),
            message: "Welcome".into(),
        }))],
    }
}

async fn sandbox_with(config: SandboxConfig) -> Sandbox {
    let addr = "127.0.0.1:0".parse().unwrap();
    Sandbox::start(config, Seed::embedded(), addr)
        .await
        .unwrap()
}

/// Runs `chains` one at a time, in order (a full seat pool or a cap meets them in order).
async fn run_in_order(sandbox: &Sandbox, chains: Vec<Chain>) -> (Vec<ChainResult>, HeldSteps) {
    let (sender, mut receiver) = mpsc::unbounded_channel();
    let held = run_chains(engine(sandbox), Arc::new(chains), 1, sender).await;
    let mut results = Vec::new();
    while let Some(result) = receiver.recv().await {
        results.push(result);
    }
    (results, held)
}

fn status_of(sandbox: &Sandbox, id: u64) -> String {
    let members = sandbox.members();
    let member = members.iter().find(|m| m["id"] == id).unwrap();
    member["status"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_rehire_is_enabled_then_updated_and_a_leaver_disabled_or_removed() {
    let sandbox = sandbox().await;
    let chains = vec![
        on(ZAINAB, vec![Operation::Enable, title("Lead")]),
        on(ACTIVE, vec![Operation::Disable { reassign_to: None }]),
        on(
            1003,
            vec![Operation::Disable {
                reassign_to: Some(AMELIA),
            }],
        ),
    ];
    let (results, held) = run_in_order(&sandbox, chains).await;
    for result in &results {
        assert_eq!(result.outcome, ChainOutcome::Done, "{result:?}");
    }
    assert_eq!(results[0].landed, [Field::JobTitle]);
    assert_eq!(results[0].attempts, 2);
    assert_eq!(
        writes(&sandbox),
        [
            "PUT /users/1039/enable",
            "PUT /users/1039",
            "DELETE /users/1002/disable",
            "DELETE /users/1003",
        ]
    );
    assert_eq!(status_of(&sandbox, ZAINAB), "active");
    assert_eq!(status_of(&sandbox, ACTIVE), "disabled");
    assert_eq!(
        sandbox.removals(),
        [crate::sandbox::Removal {
            member_id: 1003,
            reassigned_to: Some(AMELIA)
        }]
    );
    assert_eq!(held, HeldSteps::default());
}

#[tokio::test]
async fn an_invite_creates_the_member_and_the_line_names_them() {
    let sandbox = sandbox().await;
    let (results, _) = run_in_order(&sandbox, vec![invite("new.hire@acme.example")]).await;
    let result = &results[0];
    assert_eq!(result.outcome, ChainOutcome::Done, "{result:?}");
    let id = result.member_id.expect("the new member's id");
    assert_eq!(status_of(&sandbox, id), "invited");
    assert_eq!(writes(&sandbox), ["POST /users/invite"]);
}

/// The invite landed but its answer never came: the member is read by email, found, and the
/// invite is not sent again.
#[tokio::test]
async fn an_invite_whose_answer_is_lost_is_read_back_by_email_never_sent_twice() {
    let sandbox = sandbox_with(SandboxConfig {
        faults: Faults {
            scripted: vec![ScriptedFault::new(
                LifecycleCall::Invite,
                ScriptedKind::ServerError(504),
            )],
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let (results, _) = run_in_order(&sandbox, vec![invite("new.hire@acme.example")]).await;
    let result = &results[0];
    assert_eq!(result.outcome, ChainOutcome::Done, "{result:?}");
    let note = result.note.as_deref().unwrap();
    assert!(
        note.starts_with("the invite's answer was lost (HTTP 504"),
        "{note}"
    );
    assert!(
        note.ends_with("reading the member by email finds them invited: the invite had landed, it is not sent again"),
        "{note}"
    );
    assert_eq!(result.attempts, 2, "one invite, one search");
    let requests: Vec<String> = sandbox
        .journal()
        .iter()
        .map(|e| format!("{} {}", e.method, e.query.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        requests,
        [
            "POST ".to_string(),
            "GET q=new.hire%40acme.example&page=1&per_page=100".to_string()
        ]
    );
    assert!(result.member_id.is_some());
}

/// The seat pool fills on the second invite: it and everything after it that needs a seat
/// (invites, enables) end `deferred` with the reason, unsent; a disable still goes.
#[tokio::test]
async fn a_full_seat_pool_stops_invites_and_enables_for_the_run() {
    // The sample org holds 58 seats: room for one more.
    let sandbox = sandbox_with(SandboxConfig {
        seat_pool: Some(59),
        ..SandboxConfig::default()
    })
    .await;
    let chains = vec![
        invite("first@acme.example"),
        invite("second@acme.example"),
        on(ZAINAB, vec![Operation::Enable]),
        invite("third@acme.example"),
        on(ACTIVE, vec![Operation::Disable { reassign_to: None }]),
    ];
    let (results, held) = run_in_order(&sandbox, chains).await;
    let outcomes: Vec<ChainOutcome> = results.iter().map(|r| r.outcome).collect();
    use ChainOutcome::{Deferred, Done};
    assert_eq!(outcomes, [Done, Deferred, Deferred, Deferred, Done]);
    let reason = results[1].error.as_deref().unwrap();
    assert!(
        reason.starts_with("the seat pool is full (HTTP 409 SEAT_POOL_EXHAUSTED: "),
        "{reason}"
    );
    assert!(
        reason
            .ends_with("no more invites or enables in this run: free or add seats, then run again"),
        "{reason}"
    );
    assert_eq!(results[2].error.as_deref(), Some(reason));
    assert_eq!((results[2].attempts, results[3].attempts), (0, 0));
    assert_eq!(held.enables.as_deref(), Some(reason));
    assert_eq!(
        writes(&sandbox),
        [
            "POST /users/invite",
            "POST /users/invite",
            "DELETE /users/1002/disable"
        ]
    );
}

/// The invite cap answers 429 for the rest of the day: inviting stops at once, nobody waits,
/// and the other writes go on.
#[tokio::test]
async fn the_invite_caps_429_stops_inviting_for_the_run_without_a_pause() {
    let sandbox = sandbox_with(SandboxConfig {
        invite_cap: Some(InviteCap::per_day(1)),
        ..SandboxConfig::default()
    })
    .await;
    let chains = vec![
        invite("first@acme.example"),
        invite("second@acme.example"),
        invite("third@acme.example"),
        chain(vec![title("Lead")]),
    ];
    let started = std::time::Instant::now();
    let (results, held) = run_in_order(&sandbox, chains).await;
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "no day-long pause"
    );
    let outcomes: Vec<ChainOutcome> = results.iter().map(|r| r.outcome).collect();
    use ChainOutcome::{Deferred, Done};
    assert_eq!(outcomes, [Done, Deferred, Deferred, Done]);
    let reason = results[1].error.as_deref().unwrap();
    assert!(
        reason.starts_with("the invite cap was reached: Tallyfy answered 429 (Retry-After "),
        "{reason}"
    );
    assert_eq!(held.invites.as_deref(), Some(reason));
    assert_eq!(held.enables, None);
    assert_eq!(
        writes(&sandbox),
        [
            "POST /users/invite",
            "POST /users/invite",
            "PUT /users/1001"
        ],
        "the third invite is never sent"
    );
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
