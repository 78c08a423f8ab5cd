use std::time::{Duration, SystemTime};

use reqwest::header::{self, HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use url::Url;

use super::answer::{self, ERROR_BODY_LIMIT, LIST_PAGE_LIMIT, MEMBER_LIMIT, parse_retry_after};
use super::error_body;
use super::rate_headers::{self, Quota};
use super::wire::{Envelope, Member, MemberPage};

/// Where to send requests and as whom.
#[derive(Clone)]
pub struct Connection {
    /// The API base, e.g. `https://go.tallyfy.com/api` (no trailing slash needed).
    pub base_url: Url,
    pub org_id: String,
    pub token: SecretString,
    /// Certificate authorities trusted besides the built-in roots (`--ca-cert`).
    pub ca_certs: Vec<reqwest::Certificate>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("base_url", &self.base_url.as_str())
            .field("org_id", &self.org_id)
            .field("token", &"[redacted]")
            .field("ca_certs", &self.ca_certs.len())
            .finish()
    }
}

/// A successful response.
#[derive(Debug)]
pub struct Reply<T> {
    pub value: T,
    pub status: u16,
    pub request_id: Option<String>,
    /// What the answer's `X-RateLimit-*` headers say, if it has them.
    pub quota: Option<Quota>,
}

/// One request that did not succeed. Messages are short and safe to put in a report: no token,
/// no response bodies beyond a clipped first line.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// The server answered with a non-2xx status.
    #[error("HTTP {status}: {message}")]
    Status {
        status: u16,
        message: String,
        request_id: Option<String>,
        /// `Retry-After`, in seconds or as an HTTP date, turned into a wait from now.
        retry_after: Option<Duration>,
        /// The body's machine-readable code ([`error_body::error_code`]), if it has one.
        code: Option<String>,
    },
    /// A 2xx whose body is not what the API documents.
    #[error("HTTP {status}: unreadable response ({message})")]
    Malformed {
        status: u16,
        message: String,
        request_id: Option<String>,
    },
    /// An answer larger than its kind may be ([`answer`]): not read past the limit.
    #[error(
        "HTTP {status}: the answer is larger than {limit}; it was not read (a proxy or server is sending far more than the API does)"
    )]
    Oversized {
        status: u16,
        limit: String,
        request_id: Option<String>,
    },
    /// A 3xx: never followed ([`answer`]).
    #[error(
        "HTTP {status}: redirected to {location}; member-sync never follows redirects: check --base-url"
    )]
    Redirected {
        status: u16,
        location: String,
        request_id: Option<String>,
    },
    #[error("timed out: {0}")]
    Timeout(String),
    #[error("connection failed: {0}")]
    Connect(String),
    /// The server's certificate was refused while connecting: most often one this machine
    /// does not trust (a proxy that inspects TLS). Waiting does not change a certificate.
    /// Other TLS failures (an alert, a plain-HTTP server behind `https://`) are
    /// [`ApiError::Connect`].
    #[error("the server's certificate was refused: {0}")]
    UntrustedCertificate(String),
    /// Any other transport failure (reset mid-response, protocol error).
    #[error("request failed: {0}")]
    Transport(String),
    /// The run was stopped (Ctrl-C, or another request's refused token or certificate) before
    /// this one finished.
    #[error("not sent: the run was stopped")]
    Stopped,
    /// A request that was never built, because what it was to carry cannot go on the wire
    /// safely (a group id with `/` or `..` in it). Nothing was sent: a mistake upstream,
    /// never worth a retry.
    #[error("not sent: {0}")]
    Unsendable(String),
}

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. }
            | ApiError::Malformed { status, .. }
            | ApiError::Oversized { status, .. }
            | ApiError::Redirected { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The refusal's machine-readable code, e.g. `SEAT_POOL_EXHAUSTED` on a 409.
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Status { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    pub fn request_id(&self) -> Option<&str> {
        match self {
            ApiError::Status { request_id, .. }
            | ApiError::Malformed { request_id, .. }
            | ApiError::Oversized { request_id, .. }
            | ApiError::Redirected { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    fn from_reqwest(e: reqwest::Error) -> ApiError {
        // Without the URL: it is ours, and a message per row needs no more than the cause.
        let (timeout, connect) = (e.is_timeout(), e.is_connect());
        // Only while connecting: a certificate check happens in the handshake, and anything
        // on a live connection is transport trouble like any other.
        let refused = connect && is_certificate_refusal(&e);
        let message = error_chain(&e.without_url());
        if refused {
            ApiError::UntrustedCertificate(message)
        } else if timeout {
            ApiError::Timeout(message)
        } else if connect {
            ApiError::Connect(message)
        } else {
            ApiError::Transport(message)
        }
    }
}

/// Whether rustls refused the server's certificate, anywhere in the chain. hyper hands the
/// error up inside `io::Error`s (two, nested), and an `io::Error`'s `source` skips the error it
/// wraps: hence the look inside each. The `rustls` this crate names must be the one reqwest
/// links (both 0.23, one copy in Cargo.lock), or the downcast finds nothing; the integration
/// test `an_untrusted_certificate_stops_at_the_first_handshake_and_points_to_ca_cert` would
/// then fail.
fn is_certificate_refusal(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(error) = next {
        if let Some(rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented) =
            error.downcast_ref::<rustls::Error>()
        {
            return true;
        }
        next = match error.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => error.source(),
        };
    }
    false
}

/// An error and its sources on one line, each said once (`a: b: c`).
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = s.source();
    }
    message
}

/// The Tallyfy member API.
#[derive(Clone)]
pub struct Client {
    pub(super) http: reqwest::Client,
    /// `{base}/organizations/{org}`
    pub(super) org_url: String,
    /// To take it out of whatever a server sends back: a server (or a proxy) that quotes the
    /// request's `Authorization` header in an error would otherwise put the token into the
    /// report, the end-of-run list and a notification.
    token: SecretString,
}

impl Client {
    /// Builds a client with Tallyfy's required headers. The token goes into a header marked
    /// sensitive, so HTTP-level debug output shows it as `Sensitive`.
    pub fn new(connection: &Connection, timeout: Duration) -> Result<Client, String> {
        let mut headers = HeaderMap::new();
        let mut auth =
            HeaderValue::from_str(&format!("Bearer {}", connection.token.expose_secret()))
                .map_err(|_| "the access token contains characters not allowed in an HTTP header (check the token file for stray quotes or line breaks)".to_string())?;
        auth.set_sensitive(true);
        headers.insert(header::AUTHORIZATION, auth);
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        headers.insert("X-Tallyfy-Client", HeaderValue::from_static("APIClient"));
        let mut http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
        // Plain HTTP is only allowed to loopback (settings), and then straight to it: a proxy
        // from `http_proxy` or `ALL_PROXY` would see the token in clear. Over HTTPS a proxy
        // only tunnels (CONNECT), so `HTTPS_PROXY` and `NO_PROXY` are honoured as reqwest reads
        // them.
        if connection.base_url.scheme() == "http" {
            http = http.no_proxy();
        }
        for ca in &connection.ca_certs {
            http = http.add_root_certificate(ca.clone());
        }
        let http = http
            .default_headers(headers)
            .user_agent(concat!("member-sync/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_keepalive(Duration::from_secs(30))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {}", error_chain(&e)))?;
        let base = connection.base_url.as_str().trim_end_matches('/');
        let org = utf8_percent_encode_segment(&connection.org_id);
        Ok(Client {
            http,
            org_url: format!("{base}/organizations/{org}"),
            token: connection.token.clone(),
        })
    }

    /// `text` with every copy of the token replaced by `[redacted]`.
    fn without_token(&self, text: String) -> String {
        let token = self.token.expose_secret();
        if token.is_empty() || !text.contains(token) {
            return text;
        }
        text.replace(token, "[redacted]")
    }

    /// `GET /organizations/{org}/users?page=&per_page=`
    pub async fn list_members(
        &self,
        page: u64,
        per_page: u64,
    ) -> Result<Reply<MemberPage>, ApiError> {
        let url = format!("{}/users?page={page}&per_page={per_page}", self.org_url);
        self.send(self.http.get(url), LIST_PAGE_LIMIT).await
    }

    /// `PUT /organizations/{org}/users/{id}` with a full profile body.
    pub async fn update_profile(
        &self,
        member_id: u64,
        body: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Reply<Member>, ApiError> {
        let url = format!("{}/users/{member_id}", self.org_url);
        let reply: Reply<Envelope<Member>> = self
            .send(self.http.put(url).json(body), MEMBER_LIMIT)
            .await?;
        Ok(unwrap_envelope(reply))
    }

    /// `PUT /organizations/{org}/users/{id}/role`
    pub async fn update_role(&self, member_id: u64, role: &str) -> Result<Reply<Member>, ApiError> {
        let url = format!("{}/users/{member_id}/role", self.org_url);
        let body = serde_json::json!({ "role": role });
        let reply: Reply<Envelope<Member>> = self
            .send(self.http.put(url).json(&body), MEMBER_LIMIT)
            .await?;
        Ok(unwrap_envelope(reply))
    }

    pub(super) async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        limit: usize,
    ) -> Result<Reply<T>, ApiError> {
        let mut response = request.send().await.map_err(ApiError::from_reqwest)?;
        let status = response.status().as_u16();
        let request_id = response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let quota = rate_headers::parse_quota(response.headers(), SystemTime::now());
        // A 429 without Retry-After that says when its window starts again: the same news.
        let retry_after = retry_after.or_else(|| {
            (status == 429)
                .then_some(quota?)
                .filter(|q| q.remaining == 0)
                .and_then(|q| q.reset_in)
        });
        if (300..400).contains(&status) {
            let location = response
                .headers()
                .get(header::LOCATION)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            return Err(ApiError::Redirected {
                status,
                location: self
                    .without_token(answer::redirect_target(response.url(), location.as_deref())),
                request_id,
            });
        }
        let success = (200..300).contains(&status);
        let limit = if success { limit } else { ERROR_BODY_LIMIT };
        let body = answer::read_capped(&mut response, limit)
            .await
            .map_err(ApiError::from_reqwest)?;
        if !success {
            // An error body past its limit is cut, not refused: only its first line is shown.
            let body =
                self.without_token(String::from_utf8_lossy(&body.unwrap_or_default()).into_owned());
            return Err(ApiError::Status {
                status,
                message: error_body::error_message(status, &body),
                request_id,
                retry_after,
                code: error_body::error_code(status, &body),
            });
        }
        let Ok(body) = body else {
            return Err(ApiError::Oversized {
                status,
                limit: answer::describe_limit(limit),
                request_id,
            });
        };
        match serde_json::from_slice::<T>(&body) {
            Ok(value) => Ok(Reply {
                value,
                status,
                request_id,
                quota,
            }),
            Err(e) => Err(ApiError::Malformed {
                status,
                message: self.without_token(describe_json_error(&e)),
                request_id,
            }),
        }
    }
}

/// Where the answer went wrong and, for JSON of the wrong shape, what was wrong in serde's
/// words (clipped): `a group member id must be a whole number, got "user_id_1"` says more
/// than a column number.
fn describe_json_error(e: &serde_json::Error) -> String {
    let at = format!(" at line {} column {}", e.line(), e.column());
    let kind = classify_json_error(e);
    if e.classify() != serde_json::error::Category::Data {
        return format!("{kind}{at}");
    }
    let text = e.to_string();
    let what = text.strip_suffix(&at).unwrap_or(&text);
    format!("{kind} ({}){at}", error_body::clip(what))
}

fn classify_json_error(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "I/O error",
        serde_json::error::Category::Syntax => "not valid JSON",
        serde_json::error::Category::Data => "JSON of an unexpected shape",
        serde_json::error::Category::Eof => "truncated JSON",
    }
}

pub(super) fn unwrap_envelope<T>(reply: Reply<Envelope<T>>) -> Reply<T> {
    Reply {
        value: reply.value.data,
        status: reply.status,
        request_id: reply.request_id,
        quota: reply.quota,
    }
}

/// Percent-encodes an org id for use as one path segment.
fn utf8_percent_encode_segment(segment: &str) -> String {
    let mut url = Url::parse("http://x/").expect("static URL");
    url.path_segments_mut().expect("base URL").push(segment);
    url.path().trim_start_matches('/').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_certificate_is_found_inside_nested_io_errors_and_nothing_else_is() {
        use rustls::CertificateError;
        use std::io::{Error, ErrorKind};
        let nest = |e: rustls::Error| Error::other(Error::new(ErrorKind::InvalidData, e));
        let unknown = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        assert!(is_certificate_refusal(&nest(unknown)));
        assert!(is_certificate_refusal(&nest(
            rustls::Error::NoCertificatesPresented
        )));
        // A plain-HTTP server behind https://, or an alert: TLS trouble, not a certificate.
        let plain = rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType);
        assert!(!is_certificate_refusal(&nest(plain)));
        let alert = rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure);
        assert!(!is_certificate_refusal(&nest(alert)));
        assert!(!is_certificate_refusal(&Error::other(Error::from(
            ErrorKind::ConnectionRefused
        ))));
        assert!(!is_certificate_refusal(&Error::other("connection reset")));
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let connection = Connection {
            base_url: Url::parse("https://go.tallyfy.com/api").unwrap(),
            org_id: "org".into(),
            token: SecretString::from("super-secret-token"),
            ca_certs: Vec::new(),
        };
        assert!(!format!("{connection:?}").contains("super-secret"));
    }

    #[test]
    fn org_ids_are_encoded_as_one_segment() {
        assert_eq!(utf8_percent_encode_segment("abc123"), "abc123");
        assert_eq!(utf8_percent_encode_segment("a/b c"), "a%2Fb%20c");
    }
}
