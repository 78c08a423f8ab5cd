//! `member-sync sandbox --seed FILE` with the lifecycle settings a seed carries (seat pool,
//! invite cap, scripted faults), met through the API client as a sync will meet them.

use std::time::Duration;

use member_sync::api::{ApiError, Client, Connection, MemberStatus};
use secrecy::SecretString;

use super::serve;
use crate::util::*;

/// An administrator, a member, a disabled member: two seats held of three.
const SEED: &str = r#"{
  "org_id": "acme-lifecycle",
  "seat_pool": 3,
  "invite_cap": {"invites": 1, "window_secs": 3600},
  "scripted_faults": [{"call": "disable", "fault": "server_error_503", "target": 2}],
  "members": [
    {"id": 1, "email": "ada@acme.example", "first_name": "Ada", "last_name": "Lovelace", "role": "admin"},
    {"id": 2, "email": "cal@acme.example", "first_name": "Cal", "last_name": "Cho"},
    {"id": 3, "email": "eve@acme.example", "first_name": "Eve", "last_name": "Ek", "status": "disabled"}
  ]
}"#;

fn client(connection: &[(String, String)]) -> Client {
    let value = |name: &str| {
        let (_, value) = connection.iter().find(|(n, _)| n == name).unwrap();
        value.clone()
    };
    let connection = Connection {
        base_url: value("TALLYFY_BASE_URL").parse().unwrap(),
        org_id: value("TALLYFY_ORG_ID"),
        token: SecretString::from(value("TALLYFY_ACCESS_TOKEN")),
        ca_certs: Vec::new(),
    };
    Client::new(&connection, Duration::from_secs(10)).unwrap()
}

fn code(error: ApiError) -> (Option<u16>, Option<String>) {
    (error.status(), error.code().map(str::to_string))
}

#[test]
fn sandbox_command_takes_the_seat_pool_the_invite_cap_and_scripted_faults_from_its_seed() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.json");
    std::fs::write(&seed, SEED).unwrap();
    let (server, connection) = serve(&["--seed", seed.to_str().unwrap()]);
    let client = client(&connection);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let invited = client
            .invite("nia@acme.example", "Nia", "Obi", "standard", "Welcome.")
            .await
            .unwrap()
            .value;
        assert_eq!(invited.status, Some(MemberStatus::Invited));
        let capped = client.invite("bo@acme.example", "Bo", "Berg", "light", "Welcome.");
        assert_eq!(
            code(capped.await.unwrap_err()),
            (Some(429), Some("RATE_LIMIT_EXCEEDED".into()))
        );
        assert_eq!(
            code(client.enable(3).await.unwrap_err()),
            (Some(409), Some("SEAT_POOL_EXHAUSTED".into())),
            "three seats held of three"
        );
        assert_eq!(client.disable(2).await.unwrap_err().status(), Some(503));
        let disabled = client.disable(2).await.unwrap().value;
        assert_eq!(disabled.status, Some(MemberStatus::Disabled));
        let enabled = client.enable(3).await.unwrap().value;
        assert_eq!(
            enabled.status,
            Some(MemberStatus::Active),
            "a seat was freed"
        );
        let found = client
            .find_member_by_email("NIA@acme.example")
            .await
            .unwrap();
        assert_eq!(found.value.map(|m| m.id), Some(invited.id));
    });
    drop(server);
}

#[test]
fn sandbox_command_refuses_a_seed_whose_lifecycle_settings_are_wrong_saying_where() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.json");
    let wrong = SEED.replace("server_error_503", "explode");
    std::fs::write(&seed, wrong).unwrap();
    let output = member_sync()
        .args(["sandbox", "--port", "0", "--seed"])
        .arg(&seed)
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = format!(
        "error: cannot use the seed {}: seed `scripted_faults[0]`: `fault` must be \
         timeout_after_applying, reset, reset_after_applying or server_error_5XX, got \"explode\"\n",
        seed.display()
    );
    assert_eq!(stderr, expected);
    assert!(output.stdout.is_empty(), "nothing served");
}
