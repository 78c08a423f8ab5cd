//! `member-sync`: parse, run, exit. Everything else is in the library; this binary only adds
//! what needs a terminal (the progress bar, and logs that do not break it).

mod terminal;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use member_sync::cli::Cli;

// A run allocates and frees a few small strings per cell of a 100,000-row export: mimalloc
// does that about a third faster than the system allocator (docs/performance.md, P6).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // The matches travel with the parsed command line: they say which values the user typed,
    // which the configuration profile may then fill in.
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|matches| Ok((Cli::from_arg_matches(&matches)?, matches)));
    let (cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            // --help and --version print to stdout and succeed; real usage errors exit 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let ui = terminal::TerminalUi::new(&cli.global);
    terminal::init_logging(&cli.global, ui.clone());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(member_sync::run(cli, matches, ui)).into()
}
