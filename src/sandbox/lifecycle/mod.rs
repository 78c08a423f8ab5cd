//! The member lifecycle as Tallyfy documents it: invite a joiner, disable a leaver, enable a
//! rehire, remove a member with their work reassigned.
//!
//! These are the calls a directory sync can do real harm with (an email sent twice, the wrong
//! person locked out), so the sandbox refuses what Tallyfy refuses, in its words and status
//! codes (`shared/reference/lifecycle-and-groups.md`, and Tallyfy's "Disable, enable or delete
//! member" and "Remove member" pages):
//!
//! - invite: 422 when the email is anyone's in the organization (active, invited or
//!   disabled), 409 `SEAT_POOL_EXHAUSTED` when the seat pool is full, 429 past the invite cap;
//! - disable: 422 for a bot and for the last active administrator; the default administrator's
//!   role passes to another administrator;
//! - enable: 422 for a bot, 409 when the seat pool is full;
//! - remove: 400 for a bot and for the default administrator, 422 without a valid `to` when
//!   reassigning; a removed member leaves the list (Tallyfy's list shows members of the
//!   organization only), where a disabled one stays in it.
//!
//! The permanent delete is not modelled: no sync may send it.

#[cfg(test)]
mod fault_tests;
#[cfg(test)]
mod leaving_tests;
mod rules;
mod scripted;
mod settings;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

pub(crate) use rules::looks_like_email;
pub(crate) use scripted::Armed;
pub use scripted::{LifecycleCall, ScriptedFault, ScriptedKind};
pub use settings::{InviteCap, LifecycleSettings};

use super::faults::lock;
use super::routes::{Shared, error, find, invalid, ok, parse_object, resource_not_found};
use super::store::{Casing, Member, Store};

/// Tallyfy's words for the refusals about administrators.
const DEFAULT_ADMIN: &str = "Cannot modify the default administrator. Please assign another member as default administrator first.";

/// One member taken out of the organization, and who got their work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Removal {
    pub member_id: u64,
    pub reassigned_to: Option<u64>,
}

/// What the organization remembers between lifecycle calls.
#[derive(Debug, Default)]
pub(crate) struct OrgState {
    invites: Mutex<InviteWindow>,
    removals: Mutex<Vec<Removal>>,
}

/// The invitations sent in the current window of the cap.
#[derive(Debug, Default)]
struct InviteWindow {
    opened: Option<Instant>,
    sent: u32,
}

impl OrgState {
    pub fn removals(&self) -> Vec<Removal> {
        lock(&self.removals).clone()
    }

    /// How long until the cap lets another invitation out; `None`: it may go now.
    fn invite_wait(&self, cap: Option<InviteCap>, now: Instant) -> Option<Duration> {
        let cap = cap?;
        let mut window = lock(&self.invites);
        if window
            .opened
            .is_some_and(|opened| now.duration_since(opened) >= cap.window)
        {
            *window = InviteWindow::default();
        }
        (window.sent >= cap.invites).then(|| {
            let open_for = window
                .opened
                .map_or(Duration::ZERO, |o| now.duration_since(o));
            cap.window.saturating_sub(open_for)
        })
    }

    fn invite_sent(&self, now: Instant) {
        let mut window = lock(&self.invites);
        window.opened.get_or_insert(now);
        window.sent += 1;
    }
}

/// `POST /organizations/{org}/users/invite`
pub(crate) async fn invite(
    State(shared): State<Arc<Shared>>,
    Path(org): Path<String>,
    body: Bytes,
) -> Response {
    if org != shared.org_id {
        return resource_not_found();
    }
    let Some(body) = parse_object(&body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "The request body must be a JSON object.",
        );
    };
    // One invitation at a time: the cap, the pool and the email's uniqueness hold together.
    let mut store = shared.store();
    let now = Instant::now();
    if let Some(wait) = shared.lifecycle.invite_wait(shared.config.invite_cap, now) {
        return too_many_invites(wait);
    }
    let invitee = match rules::invite(&body, &store) {
        Ok(invitee) => invitee,
        Err(errors) => return invalid(errors, shared.config.validation_errors),
    };
    if let Some(full) = seat_pool_full(&shared, &store) {
        return full;
    }
    let member = Member::invited(store.next_id(), invitee, store.default_admin());
    shared.lifecycle.invite_sent(now);
    let answer = render(&shared, &member);
    store.insert(member);
    answer
}

/// `DELETE /organizations/{org}/users/{id}/disable`
pub(crate) async fn disable(
    State(shared): State<Arc<Shared>>,
    Path((org, id)): Path<(String, String)>,
) -> Response {
    change(&shared, &org, &id, |store, member| {
        if member.is_bot {
            return Err(refused(422, "Bot users cannot be disabled."));
        }
        if member.status == "disabled" {
            return Ok(member.clone());
        }
        if member.is_active_admin() && !store.another_active_admin(member.id) {
            return Err(refused(422, DEFAULT_ADMIN));
        }
        let (id, was_default) = (member.id, member.is_default_admin);
        set_status(store, id, "disabled");
        if was_default {
            store.pass_default_admin(Some(id));
        }
        Ok(store.get(id).cloned().expect("the member just disabled"))
    })
}

/// `PUT /organizations/{org}/users/{id}/enable`
pub(crate) async fn enable(
    State(shared): State<Arc<Shared>>,
    Path((org, id)): Path<(String, String)>,
) -> Response {
    change(&shared, &org, &id, |store, member| {
        if member.is_bot {
            return Err(refused(422, "Bot users cannot be edited."));
        }
        if member.status != "disabled" {
            return Ok(member.clone());
        }
        if let Some(full) = seat_pool_full(&shared, store) {
            return Err(Box::new(full));
        }
        let id = member.id;
        set_status(store, id, "active");
        Ok(store.get(id).cloned().expect("the member just enabled"))
    })
}

/// `DELETE /organizations/{org}/users/{id}[?with_reassignment=true&to={id}]`
pub(crate) async fn remove(
    State(shared): State<Arc<Shared>>,
    Path((org, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    change(&shared, &org, &id, |store, member| {
        let to = rules::reassignment(query.as_deref(), store, member.id)
            .map_err(|errors| Box::new(invalid(errors, shared.config.validation_errors)))?;
        if member.is_bot {
            let message = "You can't remove a bot user from this organization!";
            return Err(refused(400, message));
        }
        let last_admin = member.is_active_admin() && !store.another_active_admin(member.id);
        if member.is_default_admin || last_admin {
            return Err(refused(400, DEFAULT_ADMIN));
        }
        let mut removed = store.remove(member.id).expect("the member being removed");
        // Out of the organization, out of its groups (the member store is locked first).
        shared.groups().forget_member(removed.id);
        removed.set_status("disabled");
        lock(&shared.lifecycle.removals).push(Removal {
            member_id: removed.id,
            reassigned_to: to,
        });
        Ok(removed)
    })
}

/// The shared path of disable, enable and remove: 404 for an unknown member, the refusal a
/// test scripted for this member ([`crate::sandbox::Faults::refuse`]), then the change, which
/// answers with the member as it now is, or with its own refusal.
fn change(
    shared: &Shared,
    org: &str,
    id: &str,
    apply: impl FnOnce(&mut Store, &Member) -> Result<Member, Box<Response>>,
) -> Response {
    let Some(id) = find(shared, org, id) else {
        return resource_not_found();
    };
    let mut store = shared.store();
    let Some(member) = store.get(id).cloned() else {
        return resource_not_found();
    };
    if let Some(&status) = shared.config.faults.refuse.get(&id) {
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
        return (code, axum::Json(super::faults::refusal_body(status))).into_response();
    }
    match apply(&mut store, &member) {
        Ok(member) => render(shared, &member),
        Err(refusal) => *refusal,
    }
}

/// A refusal in Tallyfy's `{"error": true, "message": ...}`, boxed as [`change`]'s closures
/// return it (a response is large, and the refusals are the rare path).
fn refused(status: u16, message: &str) -> Box<Response> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    Box::new(error(status, message))
}

fn set_status(store: &mut Store, id: u64, status: &str) {
    if let Some(member) = store.get_mut(id) {
        member.set_status(status);
    }
}

/// `{"data": member}`, lower-case as write answers are.
fn render(shared: &Shared, member: &Member) -> Response {
    ok(json!({ "data": member.to_json(Casing::Update, shared.config.field_names) }))
}

/// The 409 of a full seat pool, when it is full: active and invited members hold a seat.
fn seat_pool_full(shared: &Shared, store: &Store) -> Option<Response> {
    let seats = shared.config.seat_pool?;
    let used = store.seats_taken();
    (used >= seats).then(|| {
        let body = json!({ "error": {
            "code": "SEAT_POOL_EXHAUSTED",
            "message": "Your organization has reached its committed full seat limit.",
            "details": { "pool_type": "full", "seats": seats, "used": used }
        } });
        (StatusCode::CONFLICT, axum::Json(body)).into_response()
    })
}

/// The 429 of the invite cap, with the seconds left in its window.
fn too_many_invites(wait: Duration) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let body: Value = json!({ "message": "Too Many Attempts.", "code": "RATE_LIMIT_EXCEEDED" });
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, seconds.max(1).to_string())],
        axum::Json(body),
    )
        .into_response()
}
