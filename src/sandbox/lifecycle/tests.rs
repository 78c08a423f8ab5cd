//! The lifecycle calls over real HTTP: what the list shows, invitations, the seat pool and the
//! invite cap. Leavers and rehires are in `leaving_tests.rs`, scripted faults and seed files in
//! `fault_tests.rs`; the helpers here serve all three.

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::sandbox::tests::{req, send, user};
use crate::sandbox::*;

pub(super) const DEFAULT_ADMIN_MESSAGE: &str = "Cannot modify the default administrator. Please assign another member as default administrator first.";

/// Two administrators (1 the default), three standard members (7 and 8 with emails that
/// contain 1's), one invited, one disabled, one bot. Seats held: 1, 2, 3, 4 (invited), 7, 8.
pub(super) const ORG: &str = r#"{"org_id": "o", "members": [
    {"id": 1, "email": "ada@x.example", "first_name": "Ada", "last_name": "Lovelace", "role": "admin"},
    {"id": 2, "email": "bea@x.example", "first_name": "Bea", "last_name": "Brandt", "role": "admin"},
    {"id": 3, "email": "cal@x.example", "first_name": "Cal", "last_name": "Cho"},
    {"id": 4, "email": "dee@x.example", "first_name": "Dee", "last_name": "Doe", "status": "invited"},
    {"id": 5, "email": "eve@x.example", "first_name": "Eve", "last_name": "Ek", "status": "disabled"},
    {"id": 6, "email": "bot@x.example", "first_name": "Tallyfy", "last_name": "Bot", "role": "admin", "is_bot": true},
    {"id": 7, "email": "ada@x.example.org", "first_name": "Ada", "last_name": "Other"},
    {"id": 8, "email": "lada@x.example", "first_name": "Lada", "last_name": "Novak"}
]}"#;
pub(super) const SEATS_HELD: usize = 6;

pub(super) async fn org(config: SandboxConfig) -> Sandbox {
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let seed = Seed::from_json(ORG).unwrap();
    Sandbox::start(config, seed, addr).await.unwrap()
}

pub(super) fn invite_body(email: &str) -> Value {
    json!({"email": email, "first_name": "Nia", "last_name": "Obi", "role": "standard",
           "message": "Welcome aboard."})
}

pub(super) fn invite(sb: &Sandbox, email: &str) -> reqwest::RequestBuilder {
    let path = format!("/organizations/{}/users/invite", sb.org_id());
    req(sb, Method::POST, &path).json(&invite_body(email))
}

pub(super) fn disable(sb: &Sandbox, id: u64) -> reqwest::RequestBuilder {
    req(sb, Method::DELETE, &format!("{}/disable", user(sb, id)))
}

pub(super) fn enable(sb: &Sandbox, id: u64) -> reqwest::RequestBuilder {
    req(sb, Method::PUT, &format!("{}/enable", user(sb, id)))
}

pub(super) fn remove(sb: &Sandbox, id: u64, query: &str) -> reqwest::RequestBuilder {
    req(sb, Method::DELETE, &format!("{}{query}", user(sb, id)))
}

/// The member as the list shows it.
pub(super) fn listed(sb: &Sandbox, id: u64) -> Option<Value> {
    sb.members().into_iter().find(|m| m["id"] == json!(id))
}

pub(super) fn status(sb: &Sandbox, id: u64) -> Option<String> {
    listed(sb, id).and_then(|m| m["status"].as_str().map(str::to_string))
}

pub(super) fn refusal(message: &str) -> Value {
    json!({"error": true, "message": message})
}

#[tokio::test]
async fn sandbox_seeded_statuses_and_the_marks_a_sync_needs_are_listed() {
    let sb = org(SandboxConfig::default()).await;
    let (code, body) = send(req(
        &sb,
        Method::GET,
        &format!("/organizations/{}/users", sb.org_id()),
    ))
    .await;
    assert_eq!(code, StatusCode::OK);
    let shown = |id: u64, key: &str| {
        let members = body["data"].as_array().unwrap();
        members.iter().find(|m| m["id"] == json!(id)).unwrap()[key].clone()
    };
    let statuses: Vec<Value> = (1..=5).map(|id| shown(id, "status")).collect();
    assert_eq!(
        statuses,
        ["active", "active", "active", "invited", "disabled"]
    );
    assert_eq!(
        (shown(4, "is_active"), shown(5, "is_active")),
        (json!(false), json!(false))
    );
    assert_eq!(
        [shown(6, "type"), shown(4, "type"), shown(3, "type")],
        [json!("bot"), Value::Null, json!("standard")]
    );
    let defaults: Vec<Value> = (1..=3).map(|id| shown(id, "is_default_admin")).collect();
    assert_eq!(defaults, [true, false, false]);
    assert!(
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m.get("is_bot").is_none())
    );
}

#[tokio::test]
async fn sandbox_invite_answers_the_invited_member_and_lists_it() {
    let sb = org(SandboxConfig::default()).await;
    let (code, body) = send(invite(&sb, "nia.obi@x.example")).await;
    assert_eq!(code, StatusCode::OK);
    let member = &body["data"];
    assert_eq!(
        (
            &member["id"],
            &member["status"],
            &member["is_active"],
            &member["role"]
        ),
        (
            &json!(9),
            &json!("invited"),
            &json!(false),
            &json!("standard")
        )
    );
    assert_eq!(
        (&member["username"], &member["invited_by"]),
        (&Value::Null, &json!(1))
    );
    assert!(
        member["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    assert_eq!(status(&sb, 9).as_deref(), Some("invited"));
    assert_eq!(
        listed(&sb, 9).unwrap()["role"],
        "Standard",
        "listed in the list's casing"
    );
}

#[tokio::test]
async fn sandbox_invite_refuses_an_email_in_the_organization_whatever_its_status() {
    let sb = org(SandboxConfig::default()).await;
    let taken = json!({"message": "The given data was invalid.",
                       "errors": {"email": ["The email has already been taken."]}});
    for email in ["ADA@x.example", "dee@x.example", " eve@x.example "] {
        assert_eq!(
            send(invite(&sb, email)).await,
            (StatusCode::UNPROCESSABLE_ENTITY, taken.clone()),
            "{email}"
        );
    }
    // Every field checked, Laravel's way; a body that is not an object; another org.
    let path = format!("/organizations/{}/users/invite", sb.org_id());
    let (code, body) = send(req(&sb, Method::POST, &path).json(&json!({"email": "x"}))).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = body["errors"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        ["email", "first_name", "last_name", "message", "role"]
    );
    let (code, _) = send(req(&sb, Method::POST, &path).body("[1]")).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    let elsewhere = req(&sb, Method::POST, "/organizations/elsewhere/users/invite")
        .json(&invite_body("a@b.example"));
    assert_eq!(send(elsewhere).await.0, StatusCode::NOT_FOUND);
    assert_eq!(sb.members().len(), 8, "nobody was invited");
}

#[tokio::test]
async fn sandbox_a_full_seat_pool_refuses_invites_and_enables_with_409() {
    let sb = org(SandboxConfig {
        seat_pool: Some(SEATS_HELD + 1),
        ..SandboxConfig::default()
    })
    .await;
    assert_eq!(send(invite(&sb, "one@x.example")).await.0, StatusCode::OK);
    let (code, body) = send(invite(&sb, "two@x.example")).await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(body["error"]["code"], "SEAT_POOL_EXHAUSTED");
    assert_eq!(
        body["error"]["details"],
        json!({"pool_type": "full", "seats": 7, "used": 7})
    );
    let (code, body) = send(enable(&sb, 5)).await;
    assert_eq!(
        (code, &body["error"]["code"]),
        (StatusCode::CONFLICT, &json!("SEAT_POOL_EXHAUSTED"))
    );
    assert_eq!(status(&sb, 5).as_deref(), Some("disabled"));
    // A disabled member holds no seat: one disabled, one enabled.
    assert_eq!(send(disable(&sb, 3)).await.0, StatusCode::OK);
    assert_eq!(send(enable(&sb, 5)).await.0, StatusCode::OK);
    assert_eq!(status(&sb, 5).as_deref(), Some("active"));
}

#[tokio::test]
async fn sandbox_the_invite_cap_answers_429_with_the_rest_of_its_window() {
    let sb = org(SandboxConfig {
        invite_cap: Some(InviteCap {
            invites: 2,
            window: Duration::from_secs(3600),
        }),
        ..SandboxConfig::default()
    })
    .await;
    // A refused invitation sends no email and spends nothing.
    assert_eq!(
        send(invite(&sb, "ada@x.example")).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(send(invite(&sb, "one@x.example")).await.0, StatusCode::OK);
    assert_eq!(send(invite(&sb, "two@x.example")).await.0, StatusCode::OK);
    let response = invite(&sb, "three@x.example").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((3500..=3600).contains(&wait), "{wait}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"message": "Too Many Attempts.", "code": "RATE_LIMIT_EXCEEDED"})
    );
    assert_eq!(listed(&sb, 11), None, "the third was not invited");
    // Only invitations are capped.
    assert_eq!(send(disable(&sb, 3)).await.0, StatusCode::OK);
}

#[tokio::test]
async fn sandbox_q_finds_members_by_any_part_of_their_names_or_email() {
    let sb = org(SandboxConfig::default()).await;
    let search = |q: &str| {
        let path = format!("/organizations/{}/users?q={q}&per_page=2", sb.org_id());
        send(req(&sb, Method::GET, &path))
    };
    let (_, body) = search("ADA%40x.example").await;
    let ids: Vec<&Value> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["id"])
        .collect();
    assert_eq!(ids, [&json!(1), &json!(7)], "first page of three");
    let p = &body["meta"]["pagination"];
    assert_eq!((&p["total"], &p["total_pages"]), (&json!(3), &json!(2)));
    assert!(
        p["links"]["next"]
            .as_str()
            .unwrap()
            .ends_with("&q=ada%40x.example")
    );
    assert_eq!(search("lovelace").await.1["data"][0]["id"], 1);
    assert_eq!(search("nobody").await.1["data"], json!([]));
}
