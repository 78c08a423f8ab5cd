//! Report lines for each kind of row: from a plan (no request needed, or `plan` mode) or from
//! a write's result.

use crate::execute::pool::{WriteOutcome, WriteResult};
use crate::plan::{RowPlan, Update};
use crate::report::{Outcome, ReportRow};
use crate::validate::describe;

/// The report line of a row that needs no request (or, for `plan`, will not get one).
pub(super) fn planned_row(plan: &RowPlan) -> ReportRow {
    let id = |id: Option<u64>| id.map(|i| i.to_string()).unwrap_or_default();
    match plan {
        RowPlan::Invalid(invalid) => ReportRow {
            row: invalid.row,
            email: invalid.email.clone(),
            user_id: invalid.user_id.clone(),
            outcome: Some(Outcome::Invalid),
            error: describe(&invalid.problems),
            ..Default::default()
        },
        RowPlan::NotFound {
            row,
            email,
            user_id,
        } => ReportRow {
            row: *row,
            email: email.clone().unwrap_or_default(),
            user_id: id(*user_id),
            outcome: Some(Outcome::NotFound),
            error: "no member of the organization has this key".into(),
            ..Default::default()
        },
        RowPlan::Unchanged {
            row,
            member_id,
            email,
        } => ReportRow {
            row: *row,
            email: email.clone().unwrap_or_default(),
            user_id: member_id.to_string(),
            outcome: Some(Outcome::Unchanged),
            ..Default::default()
        },
        RowPlan::Update(update) => ReportRow {
            outcome: Some(Outcome::Planned),
            ..identity(update)
        }
        .with_changes(&update.changes),
    }
}

pub(super) fn identity(update: &Update) -> ReportRow {
    ReportRow {
        row: update.row,
        email: update.email.clone().unwrap_or_default(),
        user_id: update.member_id.to_string(),
        ..Default::default()
    }
}

pub(super) fn written_row(update: &Update, result: &WriteResult) -> ReportRow {
    ReportRow {
        outcome: Some(match result.outcome {
            WriteOutcome::Updated => Outcome::Updated,
            WriteOutcome::Failed => Outcome::Failed,
            WriteOutcome::Cancelled => Outcome::Cancelled,
        }),
        http_status: result.http_status,
        attempts: result.attempts,
        error: result.error.clone().unwrap_or_default(),
        request_id: result.request_id.clone().unwrap_or_default(),
        elapsed_ms: Some(result.elapsed.as_millis()),
        ..identity(update)
    }
    .with_changes(&update.changes)
}
