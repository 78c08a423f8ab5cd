//! Groups over real HTTP, as a client sees them: each test starts its own sandbox.

use std::net::SocketAddr;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::sandbox::tests::{req, send};
use crate::sandbox::*;

const ORG: &str = r#"{"org_id": "o", "members": [
    {"id": 1, "email": "ada@x.example", "role": "admin"},
    {"id": 2, "email": "cal@x.example"},
    {"id": 3, "email": "dee@x.example", "status": "disabled"},
    {"id": 4, "email": "eve@x.example"}
], "groups": [
    {"id": "0123456789abcdef0123456789abcdef", "name": "Sales", "description": "Sells.",
     "members": [2, 1], "guests": ["client@partner.example"]},
    {"name": "Legacy", "members": [4]}
]}"#;

const SALES: &str = "0123456789abcdef0123456789abcdef";

async fn org(config: SandboxConfig) -> Sandbox {
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    Sandbox::start(config, Seed::from_json(ORG).unwrap(), addr)
        .await
        .unwrap()
}

fn groups_path(sb: &Sandbox, rest: &str) -> String {
    format!("/organizations/{}/groups{rest}", sb.org_id())
}

async fn put(sb: &Sandbox, id: &str, body: Value) -> (StatusCode, Value) {
    send(req(sb, Method::PUT, &groups_path(sb, &format!("/{id}"))).json(&body)).await
}

async fn post(sb: &Sandbox, body: Value) -> (StatusCode, Value) {
    send(req(sb, Method::POST, &groups_path(sb, "")).json(&body)).await
}

async fn get(sb: &Sandbox, rest: &str) -> (StatusCode, Value) {
    send(req(sb, Method::GET, &groups_path(sb, rest))).await
}

fn sales_body(members: Value) -> Value {
    json!({"name": "Sales", "description": "Sells.", "members": members})
}

#[tokio::test]
async fn sandbox_groups_list_ten_a_page_unless_asked_and_a_hundred_at_most() {
    let sb = org(SandboxConfig {
        groups: (1..=113)
            .map(|n| SandboxGroup::new(&format!("G{n}"), &[1]))
            .collect(),
        ..SandboxConfig::default()
    })
    .await;
    let (code, body) = get(&sb, "").await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(body["data"].as_array().unwrap().len(), 10);
    assert_eq!(
        body["data"][0]["name"], "Sales",
        "the seed's groups come first"
    );
    let p = &body["meta"]["pagination"];
    assert_eq!(
        (
            &p["total"],
            &p["per_page"],
            &p["total_pages"],
            &p["current_page"]
        ),
        (&json!(115), &json!(10), &json!(12), &json!(1))
    );
    assert!(
        p["links"]["next"]
            .as_str()
            .unwrap()
            .ends_with("/groups?page=2&per_page=10")
    );
    let (_, body) = get(&sb, "?per_page=500&page=2").await;
    assert_eq!(
        body["meta"]["pagination"]["per_page"], 100,
        "more than 100 reads as 100"
    );
    assert_eq!(body["data"].as_array().unwrap().len(), 15);
    let (_, body) = get(&sb, "?per_page=100&page=9").await;
    assert_eq!(body["data"], json!([]));
}

#[tokio::test]
async fn sandbox_a_group_is_shown_as_tallyfy_documents_it() {
    let sb = org(SandboxConfig::default()).await;
    let (code, body) = get(&sb, &format!("/{SALES}")).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(
        body["data"],
        json!({"id": SALES, "name": "Sales", "description": "Sells.", "logo": null,
               "members": [2, 1], "guests": ["client@partner.example"],
               "created_at": "2024-01-01T00:00:00.000000Z",
               "last_updated": "2024-01-01T00:00:00.000000Z"})
    );
    let legacy = &sb.groups()[1];
    let id = legacy["id"].as_str().unwrap();
    assert!(
        id.len() == 32
            && id
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_eq!(legacy["description"], Value::Null, "a group without one");
    assert_eq!(
        get(&sb, "/ffffffffffffffffffffffffffffffff").await,
        (
            StatusCode::NOT_FOUND,
            json!({"error": true, "message": "Resource not found", "code": "RESOURCE_NOT_FOUND"})
        )
    );
}

#[tokio::test]
async fn sandbox_member_ids_can_be_sent_as_text() {
    let sb = org(SandboxConfig {
        group_member_ids_as_text: true,
        ..SandboxConfig::default()
    })
    .await;
    assert_eq!(
        get(&sb, &format!("/{SALES}")).await.1["data"]["members"],
        json!(["2", "1"])
    );
}

#[tokio::test]
async fn sandbox_creating_a_group_answers_201_with_its_new_id() {
    let sb = org(SandboxConfig::default()).await;
    let (code, body) = post(
        &sb,
        json!({"name": " Support ", "description": "Answers.", "members": [4, 4, 2]}),
    )
    .await;
    assert_eq!(code, StatusCode::CREATED);
    let group = &body["data"];
    assert_eq!(
        (&group["name"], &group["members"]),
        (&json!("Support"), &json!([4, 2]))
    );
    assert_eq!(group["created_at"], group["last_updated"]);
    let id = group["id"].as_str().unwrap();
    assert_eq!(get(&sb, &format!("/{id}")).await.1["data"], *group);

    let (code, body) = post(&sb, json!({"name": "sales", "description": ""})).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        json!({"message": "The given data was invalid.", "errors": {
            "name": ["The name has already been taken."],
            "description": ["The description field is required."]}})
    );
    let (code, body) = post(&sb, json!({"name": "x".repeat(201), "description": "d"})).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["errors"]["name"],
        json!(["The name may not be greater than 200 characters."])
    );
    assert_eq!(sb.groups().len(), 3);
}

#[tokio::test]
async fn sandbox_an_update_replaces_the_member_list_and_answers_201() {
    let sb = org(SandboxConfig::default()).await;
    let (code, body) = put(&sb, SALES, sales_body(json!([4]))).await;
    assert_eq!(code, StatusCode::CREATED);
    assert_eq!(body["data"]["members"], json!([4]), "1 and 2 are out");
    assert_eq!(
        body["data"]["guests"],
        json!(["client@partner.example"]),
        "kept when not sent"
    );
    let mut with_guests = sales_body(json!([4, "1"]));
    with_guests["guests"] = json!([]);
    let (code, body) = put(&sb, SALES, with_guests).await;
    assert_eq!(code, StatusCode::CREATED);
    assert_eq!(
        (&body["data"]["members"], &body["data"]["guests"]),
        (&json!([4, 1]), &json!([]))
    );
    // Another name, its own kept in another casing.
    let (code, body) = put(&sb, SALES, json!({"name": "SALES", "description": "New."})).await;
    assert_eq!(code, StatusCode::CREATED);
    assert_eq!(
        (&body["data"]["name"], &body["data"]["members"]),
        (&json!("SALES"), &json!([4, 1]))
    );
}

#[tokio::test]
async fn sandbox_an_update_needs_a_name_a_description_and_members_of_the_organization() {
    let sb = org(SandboxConfig::default()).await;
    let (code, body) = put(&sb, SALES, json!({"members": [1]})).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["errors"]["name"],
        json!(["The name field is required."])
    );
    assert_eq!(
        body["errors"]["description"],
        json!(["The description field is required."])
    );
    let (code, body) = put(&sb, SALES, sales_body(json!([1, 3, 9999]))).await;
    assert_eq!(
        code,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a disabled member may stay; 9999 is no one"
    );
    assert_eq!(
        body["errors"],
        json!({"members.2": ["The selected member 9999 is not a member of this organization."]})
    );
    let legacy = sb.groups()[1]["id"].as_str().unwrap().to_string();
    let (code, body) = put(&sb, &legacy, json!({"name": "Sales", "description": "d"})).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["errors"]["name"],
        json!(["The name has already been taken."])
    );
    let (code, _) = put(
        &sb,
        "ffffffffffffffffffffffffffffffff",
        sales_body(json!([])),
    )
    .await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let raw = req(&sb, Method::PUT, &groups_path(&sb, &format!("/{SALES}"))).body("[1]");
    assert_eq!(
        send(raw).await,
        (
            StatusCode::BAD_REQUEST,
            json!({"error": true, "message": "The request body must be a JSON object."})
        )
    );
    assert_eq!(
        get(&sb, &format!("/{SALES}")).await.1["data"]["members"],
        json!([2, 1])
    );
}

#[tokio::test]
async fn sandbox_last_updated_moves_on_every_write_even_within_one_second() {
    let sb = org(SandboxConfig::default()).await;
    let mut stamps = vec![sb.groups()[0]["last_updated"].as_str().unwrap().to_string()];
    for members in [json!([1]), json!([1]), json!([2]), json!([2])] {
        let (_, body) = put(&sb, SALES, sales_body(members)).await;
        stamps.push(body["data"]["last_updated"].as_str().unwrap().to_string());
    }
    let edited = sb.edit_group_members(SALES, &[4]).unwrap();
    stamps.push(edited["last_updated"].as_str().unwrap().to_string());
    assert!(stamps.windows(2).all(|w| w[0] < w[1]), "{stamps:?}");
    for stamp in &stamps {
        assert_eq!(stamp.len(), "2024-01-01T00:00:00.000000Z".len(), "{stamp}");
        assert!(stamp.parse::<jiff::Timestamp>().is_ok(), "{stamp}");
    }
}

#[tokio::test]
async fn sandbox_without_manage_groups_writes_are_403_and_reads_are_not() {
    let sb = org(SandboxConfig {
        manage_groups: false,
        ..SandboxConfig::default()
    })
    .await;
    let forbidden = (
        StatusCode::FORBIDDEN,
        json!({"error": true, "message": "This action is unauthorized."}),
    );
    assert_eq!(put(&sb, SALES, sales_body(json!([1]))).await, forbidden);
    assert_eq!(
        post(&sb, json!({"name": "New", "description": "d"})).await,
        forbidden
    );
    assert_eq!(
        post(&sb, json!({})).await,
        forbidden,
        "before the body is looked at"
    );
    assert_eq!(get(&sb, "").await.0, StatusCode::OK);
    assert_eq!(get(&sb, &format!("/{SALES}")).await.0, StatusCode::OK);
    assert_eq!(
        put(&sb, "ffffffffffffffffffffffffffffffff", json!({}))
            .await
            .0,
        StatusCode::NOT_FOUND,
        "an unknown group is a 404 first"
    );
    let seed: Value = serde_json::from_str(ORG).unwrap();
    let mut seed = seed;
    seed["manage_groups"] = json!(false);
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let sb = Sandbox::start(
        SandboxConfig::default(),
        Seed::from_json(&seed.to_string()).unwrap(),
        addr,
    )
    .await
    .unwrap();
    assert_eq!(
        put(&sb, SALES, sales_body(json!([1]))).await,
        forbidden,
        "the seed's switch"
    );
}

#[tokio::test]
async fn sandbox_group_requests_are_journaled_and_meet_scripted_faults() {
    let fault = ScriptedFault {
        target: Some(SALES.into()),
        ..ScriptedFault::new(LifecycleCall::UpdateGroup, ScriptedKind::ResetAfterApplying)
    };
    let sb = org(SandboxConfig {
        faults: Faults {
            scripted: vec![fault],
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let reset = req(&sb, Method::PUT, &groups_path(&sb, &format!("/{SALES}")))
        .json(&sales_body(json!([4])))
        .send()
        .await;
    assert!(reset.is_err(), "reset after applying");
    assert_eq!(
        sb.groups()[0]["members"],
        json!([4]),
        "applied all the same"
    );
    assert_eq!(
        put(&sb, SALES, sales_body(json!([1]))).await.0,
        StatusCode::CREATED,
        "once"
    );
    let journal: Vec<(String, String, u16, Option<Fault>)> = sb
        .journal()
        .iter()
        .map(|e| (e.method.clone(), e.path.clone(), e.status, e.fault))
        .collect();
    let path = format!("/api/organizations/o/groups/{SALES}");
    assert_eq!(
        journal,
        [
            (
                "PUT".into(),
                path.clone(),
                0,
                Some(Fault::ResetAfterApplying)
            ),
            ("PUT".into(), path, 201, None),
        ]
    );
    assert_eq!(sb.journal()[1].body, Some(sales_body(json!([1]))));
}

#[tokio::test]
async fn sandbox_a_member_removed_from_the_organization_leaves_its_groups() {
    let sb = org(SandboxConfig::default()).await;
    let remove = req(&sb, Method::DELETE, "/organizations/o/users/2");
    assert_eq!(send(remove).await.0, StatusCode::OK);
    assert_eq!(sb.groups()[0]["members"], json!([1]));
    assert_eq!(
        sb.groups()[0]["last_updated"],
        "2024-01-01T00:00:00.000000Z"
    );
}

#[test]
fn sandbox_seed_groups_are_checked_and_errors_say_where() {
    let seed = |groups: Value| {
        let mut seed: Value = serde_json::from_str(ORG).unwrap();
        seed["groups"] = groups;
        Seed::from_json(&seed.to_string()).map(|s| s.groups)
    };
    let settings = seed(json!([{"name": "A", "members": [1], "guests": ["g@x.example"]}])).unwrap();
    assert_eq!(
        settings.groups,
        [SandboxGroup {
            id: None,
            name: "A".into(),
            description: String::new(),
            members: vec![1],
            guests: vec!["g@x.example".into()],
        }]
    );
    let cases = [
        (
            json!({"name": "A"}),
            "seed `groups` must be a list, got {\"name\":\"A\"}",
        ),
        (json!([{"members": [1]}]), "seed groups[0]: missing `name`"),
        (
            json!([{"name": "A", "members": [1, "x"]}]),
            "seed groups[0] (A): `members` holds \"x\"; member ids are whole numbers",
        ),
        (
            json!([{"name": "A", "members": [99]}]),
            "seed groups[0] (A): member 99 is not a member of the organization",
        ),
        (
            json!([{"name": "A"}, {"name": " a "}]),
            "seed groups[1] (a): another group has this name (any casing)",
        ),
        (
            json!([{"name": "A", "id": "12"}]),
            "seed groups[0] (A): `id` \"12\" must be 32 lower-case hexadecimal characters, as Tallyfy's are",
        ),
        (
            json!([{"name": "A", "id": SALES}, {"name": "B", "id": SALES}]),
            "seed groups[1] (B): id 0123456789abcdef0123456789abcdef appears twice",
        ),
        (
            json!([{"name": "A", "guests": [1]}]),
            "seed groups[0] (A): `guests` holds 1; guests are emails",
        ),
    ];
    for (groups, message) in cases {
        assert_eq!(seed(groups).unwrap_err(), message);
    }
    let mut bad: Value = serde_json::from_str(ORG).unwrap();
    bad["manage_groups"] = json!("no");
    assert_eq!(
        Seed::from_json(&bad.to_string()).unwrap_err(),
        "seed `manage_groups` must be true or false, got \"no\""
    );
}

#[tokio::test]
async fn sandbox_config_groups_meet_the_same_checks_as_the_seeds() {
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let config = SandboxConfig {
        groups: vec![SandboxGroup::new("sales", &[1])],
        ..SandboxConfig::default()
    };
    let error = Sandbox::start(config, Seed::from_json(ORG).unwrap(), addr)
        .await
        .err()
        .unwrap();
    assert_eq!(
        error.to_string(),
        "groups[2] (sales): another group has this name (any casing)"
    );
}
