//! The options of `member-sync sandbox`: where it listens, the API quirks it shows, the faults
//! it injects. Kept apart from the sync's options because they describe a server, not a run.

mod limits;

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgGroup, Args, ValueEnum};

use crate::sandbox::Window;
use limits::{parse_burst, parse_jitter, parse_rate_limit, parse_window};

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

    /// Compress answers with gzip when the client accepts it, as a web server in front of an
    /// API may.
    #[arg(long)]
    pub gzip: bool,
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
#[command(group(ArgGroup::new("limiter").args(["rate_limit", "rate_limit_windows"])))]
pub struct FaultArgs {
    /// Delay every response by this many milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub latency_ms: u64,

    /// Add a random 0..=MS milliseconds to each response.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub jitter_ms: u64,

    /// Limit each token to this rate (a token bucket), answering 429 beyond it: `5/s`,
    /// `100/min`.
    #[arg(long, value_name = "RATE", value_parser = parse_rate_limit)]
    pub rate_limit: Option<f64>,

    /// Requests the token bucket lets through back to back [default: one second's worth]. `1`
    /// is strict, as nginx's `limit_req` without `burst`.
    #[arg(long, value_name = "N", value_parser = parse_burst, requires = "rate_limit",
          conflicts_with = "rate_limit_windows")]
    pub burst: Option<u32>,

    /// Limit each token with fixed windows instead, as Laravel's throttle keeps them, all at
    /// once: `20/1s,100/60s`. Each window opens at the first request after the last one ended.
    #[arg(long, value_name = "WINDOWS", value_parser = parse_window, value_delimiter = ',')]
    pub rate_limit_windows: Option<Vec<Window>>,

    /// Hold each request a random 0..DURATION before the rate limit sees it, as a network
    /// reorders arrivals: `20ms`.
    #[arg(long, value_name = "DURATION", value_parser = parse_jitter, requires = "limiter")]
    pub arrival_jitter: Option<Duration>,

    /// Send `X-RateLimit-Limit` and `X-RateLimit-Remaining` on every answer, and
    /// `X-RateLimit-Reset` on a 429, as Laravel does.
    #[arg(long, requires = "limiter")]
    pub rate_limit_headers: bool,

    /// How 429s say when to come back.
    #[arg(long, value_enum, default_value_t = RetryAfterStyle::Seconds, requires = "limiter")]
    pub retry_after: RetryAfterStyle,

    /// Where the rate limit sits: at the edge (every request it admits spends it) or in the
    /// application, after auth (502s, 503s and 401s are answered before it and spend nothing).
    #[arg(long, value_enum, default_value_t = ThrottleAt::Edge, requires = "limiter")]
    pub throttle_at: ThrottleAt,

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
pub enum ThrottleAt {
    /// in front of everything: every admitted request spends the limit
    Edge,
    /// as Laravel's `throttle:api`: 502s, 503s and 401s spend nothing
    Application,
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
pub(crate) fn parse_share(text: &str) -> Result<f64, String> {
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
}
