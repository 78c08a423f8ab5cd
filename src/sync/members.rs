//! Where a run's members come from: the API (through the engine, which then sends the writes
//! too), a sandbox started for the run, or a saved export (`plan --against`, offline).

use std::sync::Arc;

use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

use std::time::Instant;

use crate::api::{Client, Connection, Group, Member};
use crate::execute::pool::Concurrency;
use crate::execute::{Engine, fetch};
use crate::exit_code::ExitCode;
use crate::members_export;
use crate::plan::MemberLookup;
use crate::progress::Progress;
use crate::sandbox::{Sandbox, SandboxConfig, Seed};
use crate::settings::{RunSettings, Target};

use super::{Mode, RunError, refused};

/// The members, and what the run keeps to write and to count requests.
pub(crate) struct Members {
    pub members: Vec<Member>,
    /// Built with the members when they were read on a thread of their own.
    pub lookup: Option<MemberLookup>,
    /// The organization id, or the export's file name.
    pub org: String,
    /// `None` when planning against an export: nothing is ever sent.
    pub engine: Option<Arc<Engine>>,
    /// The organization's groups and when they were read, when the run syncs groups.
    pub groups: Option<(Vec<Group>, Instant)>,
    /// Lives until the run ends; dropping it stops the server.
    pub _sandbox: Option<Sandbox>,
}

/// Why the members could not be had: the run's result, and the reason given to every row
/// (`None`: the run could not even start, and the report stays empty, as before any request).
pub(crate) type Unreached = (Result<ExitCode, RunError>, Option<&'static str>);

/// A saved export being read, and its members indexed, on a thread of their own while the input
/// is read and validated. The two are independent, and together they are most of the time
/// `plan --against` takes.
pub(crate) struct ExportLoad(std::thread::JoinHandle<Result<(Vec<Member>, MemberLookup), String>>);

impl ExportLoad {
    /// Starts reading the export, when the members come from one.
    pub(crate) fn start(settings: &RunSettings) -> Option<ExportLoad> {
        let Target::Export(path) = &settings.target else {
            return None;
        };
        let path = path.clone();
        let started = std::time::Instant::now();
        Some(ExportLoad(std::thread::spawn(move || {
            let members = members_export::load(&path)?;
            tracing::debug!(
                elapsed_ms = started.elapsed().as_millis(),
                "member export read"
            );
            let lookup = MemberLookup::new(&members);
            Ok((members, lookup))
        })))
    }

    fn finish(self) -> Result<(Vec<Member>, MemberLookup), String> {
        self.0
            .join()
            .unwrap_or_else(|_| Err("the thread reading the member export panicked".into()))
    }
}

/// Reads the members from where the settings say; `preloaded` is an export already being read.
pub(crate) async fn read_members(
    settings: &RunSettings,
    mode: Mode,
    stop: &CancellationToken,
    progress: &dyn Progress,
    preloaded: Option<ExportLoad>,
) -> Result<Members, Unreached> {
    read_members_keeping(settings, mode, stop, progress, preloaded, &mut None).await
}

/// [`read_members`], putting the engine in `engine` as soon as there is one: the requests it
/// sends count in the run's summary even when the members cannot be read.
pub(crate) async fn read_members_keeping(
    settings: &RunSettings,
    mode: Mode,
    stop: &CancellationToken,
    progress: &dyn Progress,
    preloaded: Option<ExportLoad>,
    engine_out: &mut Option<Arc<Engine>>,
) -> Result<Members, Unreached> {
    if let Target::Export(path) = &settings.target {
        let loaded = match preloaded {
            Some(load) => load
                .finish()
                .map(|(members, lookup)| (members, Some(lookup))),
            None => members_export::load(path).map(|members| (members, None)),
        };
        if settings.groups.is_some() {
            let error = RunError::new("--groups-from needs the organization's groups, and a member export (--against) holds none")
                .hint("plan against the organization (--sandbox, or --org with a token) to sync groups");
            return Err((
                Err(error),
                Some("the organization's groups could not be read"),
            ));
        }
        let (members, lookup) = loaded.map_err(|message| {
            let error = RunError::new(message)
                .hint("--against takes the list endpoint's JSON or a CSV with an `id` column");
            (Err(error), Some("the member export could not be read"))
        })?;
        return Ok(Members {
            members,
            lookup,
            org: path.display().to_string(),
            engine: None,
            groups: None,
            _sandbox: None,
        });
    }
    let (sandbox, connection) = connect(&settings.target)
        .await
        .map_err(|e| (Err(e), None))?;
    let client =
        Client::new(&connection, settings.timeout).map_err(|e| (Err(RunError::new(e)), None))?;
    let engine = Arc::new(Engine::new(
        client,
        settings.rate.clone(),
        settings.retry.clone(),
        stop.clone(),
    ));
    *engine_out = Some(engine.clone());

    progress.waiting("reading the organization's members");
    let concurrency = match mode {
        Mode::Apply { concurrency, .. } => concurrency,
        Mode::Plan => Concurrency::Auto,
    };
    let fetched = match fetch::fetch_members(&engine, concurrency).await {
        Ok(members) if settings.groups.is_some() => {
            progress.waiting("reading the organization's groups");
            let groups = fetch::fetch_groups(&engine).await;
            groups.map(|groups| (members, Some((groups, Instant::now()))))
        }
        Ok(members) => Ok((members, None)),
        Err(e) => Err(e),
    };
    // The wait is over: a spinner left turning would draw over whatever comes next (the
    // plan, the confirmation question).
    progress.finish();
    match fetched {
        Ok((members, groups)) => Ok(Members {
            members,
            lookup: None,
            org: connection.org_id,
            engine: Some(engine),
            groups,
            _sandbox: sandbox,
        }),
        Err(e) => match engine.refused() {
            Some((why, error)) => Err(refused::reading_members(
                why,
                error,
                &connection.org_id,
                &settings.target,
            )),
            None if engine.outwaited().is_some() => {
                let wait = engine.outwaited().expect("checked");
                let error = RunError::new(format!(
                    "{} while reading the member list; nothing was written",
                    wait.describe()
                ))
                .hint(format!(
                    "run again after {} (or allow a longer --max-wait)",
                    crate::execute::pacing::time_of_day(wait.until)
                ));
                Err((
                    Err(error),
                    Some("the server asked for a longer wait than --max-wait"),
                ))
            }
            None if stop.is_cancelled() => {
                progress.note(&format!(
                    "{} while reading the member list; nothing was written",
                    crate::stop_signals::stopped_by().stopped_run()
                ));
                Err((Ok(ExitCode::stopped()), Some("the run was interrupted")))
            }
            None => {
                let error = RunError::new(e.to_string())
                    .hint("check --base-url and --org, and that this machine can reach the API");
                Err((Err(error), Some("the member list could not be read")))
            }
        },
    }
}

/// The connection to use, starting a sandbox first when asked to.
async fn connect(target: &Target) -> Result<(Option<Sandbox>, Connection), RunError> {
    match target {
        Target::Api(connection) => Ok((None, connection.clone())),
        Target::Export(_) => Err(RunError::new("an export is not a connection")),
        Target::Sandbox => {
            let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
            let sandbox = Sandbox::start(SandboxConfig::default(), Seed::embedded(), addr)
                .await
                .map_err(|e| RunError::new(format!("cannot start the sandbox: {e}")))?;
            let connection = Connection {
                base_url: url::Url::parse(&sandbox.base_url()).expect("the sandbox's own URL"),
                org_id: sandbox.org_id().to_string(),
                token: SecretString::from(sandbox.token().to_string()),
                ca_certs: Vec::new(),
            };
            Ok((Some(sandbox), connection))
        }
    }
}
