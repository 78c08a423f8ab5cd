//! Which settings of a command a profile can fill in: one slot per flag the command has.

use std::path::PathBuf;

use crate::cli::{Command, GroupArgs, LifecycleArgs, RunArgs};
use crate::guard::ChangeLimit;

/// The settings of a command that a profile can fill in (`None`: the command has no such flag).
#[derive(Default)]
pub(super) struct Slots<'a> {
    pub(super) run: Option<&'a mut RunArgs>,
    pub(super) concurrency: Option<&'a mut Option<u16>>,
    pub(super) max_changes: Option<&'a mut ChangeLimit>,
    pub(super) shrink_limit: Option<&'a mut f64>,
    pub(super) mapping: Option<&'a mut Option<PathBuf>>,
    pub(super) sync_name: Option<&'a mut Option<String>>,
    pub(super) allow_unmatched: Option<&'a mut bool>,
    pub(super) lifecycle: Option<&'a mut LifecycleArgs>,
    pub(super) groups: Option<&'a mut GroupArgs>,
}

impl<'a> Slots<'a> {
    pub(super) fn of(command: &'a mut Command) -> Slots<'a> {
        match command {
            Command::Plan(a) => Slots {
                run: Some(&mut a.run),
                mapping: Some(&mut a.ingest.mapping),
                sync_name: Some(&mut a.sync_name),
                allow_unmatched: Some(&mut a.allow_unmatched),
                lifecycle: Some(&mut a.lifecycle),
                groups: Some(&mut a.groups),
                ..Slots::default()
            },
            Command::Apply(a) => Slots {
                run: Some(&mut a.run),
                concurrency: Some(&mut a.concurrency),
                max_changes: Some(&mut a.max_changes),
                shrink_limit: Some(&mut a.shrink_limit),
                mapping: Some(&mut a.ingest.mapping),
                sync_name: Some(&mut a.sync_name),
                allow_unmatched: Some(&mut a.allow_unmatched),
                lifecycle: Some(&mut a.lifecycle),
                groups: Some(&mut a.groups),
            },
            Command::Rollback(a) => Slots {
                run: Some(&mut a.run),
                concurrency: Some(&mut a.concurrency),
                ..Slots::default()
            },
            Command::Export(a) => Slots {
                run: Some(&mut a.run),
                ..Slots::default()
            },
            _ => Slots::default(),
        }
    }
}
