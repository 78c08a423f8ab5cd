//! The entry point behind `main`: turns a parsed command line into a run and its exit code.
//! Errors are printed here, once, as `error: ...` with an optional `hint: ...` line.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use clap::ArgMatches;

use crate::cli::{Cli, Command, ConfigAction, GroupArgs, IngestArgs, PlanFormat};
use crate::config;
use crate::exit_code::ExitCode;
use crate::guard::ChangeLimit;
use crate::progress::Progress;
use crate::sandbox_command;
use crate::settings::{
    self, GroupSync, Lifecycle, PlanOutput, RunSettings, SettingsError, Source, load_options,
};
use crate::stop_signals::{self, OnFirst};
use crate::sync::{self, Mode};

/// Runs a command to its end. `progress` is how the run talks to a person.
pub async fn run(mut cli: Cli, matches: ArgMatches, progress: Arc<dyn Progress>) -> ExitCode {
    if let Command::Config {
        action: ConfigAction::Show,
    } = &cli.command
    {
        return show_config(&cli);
    }
    if let Err(message) = config::apply(&mut cli, &matches) {
        return fail(
            &message,
            Some("the configuration file is described in docs/operations.md"),
        );
    }
    let stop = CancellationToken::new();
    let on_first_signal = match cli.command {
        Command::Sandbox(_) => OnFirst::StopSandbox,
        Command::Completions { .. }
        | Command::Man
        | Command::Validate(_)
        | Command::Export(_)
        | Command::Config { .. } => OnFirst::Plain,
        _ => OnFirst::FinishRun,
    };
    stop_signals::listen(stop.clone(), progress.clone(), on_first_signal);
    let profile = cli.global.profile.clone();
    // `--allow-unmatched`: only `plan` and `apply` read an export.
    let mut allow_unmatched = false;
    // Joiners, leavers and rehires: only `plan` and `apply` have the flags.
    let mut lifecycle = Lifecycle::default();
    // Group membership: only `plan` and `apply` of an export read groups.
    let mut groups = None;
    let (args, source, mode, plan_output, against, sync) = match cli.command {
        Command::Completions { shell } => return print_completions(shell),
        Command::Config { .. } => unreachable!("handled above"),
        Command::Man => return print_man(),
        Command::Sandbox(args) => {
            return sandbox_command::serve(args, progress.as_ref(), stop).await;
        }
        Command::Export(export) => {
            let settings = match RunSettings::resolve(&export.run, Source::None) {
                Ok(settings) => settings,
                Err(e) => return fail(&e.message, e.hint.as_deref()),
            };
            let out = export
                .out
                .as_deref()
                .map(|path| crate::output_file::Output::export(path, export.overwrite));
            return match crate::export::run(&settings, out, progress.as_ref(), stop).await {
                Ok(code) => code,
                Err(e) => fail(&e.message, e.hint.as_deref()),
            };
        }
        Command::Validate(args) => {
            return match crate::check::run(&args, progress.as_ref()) {
                Ok(code) => code.or_stopped(),
                Err(e) => fail(&e.message, e.hint.as_deref()),
            };
        }
        Command::Plan(plan) => {
            lifecycle = match Lifecycle::resolve(&plan.lifecycle) {
                Ok(lifecycle) => lifecycle,
                Err(e) => return fail(&e.message, e.hint.as_deref()),
            };
            let source = match export_source(&plan.input, &plan.ingest, &plan.groups, &lifecycle) {
                Ok((source, group_sync)) => {
                    groups = group_sync;
                    source
                }
                Err(code) => return code,
            };
            let output = PlanOutput {
                file: plan.out,
                overwrite: plan.overwrite,
                json_to_stdout: plan.format == PlanFormat::Json,
                detailed_exitcode: plan.detailed_exitcode,
            };
            allow_unmatched = plan.allow_unmatched;
            // The sync whose leaver counts the plan reads (it keeps none of its own).
            let sync = crate::settings::sync_identity(
                &source,
                plan.sync_name.as_deref(),
                profile.as_deref(),
            );
            (plan.run, source, Mode::Plan, output, plan.against, sync)
        }
        Command::Apply(apply) => {
            lifecycle = match Lifecycle::resolve(&apply.lifecycle) {
                Ok(lifecycle) => lifecycle,
                Err(e) => return fail(&e.message, e.hint.as_deref()),
            };
            let source = match (&apply.plan, &apply.input) {
                (Some(plan), _) => Source::SavedPlan(plan.clone()),
                (None, Some(input)) => {
                    match export_source(input, &apply.ingest, &apply.groups, &lifecycle) {
                        Ok((source, group_sync)) => {
                            groups = group_sync;
                            source
                        }
                        Err(code) => return code,
                    }
                }
                (None, None) => unreachable!("clap requires an input or --plan"),
            };
            let mode = Mode::Apply {
                guards: sync::ApplyGuards {
                    max_changes: apply.max_changes,
                    shrink_limit: apply.shrink_limit,
                    force: apply.force,
                },
                concurrency: crate::settings::resolve_concurrency(apply.concurrency),
                yes: apply.yes,
            };
            allow_unmatched = apply.allow_unmatched;
            let sync = crate::settings::sync_identity(
                &source,
                apply.sync_name.as_deref(),
                profile.as_deref(),
            );
            (apply.run, source, mode, PlanOutput::default(), None, sync)
        }
        Command::Rollback(rollback) => {
            let source = Source::Rollback {
                report: rollback.report_of_run,
                force: rollback.force,
            };
            // Undoing a run is deliberate: the change-count guard would only get in the way.
            // The last-admin guard still holds.
            let mode = Mode::Apply {
                guards: sync::ApplyGuards {
                    max_changes: ChangeLimit::Share(1.0),
                    shrink_limit: 0.0,
                    force: false,
                },
                concurrency: crate::settings::resolve_concurrency(rollback.concurrency),
                yes: rollback.yes,
            };
            (
                rollback.run,
                source,
                mode,
                PlanOutput::default(),
                None,
                None,
            )
        }
    };
    let settings = match RunSettings::resolve_against(&args, source, against.as_deref()) {
        Ok(settings) => RunSettings {
            plan_output,
            allow_unmatched,
            sync,
            lifecycle,
            groups,
            ..settings
        },
        Err(e) => return fail(&e.message, e.hint.as_deref()),
    };
    match sync::run(settings, mode, progress, stop).await {
        Ok(code) => code,
        Err(e) => fail(&e.message, e.hint.as_deref()),
    }
}

pub(crate) fn fail(message: &str, hint: Option<&str>) -> ExitCode {
    crate::progress::print_error(message, hint);
    ExitCode::CouldNotRun
}

/// `config show`: what an `apply` with no flags would use, given the environment and the
/// profile (`--profile`), resolved by the same code as a real run.
fn show_config(cli: &Cli) -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    let mut argv = vec![
        "member-sync".to_string(),
        "apply".into(),
        "--plan".into(),
        "-".into(),
    ];
    if let Some(profile) = &cli.global.profile {
        argv.extend(["--profile".into(), profile.clone()]);
    }
    if let Some(path) = &cli.global.config {
        argv.extend(["--config".into(), path.display().to_string()]);
    }
    let resolved = Cli::command()
        .try_get_matches_from(argv)
        .map_err(|e| e.to_string())
        .and_then(|matches| {
            let mut apply = Cli::from_arg_matches(&matches).map_err(|e| e.to_string())?;
            config::apply(&mut apply, &matches)
        });
    match resolved {
        Ok(resolved) => to_stdout(config::show(&resolved).as_bytes()),
        Err(message) => fail(&message, None),
    }
}

/// An export and how to read it, and the run's group settings; the mapping file is read and
/// checked here, before anything. Its status and date cells are read strictly when `lifecycle`
/// acts on them. A group flag that cannot act is a usage error (exit 2).
fn export_source(
    path: &std::path::Path,
    ingest: &IngestArgs,
    groups: &GroupArgs,
    lifecycle: &Lifecycle,
) -> Result<(Source, Option<GroupSync>), ExitCode> {
    let error = |e: SettingsError, code: fn(&str, Option<&str>) -> ExitCode| {
        code(&e.message, e.hint.as_deref())
    };
    let load = load_options(ingest).map_err(|e| error(e, fail))?;
    let sync =
        settings::groups::resolve(groups, load.mapping.as_ref()).map_err(|e| error(e, usage))?;
    let load = settings::groups::load_options(&groups.columns, load)
        .map_err(|e| error(e, usage))?
        .with_employment_reading(lifecycle.employment_reading());
    let source = Source::Export {
        path: path.to_path_buf(),
        load: Box::new(load),
    };
    Ok((source, sync))
}

/// A setting that cannot act as given (exit 2), printed as errors are.
fn usage(message: &str, hint: Option<&str>) -> ExitCode {
    crate::progress::print_error(message, hint);
    ExitCode::Usage
}

/// Completions and the man page come from the clap definitions, so they never drift from them.
fn print_completions(shell: clap_complete::Shell) -> ExitCode {
    use clap::CommandFactory;
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "member-sync", &mut script);
    to_stdout(&script)
}

fn print_man() -> ExitCode {
    use clap::CommandFactory;
    let mut page = Vec::new();
    match clap_mangen::Man::new(Cli::command()).render(&mut page) {
        Ok(()) => to_stdout(&page),
        Err(e) => fail(&format!("cannot render the man page: {e}"), None),
    }
}

/// Writes generated text to stdout; a reader that stops early (`| head`) is not an error.
fn to_stdout(bytes: &[u8]) -> ExitCode {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            fail(&format!("cannot write to stdout: {e}"), None)
        }
        _ => ExitCode::Success,
    }
}
