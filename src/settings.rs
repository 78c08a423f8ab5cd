//! Settings: what was typed (`cli`) and what the environment says, resolved into what a run
//! uses. The token is read here, once, straight into a `SecretString`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::SecretString;
use url::{Host, Url};

use crate::api::Connection;
use crate::cli::{ConnectionArgs, RunArgs};
use crate::env_vars;
use crate::execute::pacing::Pace;
use crate::execute::pool::Concurrency;
use crate::execute::retry_policy::RetryPolicy;

/// Where a run sends its requests.
#[derive(Debug)]
pub enum Target {
    /// Start a sandbox in this process and use it.
    Sandbox,
    Api(Connection),
    /// Plan offline against a saved export of the members (`plan --against FILE`).
    Export(PathBuf),
}

/// Everything a `plan` or `apply` run needs, validated.
#[derive(Debug)]
pub struct RunSettings {
    pub input: PathBuf,
    pub report: Option<PathBuf>,
    pub target: Target,
    pub rate: Pace,
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

/// A setting that cannot be used, with what to do about it.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SettingsError {
    pub message: String,
    pub hint: Option<String>,
}

impl RunSettings {
    pub fn resolve(args: &RunArgs) -> Result<RunSettings, SettingsError> {
        RunSettings::resolve_against(args, None)
    }

    /// The same, planning against a saved member export when `against` is given: then no
    /// connection setting is read (none is needed).
    pub fn resolve_against(
        args: &RunArgs,
        against: Option<&Path>,
    ) -> Result<RunSettings, SettingsError> {
        Ok(RunSettings {
            input: args.input.clone(),
            report: args.report.clone(),
            target: match against {
                Some(path) => Target::Export(path.to_path_buf()),
                None => resolve_target(&args.connection)?,
            },
            rate: args.rate,
            timeout: Duration::from_secs(args.timeout.max(1)),
            retry: RetryPolicy {
                max_retries: usize::from(args.max_retries),
                retry_after_cap: Duration::from_secs(args.retry_after_cap),
                ..RetryPolicy::default()
            },
        })
    }
}

/// `--concurrency N`, or automatic sizing when it is not given.
pub fn resolve_concurrency(arg: Option<u16>) -> Concurrency {
    arg.map_or(Concurrency::Auto, |n| Concurrency::Fixed(usize::from(n)))
}

fn resolve_target(args: &ConnectionArgs) -> Result<Target, SettingsError> {
    if args.sandbox {
        return Ok(Target::Sandbox);
    }
    let org_id = args
        .org
        .clone()
        .filter(|o| !o.trim().is_empty())
        .ok_or_else(|| SettingsError {
            message: "no organization id".into(),
            hint: Some(format!(
                "pass --org ID or set {}, or use --sandbox to rehearse",
                env_vars::ORG_ID
            )),
        })?;
    Ok(Target::Api(Connection {
        base_url: parse_base_url(&args.base_url)?,
        org_id: org_id.trim().to_string(),
        token: read_token(args.token_file.as_deref())?,
    }))
}

/// `https://` anywhere; `http://` only to this machine (the sandbox, a local proxy).
pub fn parse_base_url(raw: &str) -> Result<Url, SettingsError> {
    let url = Url::parse(raw.trim()).map_err(|e| SettingsError {
        message: format!("--base-url `{raw}` is not a URL: {e}"),
        hint: Some("write it like https://go.tallyfy.com/api".into()),
    })?;
    let loopback = match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        "http" => Err(SettingsError {
            message: format!(
                "refusing plain http:// to {raw}: the access token would cross the network unencrypted"
            ),
            hint: Some("use https://, or a loopback address for a local sandbox".into()),
        }),
        other => Err(SettingsError {
            message: format!("--base-url `{raw}` has scheme `{other}`; expected https"),
            hint: None,
        }),
    }
}

/// The token from `--token-file` or `TALLYFY_ACCESS_TOKEN`. Surrounding white space (a final
/// newline in a file) is dropped; nothing of the token ever goes into a message.
fn read_token(file: Option<&Path>) -> Result<SecretString, SettingsError> {
    let raw = match file {
        Some(path) => std::fs::read_to_string(path).map_err(|e| SettingsError {
            message: format!("cannot read the token file {}: {e}", path.display()),
            hint: None,
        })?,
        None => std::env::var(env_vars::ACCESS_TOKEN).map_err(|_| SettingsError {
            message: "no access token".into(),
            hint: Some(format!(
                "set {} or pass --token-file PATH (Tallyfy: Settings > Integrations > REST API), or use --sandbox to rehearse",
                env_vars::ACCESS_TOKEN
            )),
        })?,
    };
    let token = raw.trim();
    if token.is_empty() {
        return Err(SettingsError {
            message: match file {
                Some(path) => format!("the token file {} is empty", path.display()),
                None => format!("{} is empty", env_vars::ACCESS_TOKEN),
            },
            hint: None,
        });
    }
    Ok(SecretString::from(token.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_only_allowed_to_loopback() {
        assert!(parse_base_url("https://go.tallyfy.com/api").is_ok());
        assert!(parse_base_url("http://127.0.0.1:8787/api").is_ok());
        assert!(parse_base_url("http://localhost:8787/api").is_ok());
        assert!(parse_base_url("http://[::1]:8787/api").is_ok());
        let refused = parse_base_url("http://go.tallyfy.com/api").unwrap_err();
        assert!(refused.message.contains("refusing plain http"));
        assert!(parse_base_url("ftp://x").is_err());
        assert!(parse_base_url("not a url").is_err());
    }

    #[test]
    fn a_token_file_is_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "abc123\n").unwrap();
        let token = read_token(Some(&path)).unwrap();
        assert_eq!(secrecy::ExposeSecret::expose_secret(&token), "abc123");
        std::fs::write(&path, "  \n").unwrap();
        assert!(
            read_token(Some(&path))
                .unwrap_err()
                .message
                .contains("empty")
        );
    }
}
