//! Groups as Tallyfy documents them ("Managing groups" and its pages): list, get, create and
//! update, with the quirks a sync must meet before it meets the real API.
//!
//! - ids are 32 lower-case hex **strings**;
//! - the list pages by 10 unless `per_page` says otherwise, 100 at most (more is read as 100:
//!   Tallyfy's page says "max 100" and nothing about asking for more);
//! - `PUT /groups/{id}` **replaces** the member list (and the guest list when one is sent),
//!   requires `name` and `description`, and answers **201**, as `POST` does;
//! - `last_updated` moves on every write, strictly later each time, so it can serve as the
//!   version a client compares before writing (there is no ETag);
//! - without the `manage_groups` permission ([`crate::sandbox::SandboxConfig::manage_groups`])
//!   a create or an update is answered 403; reading stays open to any member.
//!
//! Group requests pass through the same middleware as member requests (rate limit, auth,
//! faults, journal): nothing here needs to know about it.

mod rules;
mod store;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

pub(crate) use store::{GroupChange, Groups};
pub use store::{GroupSettings, SandboxGroup};

use super::routes::{
    ListQuery, Shared, error, invalid, ok, page_answer, parse_object, resource_not_found,
};

/// Groups a page holds unless `per_page` says otherwise.
pub const GROUPS_PER_PAGE: usize = 10;
/// The most groups a page holds, whatever `per_page` asks.
pub const GROUPS_PER_PAGE_MAX: usize = 100;

/// What a token without the `manage_groups` permission is told when it writes a group.
pub(crate) const UNAUTHORIZED: &str = "This action is unauthorized.";

/// `GET /organizations/{org}/groups?page=&per_page=`
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    Path(org): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    if org != shared.org_id {
        return resource_not_found();
    }
    let asked = ListQuery::read(query.as_deref(), GROUPS_PER_PAGE, GROUPS_PER_PAGE_MAX);
    let as_text = shared.config.group_member_ids_as_text;
    let (data, total) = {
        let groups = shared.groups();
        let data: Vec<Value> = groups
            .iter()
            .skip((asked.page - 1).saturating_mul(asked.per_page))
            .take(asked.per_page)
            .map(|g| g.to_json(as_text))
            .collect();
        (data, groups.len())
    };
    page_answer(&shared, "groups?", &asked, data, total)
}

/// `GET /organizations/{org}/groups/{id}`
pub(crate) async fn show(
    State(shared): State<Arc<Shared>>,
    Path((org, id)): Path<(String, String)>,
) -> Response {
    if org != shared.org_id {
        return resource_not_found();
    }
    match shared.groups().get(&id) {
        Some(group) => ok(json!({ "data": group.to_json(shared.config.group_member_ids_as_text) })),
        None => resource_not_found(),
    }
}

/// `POST /organizations/{org}/groups`: 403 without `manage_groups`, then the body, then 201.
pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    Path(org): Path<String>,
    body: Bytes,
) -> Response {
    if org != shared.org_id {
        return resource_not_found();
    }
    write(&shared, None, &body)
}

/// `PUT /organizations/{org}/groups/{id}`: 404 for an unknown group, 403 without
/// `manage_groups`, then the body, then 201 with the group as it now is.
pub(crate) async fn update(
    State(shared): State<Arc<Shared>>,
    Path((org, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if org != shared.org_id || shared.groups().get(&id).is_none() {
        return resource_not_found();
    }
    write(&shared, Some(&id), &body)
}

/// The shared path of both writes: authorization precedes validation, as in a Laravel form
/// request. The member store is locked before the groups (the order every path takes), so
/// the members checked are the members when the write lands.
fn write(shared: &Shared, id: Option<&str>, body: &[u8]) -> Response {
    if !shared.config.manage_groups {
        return error(StatusCode::FORBIDDEN, UNAUTHORIZED);
    }
    let Some(body) = parse_object(body) else {
        let message = "The request body must be a JSON object.";
        return error(StatusCode::BAD_REQUEST, message);
    };
    let store = shared.store();
    let mut groups = shared.groups();
    let change = match rules::group_write(&body, id, &groups, &store) {
        Ok(change) => change,
        Err(errors) => return invalid(errors, shared.config.validation_errors),
    };
    let as_text = shared.config.group_member_ids_as_text;
    let group = match id {
        None => Some(groups.create(change)),
        Some(id) => groups.update(id, change),
    };
    match group {
        Some(group) => (
            StatusCode::CREATED,
            axum::Json(json!({ "data": group.to_json(as_text) })),
        )
            .into_response(),
        None => resource_not_found(),
    }
}
