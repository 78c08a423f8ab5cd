//! The sandbox: a local, Tallyfy-compatible member API (axum on 127.0.0.1).
//!
//! The real API cannot be reached from tests or from a newcomer's first run, so this is our
//! model of it: same paths, auth, pagination, validation and error shapes as
//! `shared/reference/tallyfy-api.md` describes. It validates with its own code, never with the
//! client's `validate` module, so the client's checks are tested against it, not with it.

//!
//! It also misbehaves on request ([`Faults`]): rate limits, 5xx pages, resets, slow and
//! garbled answers, so the client's retry and pacing code meets them in tests before it meets
//! them in production. `docs/sandbox.md` explains both sides.
//!
//! Files: `store.rs` holds the members, `rules.rs` the field rules, `routes.rs` the handlers,
//! `middleware.rs` what every request passes through, `faults.rs` the injected failures,
//! `limiter_model.rs` the limiters themselves (pure, shared with the client's simulations),
//! `rate_limit.rs` the 429s and the pacing-violation record,
//! `listener.rs` the connections (counted, and resettable on purpose), `tls.rs` HTTPS with
//! HTTP/2 offered, `lifecycle/` the invite, disable, enable and remove calls with their seat
//! pool, invite cap and scripted faults, `groups/` the groups (list, get, create, the
//! whole-list update) with their `manage_groups` switch.

#[cfg(test)]
mod fault_tests;
mod faults;
mod groups;
mod lifecycle;
pub mod limiter_model;
mod listener;
mod middleware;
mod rate_limit;
mod routes;
mod rules;
mod store;
#[cfg(test)]
mod tests;
mod tls;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_util::sync::{CancellationToken, DropGuard};

pub use faults::{Fault, Faults};
pub use groups::{GROUPS_PER_PAGE, GROUPS_PER_PAGE_MAX, GroupSettings, SandboxGroup};
pub use lifecycle::{
    InviteCap, LifecycleCall, LifecycleSettings, Removal, ScriptedFault, ScriptedKind,
};
pub use limiter_model::{LimiterModel, LimiterState, Verdict, Window};
use listener::{ConnectionCounts, ResettableListener};
pub use rate_limit::{PacingViolation, RateLimit, RetryAfterForm, ThrottleSeat};
use routes::Shared;
use store::{Casing, Store};
pub use tls::SandboxTls;

/// Largest request body read; anything bigger gets 413.
const MAX_BODY: usize = 1 << 20;

/// How the sandbox behaves. Built with struct-update syntax from `Default`.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// The organization id served when the seed names none (a seed's `org_id` wins); requests
    /// for other orgs get 404. [`Sandbox::org_id`] tells which one is served.
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
    /// The shape of `meta.pagination.links` in list responses.
    pub pagination_links: PaginationLinks,
    /// Which names member objects use for activity and last update.
    pub field_names: FieldNames,
    /// The body shape of a 422.
    pub validation_errors: ValidationErrorShape,
    /// Answers compressed with gzip when the request accepts it, as the web server in front of
    /// an API usually does (`--gzip`). Off by default: the reference does not say whether
    /// Tallyfy compresses, and the client must read both.
    pub gzip: bool,
    /// Serve HTTPS with this identity, offering HTTP/2 by ALPN (the base URL is then
    /// `https://`). Off by default: plain HTTP on loopback needs no certificate.
    pub tls: Option<SandboxTls>,
    /// Failures to inject.
    pub faults: Faults,
    /// Seats in the organization's pool: active and invited members hold one, bots and
    /// disabled members none. An invite or an enable past it gets 409 `SEAT_POOL_EXHAUSTED`.
    /// `None`: no limit. A seed's `seat_pool` wins.
    pub seat_pool: Option<usize>,
    /// Invitations allowed per window, past which an invite gets 429. `None`: no cap. A
    /// seed's `invite_cap` wins.
    pub invite_cap: Option<InviteCap>,
    /// Groups to start with, after a seed's own `groups`.
    pub groups: Vec<SandboxGroup>,
    /// The token's `manage_groups` permission: without it, creating or updating a group is
    /// answered 403 (reading stays open). On by default; a seed's `manage_groups` wins.
    pub manage_groups: bool,
    /// Group answers carry member ids as text (`["1001"]`) rather than integers, as some of
    /// Tallyfy's examples show them.
    pub group_member_ids_as_text: bool,
}

/// Tallyfy renamed two member fields; older responses carry the old names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FieldNames {
    /// `is_active`, `updated_at`.
    #[default]
    Current,
    /// `active`, `last_updated`.
    Legacy,
    /// All four.
    Both,
}

/// The two 422 bodies Tallyfy sends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ValidationErrorShape {
    /// `{"message": "The given data was invalid.", "errors": {field: [msg]}}`
    #[default]
    Laravel,
    /// `{"error": true, "errors": {field: [msg]}}`
    ErrorFlag,
}

/// Tallyfy sends pagination links in three shapes; clients must read them all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PaginationLinks {
    /// `{"previous": url|null, "next": url|null}`
    #[default]
    Object,
    /// Always `[]` (what PHP encodes for an empty links array).
    EmptyArray,
    /// Always `null`.
    Null,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            org_id: "sandbox-org".into(),
            token: "sandbox-token".into(),
            per_page_cap: 100,
            revoke_token_after: None,
            latency: Duration::ZERO,
            pagination_links: PaginationLinks::Object,
            field_names: FieldNames::Current,
            validation_errors: ValidationErrorShape::Laravel,
            gzip: false,
            tls: None,
            faults: Faults::default(),
            seat_pool: None,
            invite_cap: None,
            groups: Vec::new(),
            manage_groups: true,
            group_member_ids_as_text: false,
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
    /// Time since the sandbox started, when the request arrived.
    pub at: Duration,
    /// The `X-Request-Id` sent back.
    pub request_id: String,
    /// The fault injected into this request, if any. A reset has status 0.
    pub fault: Option<Fault>,
}

impl JournalEntry {
    /// One line of `member-sync sandbox --journal`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "at_ms": self.at.as_millis() as u64,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "fault": self.fault.map(|f| f.to_string()),
            "request_id": self.request_id,
            "body": self.body,
        })
    }
}

/// Members to start with: the JSON shape of `samples/sandbox-org.json`.
#[derive(Debug, Clone)]
pub struct Seed {
    pub org_id: Option<String>,
    pub members: Vec<serde_json::Value>,
    /// The seed's `seat_pool`, `invite_cap` and `scripted_faults` (docs/sandbox.md).
    pub lifecycle: LifecycleSettings,
    /// The seed's `groups` and `manage_groups` (docs/sandbox.md).
    pub groups: GroupSettings,
}

impl Seed {
    /// Parses and checks a seed: every member needs an integer `id` and an `email`, both
    /// unique; errors say which member (`members[3] (id 1004): ...`) and what is wrong.
    pub fn from_json(text: &str) -> Result<Seed, String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("seed is not valid JSON: {e}"))?;
        let Some(obj) = value.as_object() else {
            return Err("seed must be a JSON object with a `members` array".into());
        };
        let org_id = match obj.get("org_id") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
            Some(other) => {
                return Err(format!(
                    "seed `org_id` must be a non-empty string, got {other}"
                ));
            }
        };
        let Some(members) = obj.get("members").and_then(|m| m.as_array()) else {
            return Err("seed has no `members` array".into());
        };
        let store = Store::from_seed(members)?;
        let groups = GroupSettings::from_seed(obj)?;
        groups::Groups::build(&groups.groups, &store).map_err(|e| format!("seed {e}"))?;
        Ok(Seed {
            org_id,
            members: members.clone(),
            lifecycle: LifecycleSettings::from_seed(obj)?,
            groups,
        })
    }

    /// An org of `n` alike members for tests and benchmarks: ids 1..=n, emails
    /// `person{id}@gen.example`, names `First{id} Last{id}`, all `Analyst` in `Operations`,
    /// `Europe/London`, `standard`.
    pub fn generated(org_id: &str, n: u64) -> Seed {
        let members = (1..=n)
            .map(|id| {
                serde_json::json!({
                    "id": id,
                    "email": format!("person{id}@gen.example"),
                    "first_name": format!("First{id}"),
                    "last_name": format!("Last{id}"),
                    "job_title": "Analyst",
                    "team": "Operations",
                    "timezone": "Europe/London",
                    "role": "standard",
                })
            })
            .collect();
        Seed {
            org_id: Some(org_id.to_string()),
            members,
            lifecycle: LifecycleSettings::default(),
            groups: GroupSettings::default(),
        }
    }

    /// The org in `samples/sandbox-org.json`, compiled in.
    pub fn embedded() -> Seed {
        const TEXT: &str = include_str!("../../samples/sandbox-org.json");
        Seed::from_json(TEXT).unwrap_or_else(|e| panic!("samples/sandbox-org.json is broken: {e}"))
    }
}

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    shared: Arc<Shared>,
    addr: SocketAddr,
    /// TCP connections accepted so far, and those that chose HTTP/2.
    connections: Arc<ConnectionCounts>,
    /// Cancels the server's graceful shutdown when the handle is dropped.
    _stop: DropGuard,
}

impl Sandbox {
    /// Starts serving on `addr` (port 0 picks a free port). A seed that fails its checks is
    /// an `InvalidData` error. Must be called inside a tokio runtime.
    pub async fn start(
        config: SandboxConfig,
        seed: Seed,
        addr: SocketAddr,
    ) -> std::io::Result<Sandbox> {
        let store = Store::from_seed(&seed.members)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let mut config = config;
        seed.lifecycle.apply_to(&mut config);
        seed.groups.apply_to(&mut config);
        let groups = groups::Groups::build(&config.groups, &store)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let mut addr = listener.local_addr()?;
        if addr.ip().is_unspecified() {
            addr.set_ip(Ipv4Addr::LOCALHOST.into());
        }
        let shared = Arc::new(Shared {
            org_id: seed.org_id.unwrap_or_else(|| config.org_id.clone()),
            base_url: format!(
                "{}://{addr}/api",
                if config.tls.is_some() {
                    "https"
                } else {
                    "http"
                }
            ),
            faults: faults::FaultState::new(config.faults.clone()),
            config,
            started: Instant::now(),
            run_tag: format!("{:08x}", rand::random::<u32>()),
            requests: AtomicU64::new(0),
            authenticated: AtomicU64::new(0),
            store: Mutex::new(store),
            groups: Mutex::new(groups),
            journal: Mutex::new(Vec::new()),
            gzipped: AtomicU64::new(0),
            lifecycle: lifecycle::OrgState::default(),
        });
        let stop = CancellationToken::new();
        let app = routes::router(shared.clone())
            .into_make_service_with_connect_info::<listener::Connection>();
        let connections = Arc::new(ConnectionCounts::default());
        let listener =
            ResettableListener::new(listener, shared.config.tls.clone(), connections.clone())?;
        let shutdown = stop.clone().cancelled_owned();
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::warn!("sandbox server stopped: {e}");
            }
        });
        Ok(Sandbox {
            shared,
            addr,
            connections,
            _stop: stop.drop_guard(),
        })
    }

    /// `http://127.0.0.1:PORT/api` (`https://` with [`SandboxConfig::tls`])
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The address actually bound (the real port when started on port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn org_id(&self) -> &str {
        &self.shared.org_id
    }

    pub fn token(&self) -> &str {
        &self.shared.config.token
    }

    /// Every member as the list endpoint would show it, ordered by id.
    pub fn members(&self) -> Vec<serde_json::Value> {
        self.shared
            .store()
            .iter()
            .map(|m| m.to_json(Casing::List, self.shared.config.field_names))
            .collect()
    }

    /// Every request so far, in the order the responses were sent.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.shared.journal().clone()
    }

    /// Requests that arrived inside a `Retry-After` window announced to their token.
    pub fn pacing_violations(&self) -> Vec<PacingViolation> {
        self.shared.faults.violations()
    }

    /// TCP connections accepted so far. A client that keeps its connections alive opens about
    /// as many as it has requests in flight at once, not one per request.
    pub fn connections(&self) -> u64 {
        self.connections.accepted.load(Ordering::Relaxed)
    }

    /// Connections that chose HTTP/2 by ALPN so far (only with [`SandboxConfig::tls`]). A
    /// client that takes HTTP/2 when offered sends every request over about one of them.
    pub fn http2_connections(&self) -> u64 {
        self.connections.http2.load(Ordering::Relaxed)
    }

    /// Members taken out of the organization so far (`DELETE .../users/{id}`), in order, with
    /// who got their work.
    pub fn removals(&self) -> Vec<Removal> {
        self.shared.lifecycle.removals()
    }

    /// Every group as the list endpoint shows it, in the order made.
    pub fn groups(&self) -> Vec<serde_json::Value> {
        let as_text = self.shared.config.group_member_ids_as_text;
        self.shared
            .groups()
            .iter()
            .map(|g| g.to_json(as_text))
            .collect()
    }

    /// Sets a group's members as a person would in Tallyfy's UI: no request, nothing in the
    /// journal, and `last_updated` renewed as by any write. The group as it now is, or why
    /// not: an unknown group, or an id that is not a member's.
    pub fn edit_group_members(
        &self,
        group_id: &str,
        members: &[u64],
    ) -> Result<serde_json::Value, String> {
        let store = self.shared.store();
        if let Some(stranger) = members.iter().find(|&&id| store.get(id).is_none()) {
            return Err(format!(
                "member {stranger} is not a member of the organization"
            ));
        }
        let mut groups = self.shared.groups();
        let Some(group) = groups.get(group_id).cloned() else {
            return Err(format!("no group {group_id}"));
        };
        let change = groups::GroupChange {
            name: group.name,
            description: group.description,
            members: Some(members.to_vec()),
            guests: None,
        };
        let group = groups
            .update(group_id, change)
            .expect("the group just found");
        Ok(group.to_json(self.shared.config.group_member_ids_as_text))
    }

    /// Answers sent compressed with gzip so far (only with [`SandboxConfig::gzip`]).
    pub fn gzipped(&self) -> u64 {
        self.shared.gzipped.load(Ordering::Relaxed)
    }
}
