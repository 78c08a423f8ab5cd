//! Settings: what was typed (`cli`) and what the environment says, resolved into what a run
//! uses. The token is read here, once, straight into a `SecretString`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use secrecy::SecretString;
use url::{Host, Url};

use crate::api::Connection;
use crate::cli::{ConnectionArgs, IngestArgs, RunArgs};
use crate::env_vars;
use crate::execute::pacing::Pace;
use crate::execute::pool::Concurrency;
use crate::execute::retry_policy::RetryPolicy;
use crate::guard::Exclusions;
use crate::ingest::{self, LoadOptions};
use crate::notify::Notify;
use crate::report::retention::Retention;
use crate::report::{HtmlTarget, Outcome, ReportFormat};
use crate::state::{StateDir, SyncIdentity};

pub mod groups;
pub mod lifecycle;

pub use groups::GroupSync;
pub use lifecycle::Lifecycle;

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
    /// What the run reads its changes from.
    pub source: Source,
    pub report: Option<PathBuf>,
    /// Where time-named reports go when `report` is not given.
    pub report_dir: Option<PathBuf>,
    /// CSV or a workbook (`--report-format`, or the `--report` extension).
    pub report_format: ReportFormat,
    pub target: Target,
    pub rate: Pace,
    pub timeout: Duration,
    pub retry: RetryPolicy,
    /// Members never changed (`--exclude`).
    pub exclusions: Exclusions,
    /// The email of the token's owner, whose role is never changed.
    pub token_owner: Option<String>,
    pub summary_json: Option<PathBuf>,
    /// Where the HTML report goes, if anywhere (`--html`, or beside a `--report-dir` report).
    pub html: Option<HtmlTarget>,
    /// `--only-rows-from` and its outcomes.
    pub only_rows_from: Option<(PathBuf, Vec<Outcome>)>,
    /// Where the last run sizes and locks live; `None` if no directory could be found.
    pub state_dir: Option<StateDir>,
    /// Where `plan` also puts the plan it made.
    pub plan_output: PlanOutput,
    /// `--allow-unmatched`: an input whose rows mostly match no member is expected
    /// (`sync/matched.rs`).
    pub allow_unmatched: bool,
    /// Which earlier runs the source-shrink guard compares an `apply` of an export with, and
    /// whose leaver counts a run of an export reads (and an `apply` keeps).
    pub sync: Option<SyncIdentity>,
    /// Joiners, leavers and rehires (`plan` and `apply` of an export; the defaults elsewhere).
    pub lifecycle: Lifecycle,
    /// Group membership from the export (`--groups-from`); `None`: no group is read or written.
    pub groups: Option<GroupSync>,
    /// Who is told how the run ended (`--notify`).
    pub notify: Notify,
    /// Old time-named reports removed after the run (`--keep-reports`).
    pub retention: Option<Retention>,
}

/// `plan --out` and `plan --format json`.
#[derive(Debug, Default)]
pub struct PlanOutput {
    pub file: Option<PathBuf>,
    /// `--overwrite`: `file` may replace an existing file.
    pub overwrite: bool,
    pub json_to_stdout: bool,
    /// `--detailed-exitcode`: exit 6 when changes are pending.
    pub detailed_exitcode: bool,
}

/// Where a run's changes come from.
#[derive(Debug)]
pub enum Source {
    /// An HR export, read with these options (`plan`, `apply`).
    Export {
        path: PathBuf,
        load: Box<LoadOptions>,
    },
    /// A plan saved by `plan --out` (`apply --plan`).
    SavedPlan(PathBuf),
    /// The `updated` rows of a run's report, turned back (`rollback`); `force` also restores
    /// members changed since.
    Rollback { report: PathBuf, force: bool },
    /// No changes at all (`export` only reads).
    None,
}

/// A setting that cannot be used, with what to do about it.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SettingsError {
    pub message: String,
    pub hint: Option<String>,
}

impl RunSettings {
    pub fn resolve(args: &RunArgs, source: Source) -> Result<RunSettings, SettingsError> {
        RunSettings::resolve_against(args, source, None)
    }

    /// The same, planning against a saved member export when `against` is given: then no
    /// connection setting is read (none is needed).
    pub fn resolve_against(
        args: &RunArgs,
        source: Source,
        against: Option<&Path>,
    ) -> Result<RunSettings, SettingsError> {
        let report_format = ReportFormat::choose(args.report.as_deref(), args.report_format)
            .map_err(|message| SettingsError {
                message,
                hint: Some(
                    "a report ending .xlsx is a workbook, one ending .csv is CSV: drop --report-format or rename the report".into(),
                ),
            })?;
        let target = match against {
            Some(path) => Target::Export(path.to_path_buf()),
            None => resolve_target(&args.connection)?,
        };
        Ok(RunSettings {
            notify: Notify::resolve(&args.notify, &target)?,
            retention: Retention::resolve(
                args.retention.keep_reports,
                args.retention.keep_reports_days,
                args.report.is_some(),
            ),
            source,
            report: args.report.clone(),
            report_dir: args.report_dir.clone(),
            report_format,
            target,
            rate: args.rate.clone(),
            timeout: Duration::from_secs(args.timeout.max(1)),
            retry: RetryPolicy {
                max_retries: usize::from(args.max_retries),
                max_wait: args.max_wait,
                ..RetryPolicy::default()
            },
            exclusions: Exclusions::new(&args.exclude).map_err(|message| SettingsError {
                message,
                hint: Some("patterns are emails or globs such as *@contractors.example".into()),
            })?,
            token_owner: args.token_owner.clone(),
            summary_json: args.summary_json.clone(),
            html: HtmlTarget::chosen(args.html.as_deref(), args.report_dir.is_some()),
            only_rows_from: args
                .only_rows_from
                .clone()
                .map(|report| (report, args.outcomes.clone())),
            state_dir: StateDir::resolve(args.state_dir.as_deref()),
            plan_output: PlanOutput::default(),
            groups: None,
            allow_unmatched: false,
            sync: None,
            lifecycle: Lifecycle::default(),
        })
    }
}

/// How to read the input (`plan`, `apply`, `validate`): the flags as typed, and the mapping
/// file read and checked before the input is opened.
pub fn load_options(args: &IngestArgs) -> Result<LoadOptions, SettingsError> {
    let mut options = LoadOptions {
        encoding: args.encoding,
        delimiter: args.delimiter,
        sheet: args.sheet.clone(),
        preset: args.preset.unwrap_or_default(),
        ..LoadOptions::default()
    };
    if let Some(path) = &args.mapping {
        let mapping = ingest::mapping::load(path).map_err(|message| SettingsError {
            message,
            hint: Some("the mapping file format is described in docs/input.md".into()),
        })?;
        options = options.with_mapping(mapping, Some(path.clone()));
    }
    Ok(options)
}

/// The sync an `apply` of `source` belongs to: `--sync-name` (or the profile's `sync_name`),
/// else the input and the profile. Only exports have one: a saved plan or a rollback is a
/// reviewed set of changes, not a directory whose size could shrink.
pub fn sync_identity(
    source: &Source,
    name: Option<&str>,
    profile: Option<&str>,
) -> Option<SyncIdentity> {
    match source {
        Source::Export { path, .. } => Some(SyncIdentity::of(path, name, profile)),
        _ => None,
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
        token: read_token(args.token_file.as_deref(), args.token_env.as_deref())?,
        ca_certs: match &args.ca_cert {
            Some(path) => read_ca_certs(path)?,
            None => Vec::new(),
        },
    }))
}

const CA_CERT_HINT: &str = "give --ca-cert (or MEMBER_SYNC_CA_CERT, or a profile's ca_cert) a PEM file of CERTIFICATE blocks: the proxy's or gateway's CA, as your IT team exports it";

/// `--ca-cert` (or `MEMBER_SYNC_CA_CERT`, or a profile's `ca_cert`): every certificate in a
/// PEM file (a bundle is fine), at least one, each checked now so a bad one is named before
/// anything runs. Blocks other than certificates (a key, say) are passed over.
pub fn read_ca_certs(path: &Path) -> Result<Vec<reqwest::Certificate>, SettingsError> {
    let error = |message: String| SettingsError {
        message,
        hint: Some(CA_CERT_HINT.into()),
    };
    let shown = path.display();
    let bytes =
        std::fs::read(path).map_err(|e| error(format!("cannot read the CA file {shown}: {e}")))?;
    let ders = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| error(format!("the CA file {shown} is not a PEM certificate file")))?;
    if ders.is_empty() {
        return Err(error(format!("the CA file {shown} holds no certificate")));
    }
    // The check rustls makes of a root when the client is built, made here so the file and
    // the certificate can be named.
    let unreadable = |n: usize| {
        error(format!(
            "certificate {n} of the CA file {shown} is not a readable X.509 certificate"
        ))
    };
    let mut roots = rustls::RootCertStore::empty();
    ders.iter()
        .enumerate()
        .map(|(n, der)| {
            roots.add(der.clone()).map_err(|_| unreadable(n + 1))?;
            reqwest::Certificate::from_der(der).map_err(|_| unreadable(n + 1))
        })
        .collect()
}

/// `https://` anywhere; `http://` only to this machine (the sandbox, a local proxy).
pub fn parse_base_url(raw: &str) -> Result<Url, SettingsError> {
    let url = Url::parse(raw.trim()).map_err(|e| SettingsError {
        message: format!("--base-url `{}` is not a URL: {e}", shown_url(raw)),
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
                "refusing plain http:// to {}: the access token would cross the network unencrypted",
                crate::api::answer::mask_credentials(&url)
            ),
            hint: Some("use https://, or a loopback address for a local sandbox".into()),
        }),
        other => Err(SettingsError {
            message: format!(
                "--base-url `{}` has scheme `{other}`; expected https",
                crate::api::answer::mask_credentials(&url)
            ),
            hint: None,
        }),
    }
}

/// The token from `--token-file` or `TALLYFY_ACCESS_TOKEN`. Surrounding white space (a final
/// newline in a file) is dropped; nothing of the token ever goes into a message.
fn read_token(
    file: Option<&Path>,
    profile_var: Option<&str>,
) -> Result<SecretString, SettingsError> {
    let from_profile_var = || {
        let name = profile_var?;
        std::env::var(name).ok()
    };
    let raw = match file {
        Some(path) => std::fs::read_to_string(path).map_err(|e| SettingsError {
            message: format!("cannot read the token file {}: {e}", path.display()),
            hint: None,
        })?,
        None => std::env::var(env_vars::ACCESS_TOKEN).ok().or_else(from_profile_var).ok_or_else(|| SettingsError {
            message: match profile_var {
                Some(name) => format!("no access token: {name} (named by the profile's token_env) is not set"),
                None => "no access token".into(),
            },
            hint: Some(format!(
                "set {} or pass --token-file PATH (Tallyfy: Settings > Integrations > REST API), or use --sandbox to rehearse",
                env_vars::ACCESS_TOKEN
            )),
        })?,
    };
    // A BOM is what Notepad puts first in a file saved as UTF-8: not part of any token.
    let token = raw.trim().trim_start_matches('\u{feff}').trim();
    if token.is_empty() {
        return Err(SettingsError {
            message: match file {
                Some(path) => format!("the token file {} is empty", path.display()),
                None => format!("{} is empty", env_vars::ACCESS_TOKEN),
            },
            hint: None,
        });
    }
    // Checked here, with the other settings, so a bad token stops the run before its report
    // exists. A token is letters, digits and punctuation (a JWT, base64url): anything else (a
    // line break inside, a non-ASCII letter pasted along) either cannot go in a header or
    // would only earn a 401 after the report was made.
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        let source = match file {
            Some(path) => format!("the token file {}", path.display()),
            None => "the access token".into(),
        };
        return Err(SettingsError {
            message: format!("{source} contains characters not allowed in an HTTP header"),
            hint: Some("check it for stray quotes, line breaks or non-ASCII characters; a token is one line of letters, digits and punctuation".into()),
        });
    }
    Ok(SecretString::from(token.to_string()))
}

/// A URL as typed, for messages: a user name or password in it shown as `***`.
fn shown_url(raw: &str) -> String {
    match Url::parse(raw.trim()) {
        Ok(url) => crate::api::answer::mask_credentials(&url),
        // Not a URL: hide anything between `//` and an `@` all the same.
        Err(_) => match (raw.find("//"), raw.rfind('@')) {
            (Some(start), Some(at)) if start + 2 < at => {
                format!("{}***{}", &raw[..start + 2], &raw[at..])
            }
            _ => raw.to_string(),
        },
    }
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
        // Credentials in a URL are never echoed.
        for raw in [
            "http://ann:hunter2@go.tallyfy.com/api",
            "ftp://ann:hunter2@x/",
            "https://ann:hunter2@[bad/api",
        ] {
            let message = parse_base_url(raw).unwrap_err().message;
            assert!(
                !message.contains("hunter2") && !message.contains("ann"),
                "{message}"
            );
        }
    }

    #[test]
    fn a_token_file_is_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "abc123\n").unwrap();
        let token = read_token(Some(&path), None).unwrap();
        assert_eq!(secrecy::ExposeSecret::expose_secret(&token), "abc123");
        std::fs::write(&path, "  \n").unwrap();
        assert!(
            read_token(Some(&path), None)
                .unwrap_err()
                .message
                .contains("empty")
        );
    }
}
