//! One notification on the wire: a POST, briefly, once more at most.
//!
//! The run is over when this happens, and a cron job or a Kubernetes pod should not hang
//! on a chat service: a short timeout, one retry (after a dropped connection, a timeout, a
//! 5xx or a 429), and nothing else. Redirects are never followed, as for the API: a webhook
//! that points elsewhere is a misconfiguration to be told, not a place to send the summary.

use crate::api::error_chain;
use std::time::Duration;

use super::webhook::Webhook;

/// The longest one attempt may take, connecting included.
const TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The pause before the one retry.
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// How much of a refusal's body is read, and shown.
const ANSWER_BYTES: usize = 1024;
const ANSWER_CHARS: usize = 200;

/// How one attempt ended.
enum Attempt {
    Delivered(u16),
    /// Worth one more try: the connection, a timeout, a 5xx, a 429.
    Transient(String),
    /// Trying again would get the same answer.
    Refused(String),
}

/// Sends `body` (JSON) to `hook`: the status it was accepted with, or why not.
pub(super) async fn post(
    hook: &Webhook,
    body: Vec<u8>,
    roots: &[reqwest::Certificate],
) -> Result<u16, String> {
    let client = client(hook, roots)?;
    match attempt(&client, hook, body.clone()).await {
        Attempt::Delivered(status) => Ok(status),
        Attempt::Refused(why) => Err(why),
        Attempt::Transient(first) => {
            tracing::info!(
                "notifying {} failed ({first}); trying once more",
                hook.shown()
            );
            tokio::time::sleep(RETRY_AFTER).await;
            match attempt(&client, hook, body).await {
                Attempt::Delivered(status) => Ok(status),
                Attempt::Transient(why) | Attempt::Refused(why) => {
                    Err(format!("{why} (tried twice)"))
                }
            }
        }
    }
}

/// The same stack as the API client (reqwest, rustls, the built-in roots and `--ca-cert`),
/// with no redirects and no proxy for plain HTTP to this machine.
fn client(hook: &Webhook, roots: &[reqwest::Certificate]) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("member-sync/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(TIMEOUT);
    if hook.is_plain_http() {
        builder = builder.no_proxy();
    }
    for root in roots {
        builder = builder.add_root_certificate(root.clone());
    }
    builder
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {}", error_chain(&e)))
}

async fn attempt(client: &reqwest::Client, hook: &Webhook, body: Vec<u8>) -> Attempt {
    let sent = client
        .post(hook.url().clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await;
    let mut response = match sent {
        Ok(response) => response,
        Err(e) => return Attempt::Transient(without_url(e)),
    };
    let status = response.status();
    if status.is_success() {
        return Attempt::Delivered(status.as_u16());
    }
    let answer = read_some(&mut response).await;
    let said = format!("HTTP {}{answer}", status.as_u16());
    if status.is_redirection() {
        Attempt::Refused(format!(
            "{said}: a redirect, and notifications never follow redirects"
        ))
    } else if status.is_server_error() || status.as_u16() == 429 {
        Attempt::Transient(said)
    } else {
        Attempt::Refused(said)
    }
}

/// `: invalid_payload`: the start of a refusal's body (Slack and Teams say there what was
/// wrong), one line, cut.
async fn read_some(response: &mut reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < ANSWER_BYTES {
        match tokio::time::timeout(Duration::from_secs(2), response.chunk()).await {
            Ok(Ok(Some(chunk))) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    let text = String::from_utf8_lossy(&bytes);
    let line = text.lines().map(str::trim).find(|l| !l.is_empty());
    match line {
        Some(line) => format!(": {}", crate::report::shown_text(line, ANSWER_CHARS)),
        None => String::new(),
    }
}

/// A transport error without the URL reqwest puts in it (the URL is the webhook's key).
fn without_url(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "the request failed"
    };
    format!("{kind}: {}", error_chain(&e.without_url()))
}
