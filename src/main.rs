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

/// `mi_option_purge_delay` in mimalloc's `mimalloc.h`, which the Rust bindings do not name
/// (a test below checks the number still names it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// mimalloc gives memory back to the system when a thread ends (the export reader, each half
/// of a two-thread stage), and the next stage then takes fresh pages, which the kernel must
/// zero again: about a third of the system time of planning 100,000 rows (docs/performance.md,
/// P6). A run keeps what it freed for itself instead; its peak memory is the same, and all of
/// it goes back when the process ends. `MIMALLOC_PURGE_DELAY` set by the user still wins.
fn keep_freed_memory() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: mimalloc allows setting options at any time, from any thread; -1 = never purge.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
}

fn main() -> ExitCode {
    keep_freed_memory();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        // SAFETY: reading an option is allowed at any time.
        let delay = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        // mimalloc 3's default (`options.c`); a new mimalloc may renumber its options.
        assert!(
            std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() || delay == 1000,
            "option {MI_OPTION_PURGE_DELAY} reads {delay}: is it still mi_option_purge_delay?"
        );
    }
}
