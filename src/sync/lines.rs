//! The report line of each kind of row (from a plan, from a chain's result, or for a row the
//! run never reached), and of each subject acted on without a row.

use compact_str::{CompactString, ToCompactString};

use crate::execute::pool::{ChainOutcome, ChainResult};
use crate::plan::leavers::MemberNote;
use crate::plan::{Chain, LineKey, Noted, OperationKind, RowPlan};
use crate::report::{Outcome, ReportRow};
use crate::validate::{DuplicateRow, InvalidRow, RowVerdict, describe};

/// The line of a row the run stopped before planning (the member list could not be read).
pub(super) fn unreached_row<'a>(verdict: &'a RowVerdict, reason: &str) -> ReportRow<'a> {
    match verdict {
        RowVerdict::Invalid(invalid) => invalid_row(invalid),
        RowVerdict::Duplicate(repeat) => duplicate_row(repeat),
        RowVerdict::Valid(row) => ReportRow {
            line: LineKey::Row(row.row),
            email: row.email().unwrap_or_default().into(),
            user_id: user_id(row.user_id),
            outcome: Some(Outcome::Cancelled),
            error: format!("not attempted: {reason}").into(),
            ..Default::default()
        },
    }
}

/// The report line of a row that needs no request (or, for `plan`, will not get one).
pub(super) fn planned_row(plan: &RowPlan) -> ReportRow<'_> {
    match plan {
        RowPlan::Invalid(invalid) => invalid_row(invalid),
        RowPlan::Duplicate(repeat) => duplicate_row(repeat),
        RowPlan::NotFound {
            row,
            email,
            user_id: id,
            note,
        } => ReportRow {
            line: LineKey::Row(*row),
            email: email.as_deref().unwrap_or_default().into(),
            user_id: user_id(*id),
            outcome: Some(
                note.as_ref()
                    .map_or(Outcome::NotFound, |n| noted(n.outcome)),
            ),
            error: match note {
                Some(note) => note.reason.as_str().into(),
                None => "no member of the organization has this key".into(),
            },
            ..Default::default()
        },
        RowPlan::Unchanged {
            row,
            member_id,
            email,
            note,
        } => ReportRow {
            line: LineKey::Row(*row),
            email: email.as_deref().unwrap_or_default().into(),
            user_id: member_id.to_compact_string(),
            outcome: Some(
                note.as_ref()
                    .map_or(Outcome::Unchanged, |n| noted(n.outcome)),
            ),
            error: note.as_ref().map_or("", |note| note.reason.as_str()).into(),
            ..Default::default()
        },
        RowPlan::Chain(chain) => planned_chain(chain),
    }
}

/// The outcome a lifecycle note ends its line in.
fn noted(outcome: Noted) -> Outcome {
    match outcome {
        Noted::NotFound => Outcome::NotFound,
        Noted::Unchanged => Outcome::Unchanged,
        Noted::Pending => Outcome::Pending,
        Noted::Deferred => Outcome::Deferred,
        Noted::Disabled => Outcome::Disabled,
        Noted::Leaver => Outcome::Leaver,
        Noted::Excluded => Outcome::Excluded,
    }
}

/// The line of a member without a row the run reports and sends nothing to: a leaver not
/// disabled (yet), or one never disabled.
pub(super) fn member_note_row(member: &MemberNote) -> ReportRow<'_> {
    ReportRow {
        line: LineKey::Member(member.member_id),
        email: member.email.as_deref().unwrap_or_default().into(),
        user_id: member.member_id.to_compact_string(),
        outcome: Some(noted(member.note.outcome)),
        error: member.note.reason.as_str().into(),
        ..Default::default()
    }
}

/// The line of a chain planned and not sent (`plan`, or an `apply` that will not send).
pub(super) fn planned_chain(chain: &Chain) -> ReportRow<'_> {
    ReportRow {
        outcome: Some(Outcome::Planned),
        ..identity(chain)
    }
    .with_changes(chain.changes())
}

fn invalid_row(invalid: &InvalidRow) -> ReportRow<'_> {
    ReportRow {
        line: LineKey::Row(invalid.row),
        email: invalid.email.as_str().into(),
        user_id: invalid.user_id.as_str().into(),
        outcome: Some(Outcome::Invalid),
        error: describe(&invalid.problems).into(),
        ..Default::default()
    }
}

fn duplicate_row(repeat: &DuplicateRow) -> ReportRow<'_> {
    ReportRow {
        line: LineKey::Row(repeat.row),
        email: repeat.email.as_deref().unwrap_or_default().into(),
        user_id: user_id(repeat.user_id),
        outcome: Some(Outcome::Duplicate),
        error: repeat.reason().into(),
        ..Default::default()
    }
}

fn user_id(id: Option<u64>) -> CompactString {
    id.map(|id| id.to_compact_string()).unwrap_or_default()
}

/// The line of a chain a protection took out: what it would have changed, and why not.
pub(super) fn excluded_row<'a>(chain: &'a Chain, reason: &str) -> ReportRow<'a> {
    ReportRow {
        outcome: Some(Outcome::Excluded),
        error: format!("not changed: {reason}").into(),
        ..identity(chain)
    }
    .with_changes(chain.changes())
}

/// The cells a chain's line has whatever its end: the row (empty for a subject), the member
/// and the action.
pub(super) fn identity(chain: &Chain) -> ReportRow<'_> {
    ReportRow {
        line: chain.line,
        email: chain.email.as_deref().unwrap_or_default().into(),
        user_id: user_id(chain.member_id),
        action: chain.action(),
        ..Default::default()
    }
}

/// The line of a chain that was run. A chain done ends as its first step says: `invited`,
/// `enabled` (then updated, when it had more steps), `disabled`, else `updated`.
pub(super) fn written_row<'a>(chain: &'a Chain, result: &ChainResult) -> ReportRow<'a> {
    let done = match chain.steps.first().map(|step| step.kind()) {
        Some(OperationKind::Invite) => Outcome::Invited,
        Some(OperationKind::Enable) => Outcome::Enabled,
        Some(OperationKind::Disable) => Outcome::Disabled,
        Some(OperationKind::UpdateProfile | OperationKind::ChangeRole) | None => Outcome::Updated,
    };
    let said = result.error.as_ref().or(result.note.as_ref());
    ReportRow {
        outcome: Some(match result.outcome {
            ChainOutcome::Done => done,
            ChainOutcome::Failed => Outcome::Failed,
            ChainOutcome::Cancelled => Outcome::Cancelled,
            ChainOutcome::Deferred => Outcome::Deferred,
        }),
        user_id: user_id(result.member_id.or(chain.member_id)),
        http_status: result.http_status,
        attempts: result.attempts,
        error: said.cloned().unwrap_or_default().into(),
        request_id: result.request_id.clone().unwrap_or_default(),
        elapsed_ms: Some(result.elapsed.as_millis()),
        ..identity(chain)
    }
    .with_changes(chain.changes())
    .with_landed(&result.landed)
}

/// The line of a chain the run was stopped before sending.
pub(super) fn unsent_row(chain: &Chain) -> ReportRow<'_> {
    ReportRow {
        outcome: Some(Outcome::Cancelled),
        error: "not sent: the run was stopped".into(),
        ..identity(chain)
    }
    .with_changes(chain.changes())
    .with_landed(&[])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::execute::pool::ChainOutcome;
    use crate::plan::Operation;
    use crate::progress::Quiet;
    use crate::report::{ReportWriter, read_back};

    /// A member acted on without an input row: its line has no row, names the member and
    /// what was done to it.
    #[test]
    fn a_subject_without_a_row_gets_a_line_keyed_on_its_member() {
        let subject = Chain {
            line: LineKey::Member(1042),
            member_id: Some(1042),
            email: Some("leaver@acme.example".into()),
            steps: vec![Operation::Disable { reassign_to: None }],
        };
        let result = ChainResult {
            index: 0,
            outcome: ChainOutcome::Failed,
            http_status: None,
            attempts: 0,
            error: Some("not sent: why".into()),
            note: None,
            request_id: None,
            elapsed: std::time::Duration::ZERO,
            landed: Vec::new(),
            member_id: Some(1042),
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.csv");
        let mut report = ReportWriter::create(&path).unwrap();
        report.write(&planned_chain(&subject)).unwrap();
        report.write(&written_row(&subject, &result)).unwrap();
        report.write(&unsent_row(&subject)).unwrap();
        drop(report);
        let columns = ["row", "email", "user_id", "outcome", "action", "error"];
        let lines: Vec<Vec<String>> = read_back(&path, &columns, &Quiet)
            .unwrap()
            .into_iter()
            .map(|line| line.cells)
            .collect();
        let line = |outcome: &str, error: &str| {
            ["", "leaver@acme.example", "1042", outcome, "disable", error].map(String::from)
        };
        assert_eq!(
            lines,
            [
                line("planned", ""),
                line("failed", "not sent: why"),
                line("cancelled", "not sent: the run was stopped"),
            ]
        );
    }
}
