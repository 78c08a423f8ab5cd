//! The group calls against the sandbox: the answers as the client hands them on (201s taken
//! as success, ids as text, member lists sorted), the refusals as [`ApiError`]s a caller can
//! act on, and an id that must not become a URL refused before anything is sent.

use std::net::SocketAddr;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use super::{ApiError, Client, Connection, GroupWrite};
use crate::sandbox::{Sandbox, SandboxConfig, SandboxGroup, Seed};

const ORG: &str = r#"{"org_id": "o", "members": [
    {"id": 1, "email": "ada@x.example", "role": "admin"},
    {"id": 2, "email": "cal@x.example"},
    {"id": 3, "email": "dee@x.example"}
], "groups": [
    {"id": "0123456789abcdef0123456789abcdef", "name": "Sales", "description": "Sells.",
     "members": [3, 1], "guests": ["client@partner.example"]}
]}"#;

const SALES: &str = "0123456789abcdef0123456789abcdef";

async fn org(config: SandboxConfig) -> (Sandbox, Client) {
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let sandbox = Sandbox::start(config, Seed::from_json(ORG).unwrap(), addr)
        .await
        .unwrap();
    let connection = Connection {
        base_url: Url::parse(&sandbox.base_url()).unwrap(),
        org_id: sandbox.org_id().to_string(),
        token: SecretString::from(sandbox.token().to_string()),
        ca_certs: Vec::new(),
    };
    let client = Client::new(&connection, Duration::from_secs(5)).unwrap();
    (sandbox, client)
}

fn refused(error: &ApiError) -> (Option<u16>, String) {
    (error.status(), error.to_string())
}

#[tokio::test]
async fn list_groups_reads_a_page_and_its_pagination() {
    let (sandbox, client) = org(SandboxConfig {
        groups: (1..=11)
            .map(|n| SandboxGroup::new(&format!("G{n:02}"), &[2]))
            .collect(),
        group_member_ids_as_text: true,
        ..SandboxConfig::default()
    })
    .await;
    let reply = client.list_groups(2, 10).await.unwrap();
    assert_eq!(reply.status, 200);
    let page = reply.value;
    let names: Vec<&str> = page.data.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(
        names,
        ["G10", "G11"],
        "the seed's group first, then the config's"
    );
    assert_eq!(
        page.data[0].members,
        [2],
        "ids sent as text read as numbers"
    );
    let p = page.pagination().unwrap();
    assert_eq!(
        (p.total, p.current_page, p.total_pages),
        (Some(12), Some(2), Some(2))
    );
    let journal = sandbox.journal();
    assert_eq!(journal[0].path, "/api/organizations/o/groups");
    assert_eq!(journal[0].query.as_deref(), Some("page=2&per_page=10"));
}

#[tokio::test]
async fn get_group_answers_the_group_with_its_members_sorted() {
    let (_sandbox, client) = org(SandboxConfig::default()).await;
    let group = client.get_group(SALES).await.unwrap().value;
    assert_eq!(group.id, SALES);
    assert_eq!(group.name, "Sales");
    assert_eq!(group.description, "Sells.");
    assert_eq!(group.members, [1, 3]);
    assert_eq!(group.guests, ["client@partner.example"]);
    assert!(group.last_updated.is_some());

    let missing = client.get_group("ffffffffffffffffffffffffffffffff").await;
    assert_eq!(
        refused(&missing.unwrap_err()),
        (
            Some(404),
            "HTTP 404: Resource not found (RESOURCE_NOT_FOUND)".into()
        )
    );
}

#[tokio::test]
async fn a_group_id_that_could_leave_its_path_is_never_sent() {
    let (sandbox, client) = org(SandboxConfig::default()).await;
    let write = GroupWrite {
        name: "Sales",
        description: "Sells.",
        members: &[],
        guests: &[],
    };
    for id in ["..", "a/b", "a?b=1", "", "a b", "%2e%2e"] {
        let error = client.get_group(id).await.unwrap_err();
        assert!(matches!(error, ApiError::Unsendable(_)), "{id:?}: {error}");
        assert!(
            error.to_string().starts_with("not sent: the group id"),
            "{error}"
        );
        let error = client.update_group(id, &write).await.unwrap_err();
        assert!(matches!(error, ApiError::Unsendable(_)), "{id:?}: {error}");
    }
    assert!(sandbox.journal().is_empty(), "nothing went on the wire");
    // What Tallyfy issues, and what an older API or a test may name a group, both pass.
    assert_eq!(
        client.get_group("G_1-x").await.unwrap_err().status(),
        Some(404)
    );
}

#[tokio::test]
async fn create_group_takes_the_201_and_the_new_id() {
    let (sandbox, client) = org(SandboxConfig::default()).await;
    let reply = client.create_group("Support", "Answers.").await.unwrap();
    assert_eq!(reply.status, 201);
    let group = reply.value;
    assert_eq!(group.id.len(), 32);
    assert!(group.id.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!((group.name.as_str(), group.members.len()), ("Support", 0));
    assert_eq!(
        sandbox.journal()[0].body,
        Some(serde_json::json!({"name": "Support", "description": "Answers."}))
    );
    let again = client.create_group("SUPPORT", "Again.").await.unwrap_err();
    assert_eq!(
        refused(&again),
        (
            Some(422),
            "HTTP 422: name: The name has already been taken.".into()
        )
    );
}

#[tokio::test]
async fn update_group_replaces_the_whole_list_and_takes_the_201() {
    let (sandbox, client) = org(SandboxConfig::default()).await;
    let before = client.get_group(SALES).await.unwrap().value;
    let guests = before.guests.clone();
    let write = GroupWrite {
        name: &before.name,
        description: &before.description,
        members: &[2, 3],
        guests: &guests,
    };
    let reply = client.update_group(SALES, &write).await.unwrap();
    assert_eq!(reply.status, 201);
    let after = reply.value;
    assert_eq!(
        after.members,
        [2, 3],
        "member 1 is out: the list was replaced"
    );
    assert_eq!(after.guests, before.guests);
    assert!(after.last_updated > before.last_updated);
    let sent = sandbox.journal().last().unwrap().body.clone().unwrap();
    assert_eq!(
        sent,
        serde_json::json!({"name": "Sales", "description": "Sells.", "members": [2, 3],
                           "guests": ["client@partner.example"]})
    );

    let stranger = GroupWrite {
        members: &[2, 99],
        ..write
    };
    let error = client.update_group(SALES, &stranger).await.unwrap_err();
    assert_eq!(
        refused(&error),
        (
            Some(422),
            "HTTP 422: members.1: The selected member 99 is not a member of this organization."
                .into()
        )
    );
}

#[tokio::test]
async fn without_manage_groups_a_write_is_a_403_and_a_read_is_not() {
    let (_sandbox, client) = org(SandboxConfig {
        manage_groups: false,
        ..SandboxConfig::default()
    })
    .await;
    let group = client.get_group(SALES).await.unwrap().value;
    let write = GroupWrite {
        name: &group.name,
        description: &group.description,
        members: &[1],
        guests: &group.guests,
    };
    let forbidden = (
        Some(403),
        "HTTP 403: This action is unauthorized.".to_string(),
    );
    assert_eq!(
        refused(&client.update_group(SALES, &write).await.unwrap_err()),
        forbidden
    );
    assert_eq!(
        refused(&client.create_group("New", "d").await.unwrap_err()),
        forbidden
    );
    assert!(client.list_groups(1, 100).await.is_ok());
}
