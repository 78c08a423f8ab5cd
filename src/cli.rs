//! The command line, as typed. Nothing here is validated beyond what clap does; `settings`
//! turns it into what the run uses. Environment variable names live in `env_vars`.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

use crate::env_vars;
use crate::execute::pacing::Rate;
use crate::guard::ChangeLimit;
use crate::ingest::{PresetChoice, decode, preset, sniff};
use crate::report::Outcome;

const EXIT_CODES: &str = "\
Exit codes:
  0    every row updated, unchanged, planned or not_found (validate: every row valid)
  1    the run could not proceed (token refused, API unreachable, unreadable input, bad config)
  2    usage error
  3    the run finished, but some rows are invalid or failed
  4    a guard stopped the run before its first write (nothing written)
  130  interrupted";

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
    /// Print nothing on stderr but errors (no plan, no summary, no progress bar).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// More log detail on stderr: -v info, -vv debug, -vvv trace.
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,

    /// Never draw a progress bar (it is drawn only when stderr is a terminal anyway).
    #[arg(long, global = true)]
    pub no_progress: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what would change, without writing anything. Rows that would change end as
    /// `planned` in the report.
    Plan(RunArgs),
    /// Apply the changes: only the fields that differ, paced and retried.
    Apply(ApplyArgs),
    /// Serve a local Tallyfy-compatible API with a sample organization, for rehearsals.
    Sandbox(SandboxArgs),
    /// Print a shell completion script to stdout (`member-sync completions bash > ...`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to stdout (`member-sync man > member-sync.1`).
    Man,
    /// Check an export offline: what was detected (format, encoding, header, preset, columns)
    /// and every row problem. Nothing is sent; no token is needed.
    Validate(ValidateArgs),
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The export to check (CSV, TSV or a workbook; see docs/input.md).
    pub input: PathBuf,

    /// Write a per-row report (`valid` / `invalid`) to this CSV file (`-` for stdout).
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,

    #[command(flatten)]
    pub ingest: IngestArgs,
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

/// What `plan` and `apply` share.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The export to sync from (CSV, TSV or a workbook with a header row; see docs/input.md).
    pub input: PathBuf,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    /// Where to write the per-row report [default: member-sync-report-<time>.csv in
    /// --report-dir].
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,

    /// Directory for reports named by time, so every run keeps its own [default: the current
    /// directory].
    #[arg(long, value_name = "DIR", conflicts_with = "report")]
    pub report_dir: Option<PathBuf>,

    /// Request rate for every call, the member list included: `20/s`, `600/min` or a number
    /// per second. Stay under your organization's limit.
    #[arg(long, value_name = "RATE", default_value = "90/min")]
    pub rate: Rate,

    /// Give up on a request that has not answered after this many seconds (it is retried).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub timeout: u64,

    /// Retries of one request after a 5xx, a timeout or a dropped connection, with jittered
    /// backoff from 0.5 s to 8 s. 429s have their own budget (10); other 4xx are never retried.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u8).range(0..=20))]
    pub max_retries: u8,

    /// Longest pause honoured from a 429's Retry-After; a longer one is cut to this.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub retry_after_cap: u64,

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

    /// Write the run's summary (counts per outcome, requests, retries, 429s, duration, report
    /// path, exit code) to this file as JSON, for monitoring.
    #[arg(long, value_name = "PATH")]
    pub summary_json: Option<PathBuf>,

    /// Where runs keep state (last run sizes, the per-org lock) [default: MEMBER_SYNC_STATE_DIR,
    /// else $XDG_STATE_HOME/member-sync, else ~/.local/state/member-sync].
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    #[command(flatten)]
    pub ingest: IngestArgs,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub run: RunArgs,

    /// Requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,

    /// Do not ask for confirmation (it is only asked when stdin is a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Stop before writing if more members than this would change: a number (50) or a share
    /// of the organization (10%; never fewer than 25 members).
    #[arg(long, value_name = "N|N%", default_value = "10%")]
    pub max_changes: ChangeLimit,

    /// Stop before writing if the input has fewer rows than this share of the last
    /// successful run's (a truncated export looks like that).
    #[arg(long, value_name = "SHARE", value_parser = parse_share, default_value = "50%")]
    pub shrink_limit: f64,

    /// Override the max-changes and source-shrink guards (not the empty-input and last-admin
    /// ones).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ConnectionArgs {
    /// Tallyfy organization id.
    #[arg(long, env = env_vars::ORG_ID, value_name = "ID", required_unless_present = "sandbox")]
    pub org: Option<String>,

    /// API base URL. Plain http:// is refused unless the host is loopback.
    #[arg(long, env = env_vars::BASE_URL, value_name = "URL", default_value = "https://go.tallyfy.com/api")]
    pub base_url: String,

    /// Read the access token from this file instead of the TALLYFY_ACCESS_TOKEN variable.
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,

    /// Run against a built-in sandbox organization (no credentials, nothing real touched).
    /// Any --org, --base-url or token given (or set in the environment) is ignored.
    #[arg(long)]
    pub sandbox: bool,
}

const SANDBOX_HELP: &str = "\
Prints TALLYFY_BASE_URL, TALLYFY_ORG_ID and TALLYFY_ACCESS_TOKEN on stdout; `eval` them, then
run `member-sync plan|apply` against it. Ctrl-C stops it and prints what it served.
See docs/sandbox.md for rehearsing against a misbehaving API.";

#[derive(Debug, Args)]
#[command(after_help = SANDBOX_HELP)]
pub struct SandboxArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8787)]
    pub port: u16,

    /// Members to serve: a JSON file shaped like samples/sandbox-org.json [default: that file,
    /// compiled in].
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,

    /// Write every request (method, path, status, time, body, injected fault) to this file as
    /// JSON lines when the sandbox stops.
    #[arg(long, value_name = "PATH")]
    pub journal: Option<PathBuf>,

    #[command(flatten)]
    pub quirks: QuirkArgs,

    #[command(flatten)]
    pub faults: FaultArgs,
}

/// Variants of documented API behaviour (all of them real; clients must cope with each).
#[derive(Debug, Args)]
#[command(next_help_heading = "API quirks")]
pub struct QuirkArgs {
    /// Largest page the member list returns, whatever the client asks for.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub per_page_cap: usize,

    /// Shape of `meta.pagination.links` in list responses.
    #[arg(long, value_enum, default_value_t = LinksShape::Object)]
    pub links: LinksShape,

    /// Names of the activity and last-update fields in member objects.
    #[arg(long, value_enum, default_value_t = FieldNameSet::Current)]
    pub field_names: FieldNameSet,

    /// Body shape of 422 validation errors.
    #[arg(long, value_enum, default_value_t = ValidationShape::Laravel)]
    pub validation_errors: ValidationShape,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LinksShape {
    /// `{"previous": ..., "next": ...}`
    Object,
    /// `[]`
    EmptyArray,
    /// `null`
    Null,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FieldNameSet {
    /// `is_active`, `updated_at`
    Current,
    /// `active`, `last_updated`
    Legacy,
    /// all four
    Both,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ValidationShape {
    /// `{"message": "The given data was invalid.", "errors": {...}}`
    Laravel,
    /// `{"error": true, "errors": {...}}`
    ErrorFlag,
}

/// Failures to inject. Shares are fractions (0.1) or percentages (10%) of requests.
#[derive(Debug, Args)]
#[command(next_help_heading = "Faults")]
pub struct FaultArgs {
    /// Delay every response by this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,

    /// Add a random 0..=MS milliseconds to each response.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub jitter_ms: u64,

    /// Limit each token to this rate (token bucket), answering 429 beyond it: `5/s`, `100/min`.
    #[arg(long, value_name = "RATE")]
    pub rate_limit: Option<Rate>,

    /// Requests the rate limit lets through back to back [default: one second's worth].
    #[arg(long, value_name = "N", requires = "rate_limit")]
    pub burst: Option<u32>,

    /// How 429s say when to come back.
    #[arg(long, value_enum, default_value_t = RetryAfterStyle::Seconds, requires = "rate_limit")]
    pub retry_after: RetryAfterStyle,

    /// Share of requests answered 500 (JSON leaking SQL), 502 (HTML page), 503 or 504 (sent
    /// after the change was made).
    #[arg(long, value_name = "SHARE", value_parser = parse_share, default_value = "0")]
    pub server_errors: f64,

    /// Share of requests whose connection is reset before any response (nothing applied).
    #[arg(long, value_name = "SHARE", value_parser = parse_share, default_value = "0")]
    pub resets: f64,

    /// Share of requests applied but answered only after --slow-ms.
    #[arg(long, value_name = "SHARE", value_parser = parse_share, default_value = "0")]
    pub slow: f64,

    /// How late a slow answer comes (set it above the client's --timeout).
    #[arg(long, value_name = "MS", default_value_t = 35_000)]
    pub slow_ms: u64,

    /// Share of successful answers whose JSON is cut off halfway (the change is applied).
    #[arg(long, value_name = "SHARE", value_parser = parse_share, default_value = "0")]
    pub malformed: f64,

    /// Answer 401 to every request after the first N, as when the token's owner logs out.
    #[arg(long, value_name = "N")]
    pub revoke_token_after: Option<u64>,

    /// Refuse every write to member ID with STATUS, in Tallyfy's body for it (400 business
    /// rule, 403, 404 removed, 409 seat pool exhausted, 422). Repeatable: `--refuse 1005=409`.
    #[arg(long, value_name = "ID=STATUS", value_parser = parse_refusal)]
    pub refuse: Vec<(u64, u16)>,

    /// Seed of the dice that pick which requests fail, to replay a run.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub fault_seed: u64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RetryAfterStyle {
    /// `Retry-After: 2`
    Seconds,
    /// `Retry-After: Tue, 24 Nov 2026 02:15:07 GMT`
    HttpDate,
    /// either, at random
    Mixed,
    /// no Retry-After header
    Missing,
}

/// `1005=409` → (1005, 409).
fn parse_refusal(text: &str) -> Result<(u64, u16), String> {
    let usage = || format!("`{text}` is not ID=STATUS: write e.g. 1005=409");
    let (id, status) = text.split_once('=').ok_or_else(usage)?;
    let id = id.trim().parse().map_err(|_| usage())?;
    let status: u16 = status.trim().parse().map_err(|_| usage())?;
    if !(400..=599).contains(&status) {
        return Err(format!("`{text}`: the status must be 400–599"));
    }
    Ok((id, status))
}

/// `0.1`, `10%` → 0.1; refuses anything outside 0–1.
fn parse_share(text: &str) -> Result<f64, String> {
    let trimmed = text.trim();
    let (number, scale) = match trimmed.strip_suffix('%') {
        Some(n) => (n, 100.0),
        None => (trimmed, 1.0),
    };
    let share = number
        .trim()
        .parse::<f64>()
        .map(|n| n / scale)
        .map_err(|_| format!("`{text}` is not a share: write 0.1 or 10%"))?;
    if (0.0..=1.0).contains(&share) {
        Ok(share)
    } else {
        Err(format!("`{text}` is outside 0–100%"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_read_as_fractions_or_percentages() {
        assert_eq!(parse_share("0.1"), Ok(0.1));
        assert_eq!(parse_share("10%"), Ok(0.1));
        assert_eq!(parse_share(" 2.5 % "), Ok(0.025));
        assert!(parse_share("150%").is_err());
        assert!(parse_share("-0.1").is_err());
        assert!(parse_share("some").unwrap_err().contains("10%"));
    }

    #[test]
    fn refusals_read_as_member_and_status() {
        assert_eq!(parse_refusal("1005=409"), Ok((1005, 409)));
        assert!(parse_refusal("1005").unwrap_err().contains("ID=STATUS"));
        assert!(parse_refusal("1005=200").is_err());
    }

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
}
