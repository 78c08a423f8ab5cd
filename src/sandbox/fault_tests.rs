//! Each injected fault over real HTTP, as a client meets it, and the quirk switches.

use std::time::{Duration, SystemTime};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::tests::{req, send, start, user};
use super::*;

fn with_faults(faults: Faults) -> SandboxConfig {
    SandboxConfig {
        faults,
        ..SandboxConfig::default()
    }
}

fn list(sb: &Sandbox) -> reqwest::RequestBuilder {
    req(
        sb,
        Method::GET,
        &format!("/organizations/{}/users", sb.org_id()),
    )
}

#[tokio::test]
async fn sandbox_rate_limit_answers_429_and_records_violations() {
    for form in [RetryAfterForm::Seconds, RetryAfterForm::HttpDate] {
        let limit = RateLimit {
            retry_after: form,
            ..RateLimit::bucket(0.5, 2)
        };
        let sb = start(with_faults(Faults {
            rate_limit: Some(limit),
            ..Faults::default()
        }))
        .await;
        assert_eq!(list(&sb).send().await.unwrap().status(), 200);
        assert_eq!(list(&sb).send().await.unwrap().status(), 200);
        let throttled = list(&sb).send().await.unwrap();
        assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry_after = throttled.headers()["retry-after"]
            .to_str()
            .unwrap()
            .to_string();
        let wait = crate::api::parse_retry_after(&retry_after, SystemTime::now()).unwrap();
        assert!(
            wait >= Duration::from_millis(900),
            "{form:?}: {retry_after}"
        );
        let body: Value = throttled.json().await.unwrap();
        assert_eq!(body["code"], "RATE_LIMIT_EXCEEDED");
        assert!(sb.pacing_violations().is_empty());

        // Ignoring the announced window is recorded (past the grace for in-flight requests).
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(list(&sb).send().await.unwrap().status(), 429);
        let violations = sb.pacing_violations();
        assert_eq!(violations.len(), 1, "{form:?}");
        assert!(violations[0].arrived_at < violations[0].window_end);
        let faults: Vec<_> = sb.journal().iter().map(|e| e.fault).collect();
        assert_eq!(
            faults,
            [
                None,
                None,
                Some(Fault::RateLimited),
                Some(Fault::RateLimited)
            ]
        );
    }
}

#[tokio::test]
async fn sandbox_rate_headers_and_a_long_windows_retry_after() {
    let limit = RateLimit {
        headers: true,
        ..RateLimit::windows(&[(3, Duration::from_secs(60))])
    };
    let sb = start(with_faults(Faults {
        rate_limit: Some(limit),
        ..Faults::default()
    }))
    .await;
    let rate_headers = |r: &reqwest::Response| {
        ["x-ratelimit-limit", "x-ratelimit-remaining"].map(|name| {
            r.headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_string())
        })
    };
    for remaining in ["2", "1", "0"] {
        let admitted = list(&sb).send().await.unwrap();
        assert_eq!(admitted.status(), 200);
        assert_eq!(
            rate_headers(&admitted),
            [Some("3".to_string()), Some(remaining.to_string())]
        );
    }
    let throttled = list(&sb).send().await.unwrap();
    assert_eq!(throttled.status(), 429);
    assert_eq!(
        rate_headers(&throttled),
        [Some("3".to_string()), Some("0".to_string())]
    );
    let seconds = |name| -> u64 { throttled.headers()[name].to_str().unwrap().parse().unwrap() };
    // The window has nearly a minute to run, and says so.
    let retry_after = seconds("retry-after");
    assert!((58..=60).contains(&retry_after), "{retry_after}");
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!((now + retry_after..=now + retry_after + 1).contains(&seconds("x-ratelimit-reset")));

    // Coming back 50 ms later is inside the announced minute: a violation.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(list(&sb).send().await.unwrap().status(), 429);
    let violations = sb.pacing_violations();
    assert_eq!(violations.len(), 1);
    assert!(violations[0].window_end > violations[0].arrived_at + Duration::from_secs(50));
}

#[tokio::test]
async fn sandbox_429_without_retry_after_announces_nothing() {
    let limit = RateLimit {
        retry_after: RetryAfterForm::Missing,
        ..RateLimit::strict(0.5)
    };
    let sb = start(with_faults(Faults {
        rate_limit: Some(limit),
        ..Faults::default()
    }))
    .await;
    list(&sb).send().await.unwrap();
    let throttled = list(&sb).send().await.unwrap();
    assert_eq!(throttled.status(), 429);
    assert!(!throttled.headers().contains_key("retry-after"));
    tokio::time::sleep(Duration::from_millis(50)).await;
    list(&sb).send().await.unwrap();
    assert!(sb.pacing_violations().is_empty());
}

/// A body the server accepts for member `id`, read without HTTP (the HTTP side is faulty).
fn accepted_body(sb: &Sandbox, id: u64, job_title: &str) -> Value {
    let m = sb.members().into_iter().find(|m| m["id"] == id).unwrap();
    json!({
        "first_name": m["first_name"],
        "last_name": m["last_name"],
        "timezone": m["timezone"],
        "job_title": job_title,
    })
}

fn job_title(sb: &Sandbox, id: u64) -> Value {
    sb.members().into_iter().find(|m| m["id"] == id).unwrap()["job_title"].clone()
}

#[tokio::test]
async fn sandbox_server_errors_come_in_every_shape_and_504_still_applies() {
    let sb = start(with_faults(Faults {
        server_errors: 1.0,
        ..Faults::default()
    }))
    .await;
    let mut seen = std::collections::BTreeMap::new();
    for n in 0..200 {
        let title = format!("Title {n}");
        let put = req(&sb, Method::PUT, &user(&sb, 1001)).json(&accepted_body(&sb, 1001, &title));
        let response = put.send().await.unwrap();
        let status = response.status().as_u16();
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        let text = response.text().await.unwrap();
        // Only the gateway timeout comes after the change was made.
        assert_eq!(
            job_title(&sb, 1001) == json!(title),
            status == 504,
            "{status}"
        );
        seen.entry(status).or_insert((content_type, text));
        if seen.len() == 4 {
            break;
        }
    }
    assert_eq!(
        seen.keys().copied().collect::<Vec<_>>(),
        [500, 502, 503, 504]
    );
    assert!(
        seen[&500].1.contains("SQLSTATE"),
        "a 500 leaks SQL, as debug mode does"
    );
    assert!(seen[&502].0.starts_with("text/html") && seen[&502].1.contains("<h1>502 Bad Gateway"));
    let journal = sb.journal();
    assert!(
        journal
            .iter()
            .all(|e| e.fault == Some(Fault::ServerError(e.status)))
    );
}

/// A sandbox whose bucket holds one token and never refills, with the throttle at `seat`.
async fn one_token(seat: ThrottleSeat, server_errors: f64) -> Sandbox {
    start(with_faults(Faults {
        server_errors,
        rate_limit: Some(RateLimit {
            seat,
            ..RateLimit::strict(0.001)
        }),
        ..Faults::default()
    }))
    .await
}

#[tokio::test]
async fn sandbox_gateway_errors_spend_the_limit_only_when_it_sits_at_the_edge() {
    for seat in [ThrottleSeat::Application, ThrottleSeat::Edge] {
        // Every request meets a server error.
        let sb = one_token(seat, 1.0).await;
        let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
        for _ in 0..40 {
            let status = list(&sb).send().await.unwrap().status().as_u16();
            *statuses.entry(status).or_default() += 1;
        }
        let count = |codes: &[u16]| codes.iter().map(|c| statuses.get(c).unwrap_or(&0)).sum();
        let (gateway, application, throttled): (usize, usize, usize) =
            (count(&[502, 503]), count(&[500, 504]), count(&[429]));
        match seat {
            // The gateway answers its own errors before the throttle: they keep coming, and
            // only the one token goes to the application's errors.
            ThrottleSeat::Application => {
                assert!(gateway > 5, "{statuses:?}");
                assert_eq!(application, 1, "{statuses:?}");
            }
            // The first request spends the token, whatever the gateway answers; then 429s.
            ThrottleSeat::Edge => assert_eq!(throttled, 39, "{statuses:?}"),
        }
        assert_eq!(gateway + application + throttled, 40);
    }
}

#[tokio::test]
async fn sandbox_auth_comes_before_the_throttle_only_in_the_application() {
    for seat in [ThrottleSeat::Edge, ThrottleSeat::Application] {
        let sb = one_token(seat, 0.0).await;
        let url = format!("{}/organizations/{}/users", sb.base_url(), sb.org_id());
        // The right token (the bucket is per token) without `X-Tallyfy-Client`: refused.
        let bad = reqwest::Client::new()
            .get(&url)
            .bearer_auth(sb.token())
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
        let good = list(&sb).send().await.unwrap().status();
        match seat {
            // The refused request spent the only token.
            ThrottleSeat::Edge => assert_eq!(good, StatusCode::TOO_MANY_REQUESTS),
            // Refused before the throttle: the token is still there.
            ThrottleSeat::Application => assert_eq!(good, StatusCode::OK),
        }
    }
}

#[tokio::test]
async fn sandbox_resets_close_the_connection_without_a_response() {
    let sb = start(with_faults(Faults {
        resets: 1.0,
        ..Faults::default()
    }))
    .await;
    let before = job_title(&sb, 1001);
    let put = req(&sb, Method::PUT, &user(&sb, 1001)).json(&accepted_body(&sb, 1001, "Reset"));
    let error = put.send().await.expect_err("no response after a reset");
    assert!(!error.is_timeout(), "{error:?}");
    assert_eq!(job_title(&sb, 1001), before, "nothing is applied");
    let entry = &sb.journal()[0];
    assert_eq!((entry.status, entry.fault), (0, Some(Fault::Reset)));
}

#[tokio::test]
async fn sandbox_slow_answers_outlast_the_client_but_apply() {
    let sb = start(with_faults(Faults {
        slow: 1.0,
        slow_by: Duration::from_millis(400),
        ..Faults::default()
    }))
    .await;
    let put = req(&sb, Method::PUT, &user(&sb, 1001))
        .json(&accepted_body(&sb, 1001, "Slow"))
        .timeout(Duration::from_millis(100));
    assert!(put.send().await.unwrap_err().is_timeout());
    assert_eq!(job_title(&sb, 1001), "Slow");
    // Journaled when the late answer goes out (to a client that has left).
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(sb.journal()[0].fault, Some(Fault::Slow));
}

#[tokio::test]
async fn sandbox_malformed_answers_are_cut_short_json() {
    let sb = start(with_faults(Faults {
        malformed: 1.0,
        ..Faults::default()
    }))
    .await;
    let response = list(&sb).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(text.starts_with("{\"data\":["));
    assert!(serde_json::from_str::<Value>(&text).is_err());
    assert_eq!(sb.journal()[0].fault, Some(Fault::Malformed));
}

#[tokio::test]
async fn sandbox_legacy_field_names_and_the_error_flag_422() {
    let sb = start(SandboxConfig {
        field_names: FieldNames::Legacy,
        validation_errors: ValidationErrorShape::ErrorFlag,
        ..SandboxConfig::default()
    })
    .await;
    let (_, body) = send(list(&sb)).await;
    let first = &body["data"][0];
    assert!(first.get("last_updated").is_some() && first.get("active").is_some());
    assert!(first.get("updated_at").is_none() && first.get("is_active").is_none());
    let (status, body) = send(req(&sb, Method::PUT, &user(&sb, 1001)).json(&json!({}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], true);
    assert!(body["errors"]["first_name"].is_array());
    assert!(body.get("message").is_none());
}
