//! The entry point behind `main`: turns a parsed command line into a run and its exit code.
//! Errors are printed here, once, as `error: ...` with an optional `hint: ...` line.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::cli::{Cli, Command, SandboxArgs};
use crate::exit_code::ExitCode;
use crate::progress::Progress;
use crate::sandbox::{Sandbox, SandboxConfig, Seed};
use crate::settings::RunSettings;
use crate::sync::{self, Mode};

/// Runs a command to its end. `progress` is how the run talks to a person.
pub async fn run(cli: Cli, progress: Arc<dyn Progress>) -> ExitCode {
    let stop = CancellationToken::new();
    watch_for_interrupt(stop.clone(), progress.clone());
    let (args, mode) = match cli.command {
        Command::Sandbox(args) => return serve_sandbox(args, progress.as_ref(), stop).await,
        Command::Validate(args) => {
            return match crate::check::run(&args, progress.as_ref()) {
                Ok(code) => code,
                Err(e) => fail(&e.message, e.hint.as_deref()),
            };
        }
        Command::Plan(args) => (args, Mode::Plan),
        Command::Apply(apply) => (
            apply.run,
            Mode::Apply {
                concurrency: usize::from(apply.concurrency),
                yes: apply.yes,
            },
        ),
    };
    let settings = match RunSettings::resolve(&args) {
        Ok(settings) => settings,
        Err(e) => return fail(&e.message, e.hint.as_deref()),
    };
    match sync::run(settings, mode, progress, stop).await {
        Ok(code) => code,
        Err(e) => fail(&e.message, e.hint.as_deref()),
    }
}

fn fail(message: &str, hint: Option<&str>) -> ExitCode {
    eprintln!("error: {message}");
    if let Some(hint) = hint {
        eprintln!("hint: {hint}");
    }
    ExitCode::CouldNotRun
}

/// First Ctrl-C: stop taking new rows, let in-flight requests finish, flush the report.
/// Second Ctrl-C: leave at once.
fn watch_for_interrupt(stop: CancellationToken, progress: Arc<dyn Progress>) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        progress.note("interrupted: finishing requests in flight and writing the report (Ctrl-C again to quit now)");
        stop.cancel();
        if tokio::signal::ctrl_c().await.is_ok() {
            std::process::exit(i32::from(ExitCode::Interrupted.code()));
        }
    });
}

async fn serve_sandbox(
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
    let config = SandboxConfig {
        latency: std::time::Duration::from_millis(args.latency_ms),
        per_page_cap: args.per_page_cap.max(1),
        ..SandboxConfig::default()
    };
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
    progress.note(&format!(
        "sandbox serving {} members at {} (Ctrl-C to stop)",
        sandbox.members().len(),
        sandbox.base_url()
    ));
    stop.cancelled().await;
    ExitCode::Success
}
