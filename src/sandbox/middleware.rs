//! What every request passes through, unknown routes included: the rate limit, auth and token
//! revocation, injected faults, latency, `X-Request-Id` and the journal.
//!
//! Doing all of it in one place, around the router, is what makes the sandbox behave as one
//! server does to a client: a 429 or a reset can hit any call, the member list as much as a
//! write, and the journal sees exactly what went over the wire.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::SystemTime;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::faults::{Fault, FaultState, Roll, server_error_body};
use super::listener::Connection;
use super::rate_limit::Admission;
use super::routes::{Shared, error};
use super::{JournalEntry, MAX_BODY};

/// How the request was answered, before latency and headers are added.
struct Answer {
    response: Response,
    fault: Option<Fault>,
    /// A 429's window (and whether the 429 told the client of it), announced when the
    /// response leaves.
    announce: Option<(bool, SystemTime)>,
}

impl Answer {
    fn plain(response: Response) -> Answer {
        Answer {
            response,
            fault: None,
            announce: None,
        }
    }
}

pub(crate) async fn around(
    State(shared): State<Arc<Shared>>,
    req: Request,
    next: Next,
) -> Response {
    let at = shared.started.elapsed();
    let arrived_at = SystemTime::now();
    let n = shared.requests.fetch_add(1, Ordering::Relaxed) + 1;
    let request_id = format!("sbx-{}-{n:06}", shared.run_tag);
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let connection = req
        .extensions()
        .get::<ConnectInfo<Connection>>()
        .map(|c| c.0.clone());
    let key = bearer_token(req.headers())
        .unwrap_or("(no token)")
        .to_string();
    shared.faults.check_pacing(&key, &method, &path, arrived_at);

    // Journaled even if the client gives up and the connection drops mid-answer (then with
    // status 0): a request the server saw is a request the server saw.
    let mut entry = Journaled {
        shared: shared.clone(),
        entry: Some(JournalEntry {
            method: method.clone(),
            path: path.clone(),
            query,
            status: 0,
            body: None,
            at,
            request_id: request_id.clone(),
            fault: None,
        }),
    };

    let (parts, body) = req.into_parts();
    let answer = match axum::body::to_bytes(body, MAX_BODY).await {
        Err(_) => Answer::plain(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is too large.",
        )),
        Ok(bytes) => {
            entry.set(|e| e.body = serde_json::from_slice::<Value>(&bytes).ok());
            let request = Request::from_parts(parts, Body::from(bytes));
            answer(&shared, &key, request, next, &mut entry).await
        }
    };
    let Answer {
        mut response,
        fault,
        announce,
    } = answer;
    entry.set(|e| e.fault = fault);

    let delay = response_delay(shared.config.latency, &shared.faults);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    let reset =
        matches!(fault, Some(Fault::Reset | Fault::ResetAfterApplying)) && connection.is_some();
    if reset && let Some(connection) = &connection {
        connection.reset();
    }
    if let Some((announced, window_end)) = announce {
        shared.faults.announce(&key, announced, window_end);
    }
    let status = if reset { 0 } else { response.status().as_u16() };
    entry.set(|e| e.status = status);
    drop(entry);
    response
}

/// How long an answer is held back: the configured latency plus this request's jitter.
fn response_delay(latency: std::time::Duration, faults: &FaultState) -> std::time::Duration {
    latency + faults.jitter()
}

/// A journal entry that is written when dropped, whether the answer was sent or abandoned.
struct Journaled {
    shared: Arc<Shared>,
    entry: Option<JournalEntry>,
}

impl Journaled {
    fn set(&mut self, change: impl FnOnce(&mut JournalEntry)) {
        if let Some(entry) = &mut self.entry {
            change(entry);
        }
    }

    /// The request's JSON body, as journaled.
    fn body(&self) -> Option<&Value> {
        self.entry.as_ref().and_then(|e| e.body.as_ref())
    }
}

impl Drop for Journaled {
    fn drop(&mut self) {
        if let Some(entry) = self.entry.take() {
            self.shared.journal().push(entry);
        }
    }
}

/// Rate limit, then auth, then at most one random fault around the handler. With the throttle
/// in the application ([`super::ThrottleSeat::Application`]), the dice are rolled first: a 502
/// or 503 is answered before anything else, and auth comes before the throttle, as in Laravel.
async fn answer(
    shared: &Shared,
    key: &str,
    request: Request,
    next: Next,
    entry: &mut Journaled,
) -> Answer {
    let in_application = shared.faults.throttle_in_application();
    let early_roll = in_application.then(|| shared.faults.roll());
    if let Some(Roll::ServerError(status @ (502 | 503))) = early_roll {
        entry.set(|e| e.fault = Some(Fault::ServerError(status)));
        return Answer {
            response: server_error(status),
            fault: Some(Fault::ServerError(status)),
            announce: None,
        };
    }
    if in_application && !authenticated(shared, request.headers()) {
        return unauthenticated();
    }
    let rate_headers = match throttle(shared, key).await {
        Ok(headers) => headers,
        Err(refused) => {
            entry.set(|e| e.fault = Some(Fault::RateLimited));
            return refused;
        }
    };
    let mut answer = if !in_application && !authenticated(shared, request.headers()) {
        unauthenticated()
    } else {
        handled(shared, request, next, entry, early_roll).await
    };
    insert_headers(&mut answer.response, &rate_headers);
    answer
}

/// The rate limit's say, once the request has travelled its arrival jitter: the headers for
/// an admitted request's answer, or the whole 429.
async fn throttle(shared: &Shared, key: &str) -> Result<Vec<(&'static str, String)>, Answer> {
    let travel = shared.faults.arrival_delay();
    if !travel.is_zero() {
        tokio::time::sleep(travel).await;
    }
    match shared.faults.admit(key) {
        Admission::Admitted { headers } => Ok(headers),
        Admission::Throttled {
            headers,
            window_end,
            announced,
        } => {
            let mut response = too_many_attempts();
            insert_headers(&mut response, &headers);
            Err(Answer {
                response,
                fault: Some(Fault::RateLimited),
                announce: Some((announced, window_end)),
            })
        }
    }
}

fn insert_headers(response: &mut Response, headers: &[(&'static str, String)]) {
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            response.headers_mut().insert(*name, value);
        }
    }
}

/// An admitted, authenticated request: the handler, with at most one random (or scripted)
/// fault around it.
async fn handled(
    shared: &Shared,
    request: Request,
    next: Next,
    entry: &mut Journaled,
    early_roll: Option<Roll>,
) -> Answer {
    let uri = request.uri();
    let scripted = shared.faults.scripted(
        request.method().as_str(),
        uri.path(),
        uri.query(),
        entry.body(),
    );
    let roll = scripted
        .or(early_roll)
        .unwrap_or_else(|| shared.faults.roll());
    entry.set(|e| {
        e.fault = match roll {
            Roll::None => None,
            Roll::Reset => Some(Fault::Reset),
            Roll::ResetAfterApplying => Some(Fault::ResetAfterApplying),
            Roll::ServerError(status) => Some(Fault::ServerError(status)),
            Roll::Slow => Some(Fault::Slow),
            Roll::Malformed => Some(Fault::Malformed),
        }
    });
    let (response, fault) = match roll {
        Roll::None => (next.run(request).await, None),
        Roll::Reset => (
            StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            Some(Fault::Reset),
        ),
        Roll::ResetAfterApplying => {
            let _applied = next.run(request).await;
            (
                StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                Some(Fault::ResetAfterApplying),
            )
        }
        Roll::ServerError(504) => {
            // The gateway gave up, but the application behind it finished the change.
            let _applied = next.run(request).await;
            (server_error(504), Some(Fault::ServerError(504)))
        }
        Roll::ServerError(status) => (server_error(status), Some(Fault::ServerError(status))),
        Roll::Slow => {
            let response = next.run(request).await;
            tokio::time::sleep(shared.faults.faults().slow_by).await;
            (response, Some(Fault::Slow))
        }
        Roll::Malformed => {
            let response = next.run(request).await;
            if response.status() == StatusCode::OK {
                (truncated(response).await, Some(Fault::Malformed))
            } else {
                (response, None)
            }
        }
    };
    Answer {
        response,
        fault,
        announce: None,
    }
}

fn unauthenticated() -> Answer {
    Answer::plain(error(StatusCode::UNAUTHORIZED, "Unauthenticated."))
}

/// The token after `Bearer `, whatever it is.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value
        .get(..7)
        .filter(|s| s.eq_ignore_ascii_case("bearer "))
        .map(|_| value[7..].trim())
}

/// Right token and `X-Tallyfy-Client`, and the token not yet revoked.
fn authenticated(shared: &Shared, headers: &HeaderMap) -> bool {
    let token_ok = bearer_token(headers) == Some(shared.config.token.as_str());
    let client_ok = headers
        .get("x-tallyfy-client")
        .and_then(|v| v.to_str().ok())
        == Some("APIClient");
    if !(token_ok && client_ok) {
        return false;
    }
    let prior = shared.authenticated.fetch_add(1, Ordering::SeqCst);
    shared
        .config
        .revoke_token_after
        .is_none_or(|limit| prior < limit)
}

fn too_many_attempts() -> Response {
    let body =
        serde_json::json!({ "message": "Too Many Attempts.", "code": "RATE_LIMIT_EXCEEDED" });
    (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response()
}

fn server_error(status: u16) -> Response {
    let (content_type, body) = server_error_body(status);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// The same response with its JSON cut off halfway, as a dropped proxy connection leaves it.
async fn truncated(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let cut = Bytes::copy_from_slice(&bytes[..bytes.len() / 2]);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(cut))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::sandbox::Faults;

    #[test]
    fn answers_wait_the_latency_plus_a_jitter_within_its_bound() {
        let latency = Duration::from_millis(150);
        let still = FaultState::new(Faults::default());
        assert_eq!(response_delay(latency, &still), latency);

        let jitter = Duration::from_millis(60);
        let shaky = FaultState::new(Faults {
            jitter,
            ..Faults::default()
        });
        let delays: Vec<Duration> = (0..50).map(|_| response_delay(latency, &shaky)).collect();
        assert!(
            delays
                .iter()
                .all(|d| (latency..=latency + jitter).contains(d)),
            "{delays:?}"
        );
        let (min, max) = (delays.iter().min().unwrap(), delays.iter().max().unwrap());
        assert!(*max - *min > Duration::from_millis(5), "{delays:?}");
    }
}
