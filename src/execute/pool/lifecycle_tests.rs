//! The lifecycle steps against the in-process sandbox: a rehire enabled then updated, a
//! leaver disabled or removed, an invite never sent twice (its answer lost, landed or not),
//! and what a full seat pool and the invite cap stop for the rest of the run.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::super::steps::tests::{AMELIA, chain, engine, sandbox, title, writes};
use super::super::{ChainOutcome, ChainResult, HeldSteps, run_chains};
use crate::fields::Field;
use crate::plan::{Chain, Invite, LineKey, Operation};
use crate::sandbox::{
    Faults, InviteCap, LifecycleCall, Sandbox, SandboxConfig, ScriptedFault, ScriptedKind, Seed,
};

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

/// A 503 to an invite may have landed or not: the member read by email says it did not, and
/// the line says so; the invite is not sent again in this run.
#[tokio::test]
async fn an_invite_whose_answer_is_lost_and_that_did_not_land_fails_and_is_not_sent_again() {
    let sandbox = sandbox_with(SandboxConfig {
        faults: Faults {
            scripted: vec![ScriptedFault::new(
                LifecycleCall::Invite,
                ScriptedKind::ServerError(503),
            )],
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let (results, _) = run_in_order(&sandbox, vec![invite("new.hire@acme.example")]).await;
    let result = &results[0];
    assert_eq!(result.outcome, ChainOutcome::Failed);
    let error = result.error.as_deref().unwrap();
    assert!(
        error.starts_with("the invite's answer was lost (HTTP 503"),
        "{error}"
    );
    assert!(
        error.ends_with(
            "and no member has this email: it did not land; a later run invites the person"
        ),
        "{error}"
    );
    assert_eq!(result.attempts, 2, "one invite, one search");
    assert_eq!(writes(&sandbox), ["POST /users/invite"]);
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
        reason.starts_with("the seat pool is full (HTTP 409: ")
            && reason.contains("(SEAT_POOL_EXHAUSTED));"),
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
