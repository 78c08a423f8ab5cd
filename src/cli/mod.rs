//! The command line, as typed. Nothing here is validated beyond what clap does; `settings`
//! turns it into what the run uses. Environment variable names live in `env_vars`.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{ArgAction, Args, Parser, Subcommand};

use crate::env_vars;
use crate::execute::pacing::Pace;
use crate::guard::ChangeLimit;
use crate::ingest::{PresetChoice, decode, preset, sniff};
use crate::notify::{NotifyFormat, NotifyOn};
use crate::report::{Outcome, ReportFormat};

mod groups;
mod lifecycle;
mod sandbox;

pub(crate) use sandbox::parse_share;

pub use groups::{GroupArgs, GroupColumnArgs};
pub use lifecycle::LifecycleArgs;

pub use sandbox::{
    FaultArgs, FieldNameSet, LinksShape, QuirkArgs, RetryAfterStyle, SandboxArgs, ThrottleAt,
    ValidationShape,
};

const EXIT_CODES: &str = "\
Exit codes:
  0    every row updated, unchanged, planned or not_found (validate: every row valid)
  1    the run could not proceed (token or certificate refused, API unreachable, unreadable input, bad config)
  2    usage error
  3    the run finished, but some rows are invalid or failed
  4    a guard stopped the run before its first write (nothing written)
  5    apply: too few rows matched a member (none, or under half of 10 or more): wrong key
       column, organization or file? (--allow-unmatched if expected)
  6    plan --detailed-exitcode: changes are pending
  129  stopped by SIGHUP
  130  interrupted (Ctrl-C)
  143  stopped by SIGTERM";

/// Keep Tallyfy member profiles in line with an HR or directory export.
#[derive(Debug, Parser)]
#[command(name = "member-sync", version, after_help = EXIT_CODES, args_override_self = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    #[command(flatten)]
    pub global: GlobalArgs,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Print nothing on stderr but warnings and errors (no plan, no summary, no progress bar);
    /// rows that did not go through are still listed at the end.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// More log detail on stderr: -v info, -vv debug, -vvv trace.
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,

    /// Never draw a progress bar (it is drawn only when stderr is a terminal anyway).
    #[arg(long, global = true)]
    pub no_progress: bool,

    /// Log lines as text, or as JSON objects (one per line, with the run id; each finished
    /// row is logged with its row number, email and outcome).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Settings from this profile of the configuration file (flags and environment win).
    #[arg(long, global = true, env = env_vars::PROFILE, value_name = "NAME")]
    pub profile: Option<String>,

    /// The configuration file [default: $XDG_CONFIG_HOME/member-sync/member-sync.toml; Windows:
    /// %APPDATA%\member-sync\member-sync.toml].
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what would change, without writing anything. Rows that would change end as
    /// `planned` in the report; `--out` saves the plan for `apply --plan`.
    Plan(PlanArgs),
    /// Apply the changes: only the fields that differ, paced and retried.
    Apply(ApplyArgs),
    /// Undo a run: restore the `before` values of the fields its report says landed, enable
    /// the members it disabled and disable those it enabled (invitations stay: named).
    Rollback(RollbackArgs),
    /// Write the organization's members in the canonical columns (a backup, or a template);
    /// it reads back as input.
    Export(ExportArgs),
    /// Serve a local Tallyfy-compatible API with a sample organization, for rehearsals.
    Sandbox(SandboxArgs),
    /// Print a shell completion script to stdout (`member-sync completions bash > ...`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to stdout (`member-sync man > member-sync.1`).
    Man,
    /// The configuration file and its profiles.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Check an export offline: what was detected (format, encoding, header, preset, columns)
    /// and every row problem. Nothing is sent; no token is needed.
    Validate(ValidateArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Lines for people.
    Text,
    /// One JSON object per line, for log collectors; notes become info events.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print the settings an `apply` would use, and where each comes from (flag, environment,
    /// profile, default). The token is never shown.
    Show,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The export to check (CSV, TSV or a workbook; see docs/input.md); `-` reads it from
    /// standard input.
    pub input: PathBuf,

    /// Write a per-row report (`valid` / `invalid`) to this CSV file (`-` for stdout).
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,

    #[command(flatten)]
    pub ingest: IngestArgs,

    #[command(flatten)]
    pub groups: GroupColumnArgs,
}

/// The `--help` heading of the input options. (Set per argument: a struct-wide heading would
/// carry over to the options that follow the flattened struct.)
const INPUT: &str = "Input";

/// How to read the input: shared by `plan`, `apply` and `validate`. Every option has a
/// default decided from the file's content.
#[derive(Debug, Clone, Default, Args)]
pub struct IngestArgs {
    /// Encoding of a text file without a byte-order mark: windows-1252 (also cp1252, latin1),
    /// utf-16le, utf-16be, iso-8859-15, ... [default: UTF-8]
    #[arg(long, value_name = "NAME", value_parser = decode::parse_encoding, help_heading = INPUT)]
    pub encoding: Option<&'static encoding_rs::Encoding>,

    /// Delimiter of a text file: `,` `;` `|` or `tab` [default: guessed from the content]
    #[arg(long, value_name = "CHAR", value_parser = sniff::parse_delimiter, help_heading = INPUT)]
    pub delimiter: Option<u8>,

    /// The workbook sheet to read [default: the first sheet]
    #[arg(long, value_name = "NAME", help_heading = INPUT)]
    pub sheet: Option<String>,

    /// Read the columns as this source names them, or `none` for generic names only
    /// [default: detected from the header]
    #[arg(
        long,
        value_name = "NAME",
        ignore_case = true,
        value_parser = preset_parser(),
        help_heading = INPUT
    )]
    pub preset: Option<PresetChoice>,

    /// A mapping file (TOML): columns, constants, blank policies, country and time zone
    /// tables (see docs/input.md)
    #[arg(long, value_name = "FILE", help_heading = INPUT)]
    pub mapping: Option<PathBuf>,
}

/// The preset names as possible values (shown by `--help`), parsed into a choice.
fn preset_parser() -> impl TypedValueParser<Value = PresetChoice> {
    PossibleValuesParser::new(preset::ids().into_iter().chain(["none"])).map(|name| {
        match preset::parse_choice(&name) {
            Ok(Some(preset)) => PresetChoice::Use(preset),
            _ => PresetChoice::Off,
        }
    })
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The export to sync from (CSV, TSV or a workbook with a header row; see docs/input.md);
    /// `-` reads it from standard input.
    pub input: PathBuf,

    /// Save the plan (what changes, and what each member must still hold) for `apply --plan`.
    /// An existing file is refused unless --overwrite is given.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,

    /// Replace the --out file if it exists (never a link, the input or another output).
    #[arg(long, requires = "out")]
    pub overwrite: bool,

    /// Plan against a saved export of the members instead of the API: the list endpoint's JSON
    /// (`{"data": [...]}` or an array of members) or a CSV with member field names as headers
    /// (what `member-sync export` writes). Offline: nothing is sent, no token is needed.
    #[arg(long, value_name = "FILE", conflicts_with = "sandbox")]
    pub against: Option<PathBuf>,

    /// `json` prints the plan to stdout, for scripts (the readable diff stays on stderr).
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,

    /// Exit 6 when the plan would change something (and no row is invalid), 0 when it
    /// would not: "changes pending", for scripts and monitoring.
    #[arg(long)]
    pub detailed_exitcode: bool,

    /// The input is expected to hold people who are not members: no warning when too few
    /// rows match one.
    #[arg(long)]
    pub allow_unmatched: bool,

    /// The sync whose leaver counts the plan reads (as `apply --sync-name`) [default: the
    /// input's path and the profile].
    #[arg(long, value_name = "NAME", value_parser = parse_sync_name)]
    pub sync_name: Option<String>,

    #[command(flatten)]
    pub run: RunArgs,

    #[command(flatten)]
    pub ingest: IngestArgs,

    #[command(flatten)]
    pub lifecycle: LifecycleArgs,

    #[command(flatten)]
    pub groups: GroupArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    /// Only the report and the diff on stderr.
    Text,
    /// The plan as JSON on stdout (the same document `--out` writes).
    Json,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The report of the run to undo.
    pub report_of_run: PathBuf,

    #[command(flatten)]
    pub run: RunArgs,

    /// Requests in flight at once [default: sized from the rate and the answers' latency].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: Option<u16>,

    /// Do not ask for confirmation (it is only asked when stdin is a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Restore also members changed since that run (they are `stale` and left alone
    /// otherwise).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write to this file [default: stdout]. An existing file is refused unless --overwrite
    /// is given.
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,

    /// Replace the --out file if it exists (never a link).
    #[arg(long, requires = "out")]
    pub overwrite: bool,

    #[command(flatten)]
    pub run: RunArgs,
}

/// What `plan`, `apply`, `rollback` and `export` share.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// Where to write the per-row report [default: member-sync-report-<time>.csv in
    /// --report-dir].
    // The help text is the doc comment: `<time>` is meant for the terminal, not rustdoc.
    #[allow(rustdoc::invalid_html_tags)]
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,

    /// Directory for reports named by time, so every run keeps its own [default: the current
    /// directory].
    #[arg(long, value_name = "DIR", conflicts_with = "report")]
    pub report_dir: Option<PathBuf>,

    /// The report's format: `csv` (UTF-8, written line by line) or `xlsx` (a workbook for
    /// spreadsheets, written when the run ends) [default: xlsx for a --report ending .xlsx,
    /// else csv].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub report_format: Option<ReportFormat>,

    /// The limits to keep to, for every call, the member list included: `20/s`, `600/min`,
    /// `140/10s`, several at once (`100/min,1000/h`), or `auto` (find the server's limit
    /// while running; `auto,1000/h` keeps to the hourly cap too). Each is a ceiling: after a
    /// 429 the pace drops below the one that drew it, and climbs back carefully.
    #[arg(long, value_name = "RATE", default_value = "90/min,900/h")]
    pub rate: Pace,

    /// Give up on a request that has not answered after this many seconds (it is retried).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub timeout: u64,

    /// Retries of one request after a 5xx, a timeout or a dropped connection, with jittered
    /// backoff from 0.5 s to 8 s. A 429 never spends them (see --max-wait); other 4xx are
    /// never retried.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u8).range(0..=20))]
    pub max_retries: u8,

    /// The most the run waits, in all, for the server's pauses (429s and their Retry-After):
    /// `90s`, `10m`, `2h`, or seconds. A pause the server asks for beyond it stops the run
    /// cleanly, every row not done `cancelled`, to re-run with --only-rows-from.
    #[arg(long, alias = "retry-after-cap", value_name = "DURATION", default_value = "1h", value_parser = parse_wait)]
    pub max_wait: std::time::Duration,

    /// Run only the rows that ended with one of --outcomes in this earlier report (of the
    /// same input): a repair run after failures or an interruption.
    #[arg(long, value_name = "REPORT")]
    pub only_rows_from: Option<PathBuf>,

    /// With --only-rows-from: the outcomes to run again.
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        default_value = "failed,cancelled",
        requires = "only_rows_from"
    )]
    pub outcomes: Vec<Outcome>,

    /// Never change members with these emails; globs allowed (`*@contractors.example`).
    /// Repeatable. Their rows end `excluded`.
    #[arg(long, value_name = "PATTERN")]
    pub exclude: Vec<String>,

    /// The email of the account the token belongs to: a row that would change its role is
    /// left alone (`excluded`), so a sync never demotes the account it runs as.
    #[arg(long, value_name = "EMAIL")]
    pub token_owner: Option<String>,

    /// Write the run's summary (counts per outcome, requests, retries, 429s, duration, report
    /// path, exit code) to this file as JSON, for monitoring. It replaces an earlier summary
    /// there, and refuses any other file.
    #[arg(long, value_name = "PATH")]
    pub summary_json: Option<PathBuf>,

    /// Where runs keep state (each sync's size, the per-org lock) [default: MEMBER_SYNC_STATE_DIR,
    /// else $XDG_STATE_HOME/member-sync, else (Windows) %LOCALAPPDATA%\member-sync, else
    /// ~/.local/state/member-sync].
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,

    // The HTML run report (docs/report.md, "The HTML report").
    /// Also write the run as one self-contained HTML page here (counts, failures first, the
    /// changes by field, a filter box) [default: beside the report when --report-dir is given].
    #[arg(long, value_name = "PATH")]
    pub html: Option<PathBuf>,

    #[command(flatten)]
    pub notify: NotifyArgs,

    #[command(flatten)]
    pub retention: RetentionArgs,
}

/// Telling people how a run ended (`crate::notify`): `plan`, `apply` and `rollback`.
#[derive(Debug, Clone, Default, Args)]
pub struct NotifyArgs {
    /// When the run ends, POST its summary (counts, exit code, error, report, the first rows
    /// that did not go through) to this webhook: https://, or http:// to this machine only.
    /// Repeatable. A notification that fails is a warning; the exit code stays the run's.
    #[arg(long = "notify", value_name = "URL")]
    pub notify: Vec<String>,

    /// When to notify: `failure` (any exit but 0: rows that did not go through, a guard, too
    /// few matched, a stop, an error) or `always`.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = NotifyOn::Failure)]
    pub notify_on: NotifyOn,

    /// The message's shape: `json` (the summary JSON and the rows to check), `slack` (a Slack
    /// incoming webhook) or `teams` (an Adaptive Card, for a Teams incoming webhook or
    /// workflow).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = NotifyFormat::Json)]
    pub notify_format: NotifyFormat,
}

/// Keeping the report directory from filling a disk (`crate::report::retention`). Only
/// time-named reports are ever removed, so neither works with --report.
#[derive(Debug, Clone, Default, Args)]
pub struct RetentionArgs {
    /// After the run, keep the N newest time-named reports in --report-dir (this run's
    /// among them) and delete the older ones. Only files named as member-sync names its
    /// reports (member-sync-report-YYYYMMDD-HHMMSS.csv, .xlsx, and the .html page beside one)
    /// are touched.
    #[arg(long, value_name = "N", conflicts_with = "report", value_parser = clap::value_parser!(u32).range(1..))]
    pub keep_reports: Option<u32>,

    /// After the run, delete the time-named reports in --report-dir older than DAYS days
    /// (never this run's).
    #[arg(long, value_name = "DAYS", conflicts_with = "report", value_parser = clap::value_parser!(u32).range(1..))]
    pub keep_reports_days: Option<u32>,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The export to sync from (CSV, TSV or a workbook with a header row; see docs/input.md);
    /// `-` reads it from standard input.
    #[arg(required_unless_present = "plan")]
    pub input: Option<PathBuf>,

    /// Apply a plan saved by `plan --out` instead of an export: exactly its changes, and none
    /// to a member that no longer holds the values the plan expects (`stale`).
    // The saved plan holds its group changes: group flags would do nothing.
    #[arg(long, value_name = "PLAN", conflicts_with_all = [
        "input", "groups_from", "groups_separator", "manage_groups", "groups", "create_groups",
        "max_group_removals",
    ])]
    pub plan: Option<PathBuf>,

    #[command(flatten)]
    pub run: RunArgs,

    #[command(flatten)]
    pub ingest: IngestArgs,

    #[command(flatten)]
    pub lifecycle: LifecycleArgs,

    #[command(flatten)]
    pub groups: GroupArgs,

    /// Requests in flight at once [default: the rate × the slowest answer while reading the
    /// member list × 2, from 2 to 256].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: Option<u16>,

    /// Do not ask for confirmation (it is only asked when stdin is a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Stop before writing if more members than this would change: a number (50) or a share
    /// of the organization (10%; never fewer than 25 members).
    #[arg(long, value_name = "N|N%", default_value = "10%")]
    pub max_changes: ChangeLimit,

    /// Stop before writing if fewer of the input's rows match a member than this share of
    /// those that matched in the last complete run of the same sync (a truncated export looks
    /// like that). 0 turns the check off for this run.
    #[arg(long, value_name = "SHARE", value_parser = parse_share, default_value = "50%")]
    pub shrink_limit: f64,

    /// Override the max-changes and source-shrink guards (not the empty-input and last-admin
    /// ones).
    #[arg(long)]
    pub force: bool,

    /// The input is expected to hold people who are not members: when none of its valid rows,
    /// or under half of 10 or more, match a member, do not warn and exit 5.
    #[arg(long)]
    pub allow_unmatched: bool,

    /// The name of this sync for the source-shrink guard: runs with the same name compare with
    /// each other, whatever their input is called [default: the input's path and the profile;
    /// standard input: `stdin` and the profile].
    #[arg(long, value_name = "NAME", value_parser = parse_sync_name)]
    pub sync_name: Option<String>,
}

/// `--sync-name`: any text but blank.
pub(crate) fn parse_sync_name(text: &str) -> Result<String, String> {
    match text.trim() {
        "" => Err("a sync name cannot be blank".into()),
        name => Ok(name.to_string()),
    }
}

#[derive(Debug, Args)]
pub struct ConnectionArgs {
    /// Tallyfy organization id.
    #[arg(long, env = env_vars::ORG_ID, value_name = "ID")]
    pub org: Option<String>,

    /// API base URL. Plain http:// is refused unless the host is loopback.
    #[arg(long, env = env_vars::BASE_URL, value_name = "URL", default_value = "https://go.tallyfy.com/api")]
    pub base_url: String,

    /// Also trust the certificate authorities in this PEM file: the one of a proxy that
    /// inspects TLS, or of a private gateway. The built-in roots stay trusted.
    #[arg(long, env = env_vars::CA_CERT, value_name = "PATH")]
    pub ca_cert: Option<PathBuf>,

    /// Read the access token from this file instead of the TALLYFY_ACCESS_TOKEN variable.
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,

    /// A profile's `token_env`: the variable to read the token from when neither
    /// `--token-file` nor TALLYFY_ACCESS_TOKEN gives one.
    #[arg(skip)]
    pub token_env: Option<String>,

    /// Run against a built-in sandbox organization (no credentials, nothing real touched).
    /// Any --org, --base-url or token given (or set in the environment) is ignored.
    #[arg(long)]
    pub sandbox: bool,
}

/// `--max-wait`: `90s`, `10m`, `10min`, `2h`, or a number of seconds (as `--retry-after-cap`,
/// its old name, took).
pub(crate) fn parse_wait(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim().to_ascii_lowercase();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(digits);
    let unit_secs = match unit.trim() {
        "" | "s" | "sec" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        _ => 0,
    };
    match n.parse::<u64>() {
        Ok(n) if unit_secs > 0 && n.saturating_mul(unit_secs) <= 7 * 24 * 3600 => {
            Ok(std::time::Duration::from_secs(n * unit_secs))
        }
        _ => Err(format!(
            "`{text}` is not a wait: write e.g. 90s, 10m or 2h (at most a week; 0 stops at the first pause)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_options_have_their_own_heading_and_only_they() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
        let cli = Cli::command();
        let apply = cli.find_subcommand("apply").expect("apply");
        let heading = |id: &str| {
            apply
                .get_arguments()
                .find(|a| a.get_id() == id)
                .and_then(|a| a.get_help_heading())
        };
        for id in ["encoding", "delimiter", "sheet", "preset", "mapping"] {
            assert_eq!(heading(id), Some(INPUT), "{id}");
        }
        assert_eq!(heading("concurrency"), None);
        assert_eq!(heading("yes"), None);
    }

    #[test]
    fn waits_parse_with_units_or_as_seconds() {
        let secs = |t: &str| parse_wait(t).map(|d| d.as_secs());
        assert_eq!(secs("90"), Ok(90));
        assert_eq!(secs("90s"), Ok(90));
        assert_eq!(secs("10m"), Ok(600));
        assert_eq!(secs(" 10 min "), Ok(600));
        assert_eq!(secs("2h"), Ok(7200));
        assert_eq!(secs("0"), Ok(0));
        assert!(parse_wait("soon").unwrap_err().contains("90s, 10m or 2h"));
        assert!(parse_wait("8d").is_err());
        assert!(parse_wait("1000h").is_err());
    }
}
