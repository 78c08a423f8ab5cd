//! A group's write against the sandbox: what is sent, what is read again first, and what is
//! left alone.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

use super::*;
use crate::api::{Client, Connection};
use crate::execute::retry_policy::RetryPolicy;
use crate::sandbox::{Sandbox, SandboxConfig, SandboxGroup, Seed};

const SALES: &str = "0123456789abcdef0123456789abcdef";

async fn org(config: SandboxConfig) -> (Sandbox, Arc<Engine>) {
    let mut sales = SandboxGroup::new("Sales", &[1, 2]);
    sales.id = Some(SALES.into());
    sales.guests = vec!["client@partner.example".into()];
    let mut config = config;
    config.groups.insert(0, sales);
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let sandbox = Sandbox::start(config, Seed::generated("o", 5), addr)
        .await
        .unwrap();
    let connection = Connection {
        base_url: url::Url::parse(&sandbox.base_url()).unwrap(),
        org_id: sandbox.org_id().to_string(),
        token: SecretString::from(sandbox.token().to_string()),
        ca_certs: Vec::new(),
    };
    let client = Client::new(&connection, Duration::from_secs(5)).unwrap();
    let policy = RetryPolicy {
        min_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        ..RetryPolicy::default()
    };
    let engine = Engine::new(
        client,
        "1000/s".parse().unwrap(),
        policy,
        CancellationToken::new(),
    );
    (sandbox, Arc::new(engine))
}

fn sales(before: &[u64], after: &[u64]) -> GroupChange {
    GroupChange {
        id: Some(SALES.into()),
        name: "Sales".into(),
        description: "The Sales group.".into(),
        guests: vec!["client@partner.example".into()],
        before: before.to_vec(),
        after: after.to_vec(),
        last_updated: None,
        invitees: Vec::new(),
    }
}

fn members_of(sandbox: &Sandbox, name: &str) -> Vec<u64> {
    let group = sandbox
        .groups()
        .into_iter()
        .find(|g| g["name"] == name)
        .unwrap();
    group["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_u64().unwrap())
        .collect()
}

fn requests(sandbox: &Sandbox) -> Vec<String> {
    sandbox
        .journal()
        .iter()
        .map(|e| format!("{} {}", e.method, e.status))
        .collect()
}

#[tokio::test]
async fn a_fresh_plan_writes_the_whole_list_once_with_the_guests_kept() {
    let (sandbox, engine) = org(SandboxConfig::default()).await;
    let written = write_group(&engine, &sales(&[1, 2], &[1, 3]), false, &HashMap::new()).await;
    assert_eq!(written.outcome, Outcome::Updated, "{written:?}");
    assert_eq!(requests(&sandbox), ["PUT 201"]);
    assert_eq!(members_of(&sandbox, "Sales"), [1, 3]);
    let body = sandbox.journal()[0].body.clone().unwrap();
    assert_eq!(
        body["guests"],
        serde_json::json!(["client@partner.example"])
    );
}

#[tokio::test]
async fn an_old_plan_reads_the_group_again_and_leaves_a_changed_one_alone() {
    let (sandbox, engine) = org(SandboxConfig::default()).await;
    sandbox.edit_group_members(SALES, &[1, 2, 4]).unwrap();
    let written = write_group(&engine, &sales(&[1, 2], &[1, 3]), true, &HashMap::new()).await;
    assert_eq!(written.outcome, Outcome::Stale, "{written:?}");
    assert!(
        written
            .message
            .unwrap()
            .contains("changed since the plan read them")
    );
    assert_eq!(requests(&sandbox), ["GET 200"]);
    assert_eq!(members_of(&sandbox, "Sales"), [1, 2, 4]);
    // Unchanged since: written after the read.
    let written = write_group(&engine, &sales(&[1, 2, 4], &[4]), true, &HashMap::new()).await;
    assert_eq!(written.outcome, Outcome::Updated, "{written:?}");
    assert_eq!(members_of(&sandbox, "Sales"), [4]);
}

#[tokio::test]
async fn a_new_group_is_created_then_filled() {
    let (sandbox, engine) = org(SandboxConfig::default()).await;
    let new = GroupChange {
        id: None,
        name: "Finance".into(),
        description: crate::plan::groups::CREATED_DESCRIPTION.into(),
        guests: Vec::new(),
        before: Vec::new(),
        after: vec![2, 5],
        last_updated: None,
        invitees: Vec::new(),
    };
    let written = write_group(&engine, &new, false, &HashMap::new()).await;
    assert_eq!(written.outcome, Outcome::Updated, "{written:?}");
    assert_eq!(written.id.as_ref().map(String::len), Some(32));
    assert_eq!(requests(&sandbox), ["POST 201", "PUT 201"]);
    assert_eq!(members_of(&sandbox, "Finance"), [2, 5]);
}

#[tokio::test]
async fn without_manage_groups_the_write_fails_naming_the_permission() {
    let config = SandboxConfig {
        manage_groups: false,
        ..SandboxConfig::default()
    };
    let (sandbox, engine) = org(config).await;
    let written = write_group(&engine, &sales(&[1, 2], &[1]), false, &HashMap::new()).await;
    assert_eq!(written.outcome, Outcome::Failed);
    assert_eq!(written.http_status, Some(403));
    assert!(
        written
            .message
            .unwrap()
            .contains("manage_groups permission")
    );
    assert_eq!(members_of(&sandbox, "Sales"), [1, 2]);
}

#[tokio::test]
async fn a_group_without_a_description_is_written_with_its_name_as_one() {
    let mut bare = SandboxGroup::new("Bare", &[1]);
    bare.id = Some("f".repeat(32));
    bare.description = String::new();
    let (sandbox, engine) = org(SandboxConfig {
        groups: vec![bare],
        ..SandboxConfig::default()
    })
    .await;
    let change = GroupChange {
        id: Some("f".repeat(32)),
        name: "Bare".into(),
        description: String::new(),
        guests: Vec::new(),
        before: vec![1],
        after: vec![1, 2],
        last_updated: None,
        invitees: Vec::new(),
    };
    let written = write_group(&engine, &change, false, &HashMap::new()).await;
    assert_eq!(written.outcome, Outcome::Updated, "{written:?}");
    assert_eq!(members_of(&sandbox, "Bare"), [1, 2]);
}
