//! The sandbox over real HTTP, as a client sees it: each test starts its own server on port 0.

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::*;

const BOT: u64 = 1059;
const MULTI_ORG: u64 = 1060;

pub(super) async fn start(config: SandboxConfig) -> Sandbox {
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    Sandbox::start(config, Seed::embedded(), addr)
        .await
        .unwrap()
}

/// A request with the headers Tallyfy requires.
pub(super) fn req(sb: &Sandbox, method: Method, path: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .request(method, format!("{}{path}", sb.base_url()))
        .bearer_auth(sb.token())
        .header("X-Tallyfy-Client", "APIClient")
        .header("Accept", "application/json")
}

pub(super) fn user(sb: &Sandbox, id: u64) -> String {
    format!("/organizations/{}/users/{id}", sb.org_id())
}

pub(super) async fn send(rb: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let resp = rb.send().await.unwrap();
    let status = resp.status();
    assert!(
        resp.headers().contains_key("x-request-id"),
        "no X-Request-Id on a {status}"
    );
    (status, resp.json().await.unwrap())
}

/// The member's current required fields plus `extra`: a body the server accepts.
pub(super) async fn profile_body(sb: &Sandbox, id: u64, extra: Value) -> Value {
    let (_, got) = send(req(sb, Method::GET, &user(sb, id))).await;
    let mut body = json!({
        "first_name": got["data"]["first_name"],
        "last_name": got["data"]["last_name"],
        "timezone": got["data"]["timezone"],
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

#[test]
fn sandbox_embedded_seed_parses() {
    let seed = Seed::embedded();
    assert_eq!(seed.org_id.as_deref(), Some("acme-sandbox"));
    assert_eq!(seed.members.len(), 60);
    assert_eq!(seed.members[0]["id"], 1001);
    assert_eq!(seed.members[58]["is_bot"], true);
    assert_eq!(seed.members[59]["multi_org"], true);
}

#[test]
fn sandbox_seed_from_json_errors() {
    assert!(Seed::from_json("[]").unwrap_err().contains("members"));
    let err =
        Seed::from_json(r#"{"members":[{"id":1,"email":"a@x.example"},{"id":2}]}"#).unwrap_err();
    assert_eq!(err, "members[1] (id 2): missing `email`");
    let seed = Seed::from_json(r#"{"members":[{"id":1,"email":"a@x.example"}]}"#).unwrap();
    assert_eq!(seed.org_id, None);
}

#[tokio::test]
async fn sandbox_auth_is_required() {
    let sb = start(SandboxConfig::default()).await;
    let url = format!("{}/organizations/{}/users", sb.base_url(), sb.org_id());
    let client = reqwest::Client::new();
    let attempts = [
        client.get(&url).header("X-Tallyfy-Client", "APIClient"),
        client
            .get(&url)
            .bearer_auth("wrong")
            .header("X-Tallyfy-Client", "APIClient"),
        client.get(&url).bearer_auth(sb.token()),
        client
            .get(&url)
            .bearer_auth(sb.token())
            .header("X-Tallyfy-Client", "Browser"),
    ];
    for attempt in attempts {
        let (status, body) = send(attempt).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body, json!({"error": true, "message": "Unauthenticated."}));
    }
    let (status, _) = send(req(
        &sb,
        Method::GET,
        &format!("/organizations/{}/users", sb.org_id()),
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn sandbox_list_paginates() {
    let sb = start(SandboxConfig::default()).await;
    let list = |q: &str| {
        req(
            &sb,
            Method::GET,
            &format!("/organizations/{}/users?{q}", sb.org_id()),
        )
    };
    let mut ids = Vec::new();
    for page in 1..=9 {
        let (status, body) = send(list(&format!("page={page}&per_page=7"))).await;
        assert_eq!(status, StatusCode::OK);
        let p = &body["meta"]["pagination"];
        assert_eq!(
            (p["total"].as_u64(), p["per_page"].as_u64()),
            (Some(60), Some(7))
        );
        assert_eq!(
            (p["current_page"].as_u64(), p["total_pages"].as_u64()),
            (Some(page), Some(9))
        );
        let data = body["data"].as_array().unwrap();
        assert_eq!(p["count"].as_u64(), Some(data.len() as u64));
        assert_eq!(data.len(), if page == 9 { 4 } else { 7 });
        assert_eq!(p["links"]["previous"].is_null(), page == 1);
        assert_eq!(p["links"]["next"].is_null(), page == 9);
        ids.extend(data.iter().map(|m| m["id"].as_u64().unwrap()));
    }
    assert_eq!(ids, (1001..=1060).collect::<Vec<_>>());

    let (_, body) = send(list("page=10&per_page=7")).await;
    assert_eq!(body["data"], json!([]));
    assert_eq!(body["meta"]["pagination"]["count"], 0);

    let (_, body) = send(list("per_page=1000")).await;
    assert_eq!(body["meta"]["pagination"]["per_page"], 100);
    assert_eq!(body["data"].as_array().unwrap().len(), 60);

    // The follow-up link works as given.
    let (_, body) = send(list("per_page=25")).await;
    let next = body["meta"]["pagination"]["links"]["next"]
        .as_str()
        .unwrap()
        .to_string();
    let rb = reqwest::Client::new()
        .get(next)
        .bearer_auth(sb.token())
        .header("X-Tallyfy-Client", "APIClient");
    let (_, body) = send(rb).await;
    assert_eq!(body["data"][0]["id"], 1026);
}

#[tokio::test]
async fn sandbox_cap_and_link_shapes_are_configurable() {
    for (shape, expected) in [
        (PaginationLinks::EmptyArray, json!([])),
        (PaginationLinks::Null, Value::Null),
    ] {
        let sb = start(SandboxConfig {
            per_page_cap: 10,
            pagination_links: shape,
            ..Default::default()
        })
        .await;
        let (_, body) = send(req(
            &sb,
            Method::GET,
            &format!("/organizations/{}/users", sb.org_id()),
        ))
        .await;
        let p = &body["meta"]["pagination"];
        assert_eq!(
            (p["per_page"].as_u64(), p["total_pages"].as_u64()),
            (Some(10), Some(6))
        );
        assert_eq!(p["links"], expected);
    }
}

#[tokio::test]
async fn sandbox_casing_differs_between_list_and_update() {
    let sb = start(SandboxConfig::default()).await;
    let (_, got) = send(req(&sb, Method::GET, &user(&sb, 1001))).await;
    assert_eq!(
        (
            got["data"]["role"].as_str(),
            got["data"]["date_format"].as_str()
        ),
        (Some("Admin"), Some("DD/MM/YYYY"))
    );
    assert!(got["data"].get("is_bot").is_none());

    let body = profile_body(&sb, 1001, json!({"date_format": "mm/dd/yyyy"})).await;
    let (status, put) = send(req(&sb, Method::PUT, &user(&sb, 1001)).json(&body)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (
            put["data"]["role"].as_str(),
            put["data"]["date_format"].as_str()
        ),
        (Some("admin"), Some("mm/dd/yyyy"))
    );
    assert_eq!(sb.members()[0]["date_format"], "MM/DD/YYYY");

    let (status, put) = send(
        req(&sb, Method::PUT, &format!("{}/role", user(&sb, 1002))).json(&json!({"role": "light"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(put["data"]["role"], "light");
    assert_eq!(sb.members()[1]["role"], "Light");
    assert_ne!(
        put["data"]["updated_at"],
        Seed::embedded().members[1]["updated_at"]
    );

    let (status, put) = send(
        req(&sb, Method::PUT, &format!("{}/role", user(&sb, 1002))).json(&json!({"role": "Admin"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        put["errors"]["role"],
        json!(["The selected role is invalid."])
    );
}

#[tokio::test]
async fn sandbox_update_validates_like_laravel() {
    let sb = start(SandboxConfig::default()).await;
    let put = |body: Value| req(&sb, Method::PUT, &user(&sb, 1003)).json(&body);

    let (status, body) = send(put(json!({"first_name": "Zoë", "last_name": "Fischer"}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"message": "The given data was invalid.", "errors": {"timezone": ["The timezone field is required."]}})
    );

    let lower_tz =
        json!({"first_name": "Zoë", "last_name": "Fischer", "timezone": "europe/berlin"});
    let (status, body) = send(put(lower_tz)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["errors"]["timezone"],
        json!(["The timezone must be a valid zone."])
    );

    let long = profile_body(&sb, 1003, json!({"job_title": "x".repeat(300)})).await;
    let (status, body) = send(put(long)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["errors"]["job_title"],
        json!(["The job title may not be greater than 255 characters."])
    );

    let string_country = profile_body(&sb, 1003, json!({"country_id": "276"})).await;
    let (status, body) = send(put(string_country)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["errors"]["country_id"],
        json!(["The country id must be an integer."])
    );

    let unknown = profile_body(
        &sb,
        1003,
        json!({"favourite_colour": "teal", "email": "z@evil.example", "team": null}),
    )
    .await;
    let (status, body) = send(put(unknown)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["data"].get("favourite_colour").is_none());
    assert_eq!(body["data"]["email"], "zoe.fischer@acme.example");
    assert_eq!(body["data"]["team"], Value::Null);
    assert_eq!(sb.members()[2]["team"], Value::Null);
}

#[tokio::test]
async fn sandbox_forbidden_and_not_found() {
    let sb = start(SandboxConfig::default()).await;
    for id in [BOT, MULTI_ORG] {
        let body = profile_body(&sb, id, json!({"job_title": "Robot"})).await;
        let (status, got) = send(req(&sb, Method::PUT, &user(&sb, id)).json(&body)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(got["error"], true);
        let (status, _) = send(
            req(&sb, Method::PUT, &format!("{}/role", user(&sb, id)))
                .json(&json!({"role": "admin"})),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let not_found =
        json!({"error": true, "message": "Resource not found", "code": "RESOURCE_NOT_FOUND"});
    assert_eq!(
        send(req(&sb, Method::GET, &user(&sb, 999))).await,
        (StatusCode::NOT_FOUND, not_found.clone())
    );
    let other_org = req(&sb, Method::GET, "/organizations/someone-else/users");
    assert_eq!(send(other_org).await, (StatusCode::NOT_FOUND, not_found));

    let (status, got) = send(req(&sb, Method::POST, &user(&sb, 1001))).await;
    assert_eq!(
        (status, got["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("ENDPOINT_NOT_FOUND"))
    );
    let (status, got) = send(req(&sb, Method::GET, "/nothing/here")).await;
    assert_eq!(
        (status, got["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("ENDPOINT_NOT_FOUND"))
    );
}

#[tokio::test]
async fn sandbox_token_is_revoked_after_n_requests() {
    let sb = start(SandboxConfig {
        revoke_token_after: Some(3),
        ..Default::default()
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(
            send(req(&sb, Method::GET, &user(&sb, 1001)))
                .await
                .0
                .as_u16(),
        );
    }
    assert_eq!(statuses, [200, 200, 200, 401, 401]);
}

#[tokio::test]
async fn sandbox_journal_and_request_ids() {
    let sb = start(SandboxConfig::default()).await;
    let body = profile_body(&sb, 1005, json!({"phone": "+84 28 1234 5678"})).await;
    send(req(&sb, Method::PUT, &user(&sb, 1005)).json(&body)).await;
    send(reqwest::Client::new().get(format!("{}/x", sb.base_url()))).await;

    let journal = sb.journal();
    assert_eq!(journal.len(), 3);
    let puts: Vec<&JournalEntry> = journal.iter().filter(|e| e.method == "PUT").collect();
    assert_eq!(puts.len(), 1);
    assert_eq!(
        (puts[0].path.as_str(), puts[0].status),
        (format!("/api{}", user(&sb, 1005)).as_str(), 200)
    );
    assert_eq!(puts[0].body.as_ref(), Some(&body));
    assert_eq!(journal[2].status, 401);
    let ids: std::collections::HashSet<&str> =
        journal.iter().map(|e| e.request_id.as_str()).collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(sb.members()[4]["phone"], "+84 28 1234 5678");
}

/// The delay itself is checked without a clock in `middleware.rs`; here, that a delayed
/// answer still arrives, and that a dropped sandbox stops answering.
#[tokio::test]
async fn sandbox_latency_and_shutdown() {
    let sb = start(SandboxConfig {
        latency: Duration::from_millis(150),
        ..Default::default()
    })
    .await;
    let url = format!("{}{}", sb.base_url(), user(&sb, 1001));
    let (status, _) = send(req(&sb, Method::GET, &user(&sb, 1001))).await;
    assert_eq!(status, StatusCode::OK);
    drop(sb);
    // After the drop the port stops answering (new connections are refused).
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let mut refused = false;
    for _ in 0..50 {
        if client.get(&url).send().await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "the sandbox still answers after being dropped");
}

#[tokio::test]
async fn sandbox_gzips_only_for_a_client_that_accepts_it() {
    let sb = start(SandboxConfig {
        gzip: true,
        ..SandboxConfig::default()
    })
    .await;
    let list = format!("/organizations/{}/users", sb.org_id());
    // Without decoding on the client side, to see what went over the wire.
    let raw = reqwest::Client::builder().no_gzip().build().unwrap();
    let plain = raw
        .get(format!("{}{list}", sb.base_url()))
        .bearer_auth(sb.token())
        .header("X-Tallyfy-Client", "APIClient")
        .send()
        .await
        .unwrap();
    assert_eq!(plain.headers().get("content-encoding"), None);
    assert_eq!(plain.bytes().await.unwrap()[0], b'{');
    let zipped = raw
        .get(format!("{}{list}", sb.base_url()))
        .bearer_auth(sb.token())
        .header("X-Tallyfy-Client", "APIClient")
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    assert_eq!(&zipped.bytes().await.unwrap()[..2], [0x1f, 0x8b]);
    assert_eq!(sb.gzipped(), 1);
    // A client that decodes (as member-sync's does) reads the same page either way.
    let (status, page) = send(req(&sb, Method::GET, &list)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["data"].as_array().unwrap().len(), 60);
    assert_eq!(sb.gzipped(), 2);
    // Both requests of this test's plain client came on one kept-alive connection; the
    // decoding client is another.
    assert_eq!(sb.connections(), 2);
}
