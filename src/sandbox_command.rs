//! `member-sync sandbox`: serves the sandbox until Ctrl-C, for rehearsing a sync by hand.
//!
//! The connection goes to stdout as `NAME=value` lines a shell can `eval`; everything meant for
//! a person (what is served, and on exit what happened: statuses, injected faults, pacing
//! violations) goes to stderr.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::cli::{
    FaultArgs, FieldNameSet, LinksShape, QuirkArgs, RetryAfterStyle, SandboxArgs, ThrottleAt,
    ValidationShape,
};
use crate::exit_code::ExitCode;
use crate::progress::Progress;
use crate::run::fail;
use crate::sandbox::{
    Faults, FieldNames, JournalEntry, LimiterModel, PaginationLinks, RateLimit, RetryAfterForm,
    Sandbox, SandboxConfig, Seed, ThrottleSeat, ValidationErrorShape,
};

pub async fn serve(
    args: SandboxArgs,
    progress: &dyn Progress,
    stop: CancellationToken,
) -> ExitCode {
    let seed = match &args.seed {
        None => Seed::embedded(),
        Some(path) => match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| Seed::from_json(&text))
        {
            Ok(seed) => seed,
            Err(e) => {
                return fail(
                    &format!("cannot use the seed {}: {e}", path.display()),
                    None,
                );
            }
        },
    };
    // A journal that would be refused at the end is refused before serving anything.
    if let Some(path) = &args.journal
        && let Err(refused) = crate::output_file::Output::journal(path).check()
    {
        return fail(&refused.message, refused.hint.as_deref());
    }
    let config = config(&args.quirks, &args.faults);
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], args.port));
    let sandbox = match Sandbox::start(config, seed, addr).await {
        Ok(sandbox) => sandbox,
        Err(e) => {
            return fail(
                &format!("cannot listen on {addr}: {e}"),
                Some("pick another --port, or 0 for any free one"),
            );
        }
    };
    // Data on stdout, in a form a shell can `eval` or a person can paste.
    println!("TALLYFY_BASE_URL={}", sandbox.base_url());
    println!("TALLYFY_ORG_ID={}", sandbox.org_id());
    println!("TALLYFY_ACCESS_TOKEN={}", sandbox.token());
    let _ = std::io::stdout().flush();
    progress.note(&format!(
        "sandbox serving {} members at {} (Ctrl-C to stop)",
        sandbox.members().len(),
        sandbox.base_url()
    ));
    stop.cancelled().await;

    let journal = sandbox.journal();
    progress.note(&describe(
        &journal,
        sandbox.connections(),
        sandbox.pacing_violations().len(),
    ));
    if let Some(path) = &args.journal
        && let Err(refused) = write_journal(path, &journal)
    {
        return fail(&refused.message, refused.hint.as_deref());
    }
    ExitCode::Success
}

/// The rate limit the flags ask for: a bucket (`--rate-limit`, `--burst`) or fixed windows
/// (`--rate-limit-windows`), which clap lets through one at a time.
fn rate_limit(f: &FaultArgs) -> Option<RateLimit> {
    let limit = match (&f.rate_limit, &f.rate_limit_windows) {
        (Some(per_second), _) => match f.burst {
            Some(burst) => RateLimit::bucket(*per_second, burst),
            None => RateLimit::new(*per_second),
        },
        (None, Some(windows)) => RateLimit::with_model(LimiterModel::FixedWindows(windows.clone())),
        (None, None) => return None,
    };
    Some(RateLimit {
        arrival_jitter: f.arrival_jitter.unwrap_or_default(),
        headers: f.rate_limit_headers,
        retry_after: match f.retry_after {
            RetryAfterStyle::Seconds => RetryAfterForm::Seconds,
            RetryAfterStyle::HttpDate => RetryAfterForm::HttpDate,
            RetryAfterStyle::Mixed => RetryAfterForm::Mixed,
            RetryAfterStyle::Missing => RetryAfterForm::Missing,
        },
        seat: match f.throttle_at {
            ThrottleAt::Application => ThrottleSeat::Application,
            ThrottleAt::Edge => ThrottleSeat::Edge,
        },
        ..limit
    })
}

fn config(quirks: &QuirkArgs, f: &FaultArgs) -> SandboxConfig {
    let rate_limit = rate_limit(f);
    SandboxConfig {
        per_page_cap: quirks.per_page_cap.max(1),
        pagination_links: match quirks.links {
            LinksShape::Object => PaginationLinks::Object,
            LinksShape::EmptyArray => PaginationLinks::EmptyArray,
            LinksShape::Null => PaginationLinks::Null,
        },
        field_names: match quirks.field_names {
            FieldNameSet::Current => FieldNames::Current,
            FieldNameSet::Legacy => FieldNames::Legacy,
            FieldNameSet::Both => FieldNames::Both,
        },
        validation_errors: match quirks.validation_errors {
            ValidationShape::Laravel => ValidationErrorShape::Laravel,
            ValidationShape::ErrorFlag => ValidationErrorShape::ErrorFlag,
        },
        gzip: quirks.gzip,
        revoke_token_after: f.revoke_token_after,
        latency: Duration::from_millis(f.latency_ms),
        faults: Faults {
            jitter: Duration::from_millis(f.jitter_ms),
            rate_limit,
            server_errors: f.server_errors,
            resets: f.resets,
            slow: f.slow,
            slow_by: Duration::from_millis(f.slow_ms),
            malformed: f.malformed,
            seed: f.fault_seed,
            refuse: f.refuse.iter().copied().collect(),
            ..Faults::default()
        },
        ..SandboxConfig::default()
    }
}

/// `served 212 requests on 4 connections (200: 190, 429: 12, ...); injected: ...; pacing
/// violations: 0`
fn describe(journal: &[JournalEntry], connections: u64, violations: usize) -> String {
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    let mut faults: BTreeMap<String, usize> = BTreeMap::new();
    for entry in journal {
        *statuses.entry(entry.status).or_default() += 1;
        if let Some(fault) = entry.fault {
            *faults.entry(fault.to_string()).or_default() += 1;
        }
    }
    let list = |map: BTreeMap<String, usize>| {
        map.into_iter()
            .map(|(k, n)| format!("{k}: {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let statuses = list(
        statuses
            .into_iter()
            .map(|(s, n)| {
                (
                    if s == 0 {
                        "reset".into()
                    } else {
                        s.to_string()
                    },
                    n,
                )
            })
            .collect(),
    );
    let injected = if faults.is_empty() {
        "none".to_string()
    } else {
        list(faults)
    };
    if journal.is_empty() {
        return "served no requests".into();
    }
    format!(
        "served {} requests on {connections} connection{} ({statuses}); injected faults: {injected}; pacing violations: {violations}",
        journal.len(),
        if connections == 1 { "" } else { "s" }
    )
}

/// Private, written beside and renamed, never through a link (`crate::output_file`).
fn write_journal(path: &Path, journal: &[JournalEntry]) -> Result<(), crate::output_file::Refused> {
    crate::output_file::Output::journal(path).write_with(|out| {
        for entry in journal {
            serde_json::to_writer(&mut *out, &entry.to_json())?;
            out.write_all(b"\n")?;
        }
        Ok(())
    })
}
