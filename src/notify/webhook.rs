//! A webhook address, checked before the run starts and never shown whole.
//!
//! A Slack or Teams webhook URL is itself the credential: whoever has it can post to the
//! channel. So messages name a webhook by its scheme and host only (`https://hooks.slack.com/…`),
//! and the run's summary (names, emails, paths) goes out over HTTPS, or in clear only to this
//! machine (a test server, a local relay), as `--base-url` does for the token.

use url::{Host, Url};

use crate::settings::SettingsError;

/// Where a notification is sent: an `https://` URL, or `http://` to a loopback address.
#[derive(Clone, PartialEq, Eq)]
pub struct Webhook {
    url: Url,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown())
    }
}

impl Webhook {
    /// Reads `--notify URL` (or a profile's `notify` entry); any other `http://` is refused.
    pub fn parse(raw: &str) -> Result<Webhook, SettingsError> {
        let url = Url::parse(raw.trim()).map_err(|e| SettingsError {
            message: format!("--notify `{}` is not a URL: {e}", shown_raw(raw)),
            hint: Some(
                "give the webhook's address as the chat service shows it, e.g. https://hooks.slack.com/services/…".into(),
            ),
        })?;
        let webhook = Webhook { url };
        match webhook.url.scheme() {
            "https" if webhook.url.host().is_some() => Ok(webhook),
            "http" if webhook.is_loopback() => Ok(webhook),
            "http" => Err(SettingsError {
                message: format!(
                    "refusing plain http:// for --notify {}: the run's summary (emails, reasons, paths) would cross the network unencrypted",
                    webhook.shown()
                ),
                hint: Some(
                    "use the webhook's https:// address; http:// is only for this machine (127.0.0.1, ::1, localhost)".into(),
                ),
            }),
            other => Err(SettingsError {
                message: format!(
                    "--notify {} has scheme `{other}`; expected https",
                    webhook.shown()
                ),
                hint: Some("give the webhook's https:// address".into()),
            }),
        }
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Plain HTTP goes straight to this machine, never through a proxy.
    pub fn is_plain_http(&self) -> bool {
        self.url.scheme() == "http"
    }

    /// `https://hooks.slack.com/…`: scheme, host and port, never the path, query or
    /// credentials that make the URL a key.
    pub fn shown(&self) -> String {
        let host = match self.url.host() {
            Some(Host::Ipv6(ip)) => format!("[{ip}]"),
            Some(host) => host.to_string(),
            None => String::new(),
        };
        let port = self.url.port().map(|p| format!(":{p}")).unwrap_or_default();
        format!("{}://{host}{port}/…", self.url.scheme())
    }

    fn is_loopback(&self) -> bool {
        match self.url.host() {
            Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
    }
}

/// What was typed, for a message about text that is not a URL: cut before any path.
fn shown_raw(raw: &str) -> String {
    let raw = raw.trim();
    let start = raw.find("//").map_or(0, |i| i + 2);
    match raw[start..].find(['/', '?', '#']) {
        Some(end) => format!("{}…", &raw[..start + end + 1]),
        None => raw.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_plain_http_only_to_this_machine() {
        for ok in [
            "https://hooks.slack.com/services/T0/B0/XYZ",
            "http://127.0.0.1:9/hook",
            "http://127.8.0.1/hook",
            "http://localhost:8080/x",
            "http://[::1]:8080/x",
        ] {
            assert!(Webhook::parse(ok).is_ok(), "{ok}");
        }
        let refused = Webhook::parse("http://example.com/hook/SECRET").unwrap_err();
        assert!(refused.message.starts_with("refusing plain http://"));
        assert!(refused.message.contains("http://example.com/…"));
        assert!(!refused.message.contains("SECRET"));
        assert!(Webhook::parse("ftp://example.com/x").is_err());
        let not_url = Webhook::parse("hooks.slack.com/services/SECRET").unwrap_err();
        assert!(!not_url.message.contains("SECRET"), "{}", not_url.message);
    }

    #[test]
    fn a_webhook_is_shown_without_its_path_or_credentials() {
        let hook =
            Webhook::parse("https://ann:pw@hooks.slack.com:8443/services/T0/B0/XYZ?k=v").unwrap();
        assert_eq!(hook.shown(), "https://hooks.slack.com:8443/…");
        let hook = Webhook::parse("http://[::1]:8080/x").unwrap();
        assert_eq!(hook.shown(), "http://[::1]:8080/…");
    }
}
