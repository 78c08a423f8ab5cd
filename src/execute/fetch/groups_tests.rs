//! Reading every group through the engine, against the sandbox (pages as Tallyfy pages them)
//! and against a stand-in that pages badly.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::*;
use crate::api::{Client, Connection};
use crate::execute::retry_policy::RetryPolicy;
use crate::sandbox::{Faults, Sandbox, SandboxConfig, SandboxGroup, Seed};

fn engine_for(base_url: &str, org: &str, token: &str) -> Arc<Engine> {
    let connection = Connection {
        base_url: url::Url::parse(base_url).unwrap(),
        org_id: org.into(),
        token: SecretString::from(token.to_string()),
        ca_certs: Vec::new(),
    };
    let client = Client::new(&connection, Duration::from_secs(5)).unwrap();
    let policy = RetryPolicy {
        min_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        ..RetryPolicy::default()
    };
    Arc::new(Engine::new(
        client,
        "1000/s".parse().unwrap(),
        policy,
        CancellationToken::new(),
    ))
}

/// An organization of three members and `n` groups named `G001`...
async fn org_of(n: usize, faults: Faults) -> (Sandbox, Arc<Engine>) {
    let groups = (1..=n)
        .map(|i| SandboxGroup::new(&format!("G{i:03}"), &[1 + (i as u64 % 3)]))
        .collect();
    let config = SandboxConfig {
        groups,
        faults,
        ..SandboxConfig::default()
    };
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let sandbox = Sandbox::start(config, Seed::generated("o", 3), addr)
        .await
        .unwrap();
    let engine = engine_for(&sandbox.base_url(), sandbox.org_id(), sandbox.token());
    (sandbox, engine)
}

fn queries(sandbox: &Sandbox) -> Vec<String> {
    sandbox
        .journal()
        .iter()
        .map(|e| format!("{} {}", e.path, e.query.as_deref().unwrap_or("")))
        .collect()
}

#[tokio::test]
async fn more_than_a_hundred_groups_take_two_pages_read_in_turn() {
    let (sandbox, engine) = org_of(105, Faults::default()).await;
    let groups = fetch_groups(&engine).await.unwrap();
    assert_eq!(groups.len(), 105);
    assert!(
        groups.windows(2).all(|w| w[0].id < w[1].id),
        "ordered by id"
    );
    let mut names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!((names[0], names[104]), ("G001", "G105"));
    assert_eq!(
        queries(&sandbox),
        [
            "/api/organizations/o/groups page=1&per_page=100",
            "/api/organizations/o/groups page=2&per_page=100",
        ]
    );
    assert_eq!(engine.stats().requests, 2);
}

#[tokio::test]
async fn a_hundred_groups_or_none_take_one_request() {
    for n in [100, 7, 0] {
        let (sandbox, engine) = org_of(n, Faults::default()).await;
        assert_eq!(fetch_groups(&engine).await.unwrap().len(), n);
        assert_eq!(sandbox.journal().len(), 1, "{n} groups");
    }
}

#[tokio::test]
async fn a_page_that_fails_is_retried_by_the_engine_and_a_refusal_names_its_page() {
    let faults = Faults {
        server_errors: 0.5,
        seed: 7,
        ..Faults::default()
    };
    let (sandbox, engine) = org_of(150, faults).await;
    assert_eq!(fetch_groups(&engine).await.unwrap().len(), 150);
    let stats = engine.stats();
    assert_eq!(stats.requests, sandbox.journal().len() as u64);
    assert!(stats.retries > 0, "the dice hit some page: {stats:?}");

    let (sandbox, _) = org_of(3, Faults::default()).await;
    let wrong_token = engine_for(&sandbox.base_url(), sandbox.org_id(), "wrong");
    let error = fetch_groups(&wrong_token).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "reading the groups failed on page 1 after 1 attempt(s): HTTP 401: Unauthenticated."
    );
}

/// A stand-in serving `pages[page - 1]` (an empty page past them), whatever is asked.
async fn stand_in(pages: Vec<Value>) -> (String, tokio_util::sync::DropGuard) {
    use axum::extract::Query;
    use std::collections::HashMap;
    let pages = Arc::new(pages);
    let app = axum::Router::new().route(
        "/api/organizations/o/groups",
        axum::routing::get(move |Query(q): Query<HashMap<String, String>>| {
            let pages = pages.clone();
            async move {
                let page: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
                let body = pages.get(page - 1).cloned().unwrap_or(json!({"data": []}));
                axum::Json(body)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    let shutdown = stop.clone().cancelled_owned();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
            .unwrap();
    });
    (format!("http://{addr}/api"), stop.drop_guard())
}

fn groups(ids: std::ops::Range<usize>) -> Vec<Value> {
    ids.map(|i| json!({"id": format!("{i:032x}"), "name": format!("G{i}"), "members": [i]}))
        .collect()
}

#[tokio::test]
async fn without_pagination_a_short_page_is_the_last() {
    let pages = vec![
        json!({"data": groups(0..100)}),
        json!({"data": groups(100..105)}),
    ];
    let (url, _server) = stand_in(pages).await;
    let engine = engine_for(&url, "o", "stand-in-token");
    assert_eq!(fetch_groups(&engine).await.unwrap().len(), 105);
    assert_eq!(engine.stats().requests, 2);
}

#[tokio::test]
async fn a_page_repeating_groups_already_read_ends_the_read_with_an_error() {
    let full = json!({"data": groups(0..100)});
    let (url, _server) = stand_in(vec![full.clone(), full]).await;
    let engine = engine_for(&url, "o", "stand-in-token");
    let error = fetch_groups(&engine).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "reading the groups stopped at page 2: page 2 holds only groups already read: the \
         server's pages are not moving through the list"
    );
}

#[tokio::test]
async fn pages_past_the_first_pages_own_total_end_the_read_with_an_error() {
    let meta = |page: usize| {
        json!({"pagination": {"total": 150, "per_page": 100, "current_page": page,
                              "total_pages": 1_000_000}})
    };
    let pages = (0..10)
        .map(|p| json!({"data": groups(p * 100..p * 100 + 100), "meta": meta(p + 1)}))
        .collect();
    let (url, _server) = stand_in(pages).await;
    let engine = engine_for(&url, "o", "stand-in-token");
    let error = fetch_groups(&engine).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "reading the groups stopped at page 5: the server keeps sending pages: 400 groups read in 4 pages"
    );
    assert_eq!(engine.stats().requests, 4);
}

#[tokio::test]
async fn a_group_page_that_cannot_be_read_is_an_error_naming_the_member_id() {
    let page = json!({"data": [{"id": "a1", "name": "A", "members": ["user_id_1"]}]});
    let (url, _server) = stand_in(vec![page]).await;
    let engine = engine_for(&url, "o", "stand-in-token");
    let error = fetch_groups(&engine).await.unwrap_err().to_string();
    assert!(
        error.starts_with(
            "reading the groups failed on page 1 after 5 attempt(s): HTTP 200: unreadable \
             response (JSON of an unexpected shape (a group member id must be a whole number, \
             got \"user_id_1\") at line 1 column "
        ),
        "{error}"
    );
}
