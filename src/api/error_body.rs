//! Error bodies turned into one short line for a report.
//!
//! A failed row's report line is read by people and kept as an audit trail, so what it says
//! comes from here only: the server's own words for a refused change (every documented body
//! shape flattened), and never a 5xx body, which may carry SQL, a stack trace or a gateway's
//! HTML page.

use serde_json::Value as Json;

/// The message a report shows for a non-2xx answer. A 5xx body is never shown: servers in
/// debug mode put SQL and stack traces there, gateways an HTML page. The status says what
/// happened, and the request id (its own report column) is what Tallyfy support needs.
pub fn error_message(status: u16, body: &str) -> String {
    if status >= 500 {
        let reason = reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Server Error");
        return format!("{reason} (server error; its response body is not shown)");
    }
    flatten_error_body(body)
}

/// Turns an error body of any documented shape into one short line for a report:
/// Laravel 422 (`{"message", "errors": {field: [msgs]}}`), `{"error": true, "errors": ...}`,
/// `{"error": {"code", "message"}}`, `{"error": true, "message", "code"}`. A body that is not
/// JSON (an HTML 502 page, a stack trace) is reduced to its first plain line, clipped.
pub fn flatten_error_body(body: &str) -> String {
    let Ok(json) = serde_json::from_str::<Json>(body) else {
        return sanitize_text(body);
    };
    if let Some(errors) = json.get("errors").filter(|e| !e.is_null()) {
        let flat = flatten_errors(errors, None);
        if !flat.is_empty() {
            return clip(&flat.join("; "));
        }
    }
    let message = json
        .get("message")
        .and_then(Json::as_str)
        .or_else(|| json.pointer("/error/message").and_then(Json::as_str))
        .or_else(|| json.get("error").and_then(Json::as_str));
    let code = json
        .get("code")
        .and_then(Json::as_str)
        .or_else(|| json.pointer("/error/code").and_then(Json::as_str));
    match (message, code) {
        (Some(m), Some(c)) => clip(&format!("{m} ({c})")),
        (Some(m), None) => clip(m),
        (None, Some(c)) => c.to_string(),
        (None, None) => sanitize_text(body),
    }
}

/// The machine-readable code of a refusal (`SEAT_POOL_EXHAUSTED`, `RESOURCE_NOT_FOUND`,
/// `RATE_LIMIT_EXCEEDED`), from `code` or `error.code`, for a caller that must tell refusals
/// apart. Only a short token of letters, digits, `_`, `-` and `.` is taken; never from a 5xx,
/// whose body is not ours to read.
pub fn error_code(status: u16, body: &str) -> Option<String> {
    if status >= 500 {
        return None;
    }
    let json = serde_json::from_str::<Json>(body).ok()?;
    let code = json
        .get("code")
        .and_then(Json::as_str)
        .or_else(|| json.pointer("/error/code").and_then(Json::as_str))?
        .trim();
    let token = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    (!code.is_empty() && code.len() <= 64 && code.chars().all(token)).then(|| code.to_string())
}

/// `{"job_title": ["msg"], "a": {"b": "msg"}}` → `["job_title: msg", "a.b: msg"]`.
fn flatten_errors(errors: &Json, prefix: Option<&str>) -> Vec<String> {
    let label = |msg: &str| match prefix {
        Some(p) => format!("{p}: {msg}"),
        None => msg.to_string(),
    };
    match errors {
        Json::Object(map) => map
            .iter()
            .flat_map(|(key, value)| {
                let path = match prefix {
                    Some(p) => format!("{p}.{key}"),
                    None => key.clone(),
                };
                flatten_errors(value, Some(&path))
            })
            .collect(),
        Json::Array(items) => {
            let messages: Vec<String> = items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect();
            if messages.is_empty() {
                items
                    .iter()
                    .flat_map(|i| flatten_errors(i, prefix))
                    .collect()
            } else {
                vec![label(&messages.join("; "))]
            }
        }
        Json::String(s) => vec![label(s)],
        Json::Null => vec![],
        other => vec![label(&other.to_string())],
    }
}

/// First non-empty line of a non-JSON body, HTML tags removed, clipped: enough to recognise
/// "502 Bad Gateway", never a whole page or stack trace.
fn sanitize_text(body: &str) -> String {
    let mut text = String::with_capacity(body.len().min(512));
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push('\n');
            }
            '>' => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("(empty body)");
    clip(line)
}

/// At most 300 characters and the ellipsis, cut as every shown value is
/// (`crate::report::cut`).
pub(crate) fn clip(s: &str) -> String {
    crate::report::cut(s.trim(), 301).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laravel_422_flattens_field_by_field() {
        let body = r#"{"message":"The given data was invalid.","errors":{"job_title":["The job title may not be greater than 255 characters."],"timezone":["The timezone field is required.","The timezone must be a valid zone."]}}"#;
        assert_eq!(
            flatten_error_body(body),
            "job_title: The job title may not be greater than 255 characters.; timezone: The timezone field is required.; The timezone must be a valid zone."
        );
    }

    #[test]
    fn every_documented_error_shape_reads() {
        assert_eq!(
            flatten_error_body(r#"{"error":true,"errors":{"a":{"b":"bad"}}}"#),
            "a.b: bad"
        );
        assert_eq!(
            flatten_error_body(
                r#"{"error":true,"message":"Resource not found","code":"RESOURCE_NOT_FOUND"}"#
            ),
            "Resource not found (RESOURCE_NOT_FOUND)"
        );
        assert_eq!(
            flatten_error_body(
                r#"{"error":{"code":"SEAT_POOL_EXHAUSTED","message":"No seats left","details":{}}}"#
            ),
            "No seats left (SEAT_POOL_EXHAUSTED)"
        );
    }

    #[test]
    fn codes_are_read_from_either_shape_and_only_as_tokens() {
        let seats = r#"{"error":{"code":"SEAT_POOL_EXHAUSTED","message":"Full","details":{"pool_type":"full"}}}"#;
        assert_eq!(
            error_code(409, seats).as_deref(),
            Some("SEAT_POOL_EXHAUSTED")
        );
        let gone = r#"{"error":true,"message":"Resource not found","code":"RESOURCE_NOT_FOUND"}"#;
        assert_eq!(error_code(404, gone).as_deref(), Some("RESOURCE_NOT_FOUND"));
        assert_eq!(
            error_code(
                422,
                r#"{"message":"The given data was invalid.","errors":{}}"#
            ),
            None
        );
        assert_eq!(error_code(400, r#"{"code":"DROP TABLE users; --"}"#), None);
        assert_eq!(error_code(400, "<html>400</html>"), None);
        assert_eq!(error_code(503, r#"{"code":"MAINTENANCE"}"#), None);
    }

    #[test]
    fn html_and_stack_traces_are_reduced_to_one_short_line() {
        let html =
            "<html><head><title>502 Bad Gateway</title></head><body><h1>502</h1></body></html>";
        assert_eq!(flatten_error_body(html), "502 Bad Gateway");
        let trace = format!(
            "PDOException: SQLSTATE[HY000]\n#0 /var/www/{}\n",
            "x".repeat(5000)
        );
        let flat = flatten_error_body(&trace);
        assert_eq!(flat, "PDOException: SQLSTATE[HY000]");
        assert!(flatten_error_body(&"y".repeat(5000)).chars().count() <= 301);
    }

    #[test]
    fn server_error_bodies_are_never_shown() {
        let leak = r#"{"message":"SQLSTATE[HY000] (SQL: select * from users)","trace":[]}"#;
        assert_eq!(
            error_message(500, leak),
            "Internal Server Error (server error; its response body is not shown)"
        );
        assert!(error_message(502, "<html>502</html>").starts_with("Bad Gateway "));
        assert_eq!(
            error_message(422, r#"{"errors":{"job_title":["Too long."]}}"#),
            "job_title: Too long."
        );
    }
}
