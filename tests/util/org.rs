//! A sandbox organization for one test: the in-process sandbox on `127.0.0.1:0`, kept alive by
//! its own tokio runtime (the binary under test is run synchronously, so the server must run on
//! other threads), and a temporary directory for the test's inputs and reports.

use std::path::PathBuf;
use std::time::Duration;

use member_sync::sandbox::{
    JournalEntry, PacingViolation, Sandbox, SandboxConfig, SandboxGroup, SandboxTls, Seed,
};
use serde_json::{Value, json};
use tempfile::TempDir;

/// The distinctive token the secrecy tests look for.
pub const SECRET_TOKEN: &str = "tok-SECRET-8f3a91c2d7";

/// A running sandbox org and a scratch directory, both gone when the value is dropped.
pub struct TestOrg {
    // Field order is drop order: the server stops before its runtime goes away.
    sandbox: Sandbox,
    _runtime: tokio::runtime::Runtime,
    dir: TempDir,
}

impl TestOrg {
    /// `samples/sandbox-org.json` (60 members, ids 1001–1060) with the default config.
    pub fn embedded() -> TestOrg {
        TestOrg::start(SandboxConfig::default(), Seed::embedded())
    }

    /// The sample org, served with the distinctive [`SECRET_TOKEN`].
    pub fn with_secret_token(config: SandboxConfig) -> TestOrg {
        let config = SandboxConfig {
            token: SECRET_TOKEN.into(),
            ..config
        };
        TestOrg::start(config, Seed::embedded())
    }

    pub fn start(config: SandboxConfig, seed: Seed) -> TestOrg {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime for the sandbox");
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let sandbox = runtime
            .block_on(Sandbox::start(config, seed, addr))
            .expect("the sandbox starts");
        TestOrg {
            sandbox,
            _runtime: runtime,
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    /// `seed`'s organization with these groups besides its own, each `(name, member ids)`
    /// with a description and no guests.
    pub fn with_groups(config: SandboxConfig, seed: Seed, groups: &[(&str, &[u64])]) -> TestOrg {
        let mut config = config;
        config.groups.extend(
            groups
                .iter()
                .map(|(name, members)| SandboxGroup::new(name, members)),
        );
        TestOrg::start(config, seed)
    }

    pub fn base_url(&self) -> String {
        self.sandbox.base_url()
    }

    pub fn org_id(&self) -> &str {
        self.sandbox.org_id()
    }

    pub fn token(&self) -> &str {
        self.sandbox.token()
    }

    /// A path in the scratch directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Every member as the list endpoint shows it, ordered by id.
    pub fn members(&self) -> Vec<Value> {
        self.sandbox.members()
    }

    /// One member by id.
    pub fn member(&self, id: u64) -> Value {
        self.members()
            .into_iter()
            .find(|m| m["id"] == json!(id))
            .unwrap_or_else(|| panic!("no member {id} in the sandbox"))
    }

    /// Every group as the list endpoint shows it, in the order made.
    pub fn groups(&self) -> Vec<Value> {
        self.sandbox.groups()
    }

    /// The group called `name` (any casing).
    pub fn group(&self, name: &str) -> Value {
        self.groups()
            .into_iter()
            .find(|g| {
                g["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
            .unwrap_or_else(|| panic!("no group {name:?} in the sandbox"))
    }

    /// The sorted member ids of the group called `name`.
    pub fn group_members(&self, name: &str) -> Vec<u64> {
        let mut ids: Vec<u64> = self.group(name)["members"]
            .as_array()
            .expect("a member list")
            .iter()
            .map(|id| id.as_u64().expect("an integer member id"))
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Sets the members of the group called `name` as a person would in Tallyfy's UI, between
    /// a plan and an apply: no request (nothing in the journal), `last_updated` renewed. The
    /// group as it now is.
    pub fn edit_group_in_ui(&self, name: &str, members: &[u64]) -> Value {
        let id = self.group(name)["id"]
            .as_str()
            .expect("a group id")
            .to_string();
        self.sandbox
            .edit_group_members(&id, members)
            .unwrap_or_else(|e| panic!("cannot edit group {name:?}: {e}"))
    }

    /// Every request the sandbox has answered, in order.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.sandbox.journal()
    }

    /// Requests that arrived inside a `Retry-After` window the sandbox had announced.
    pub fn pacing_violations(&self) -> Vec<PacingViolation> {
        self.sandbox.pacing_violations()
    }

    /// TCP connections the sandbox has accepted.
    pub fn connections(&self) -> u64 {
        self.sandbox.connections()
    }

    /// Of those, the ones that chose HTTP/2 (only when serving HTTPS).
    pub fn http2_connections(&self) -> u64 {
        self.sandbox.http2_connections()
    }

    /// Answers the sandbox sent compressed with gzip.
    pub fn gzipped(&self) -> u64 {
        self.sandbox.gzipped()
    }

    /// The journal as `(method, route, status)`, the route relative to the organization:
    /// `("PUT", "/users/1001/role", 200)`.
    pub fn requests(&self) -> Vec<Request> {
        self.journal().iter().map(|e| self.request(e)).collect()
    }

    /// Requests answered after the first `skip` ones (those of an earlier run).
    pub fn requests_after(&self, skip: usize) -> Vec<Request> {
        self.requests().into_iter().skip(skip).collect()
    }

    fn request(&self, entry: &JournalEntry) -> Request {
        let prefix = format!("/api/organizations/{}", self.org_id());
        Request {
            method: entry.method.clone(),
            route: entry
                .path
                .strip_prefix(&prefix)
                .unwrap_or(&entry.path)
                .to_string(),
            status: entry.status,
        }
    }
}

/// One journal entry, reduced to what tests compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// Path after `/api/organizations/{org}`, e.g. `/users/1001`.
    pub route: String,
    pub status: u16,
}

impl Request {
    pub fn is(&self, method: &str) -> bool {
        self.method == method
    }

    /// The member id of `/users/{id}` or `/users/{id}/role`.
    pub fn member_id(&self) -> Option<u64> {
        let rest = self.route.strip_prefix("/users/")?;
        rest.trim_end_matches("/role").parse().ok()
    }

    pub fn is_role_change(&self) -> bool {
        self.method == "PUT" && self.route.ends_with("/role")
    }

    pub fn is_profile_update(&self) -> bool {
        self.method == "PUT" && self.member_id().is_some() && !self.route.ends_with("/role")
    }

    /// The group id of `/groups/{id}`.
    pub fn group_id(&self) -> Option<&str> {
        self.route
            .strip_prefix("/groups/")
            .filter(|id| !id.contains('/'))
    }

    /// A page of `GET /groups`.
    pub fn is_group_list(&self) -> bool {
        self.method == "GET" && self.route == "/groups"
    }

    /// `PUT /groups/{id}`: one group's whole-list write.
    pub fn is_group_write(&self) -> bool {
        self.method == "PUT" && self.group_id().is_some()
    }
}

/// A generated org of `n` members, ids 1..=n, emails `person{id}@gen.example`.
pub fn generated_seed(n: u64) -> Seed {
    Seed::generated("generated-org", n)
}

/// The throwaway server identity of `tests/fixtures/tls/`, for a sandbox serving HTTPS.
pub fn test_tls() -> SandboxTls {
    tls_identity("server")
}

/// A self-signed identity for 127.0.0.1 that nothing the tests trust vouches for.
pub fn stranger_tls() -> SandboxTls {
    tls_identity("stranger")
}

fn tls_identity(name: &str) -> SandboxTls {
    let read = |file: String| std::fs::read(tls_fixture(&file)).expect("the test TLS fixtures");
    SandboxTls::from_pem(&read(format!("{name}.pem")), &read(format!("{name}.key")))
        .expect("the test identity")
}

/// The CA that signed [`test_tls`]'s certificate, for `--ca-cert`.
pub fn test_ca() -> String {
    tls_fixture("ca.pem")
}

/// The path of a file in `tests/fixtures/tls/`.
pub fn tls_fixture(name: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls");
    dir.join(name).display().to_string()
}

/// Sandbox latency for tests that need requests to overlap.
pub fn latency(ms: u64) -> Duration {
    Duration::from_millis(ms)
}
