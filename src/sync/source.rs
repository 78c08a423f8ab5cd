//! Where a run's changes come from (an export, a saved plan, a report to undo), and what a
//! `plan` saves for a later `apply --plan`.

use crate::api::Member;
use crate::exit_code::ExitCode;
use crate::file_bytes::input_name;
use crate::guard;
use crate::guard::groups::RemovalLimit;
use crate::ingest;
use crate::plan::Plan;
use crate::plan::groups::GroupChange;
use crate::progress::Progress;
use crate::replay::plan_file::{InputFile, PlanFile};
use crate::replay::{self, Recorded, rollback};
use crate::sandbox::Seed;
use crate::settings::{RunSettings, Source, Target};
use crate::validate::{self, RowVerdict};

use super::{RunError, Stage};

/// Group writes a run replays: a saved plan's, or those undoing a run's.
pub(super) struct SavedGroups {
    pub changes: Vec<GroupChange>,
    /// The `--max-group-removals` a saved plan was made under; `None` for a rollback, which
    /// restores what a run did.
    pub limit: Option<RemovalLimit>,
}

/// What a run read: one verdict per row, and the recorded changes when it replays some.
pub(super) struct SourceRead {
    pub verdicts: Vec<RowVerdict>,
    /// Rows read (kept in the sync's last-run record).
    pub rows: usize,
    pub recorded: Option<Vec<Recorded>>,
    /// Group writes replayed (`apply --plan`, `rollback`).
    pub saved_groups: Option<SavedGroups>,
    /// A guard that refuses the input itself (an empty export).
    pub refusal: Option<guard::Refusal>,
    /// An export's line of each row (`lines[row - 1]`), for the rows a person is told about.
    pub lines: Option<Vec<u64>>,
    /// An export's key columns, for a run that matched too few members (`matched.rs`).
    pub keys: Option<String>,
    /// The export's name and hash, for `plan --out` / `--format json` (only then).
    pub input: Option<InputFile>,
}

/// The input stage: the run's source read and checked, and with `--only-rows-from`, only the
/// rows of that report kept. Ends the run when there is nothing to do, or when a guard
/// refuses the input itself.
pub(super) fn read_input(
    settings: &RunSettings,
    progress: &dyn Progress,
) -> Result<Stage<SourceRead>, RunError> {
    let Some(mut read) = read_source(settings, progress)? else {
        return Ok(Stage::End(ExitCode::Success));
    };
    if let Some(refusal) = read.refusal.take() {
        return Ok(Stage::Refused(refusal));
    }
    let Some((report, outcomes)) = &settings.only_rows_from else {
        return Ok(Stage::Go(read));
    };
    let rows = crate::rerun::rows_from_report(report, outcomes, progress).map_err(RunError::new)?;
    if rows.is_empty() {
        let named: Vec<&str> = outcomes.iter().map(|o| o.as_str()).collect();
        progress.note(&format!(
            "no row of {} ended {}: nothing to run again",
            report.display(),
            named.join(" or ")
        ));
        return Ok(Stage::End(ExitCode::Success));
    }
    read.verdicts = crate::rerun::keep_rows(read.verdicts, &rows, report).map_err(RunError::new)?;
    progress.note(&format!(
        "running again {} rows of {}",
        read.verdicts.len(),
        report.display()
    ));
    Ok(Stage::Go(read))
}

/// Reads the run's source; `None` when there is nothing to do (an undo of a run that changed
/// nothing).
fn read_source(
    settings: &RunSettings,
    progress: &dyn Progress,
) -> Result<Option<SourceRead>, RunError> {
    let replay = |recorded: Vec<Recorded>| SourceRead {
        verdicts: recorded.iter().filter_map(Recorded::verdict).collect(),
        rows: recorded.len(),
        recorded: Some(recorded),
        refusal: None,
        lines: None,
        keys: None,
        input: None,
        saved_groups: None,
    };
    match &settings.source {
        Source::Export { path, load } => {
            let unusable = |e: ingest::IngestError| RunError {
                message: e.to_string(),
                hint: e.hint().map(str::to_string),
            };
            // Read once (standard input cannot be read again): a saved plan hashes these bytes.
            let bytes = ingest::read_input(path).map_err(unusable)?;
            let table = ingest::load_bytes_with(&bytes, path, load).map_err(unusable)?;
            let output = &settings.plan_output;
            let input = (output.file.is_some() || output.json_to_stdout)
                .then(|| InputFile::of(&input_name(path), &bytes));
            drop(bytes);
            for line in crate::check::input_summary(&table) {
                progress.note(&line);
            }
            let rows = table.records.len();
            if let Err(refusal) = guard::check_not_empty(rows) {
                return Ok(Some(SourceRead {
                    verdicts: Vec::new(),
                    rows,
                    recorded: None,
                    refusal: Some(refusal),
                    lines: None,
                    keys: None,
                    input: None,
                    saved_groups: None,
                }));
            }
            tracing::debug!(records = table.records.len(), "input read");
            let validation = validate::validate_all(&table);
            let lines = table.records.iter().map(|r| r.line).collect();
            let keys = super::matched::key_columns(&table);
            super::free_in_background(table);
            for line in crate::check::warning_lines(&validation.warnings, 20) {
                progress.note(&line);
            }
            for note in &validation.notes {
                progress.note(note);
            }
            Ok(Some(SourceRead {
                verdicts: validation.verdicts,
                rows,
                recorded: None,
                refusal: None,
                lines: Some(lines),
                keys: Some(keys),
                input,
                saved_groups: None,
            }))
        }
        Source::SavedPlan(path) => {
            let (org, url) = plan_identity(&settings.target);
            let plan = PlanFile::load(path, &org, &url).map_err(|message| {
                RunError::new(message)
                    .hint("make a new plan with `member-sync plan INPUT --out PLAN`")
            })?;
            progress.note(&format!(
                "plan of {} ({} members to change), made {} from {}",
                plan.org,
                plan.changes.len(),
                plan.created_at,
                plan.input.path
            ));
            let mut read = replay(plan.recorded().map_err(RunError::new)?);
            let (changes, limit) = plan.group_writes().map_err(RunError::new)?;
            if !changes.is_empty() {
                read.saved_groups = Some(SavedGroups {
                    changes,
                    limit: Some(limit),
                });
            }
            Ok(Some(read))
        }
        Source::None => Ok(None),
        Source::Rollback { report, .. } => {
            let undo = rollback::from_report(report, progress).map_err(RunError::new)?;
            let groups =
                replay::groups::undo_from_report(report, progress).map_err(RunError::new)?;
            // Said even with --quiet: a person must know what the rollback leaves.
            let hint = "withdraw an invitation in Tallyfy's web app if it should not stand; a person who has joined can be disabled";
            for (i, invitation) in undo.invitations.iter().enumerate() {
                let last = i + 1 == undo.invitations.len();
                progress.warn(invitation, last.then_some(hint));
            }
            if undo.changes.is_empty() && groups.is_empty() {
                progress.note(&format!(
                    "{} has no change that landed: nothing to undo",
                    report.display()
                ));
                return Ok(None);
            }
            let partly = match undo.partly_applied {
                0 => String::new(),
                n => format!(" ({n} of them partly applied: only the fields that landed)"),
            };
            progress.note(&format!(
                "undoing {} rows of {}{partly}",
                undo.changes.len(),
                report.display()
            ));
            let mut read = replay(undo.changes);
            if !groups.is_empty() {
                progress.note(&format!(
                    "restoring the members of {} groups of {}",
                    groups.len(),
                    report.display()
                ));
                read.saved_groups = Some(SavedGroups {
                    changes: groups,
                    limit: None,
                });
            }
            Ok(Some(read))
        }
    }
}

/// The organization and API a saved plan is for. The in-process sandbox is always the same
/// fresh organization, whatever port it got.
fn plan_identity(target: &Target) -> (String, String) {
    match target {
        Target::Api(connection) => (
            connection.org_id.clone(),
            connection.base_url.as_str().to_string(),
        ),
        Target::Sandbox => (
            Seed::embedded().org_id.unwrap_or_default(),
            "sandbox".to_string(),
        ),
        // Plans made offline name the export they were made against.
        Target::Export(path) => (path.display().to_string(), "export".to_string()),
    }
}

/// `plan --out` / `--format json`; `input` is the export as [`read_source`] read it, and
/// `members` the organization the plan was made against.
pub(super) fn save_plan(
    settings: &RunSettings,
    plan: &Plan,
    (org, members): (&str, &[Member]),
    (input, groups): (Option<InputFile>, Option<(&[GroupChange], RemovalLimit)>),
    progress: &dyn Progress,
) -> Result<(), RunError> {
    let output = &settings.plan_output;
    // Only an export's plan is saved, and then `read_source` kept its name and hash.
    let Some(input) = input else {
        return Ok(());
    };
    let (_, url) = plan_identity(&settings.target);
    let mut plan = PlanFile::for_input(plan, org, &url, input, members);
    if let Some((changes, limit)) = groups {
        plan = plan.with_groups(changes, limit);
    }
    let json = serde_json::to_string_pretty(&plan).expect("a plan serializes");
    if let Some(file) = &output.file {
        crate::output_file::Output::plan(file, output.overwrite)
            .write(format!("{json}\n").as_bytes())?;
        progress.note(&format!(
            "plan saved to {} ({} members to change{}); apply it with `member-sync apply --plan {}`",
            file.display(),
            plan.changes.len(),
            match plan.groups.len() {
                0 => String::new(),
                n => format!(", {n} groups to write"),
            },
            file.display()
        ));
    }
    if output.json_to_stdout {
        println!("{json}");
    }
    Ok(())
}
