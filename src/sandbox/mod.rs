//! The sandbox: a local, Tallyfy-compatible member API (axum on 127.0.0.1).
//!
//! The real API cannot be reached from tests or from a newcomer's first run, so this is our
//! model of it: same paths, auth, pagination, validation and error shapes as
//! `shared/reference/tallyfy-api.md` describes. It validates with its own code, never with the
//! client's `validate` module, so the client's checks are tested against it, not with it.

use std::net::SocketAddr;
use std::time::Duration;

/// How the sandbox behaves. Built with struct-update syntax from `Default`.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// The organization id served; requests for other orgs get 404.
    pub org_id: String,
    /// The one Bearer token accepted.
    pub token: String,
    /// Largest page the list endpoint returns, whatever `per_page` asks (Tallyfy: 100).
    pub per_page_cap: usize,
    /// After this many authenticated requests the token is revoked: every later request gets
    /// 401, as when its owner logs out of the web app mid-run.
    pub revoke_token_after: Option<u64>,
    /// Added to every response.
    pub latency: Duration,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            org_id: "sandbox-org".into(),
            token: "sandbox-token".into(),
            per_page_cap: 100,
            revoke_token_after: None,
            latency: Duration::ZERO,
        }
    }
}

/// One request as the sandbox saw it.
#[derive(Debug, Clone)]
pub struct JournalEntry {
    pub method: String,
    /// Path without the query string, e.g. `/api/organizations/o/users/7`.
    pub path: String,
    pub query: Option<String>,
    pub status: u16,
    pub body: Option<serde_json::Value>,
    /// Time since the sandbox started.
    pub at: Duration,
}

/// Members to start with: the JSON shape of `samples/sandbox-org.json`.
#[derive(Debug, Clone)]
pub struct Seed {
    pub org_id: Option<String>,
    pub members: Vec<serde_json::Value>,
}

impl Seed {
    pub fn from_json(text: &str) -> Result<Seed, String> {
        let _ = text;
        todo!()
    }

    /// The org in `samples/sandbox-org.json`, compiled in.
    pub fn embedded() -> Seed {
        todo!()
    }
}

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {}

impl Sandbox {
    /// Starts serving on `addr` (port 0 picks a free port).
    pub async fn start(config: SandboxConfig, seed: Seed, addr: SocketAddr) -> std::io::Result<Sandbox> {
        let _ = (config, seed, addr);
        todo!()
    }

    /// `http://127.0.0.1:PORT/api`
    pub fn base_url(&self) -> String {
        todo!()
    }

    pub fn org_id(&self) -> &str {
        todo!()
    }

    pub fn token(&self) -> &str {
        todo!()
    }

    /// Every member as the list endpoint would show it, ordered by id.
    pub fn members(&self) -> Vec<serde_json::Value> {
        todo!()
    }

    pub fn journal(&self) -> Vec<JournalEntry> {
        todo!()
    }
}
