//! The configuration file and its profiles, and the one place that decides where each setting
//! comes from: a flag, else the environment, else the chosen profile, else the default.
//!
//! An admin syncing two organizations from cron should not repeat ten flags per line, nor keep
//! them in shell scripts that drift. `member-sync.toml` (in the XDG config directory, or
//! `--config`) holds named profiles; `--profile acme` picks one. Clap knows whether a value came
//! from the command line, the environment or its default; this module fills in only what the
//! user did not give, and remembers the origin of everything for `member-sync config show`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::ArgMatches;
use clap::parser::ValueSource;
use serde::Deserialize;

use crate::cli::{Cli, ConnectionArgs};
use crate::env_vars;

mod groups;
mod lifecycle;
mod slots;

use groups::fill_groups;
use lifecycle::fill_lifecycle;
use slots::Slots;

/// `member-sync.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub profile: BTreeMap<String, Profile>,
}

/// One `[profile.NAME]` section. Every key is optional.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub org: Option<String>,
    pub base_url: Option<String>,
    /// A PEM file of certificate authorities to trust besides the built-in ones.
    pub ca_cert: Option<PathBuf>,
    /// A file holding the token.
    pub token_file: Option<PathBuf>,
    /// The name of an environment variable holding the token (one per organization).
    pub token_env: Option<String>,
    /// The email of the token's owner (its role is never changed).
    pub token_owner: Option<String>,
    pub rate: Option<String>,
    /// `--max-wait`: `90s`, `10m`, `1h`.
    pub max_wait: Option<String>,
    pub concurrency: Option<u16>,
    pub mapping: Option<PathBuf>,
    pub max_changes: Option<String>,
    pub shrink_limit: Option<String>,
    /// `--sync-name`: the runs of this profile share one source-shrink baseline.
    pub sync_name: Option<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    pub report_dir: Option<PathBuf>,
    pub state_dir: Option<PathBuf>,
    /// `--allow-unmatched` for `plan` and `apply`: an input mostly of people who are not
    /// members is expected.
    pub allow_unmatched: Option<bool>,
    // Joiners, leavers and rehires (docs/lifecycle.md), for `plan` and `apply`.
    /// `--joiners`: `report` or `invite`.
    pub joiners: Option<String>,
    /// `--invite-role`: `admin`, `standard` or `light`.
    pub invite_role: Option<String>,
    /// `--invite-message`: the text, or `@FILE`.
    pub invite_message: Option<String>,
    pub max_invites: Option<u32>,
    pub invite_days_before: Option<u32>,
    /// `--leavers`: `ignore`, `report` or `disable`.
    pub leavers: Option<String>,
    /// `--max-leavers`: a number, or a share (`5%`).
    pub max_leavers: Option<String>,
    pub leaver_grace_runs: Option<u32>,
    pub reassign_to: Option<String>,
    /// `--rehires`: `report` or `enable`.
    pub rehires: Option<String>,
    // Group membership (docs/groups.md), for `plan` and `apply`.
    /// `--groups-from`: the columns whose cells name groups.
    #[serde(default)]
    pub groups_from: Vec<String>,
    /// `--groups-separator`: `""` keeps each cell whole.
    pub groups_separator: Option<String>,
    /// `--manage-groups`: names or globs.
    #[serde(default)]
    pub manage_groups: Vec<String>,
    /// `--groups`: `sync` or `additive`.
    pub groups: Option<String>,
    pub create_groups: Option<bool>,
    /// `--max-group-removals`: a number, or a share (`20%`).
    pub max_group_removals: Option<String>,

    // Notifications and report retention (`after_run` below).
    /// `--notify`: webhooks told how a run ended.
    #[serde(default)]
    pub notify: Vec<String>,
    /// `--notify-on`: `failure` or `always`.
    pub notify_on: Option<String>,
    /// `--notify-format`: `json`, `slack` or `teams`.
    pub notify_format: Option<String>,
    /// `--keep-reports`: time-named reports kept in `report_dir`.
    pub keep_reports: Option<u32>,
    /// `--keep-reports-days`: the age past which time-named reports are deleted.
    pub keep_reports_days: Option<u32>,
}

/// Where a resolved setting came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Flag,
    Env(&'static str),
    Profile(String),
    Default,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Flag => f.write_str("flag"),
            Origin::Env(name) => write!(f, "env {name}"),
            Origin::Profile(name) => write!(f, "profile {name}"),
            Origin::Default => f.write_str("default"),
        }
    }
}

/// Each setting's value as shown to a person (the token redacted) and its origin.
pub type Resolved = Vec<(&'static str, String, Origin)>;

/// The file to read: `--config`, else `$XDG_CONFIG_HOME/member-sync/member-sync.toml`, else
/// (Windows) `%APPDATA%\member-sync\member-sync.toml`, else
/// `~/.config/member-sync/member-sync.toml`.
pub fn config_path(flag: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = flag {
        return Some(path.to_path_buf());
    }
    default_config_path(cfg!(windows), |name| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
}

/// Windows sets no `HOME` for cmd, PowerShell or a scheduled task, only `APPDATA`: without it a
/// profile would be found from Git Bash and not from Task Scheduler.
fn default_config_path(windows: bool, var: impl Fn(&str) -> Option<PathBuf>) -> Option<PathBuf> {
    var("XDG_CONFIG_HOME")
        .or_else(|| windows.then(|| var("APPDATA")).flatten())
        .or_else(|| var("HOME").map(|home| home.join(".config")))
        .map(|dir| dir.join("member-sync").join("member-sync.toml"))
}

/// Reads the file; a missing file is empty unless it was named with `--config`.
pub fn load(path: &Path, named: bool) -> Result<ConfigFile, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named => Ok(ConfigFile::default()),
        Err(e) => Err(format!(
            "cannot read the configuration {}: {e}",
            path.display()
        )),
    }
}

/// Fills in what the command line and environment left unset from the chosen profile, and
/// says where every setting of the run came from.
pub fn apply(cli: &mut Cli, matches: &ArgMatches) -> Result<Resolved, String> {
    let named = cli.global.config.is_some();
    let profile = match &cli.global.profile {
        None => None,
        Some(name) => {
            let path = config_path(cli.global.config.as_deref())
                .ok_or("no configuration directory: pass --config PATH")?;
            let mut file = load(&path, named)?;
            let profile = file.profile.remove(name).ok_or_else(|| {
                let known: Vec<&String> = file.profile.keys().collect();
                format!(
                    "no [profile.{name}] in {} (profiles there: {known:?})",
                    path.display()
                )
            })?;
            Some((name.clone(), profile))
        }
    };
    let Slots {
        run,
        concurrency,
        max_changes,
        shrink_limit,
        mapping,
        sync_name,
        allow_unmatched,
        lifecycle,
        groups,
    } = Slots::of(&mut cli.command);
    let mut resolved = Resolved::new();
    let Some(run) = run else {
        return Ok(resolved);
    };
    let filler = Filler {
        matches: matches.subcommand().map(|(_, m)| m),
        profile: profile.as_ref().map(|(name, p)| (name.as_str(), p)),
    };
    let p = filler.profile.map(|(_, p)| p);

    // Connection.
    let connection: &mut ConnectionArgs = &mut run.connection;
    let origin = filler.fill(
        "org",
        Some(env_vars::ORG_ID),
        p.and_then(|p| p.org.clone()),
        |org| {
            connection.org = Some(org);
            Ok(())
        },
    )?;
    let org = connection.org.clone().unwrap_or_else(|| "(none)".into());
    resolved.push(("org", org, origin));
    let url = p.and_then(|p| p.base_url.clone());
    let origin = filler.fill("base_url", Some(env_vars::BASE_URL), url, |url| {
        connection.base_url = url;
        Ok(())
    })?;
    resolved.push(("base_url", connection.base_url.clone(), origin));
    let ca_cert = p.and_then(|p| p.ca_cert.clone());
    let origin = filler.fill("ca_cert", Some(env_vars::CA_CERT), ca_cert, |path| {
        connection.ca_cert = Some(path);
        Ok(())
    })?;
    let shown = connection.ca_cert.as_ref().map_or_else(
        || "(built-in roots only)".into(),
        |path| path.display().to_string(),
    );
    resolved.push(("ca_cert", shown, origin));
    let token_origin = if connection.token_file.is_some() {
        Origin::Flag
    } else if std::env::var_os(env_vars::ACCESS_TOKEN).is_some() {
        Origin::Env(env_vars::ACCESS_TOKEN)
    } else if let Some(file) = p.and_then(|p| p.token_file.clone()) {
        connection.token_file = Some(file);
        filler.profile_origin()
    } else if let Some(var) = p.and_then(|p| p.token_env.clone()) {
        connection.token_env = Some(var);
        filler.profile_origin()
    } else {
        Origin::Default
    };
    let token_shown = match (&connection.token_file, &connection.token_env, &token_origin) {
        (Some(file), _, _) => format!("[redacted] (from file {})", file.display()),
        (None, Some(var), _) => format!("[redacted] (from ${var})"),
        (None, None, Origin::Env(_)) => "[redacted]".into(),
        _ => "(none)".into(),
    };
    resolved.push(("token", token_shown, token_origin));

    let owner = p.and_then(|p| p.token_owner.clone());
    let origin = filler.fill("token_owner", None, owner, |email| {
        run.token_owner = Some(email);
        Ok(())
    })?;
    let owner = run.token_owner.clone().unwrap_or_else(|| "(none)".into());
    resolved.push(("token_owner", owner, origin));
    let rate = p.and_then(|p| p.rate.as_deref());
    let origin = filler.fill_parsed("rate", &mut run.rate, rate)?;
    resolved.push(("rate", run.rate.to_string(), origin));
    let max_wait = p.and_then(|p| p.max_wait.clone());
    let origin = filler.fill("max_wait", None, max_wait, |text| {
        run.max_wait = crate::cli::parse_wait(&text)?;
        Ok(())
    })?;
    let shown = crate::execute::pacing::in_words(run.max_wait);
    resolved.push(("max_wait", shown, origin));
    let exclude = p.map(|p| p.exclude.clone()).filter(|list| !list.is_empty());
    let origin = filler.fill("exclude", None, exclude, |list| {
        run.exclude = list;
        Ok(())
    })?;
    resolved.push(("exclude", format!("{:?}", run.exclude), origin));
    for (id, slot, value) in [
        (
            "report_dir",
            &mut run.report_dir,
            p.and_then(|p| p.report_dir.clone()),
        ),
        (
            "state_dir",
            &mut run.state_dir,
            p.and_then(|p| p.state_dir.clone()),
        ),
    ] {
        let origin = filler.fill(id, None, value, |path| {
            *slot = Some(path);
            Ok(())
        })?;
        let shown = slot
            .as_ref()
            .map_or("(default)".into(), |p| p.display().to_string());
        resolved.push((id, shown, origin));
    }
    after_run(&filler, run, &mut resolved)?;

    if let Some(concurrency) = concurrency {
        let origin = filler.fill("concurrency", None, p.and_then(|p| p.concurrency), |n| {
            *concurrency = Some(n.clamp(1, 256));
            Ok(())
        })?;
        let shown =
            concurrency.map_or("auto (from the rate and latency)".into(), |n| n.to_string());
        resolved.push(("concurrency", shown, origin));
    }
    if let Some(max_changes) = max_changes {
        let limit = p.and_then(|p| p.max_changes.as_deref());
        let origin = filler.fill_parsed("max_changes", max_changes, limit)?;
        resolved.push(("max_changes", max_changes.to_string(), origin));
    }
    if let Some(shrink_limit) = shrink_limit {
        let share = p.and_then(|p| p.shrink_limit.as_deref());
        let origin = filler.fill("shrink_limit", None, share, |text| {
            *shrink_limit = crate::cli::parse_share(text)?;
            Ok(())
        })?;
        resolved.push((
            "shrink_limit",
            format!("{}%", *shrink_limit * 100.0),
            origin,
        ));
    }
    if let Some(allow_unmatched) = allow_unmatched {
        let allowed = p.and_then(|p| p.allow_unmatched);
        let origin = filler.fill("allow_unmatched", None, allowed, |allowed| {
            *allow_unmatched = allowed;
            Ok(())
        })?;
        resolved.push(("allow_unmatched", allow_unmatched.to_string(), origin));
    }
    if let Some(sync_name) = sync_name {
        let name = p.and_then(|p| p.sync_name.as_deref());
        let origin = filler.fill("sync_name", None, name, |text| {
            *sync_name = Some(crate::cli::parse_sync_name(text)?);
            Ok(())
        })?;
        let shown = sync_name
            .clone()
            .unwrap_or_else(|| "(the input's path and the profile)".into());
        resolved.push(("sync_name", shown, origin));
    }
    if let Some(lifecycle) = lifecycle {
        fill_lifecycle(&filler, lifecycle, &mut resolved)?;
    }
    if let Some(groups) = groups {
        fill_groups(&filler, groups, &mut resolved)?;
    }
    if let Some(mapping) = mapping {
        let origin = filler.fill("mapping", None, p.and_then(|p| p.mapping.clone()), |path| {
            *mapping = Some(path);
            Ok(())
        })?;
        let shown = mapping
            .as_ref()
            .map_or("(none)".into(), |m| m.display().to_string());
        resolved.push(("mapping", shown, origin));
    }
    Ok(resolved)
}

/// The settings of what follows a run: `--notify*` and `--keep-reports*`.
fn after_run(
    filler: &Filler,
    run: &mut crate::cli::RunArgs,
    resolved: &mut Resolved,
) -> Result<(), String> {
    use clap::ValueEnum;
    let p = filler.profile.map(|(_, p)| p);
    let notify = &mut run.notify;
    let hooks = p.map(|p| p.notify.clone()).filter(|list| !list.is_empty());
    let origin = filler.fill("notify", None, hooks, |list| {
        notify.notify = list;
        Ok(())
    })?;
    let shown: Vec<String> = notify
        .notify
        .iter()
        .map(|raw| {
            crate::notify::Webhook::parse(raw)
                .map_or("(not a webhook URL)".into(), |hook| hook.shown())
        })
        .collect();
    resolved.push(("notify", format!("{shown:?}"), origin));
    let on = p.and_then(|p| p.notify_on.clone());
    let origin = filler.fill("notify_on", None, on, |text| {
        notify.notify_on = ValueEnum::from_str(&text, true)
            .map_err(|_| format!("`{text}` is not one of failure, always"))?;
        Ok(())
    })?;
    resolved.push(("notify_on", notify.notify_on.as_str().into(), origin));
    let format = p.and_then(|p| p.notify_format.clone());
    let origin = filler.fill("notify_format", None, format, |text| {
        notify.notify_format = ValueEnum::from_str(&text, true)
            .map_err(|_| format!("`{text}` is not one of json, slack, teams"))?;
        Ok(())
    })?;
    resolved.push((
        "notify_format",
        notify.notify_format.as_str().into(),
        origin,
    ));
    let retention = &mut run.retention;
    for (id, slot, value) in [
        (
            "keep_reports",
            &mut retention.keep_reports,
            p.and_then(|p| p.keep_reports),
        ),
        (
            "keep_reports_days",
            &mut retention.keep_reports_days,
            p.and_then(|p| p.keep_reports_days),
        ),
    ] {
        let origin = filler.fill(id, None, value, |n| match n {
            0 => Err("0 would keep nothing: give 1 or more".to_string()),
            n => {
                *slot = Some(n);
                Ok(())
            }
        })?;
        let shown = slot.map_or("(every report kept)".into(), |n| n.to_string());
        resolved.push((id, shown, origin));
    }
    Ok(())
}

/// Decides, setting by setting, between what clap saw and what the profile says.
struct Filler<'a> {
    /// The subcommand's matches: whether a value came from the command line or environment.
    matches: Option<&'a ArgMatches>,
    profile: Option<(&'a str, &'a Profile)>,
}

impl Filler<'_> {
    fn profile_origin(&self) -> Origin {
        Origin::Profile(self.profile.map_or("", |(name, _)| name).to_string())
    }

    /// Where setting `id` comes from: the flag or `env` if clap took it from there, else the
    /// profile's `value` (stored by `set`), else the default.
    fn fill<T>(
        &self,
        id: &str,
        env: Option<&'static str>,
        value: Option<T>,
        set: impl FnOnce(T) -> Result<(), String>,
    ) -> Result<Origin, String> {
        match self.matches.and_then(|m| m.value_source(id)) {
            Some(ValueSource::CommandLine) => return Ok(Origin::Flag),
            Some(ValueSource::EnvVariable) => return Ok(Origin::Env(env.unwrap_or(""))),
            _ => {}
        }
        let Some(value) = value else {
            return Ok(Origin::Default);
        };
        let name = self.profile.map_or("", |(name, _)| name);
        set(value).map_err(|e| format!("[profile.{name}] {id}: {e}"))?;
        Ok(self.profile_origin())
    }

    /// [`Filler::fill`] for a setting clap parses from text (`rate`, `max_changes`).
    fn fill_parsed<T>(&self, id: &str, slot: &mut T, text: Option<&str>) -> Result<Origin, String>
    where
        T: std::str::FromStr<Err = String>,
    {
        self.fill(id, None, text, |text| {
            *slot = text.parse()?;
            Ok(())
        })
    }
}

/// `member-sync config show`: one line per setting, `name = value  (origin)`.
pub fn show(resolved: &Resolved) -> String {
    let width = resolved.iter().map(|(n, _, _)| n.len()).max().unwrap_or(0);
    resolved
        .iter()
        .map(|(name, value, origin)| format!("{name:<width$} = {value}  ({origin})\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_parse_and_unknown_keys_are_refused() {
        let file: ConfigFile = toml::from_str(
            "[profile.acme]\norg = \"acme\"\nrate = \"60/min\"\nexclude = [\"ceo@acme.example\"]\n",
        )
        .unwrap();
        assert_eq!(file.profile["acme"].org.as_deref(), Some("acme"));
        assert_eq!(file.profile["acme"].exclude, ["ceo@acme.example"]);
        let err = toml::from_str::<ConfigFile>("[profile.x]\ntoken = \"secret\"\n").unwrap_err();
        assert!(err.to_string().contains("unknown field `token`"), "{err}");
    }

    #[test]
    fn on_windows_the_config_file_is_under_appdata_unless_an_xdg_directory_is_set() {
        let roaming = PathBuf::from(r"C:\Users\it\AppData\Roaming");
        let env = |name: &str| match name {
            "APPDATA" => Some(roaming.clone()),
            "HOME" => Some(PathBuf::from("/home/it")),
            _ => None,
        };
        let in_roaming = roaming.join("member-sync").join("member-sync.toml");
        assert_eq!(default_config_path(true, env), Some(in_roaming));
        let on_unix = PathBuf::from("/home/it/.config/member-sync/member-sync.toml");
        assert_eq!(default_config_path(false, env), Some(on_unix));
        let xdg = |name: &str| (name == "XDG_CONFIG_HOME").then(|| PathBuf::from("/xdg"));
        let in_xdg = PathBuf::from("/xdg/member-sync/member-sync.toml");
        assert_eq!(default_config_path(true, xdg), Some(in_xdg));
    }
}
