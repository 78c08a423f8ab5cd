//! The run's output files, checked before anything is read or sent: each can be written (no
//! file in the way, no link, its directory there), and none names an input or another output.
//! The rules are `crate::output_file`'s; this only lists what a run reads and writes.
//!
//! The summary JSON is checked first and alone: when it is sound, a run refused for another
//! output still leaves its summary (exit code 1 and the error) for monitoring.

use std::path::Path;

use crate::output_file::{Input, Output, Refused, check_apart};
use crate::report::{HtmlTarget, summary_output};
use crate::settings::{RunSettings, Source, Target};

use super::RunError;

impl From<Refused> for RunError {
    fn from(refused: Refused) -> RunError {
        RunError {
            message: refused.message,
            hint: refused.hint,
        }
    }
}

/// The summary JSON can be written, and lands on no input and no other output.
pub(super) fn check_summary(settings: &RunSettings, path: &Path) -> Result<(), RunError> {
    let summary = summary_output(path);
    for other in others(settings) {
        check_apart(&[other, summary], &[])?;
    }
    check_apart(&[summary], &inputs(settings))?;
    summary.check()?;
    Ok(())
}

/// Every output but the summary can be written, and they land on no input and on each other.
pub(super) fn check(settings: &RunSettings) -> Result<(), RunError> {
    let outputs = others(settings);
    check_apart(&outputs, &inputs(settings))?;
    for output in &outputs {
        output.check()?;
    }
    Ok(())
}

/// The outputs named on the command line, but the summary (a report named by time is new by
/// construction).
fn others(settings: &RunSettings) -> Vec<Output<'_>> {
    let plan = &settings.plan_output;
    let report = settings.report.as_deref().map(Output::report);
    let plan = plan
        .file
        .as_deref()
        .map(|path| Output::plan(path, plan.overwrite));
    let html = settings.html.as_ref().and_then(HtmlTarget::named);
    report.into_iter().chain(plan).chain(html).collect()
}

/// The files the run reads.
fn inputs(settings: &RunSettings) -> Vec<Input<'_>> {
    let input = |path, what| Input { path, what };
    let mut inputs = match &settings.source {
        Source::Export { path, load } => {
            let mapping = load.mapping_file.as_deref();
            let mut files = vec![input(path, "the input")];
            files.extend(mapping.map(|m| input(m, "the --mapping file")));
            files
        }
        Source::SavedPlan(path) => vec![input(path, "the --plan file")],
        Source::Rollback { report, .. } => vec![input(report, "the report of the run to undo")],
        Source::None => Vec::new(),
    };
    if let Some((report, _)) = &settings.only_rows_from {
        inputs.push(input(report, "the --only-rows-from report"));
    }
    if let Target::Export(path) = &settings.target {
        inputs.push(input(path, "the --against file"));
    }
    inputs
}
