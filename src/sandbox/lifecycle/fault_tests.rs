//! Faults scripted at lifecycle calls, over real HTTP, and the lifecycle settings a seed file
//! carries.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::tests::*;
use crate::sandbox::tests::{req, send};
use crate::sandbox::*;

fn scripted(faults: Vec<ScriptedFault>, slow_by: Duration) -> SandboxConfig {
    SandboxConfig {
        faults: Faults {
            scripted: faults,
            slow_by,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    }
}

#[tokio::test]
async fn sandbox_a_scripted_invite_times_out_after_it_landed() {
    let fault = ScriptedFault {
        target: Some("NIA@x.example".into()),
        ..ScriptedFault::new(LifecycleCall::Invite, ScriptedKind::TimeoutAfterApplying)
    };
    let sb = org(scripted(vec![fault], Duration::from_millis(300))).await;
    assert_eq!(
        send(invite(&sb, "other@x.example")).await.0,
        StatusCode::OK,
        "not its target"
    );
    let late = invite(&sb, "nia@x.example").timeout(Duration::from_millis(50));
    assert!(late.send().await.unwrap_err().is_timeout());
    assert_eq!(
        status(&sb, 10).as_deref(),
        Some("invited"),
        "the invitation went out"
    );
    let again = send(invite(&sb, "nia@x.example")).await;
    assert_eq!(
        again.0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a second one is refused"
    );
    // Journaled when the late answer goes out (to a client that has left).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let faults: Vec<Option<Fault>> = sb.journal().iter().map(|e| e.fault).collect();
    assert!(faults.contains(&Some(Fault::Slow)), "{faults:?}");
}

#[tokio::test]
async fn sandbox_scripted_5xx_and_resets_hit_their_call_as_often_as_told() {
    let faults = vec![
        ScriptedFault::new(LifecycleCall::Disable, ScriptedKind::ServerError(503)),
        ScriptedFault {
            times: 0,
            ..ScriptedFault::new(LifecycleCall::Enable, ScriptedKind::ResetAfterApplying)
        },
        ScriptedFault::new(LifecycleCall::Remove, ScriptedKind::Reset),
        ScriptedFault::new(LifecycleCall::Search, ScriptedKind::ServerError(500)),
    ];
    let sb = org(scripted(faults, Duration::from_secs(35))).await;
    assert_eq!(
        send(disable(&sb, 3)).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        status(&sb, 3).as_deref(),
        Some("active"),
        "a 503 changes nothing"
    );
    assert_eq!(send(disable(&sb, 3)).await.0, StatusCode::OK, "once only");

    enable(&sb, 5)
        .send()
        .await
        .expect_err("reset after applying");
    assert_eq!(
        status(&sb, 5).as_deref(),
        Some("active"),
        "applied before the reset"
    );
    enable(&sb, 3).send().await.expect_err("every enable");

    remove(&sb, 8, "")
        .send()
        .await
        .expect_err("reset before applying");
    assert_eq!(status(&sb, 8).as_deref(), Some("active"));

    let search = format!("/organizations/{}/users?q=ada", sb.org_id());
    let response = req(&sb, Method::GET, &search).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let list = format!("/organizations/{}/users", sb.org_id());
    assert_eq!(
        send(req(&sb, Method::GET, &list)).await.0,
        StatusCode::OK,
        "not a search"
    );

    let journal: Vec<(u16, Option<Fault>)> =
        sb.journal().iter().map(|e| (e.status, e.fault)).collect();
    assert_eq!(
        journal,
        [
            (503, Some(Fault::ServerError(503))),
            (200, None),
            (0, Some(Fault::ResetAfterApplying)),
            (0, Some(Fault::ResetAfterApplying)),
            (0, Some(Fault::Reset)),
            (500, Some(Fault::ServerError(500))),
            (200, None),
        ]
    );
}

#[tokio::test]
async fn sandbox_a_seed_file_sets_the_pool_the_cap_and_the_scripted_faults() {
    let mut seed: Value = serde_json::from_str(ORG).unwrap();
    seed["seat_pool"] = json!(SEATS_HELD);
    seed["invite_cap"] = json!({"invites": 0, "window_secs": 60});
    seed["scripted_faults"] =
        json!([{"call": "disable", "fault": "server_error_502", "target": 3}]);
    let seed = Seed::from_json(&seed.to_string()).unwrap();
    let sb = Sandbox::start(
        SandboxConfig {
            seat_pool: Some(100),
            ..SandboxConfig::default()
        },
        seed,
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        send(invite(&sb, "one@x.example")).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        send(enable(&sb, 5)).await.0,
        StatusCode::CONFLICT,
        "the seed's pool wins"
    );
    assert_eq!(
        send(disable(&sb, 2)).await.0,
        StatusCode::OK,
        "not its target"
    );
    let gateway = disable(&sb, 3).send().await.unwrap();
    assert_eq!(gateway.status(), StatusCode::BAD_GATEWAY);
}
