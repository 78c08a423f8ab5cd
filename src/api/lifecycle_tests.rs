//! The lifecycle calls against the sandbox: each answer as the client hands it on, the
//! refusals as [`ApiError`]s whose status, code and message a caller can act on.

use std::net::SocketAddr;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use super::{ApiError, Client, Connection, MemberStatus};
use crate::sandbox::{
    Faults, LifecycleCall, Removal, Sandbox, SandboxConfig, ScriptedFault, ScriptedKind, Seed,
};

/// An administrator (the default one), a member, an invitee, a disabled member, a bot, and two
/// members whose emails hold the first one's.
const ORG: &str = r#"{"org_id": "o", "members": [
    {"id": 1, "email": "ada@x.example", "first_name": "Ada", "last_name": "Lovelace", "role": "admin"},
    {"id": 2, "email": "cal@x.example", "first_name": "Cal", "last_name": "Cho"},
    {"id": 3, "email": "dee@x.example", "status": "invited", "created_at": "2025-01-15T10:00:00Z"},
    {"id": 4, "email": "eve@x.example", "status": "disabled"},
    {"id": 5, "email": "bot@x.example", "is_bot": true},
    {"id": 6, "email": "ada@x.example.org", "first_name": "Ada", "last_name": "Other"},
    {"id": 7, "email": "lada@x.example", "first_name": "Lada", "last_name": "Novak"}
]}"#;

async fn org(config: SandboxConfig) -> (Sandbox, Client) {
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let sandbox = Sandbox::start(config, Seed::from_json(ORG).unwrap(), addr)
        .await
        .unwrap();
    let client = client(&sandbox, Duration::from_secs(5));
    (sandbox, client)
}

fn client(sandbox: &Sandbox, timeout: Duration) -> Client {
    let connection = Connection {
        base_url: Url::parse(&sandbox.base_url()).unwrap(),
        org_id: sandbox.org_id().to_string(),
        token: SecretString::from(sandbox.token().to_string()),
        ca_certs: Vec::new(),
    };
    Client::new(&connection, timeout).unwrap()
}

fn refused(error: &ApiError) -> (Option<u16>, Option<&str>, String) {
    (error.status(), error.code(), error.to_string())
}

#[tokio::test]
async fn invite_answers_the_invited_member() {
    let (sandbox, client) = org(SandboxConfig::default()).await;
    let reply = client
        .invite(
            "nia.obi@x.example",
            "Nia",
            "Obi",
            "light",
            "Welcome aboard.",
        )
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    assert!(reply.request_id.is_some());
    let member = reply.value;
    assert_eq!(member.id, 8);
    assert_eq!(member.email.as_deref(), Some("nia.obi@x.example"));
    assert_eq!(member.status, Some(MemberStatus::Invited));
    assert!(member.created_at.is_some());
    assert!(!member.is_admin() && !member.is_bot && !member.is_default_admin);
    let body = sandbox.journal()[0].body.clone().unwrap();
    assert_eq!(
        body,
        serde_json::json!({"email": "nia.obi@x.example", "first_name": "Nia", "last_name": "Obi",
                           "role": "light", "message": "Welcome aboard."})
    );
}

#[tokio::test]
async fn an_email_already_in_the_organization_is_a_422_naming_the_field() {
    let (_sandbox, client) = org(SandboxConfig::default()).await;
    for email in ["ada@x.example", "dee@x.example", "eve@x.example"] {
        let error = client
            .invite(email, "Ada", "Again", "standard", "Hi")
            .await
            .unwrap_err();
        assert_eq!(
            refused(&error),
            (
                Some(422),
                None,
                "HTTP 422: email: The email has already been taken.".to_string()
            ),
            "{email}"
        );
    }
}

#[tokio::test]
async fn a_full_seat_pool_is_a_409_with_its_code() {
    // Seats held: 1, 2, 3 (invited), 6, 7.
    let (_sandbox, client) = org(SandboxConfig {
        seat_pool: Some(5),
        ..SandboxConfig::default()
    })
    .await;
    let message = "HTTP 409: Your organization has reached its committed full seat limit. (SEAT_POOL_EXHAUSTED)";
    let error = client
        .invite("nia@x.example", "Nia", "Obi", "standard", "Hi")
        .await
        .unwrap_err();
    assert_eq!(
        refused(&error),
        (Some(409), Some("SEAT_POOL_EXHAUSTED"), message.to_string())
    );
    let error = client.enable(4).await.unwrap_err();
    assert_eq!(error.code(), Some("SEAT_POOL_EXHAUSTED"));
}

#[tokio::test]
async fn the_invite_cap_is_a_429_with_retry_after() {
    let (_sandbox, client) = org(SandboxConfig {
        invite_cap: Some(crate::sandbox::InviteCap::per_day(0)),
        ..SandboxConfig::default()
    })
    .await;
    let error = client
        .invite("nia@x.example", "Nia", "Obi", "standard", "Hi")
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("RATE_LIMIT_EXCEEDED"));
    let ApiError::Status {
        status: 429,
        retry_after: Some(wait),
        ..
    } = error
    else {
        panic!("{error:?}");
    };
    assert!(wait > Duration::from_secs(23 * 3600), "{wait:?}");
}

#[tokio::test]
async fn disable_enable_and_their_refusals() {
    let (sandbox, client) = org(SandboxConfig::default()).await;
    let disabled = client.disable(2).await.unwrap().value;
    assert_eq!(
        (disabled.id, disabled.status),
        (2, Some(MemberStatus::Disabled))
    );
    let enabled = client.enable(2).await.unwrap().value;
    assert_eq!(enabled.status, Some(MemberStatus::Active));

    let error = client.disable(5).await.unwrap_err();
    assert_eq!(
        refused(&error),
        (
            Some(422),
            None,
            "HTTP 422: Bot users cannot be disabled.".to_string()
        )
    );
    let error = client.disable(1).await.unwrap_err();
    assert_eq!(error.status(), Some(422), "the last administrator");
    assert!(
        error
            .to_string()
            .contains("Cannot modify the default administrator.")
    );
    let error = client.enable(99).await.unwrap_err();
    assert_eq!(
        (error.status(), error.code()),
        (Some(404), Some("RESOURCE_NOT_FOUND"))
    );
    let requests: Vec<(String, String)> = sandbox
        .journal()
        .iter()
        .map(|e| {
            (
                e.method.clone(),
                e.path.rsplit("/users").next().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        requests[..2],
        [
            ("DELETE".to_string(), "/2/disable".to_string()),
            ("PUT".to_string(), "/2/enable".to_string())
        ]
    );
}

#[tokio::test]
async fn remove_with_reassignment_hands_the_work_on() {
    let (sandbox, client) = org(SandboxConfig::default()).await;
    let removed = client.remove_with_reassignment(2, 1).await.unwrap().value;
    assert_eq!(
        (removed.id, removed.status),
        (2, Some(MemberStatus::Disabled))
    );
    assert_eq!(
        sandbox.removals(),
        [Removal {
            member_id: 2,
            reassigned_to: Some(1)
        }]
    );
    assert_eq!(
        sandbox.journal()[0].query.as_deref(),
        Some("with_reassignment=true&to=1")
    );
    let error = client.remove_with_reassignment(5, 1).await.unwrap_err();
    assert_eq!(
        refused(&error),
        (
            Some(400),
            None,
            "HTTP 400: You can't remove a bot user from this organization!".to_string()
        )
    );
    let error = client.remove_with_reassignment(6, 4).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "HTTP 422: to: The selected to is invalid."
    );
}

#[tokio::test]
async fn find_by_email_picks_the_exact_match_out_of_a_wider_search() {
    let (sandbox, client) = org(SandboxConfig::default()).await;
    // The search finds 1, 6 and 7; only 1 is this email.
    let found = client
        .find_member_by_email(" ADA@x.example ")
        .await
        .unwrap();
    assert_eq!(found.value.map(|m| m.id), Some(1));
    assert_eq!(
        sandbox.journal()[0].query.as_deref(),
        Some("q=ADA%40x.example&page=1&per_page=100")
    );
    let invited = client
        .find_member_by_email("dee@x.example")
        .await
        .unwrap()
        .value
        .unwrap();
    assert_eq!(invited.status, Some(MemberStatus::Invited));
    assert_eq!(
        invited.created_at.map(|t| t.as_second()),
        Some(1_736_935_200)
    );
    // Found by the search, but not this email: absent.
    let absent = client.find_member_by_email("ada@x.exam").await.unwrap();
    assert!(absent.value.is_none());
    assert!(
        client
            .find_member_by_email("zed@x.example")
            .await
            .unwrap()
            .value
            .is_none()
    );
}

#[tokio::test]
async fn find_by_email_does_not_call_an_email_absent_from_a_page_it_did_not_read() {
    let (_sandbox, client) = org(SandboxConfig {
        per_page_cap: 2,
        ..SandboxConfig::default()
    })
    .await;
    // "x.example" matches every member; "lada@x.example" is on no first page of two.
    assert_eq!(
        client
            .find_member_by_email("ada@x.example")
            .await
            .unwrap()
            .value
            .map(|m| m.id),
        Some(1)
    );
    let error = client.find_member_by_email("x.example").await.unwrap_err();
    assert!(matches!(error, ApiError::Malformed { .. }), "{error:?}");
    assert!(
        error.to_string().contains("cannot say the email is absent"),
        "{error}"
    );
}

#[tokio::test]
async fn an_invite_that_landed_but_timed_out_is_found_by_email() {
    let fault = ScriptedFault::new(LifecycleCall::Invite, ScriptedKind::TimeoutAfterApplying);
    let (sandbox, _) = org(SandboxConfig {
        faults: Faults {
            scripted: vec![fault],
            slow_by: Duration::from_secs(30),
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let impatient = client(&sandbox, Duration::from_millis(200));
    let error = impatient
        .invite("nia@x.example", "Nia", "Obi", "standard", "Hi")
        .await
        .unwrap_err();
    assert!(matches!(error, ApiError::Timeout(_)), "{error:?}");
    let found = impatient
        .find_member_by_email("nia@x.example")
        .await
        .unwrap();
    assert_eq!(
        found.value.and_then(|m| m.status),
        Some(MemberStatus::Invited)
    );
}
