//! Leavers and rehires over real HTTP: disable, enable and remove, each answer Tallyfy
//! documents for them.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::tests::*;
use crate::sandbox::tests::{req, send, user};
use crate::sandbox::*;

#[tokio::test]
async fn sandbox_disable_keeps_the_member_listed_as_disabled() {
    let sb = org(SandboxConfig::default()).await;
    let (code, body) = send(disable(&sb, 3)).await;
    assert_eq!(
        (code, &body["data"]["status"]),
        (StatusCode::OK, &json!("disabled"))
    );
    assert_eq!(body["data"]["is_active"], false);
    assert_eq!(status(&sb, 3).as_deref(), Some("disabled"));
    // Again: nothing to do, the same answer.
    assert_eq!(send(disable(&sb, 3)).await.1["data"]["status"], "disabled");
    // An invitation can be disabled too, and frees its seat.
    assert_eq!(send(disable(&sb, 4)).await.0, StatusCode::OK);
    assert_eq!(send(disable(&sb, 99)).await.1["code"], "RESOURCE_NOT_FOUND");
}

#[tokio::test]
async fn sandbox_disable_refuses_bots_and_the_last_administrator_and_passes_the_default_role() {
    let sb = org(SandboxConfig::default()).await;
    assert_eq!(
        send(disable(&sb, 6)).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            refusal("Bot users cannot be disabled.")
        )
    );
    let (code, body) = send(disable(&sb, 1)).await;
    assert_eq!(
        (code, &body["data"]["is_default_admin"]),
        (StatusCode::OK, &json!(false))
    );
    assert_eq!(
        listed(&sb, 2).unwrap()["is_default_admin"],
        true,
        "the role passed on"
    );
    assert_eq!(
        send(disable(&sb, 2)).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            refusal(DEFAULT_ADMIN_MESSAGE)
        )
    );
    assert_eq!(status(&sb, 2).as_deref(), Some("active"));
}

#[tokio::test]
async fn sandbox_enable_brings_a_disabled_member_back_and_refuses_bots() {
    let sb = org(SandboxConfig::default()).await;
    let (code, body) = send(enable(&sb, 5)).await;
    assert_eq!(
        (code, &body["data"]["status"]),
        (StatusCode::OK, &json!("active"))
    );
    assert_eq!(status(&sb, 5).as_deref(), Some("active"));
    assert_eq!(
        send(enable(&sb, 3)).await.1["data"]["status"],
        "active",
        "already active"
    );
    assert_eq!(
        send(enable(&sb, 4)).await.1["data"]["status"],
        "invited",
        "not disabled"
    );
    assert_eq!(
        send(enable(&sb, 6)).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            refusal("Bot users cannot be edited.")
        )
    );
}

#[tokio::test]
async fn sandbox_remove_reassigns_and_takes_the_member_out_of_the_list() {
    let sb = org(SandboxConfig::default()).await;
    let (code, body) = send(remove(&sb, 3, "?with_reassignment=true&to=2")).await;
    assert_eq!(
        (code, &body["data"]["status"]),
        (StatusCode::OK, &json!("disabled"))
    );
    assert_eq!(listed(&sb, 3), None);
    assert_eq!(
        send(req(&sb, Method::GET, &user(&sb, 3))).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(send(remove(&sb, 8, "")).await.0, StatusCode::OK);
    assert_eq!(
        sb.removals(),
        [
            Removal {
                member_id: 3,
                reassigned_to: Some(2)
            },
            Removal {
                member_id: 8,
                reassigned_to: None
            },
        ]
    );
    // The email is free again.
    assert_eq!(send(invite(&sb, "cal@x.example")).await.0, StatusCode::OK);
}

#[tokio::test]
async fn sandbox_remove_refuses_bots_the_default_administrator_and_a_missing_heir() {
    let sb = org(SandboxConfig::default()).await;
    let bot = "You can't remove a bot user from this organization!";
    assert_eq!(
        send(remove(&sb, 6, "")).await,
        (StatusCode::BAD_REQUEST, refusal(bot))
    );
    assert_eq!(
        send(remove(&sb, 1, "?with_reassignment=true&to=2")).await,
        (StatusCode::BAD_REQUEST, refusal(DEFAULT_ADMIN_MESSAGE))
    );
    let (code, body) = send(remove(&sb, 3, "?with_reassignment=true")).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["errors"]["to"],
        json!(["The to field is required when with reassignment is true."])
    );
    for to in [3, 5, 6, 99] {
        let (code, body) = send(remove(&sb, 3, &format!("?with_reassignment=true&to={to}"))).await;
        assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "to={to}");
        assert_eq!(body["errors"]["to"], json!(["The selected to is invalid."]));
    }
    assert_eq!(sb.members().len(), 8);
    assert!(sb.removals().is_empty());
}
