//! `member-sync sandbox --seed FILE` with groups: served as Tallyfy serves them (ten a page
//! unless asked, 201 on a whole-list PUT), and a seed's `"manage_groups": false` answering a
//! write with 403, met through the API client and plain requests.

use std::time::Duration;

use member_sync::api::{Client, Connection, GroupWrite};
use secrecy::SecretString;
use serde_json::{Value, json};

use super::serve;

/// Three members; "Sales" with a fixed id and a guest, then eleven more groups.
fn seed(manage_groups: bool) -> String {
    let mut groups = vec![json!({
        "id": "0123456789abcdef0123456789abcdef", "name": "Sales", "description": "Sells.",
        "members": [2, 1], "guests": ["client@partner.example"]
    })];
    groups.extend((1..=11).map(
        |n| json!({"name": format!("Team {n:02}"), "description": "A team.", "members": [3]}),
    ));
    json!({
        "org_id": "acme-groups",
        "manage_groups": manage_groups,
        "members": [
            {"id": 1, "email": "ada@acme.example", "first_name": "Ada", "last_name": "L", "role": "admin"},
            {"id": 2, "email": "cal@acme.example", "first_name": "Cal", "last_name": "C"},
            {"id": 3, "email": "eve@acme.example", "first_name": "Eve", "last_name": "E"}
        ],
        "groups": groups,
    })
    .to_string()
}

const SALES: &str = "0123456789abcdef0123456789abcdef";

fn value(connection: &[(String, String)], name: &str) -> String {
    let (_, value) = connection.iter().find(|(n, _)| n == name).unwrap();
    value.clone()
}

fn client(connection: &[(String, String)]) -> Client {
    let connection = Connection {
        base_url: value(connection, "TALLYFY_BASE_URL").parse().unwrap(),
        org_id: value(connection, "TALLYFY_ORG_ID"),
        token: SecretString::from(value(connection, "TALLYFY_ACCESS_TOKEN")),
        ca_certs: Vec::new(),
    };
    Client::new(&connection, Duration::from_secs(10)).unwrap()
}

/// `GET /groups` with no paging asked for, as a plain request.
async fn first_page(connection: &[(String, String)]) -> Value {
    let url = format!(
        "{}/organizations/{}/groups",
        value(connection, "TALLYFY_BASE_URL"),
        value(connection, "TALLYFY_ORG_ID")
    );
    reqwest::Client::new()
        .get(url)
        .bearer_auth(value(connection, "TALLYFY_ACCESS_TOKEN"))
        .header("X-Tallyfy-Client", "APIClient")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn serve_seed(manage_groups: bool) -> (super::Server, Vec<(String, String)>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.json");
    std::fs::write(&path, seed(manage_groups)).unwrap();
    let (server, connection) = serve(&["--seed", path.to_str().unwrap()]);
    (server, connection, dir)
}

#[test]
fn sandbox_command_serves_a_seeds_groups_ten_a_page_and_answers_a_put_with_201() {
    let (server, connection, _dir) = serve_seed(true);
    let client = client(&connection);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let page = first_page(&connection).await;
        assert_eq!(page["data"].as_array().unwrap().len(), 10);
        assert_eq!(page["data"][0]["name"], "Sales");
        let pagination = &page["meta"]["pagination"];
        assert_eq!(
            (&pagination["total"], &pagination["total_pages"]),
            (&json!(12), &json!(2))
        );
        let all = client.list_groups(1, 100).await.unwrap().value;
        assert_eq!(all.data.len(), 12);

        let sales = client.get_group(SALES).await.unwrap().value;
        assert_eq!(sales.members, [1, 2]);
        let write = GroupWrite {
            name: &sales.name,
            description: &sales.description,
            members: &[2, 3],
            guests: &sales.guests,
        };
        let reply = client.update_group(SALES, &write).await.unwrap();
        assert_eq!(reply.status, 201);
        assert_eq!(reply.value.members, [2, 3]);
        assert_eq!(reply.value.guests, ["client@partner.example"]);
        let read_again = client.get_group(SALES).await.unwrap().value;
        assert_eq!(read_again, reply.value);
        assert!(read_again.last_updated > sales.last_updated);
    });
    drop(server);
}

#[test]
fn sandbox_command_with_manage_groups_false_refuses_group_writes_with_403() {
    let (server, connection, _dir) = serve_seed(false);
    let client = client(&connection);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let sales = client.get_group(SALES).await.unwrap().value;
        let write = GroupWrite {
            name: &sales.name,
            description: &sales.description,
            members: &[3],
            guests: &sales.guests,
        };
        let refused = client.update_group(SALES, &write).await.unwrap_err();
        assert_eq!(
            (refused.status(), refused.to_string()),
            (
                Some(403),
                "HTTP 403: This action is unauthorized.".to_string()
            )
        );
        let refused = client
            .create_group("New", "A new group.")
            .await
            .unwrap_err();
        assert_eq!(refused.status(), Some(403));
        assert_eq!(
            client.get_group(SALES).await.unwrap().value.members,
            [1, 2],
            "unchanged"
        );
    });
    drop(server);
}

#[test]
fn sandbox_command_refuses_a_seed_whose_groups_are_wrong_saying_where() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.json");
    std::fs::write(&path, seed(true).replace("[2,1]", "[2,99]")).unwrap();
    let output = crate::util::member_sync()
        .args(["sandbox", "--port", "0", "--seed"])
        .arg(&path)
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        format!(
            "error: cannot use the seed {}: seed groups[0] (Sales): member 99 is not a member of the organization\n",
            path.display()
        )
    );
}

/// The helpers group tests build on: an org with groups ([`TestOrg::with_groups`]), a group
/// edited as in the UI between two runs (not journaled, `last_updated` renewed), and the
/// journal's group requests told apart.
#[test]
fn a_test_org_has_groups_that_a_person_can_edit_between_runs() {
    use crate::util::{TestOrg, generated_seed};
    use member_sync::sandbox::SandboxConfig;
    let org = TestOrg::with_groups(
        SandboxConfig::default(),
        generated_seed(5),
        &[("Sales", &[3, 1]), ("Support", &[2])],
    );
    assert_eq!(org.group_members("sales"), [1, 3]);
    let before = org.group("Sales");
    let edited = org.edit_group_in_ui("Sales", &[5, 1]);
    assert_eq!(org.group_members("Sales"), [1, 5]);
    assert!(edited["last_updated"].as_str() > before["last_updated"].as_str());
    assert!(
        org.journal().is_empty(),
        "an edit in the UI is no API request"
    );

    let connection: Vec<(String, String)> = vec![
        ("TALLYFY_BASE_URL".into(), org.base_url()),
        ("TALLYFY_ORG_ID".into(), org.org_id().into()),
        ("TALLYFY_ACCESS_TOKEN".into(), org.token().into()),
    ];
    let client = client(&connection);
    let id = before["id"].as_str().unwrap().to_string();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let listed = client.list_groups(1, 100).await.unwrap().value;
        assert_eq!(listed.data.len(), org.groups().len());
        let write = GroupWrite {
            name: "Sales",
            description: "The Sales group.",
            members: &[1],
            guests: &[],
        };
        client.update_group(&id, &write).await.unwrap();
    });
    let requests = org.requests();
    assert!(requests[0].is_group_list() && !requests[0].is_group_write());
    assert!(requests[1].is_group_write());
    assert_eq!(requests[1].group_id(), Some(id.as_str()));
    assert_eq!(requests[1].status, 201);
}
