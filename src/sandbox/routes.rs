//! HTTP surface: routes, handlers and error shapes. What every request passes through first
//! (rate limit, auth, faults, journal) is in `middleware.rs`; the lifecycle calls (invite,
//! disable, enable, remove) are in `lifecycle/`.
//!
//! Handlers take raw strings and bytes and never let an axum extractor answer on their
//! behalf: a rejection would be plain text, which Tallyfy never sends.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use serde_json::{Map, Value, json};
use tower_http::compression::CompressionLayer;

use super::faults::FaultState;
use super::store::{Casing, Store};
use super::{JournalEntry, PaginationLinks, SandboxConfig, ValidationErrorShape, rules};
use super::{groups, lifecycle};

/// State shared by the handlers and the [`super::Sandbox`] handle.
pub(crate) struct Shared {
    pub config: SandboxConfig,
    pub org_id: String,
    pub base_url: String,
    pub started: Instant,
    /// Random per sandbox, so request ids differ between runs.
    pub run_tag: String,
    pub requests: AtomicU64,
    /// Requests that presented the right credentials (counted for `revoke_token_after`).
    pub authenticated: AtomicU64,
    pub store: Mutex<Store>,
    /// Locked after `store` when both are (every path takes them in this order).
    pub groups: Mutex<super::groups::Groups>,
    pub journal: Mutex<Vec<JournalEntry>>,
    pub faults: FaultState,
    /// Answers that left compressed ([`super::SandboxConfig::gzip`]).
    pub gzipped: AtomicU64,
    /// The invite cap's window and the removals made.
    pub lifecycle: lifecycle::OrgState,
}

impl Shared {
    pub fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn groups(&self) -> std::sync::MutexGuard<'_, super::groups::Groups> {
        self.groups.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn journal(&self) -> std::sync::MutexGuard<'_, Vec<JournalEntry>> {
        self.journal.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    const USERS: &str = "/api/organizations/{org}/users";
    const GROUPS: &str = "/api/organizations/{org}/groups";
    let router = Router::new()
        .route(
            GROUPS,
            get(groups::list)
                .post(groups::create)
                .fallback(endpoint_not_found),
        )
        .route(
            &format!("{GROUPS}/{{id}}"),
            get(groups::show)
                .put(groups::update)
                .fallback(endpoint_not_found),
        )
        .route(USERS, get(list).fallback(endpoint_not_found))
        .route(
            &format!("{USERS}/{{id}}"),
            get(show)
                .put(update)
                .delete(lifecycle::remove)
                .fallback(endpoint_not_found),
        )
        .route(
            &format!("{USERS}/{{id}}/role"),
            put(change_role).fallback(endpoint_not_found),
        )
        .route(
            &format!("{USERS}/invite"),
            post(lifecycle::invite).fallback(endpoint_not_found),
        )
        .route(
            &format!("{USERS}/{{id}}/disable"),
            delete(lifecycle::disable).fallback(endpoint_not_found),
        )
        .route(
            &format!("{USERS}/{{id}}/enable"),
            put(lifecycle::enable).fallback(endpoint_not_found),
        )
        .fallback(endpoint_not_found)
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            super::middleware::around,
        ));
    // Outside everything else, as a web server in front of the application compresses what
    // it sends back, error pages included.
    let router = if shared.config.gzip {
        router
            .layer(CompressionLayer::new())
            .layer(middleware::map_response_with_state(
                shared.clone(),
                count_gzipped,
            ))
    } else {
        router
    };
    router.with_state(shared)
}

/// Counts the answers that leave compressed (outside the compression layer).
async fn count_gzipped(State(shared): State<Arc<Shared>>, response: Response) -> Response {
    let gzip = response
        .headers()
        .get(axum::http::header::CONTENT_ENCODING)
        .is_some_and(|v| v == "gzip");
    if gzip {
        shared.gzipped.fetch_add(1, Ordering::Relaxed);
    }
    response
}

async fn list(
    State(shared): State<Arc<Shared>>,
    Path(org): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    if org != shared.org_id {
        return resource_not_found();
    }
    let cap = shared.config.per_page_cap.max(1);
    let asked = ListQuery::read(query.as_deref(), cap, cap);
    let (page, per_page) = (asked.page, asked.per_page);
    // `q`: members whose names or email hold it, any casing.
    let q = asked
        .params
        .get("q")
        .map(|q| q.trim().to_lowercase())
        .filter(|q| !q.is_empty());

    let (data, total) = {
        let store = shared.store();
        let found = |m: &&super::store::Member| q.as_deref().is_none_or(|q| m.matches(q));
        let total = match q {
            Some(_) => store.iter().filter(found).count(),
            None => store.len(),
        };
        let data: Vec<Value> = store
            .iter()
            .filter(found)
            .skip((page - 1).saturating_mul(per_page))
            .take(per_page)
            .map(|m| m.to_json(Casing::List, shared.config.field_names))
            .collect();
        (data, total)
    };
    let search: String = q.as_deref().map_or_else(String::new, |q| {
        format!(
            "&q={}",
            url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
        )
    });
    page_answer(&shared, &format!("users?{search}"), &asked, data, total)
}

/// What a list call asks: its query's parameters, and the page (pages count from 1; a
/// `per_page` past `most` reads as `most`, as Tallyfy's lists clamp it).
pub(crate) struct ListQuery {
    pub params: HashMap<String, String>,
    pub page: usize,
    pub per_page: usize,
}

impl ListQuery {
    pub(crate) fn read(query: Option<&str>, per_page: usize, most: usize) -> ListQuery {
        let params = query_params(query);
        let number = |key: &str| {
            params
                .get(key)
                .and_then(|v| v.trim().parse::<usize>().ok())
                .filter(|&n| n > 0)
        };
        ListQuery {
            per_page: number("per_page").unwrap_or(per_page).min(most),
            page: number("page").unwrap_or(1),
            params,
        }
    }
}

/// A request's query string as its parameters (none without one).
pub(crate) fn query_params(query: Option<&str>) -> HashMap<String, String> {
    query
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default()
}

/// A page of a list as Tallyfy answers it: `data`, and the pagination meta with its links
/// (as the config shapes them) to `{base}/organizations/{org}/{path}page=..&per_page=..`.
/// `path` is the list's path and query up to its page (`users?`, `users?&q=ann`).
pub(crate) fn page_answer(
    shared: &Shared,
    path: &str,
    asked: &ListQuery,
    data: Vec<Value>,
    total: usize,
) -> Response {
    let (page, per_page) = (asked.page, asked.per_page);
    let total_pages = total.div_ceil(per_page).max(1);
    let (list, extra) = path.split_once('?').unwrap_or((path, ""));
    let page_url = |p: usize| {
        Value::String(format!(
            "{}/organizations/{}/{list}?page={p}&per_page={per_page}{extra}",
            shared.base_url, shared.org_id
        ))
    };
    let links = match shared.config.pagination_links {
        PaginationLinks::Object => json!({
            "previous": if page > 1 { page_url(page - 1) } else { Value::Null },
            "next": if page < total_pages { page_url(page + 1) } else { Value::Null },
        }),
        PaginationLinks::EmptyArray => json!([]),
        PaginationLinks::Null => Value::Null,
    };
    let pagination = json!({
        "total": total,
        "count": data.len(),
        "per_page": per_page,
        "current_page": page,
        "total_pages": total_pages,
        "links": links,
    });
    ok(json!({ "data": data, "meta": { "pagination": pagination } }))
}

async fn show(
    State(shared): State<Arc<Shared>>,
    Path((org, id)): Path<(String, String)>,
) -> Response {
    let Some(id) = find(&shared, &org, &id) else {
        return resource_not_found();
    };
    match shared.store().get(id) {
        Some(member) => {
            ok(json!({ "data": member.to_json(Casing::List, shared.config.field_names) }))
        }
        None => resource_not_found(),
    }
}

async fn update(
    State(shared): State<Arc<Shared>>,
    Path((org, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    edit(&shared, &org, &id, &body, |member, body| {
        let update = rules::profile(body)?;
        member.apply(update);
        Ok(())
    })
}

async fn change_role(
    State(shared): State<Arc<Shared>>,
    Path((org, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    edit(&shared, &org, &id, &body, |member, body| {
        let role = rules::role(body)?;
        member.set_role(role);
        Ok(())
    })
}

/// The shared path of both PUTs: 404, then 403 (authorization precedes validation, as in a
/// Laravel form request), then the body, then the change itself.
fn edit(
    shared: &Shared,
    org: &str,
    id: &str,
    body: &[u8],
    change: impl FnOnce(&mut super::store::Member, &Map<String, Value>) -> Result<(), rules::Errors>,
) -> Response {
    let Some(id) = find(shared, org, id) else {
        return resource_not_found();
    };
    let mut store = shared.store();
    let Some(member) = store.get_mut(id) else {
        return resource_not_found();
    };
    if let Some(&status) = shared.config.faults.refuse.get(&id) {
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
        return (code, axum::Json(super::faults::refusal_body(status))).into_response();
    }
    if member.is_bot {
        return error(StatusCode::FORBIDDEN, "Bot users cannot be edited.");
    }
    if member.multi_org {
        return error(
            StatusCode::FORBIDDEN,
            "This member belongs to other organizations and can only be edited by themselves.",
        );
    }
    let Some(body) = parse_object(body) else {
        let message = "The request body must be a JSON object.";
        return error(StatusCode::BAD_REQUEST, message);
    };
    match change(member, &body) {
        Ok(()) => ok(json!({ "data": member.to_json(Casing::Update, shared.config.field_names) })),
        Err(errors) => invalid(errors, shared.config.validation_errors),
    }
}

/// The member id if the org is ours and the id is an integer.
pub(crate) fn find(shared: &Shared, org: &str, id: &str) -> Option<u64> {
    if org != shared.org_id {
        return None;
    }
    id.parse().ok()
}

/// An empty body counts as `{}` (it then fails the required fields, as in Laravel).
pub(crate) fn parse_object(body: &[u8]) -> Option<Map<String, Value>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Some(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

pub(crate) fn ok(body: Value) -> Response {
    axum::Json(body).into_response()
}

pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": true, "message": message })),
    )
        .into_response()
}

pub(crate) fn resource_not_found() -> Response {
    let body =
        json!({ "error": true, "message": "Resource not found", "code": "RESOURCE_NOT_FOUND" });
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}

async fn endpoint_not_found() -> Response {
    let body =
        json!({ "error": true, "message": "Endpoint not found", "code": "ENDPOINT_NOT_FOUND" });
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}

pub(crate) fn invalid(errors: rules::Errors, shape: ValidationErrorShape) -> Response {
    let body = match shape {
        ValidationErrorShape::Laravel => {
            json!({ "message": "The given data was invalid.", "errors": errors })
        }
        ValidationErrorShape::ErrorFlag => json!({ "error": true, "errors": errors }),
    };
    (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response()
}
