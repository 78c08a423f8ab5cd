//! The group stage of a run (`--groups-from`): what the rows say of groups taken aside before
//! the rows are planned, the group plan made once the members' plan is known, its lines in
//! the report, and the writes sent one group at a time after every member chain.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use compact_str::ToCompactString;

use crate::api::{Group, Member};
use crate::execute::Engine;
use crate::execute::groups::{GroupWritten, must_reread, write_group};
use crate::guard::groups::RemovalLimit;
use crate::plan::groups::{GroupChange, GroupInput, GroupPlan, Placement, difference, plan_groups};
use crate::plan::leavers::invalid_row_keys;
use crate::plan::{LineKey, MemberIndex, OperationKind, Plan, RowPlan};
use crate::report::{Outcome, ReportRow};
use crate::settings::GroupSync;
use crate::validate::RowVerdict;

use super::ledger::Ledger;
use super::show::GroupLines;
use super::source::SavedGroups;

/// What each valid row says of groups, by row, taken out of the rows before they are planned.
pub(super) type RowGroups = HashMap<usize, Option<Vec<String>>>;

/// The group plan of a run, and when the groups it starts from were read.
pub(super) struct GroupRun {
    pub plan: GroupPlan,
    /// `None`: from a saved plan or a rollback (every write reads its group again).
    pub read_at: Option<Instant>,
    /// `--max-group-removals` (a saved plan's own); `None` for a rollback, which restores
    /// what a run did.
    pub limit: Option<RemovalLimit>,
}

impl GroupRun {
    /// Report lines the group plan ends.
    pub fn lines(&self) -> usize {
        self.plan.changes.len()
    }

    /// The `groups` cell of each row that has one.
    pub fn row_cells(&self) -> BTreeMap<usize, String> {
        self.plan
            .rows
            .iter()
            .map(|(row, groups)| (*row, groups.describe()))
            .collect()
    }
}

/// Takes each valid row's groups out of it (the planner never reads them).
pub(super) fn take_row_groups(verdicts: &mut [RowVerdict]) -> RowGroups {
    verdicts
        .iter_mut()
        .filter_map(|verdict| match verdict {
            RowVerdict::Valid(row) => Some((row.row, row.groups.take())),
            _ => None,
        })
        .collect()
}

/// Why members without a row keep their groups this run, if they do.
pub(super) fn rowless_kept(
    plan: &Plan,
    few_matched: bool,
    whole_directory: bool,
) -> Option<&'static str> {
    let unreadable = plan.rows.iter().any(|row| match row {
        RowPlan::Invalid(invalid) => invalid_row_keys(&invalid.email, &invalid.user_id).is_none(),
        _ => false,
    });
    if !whole_directory {
        Some("the run covers only some rows (--only-rows-from)")
    } else if unreadable {
        Some("a row's key cannot be read, and it might be anyone's")
    } else if few_matched {
        Some("too few rows matched a member")
    } else {
        None
    }
}

/// The context the group plan is made in, besides the rows' plan.
pub(super) struct GroupContext<'a> {
    pub settings: &'a GroupSync,
    pub index: &'a MemberIndex<'a>,
    pub members: &'a [Member],
    pub groups: &'a [Group],
    pub read_at: Instant,
    pub protected: HashSet<u64>,
    pub rowless_kept: Option<&'static str>,
}

/// The run's group plan, from the rows' plan and what the rows said of groups.
pub(super) fn plan(context: GroupContext<'_>, plan: &Plan, mut row_groups: RowGroups) -> GroupRun {
    let mut placements = Vec::new();
    let mut named_by_invalid = HashSet::new();
    for row in &plan.rows {
        let (number, member_id, enabled_by_run, invitee) = match row {
            RowPlan::Unchanged { row, member_id, .. } => (*row, Some(*member_id), false, None),
            RowPlan::Chain(chain) => {
                let does = |kind| chain.steps.iter().any(|s| s.kind() == kind);
                let invitee = chain.email.clone().filter(|_| does(OperationKind::Invite));
                (
                    row.row(),
                    chain.member_id,
                    does(OperationKind::Enable),
                    invitee,
                )
            }
            RowPlan::NotFound { row, .. } => (*row, None, false, None),
            RowPlan::Invalid(invalid) => {
                let keys = invalid_row_keys(&invalid.email, &invalid.user_id).unwrap_or_default();
                let found = keys.iter().filter_map(|key| context.index.find(key));
                named_by_invalid.extend(found.map(|member| member.id));
                continue;
            }
            RowPlan::Duplicate(_) => continue,
        };
        if let Some(groups) = row_groups.remove(&number) {
            placements.push(Placement {
                row: number,
                member_id,
                groups,
                enabled_by_run,
                invitee,
            });
        }
    }
    let plan = plan_groups(GroupInput {
        settings: context.settings,
        placements,
        named_by_invalid,
        rowless_kept: context.rowless_kept,
        members: context.members,
        groups: context.groups,
        protected: &context.protected,
    });
    GroupRun {
        plan,
        read_at: Some(context.read_at),
        limit: Some(context.settings.max_removals),
    }
}

/// The group writes a saved plan or a rollback replays.
pub(super) fn replayed(saved: SavedGroups) -> GroupRun {
    GroupRun {
        plan: GroupPlan {
            changes: saved.changes,
            ..GroupPlan::default()
        },
        read_at: None,
        limit: saved.limit,
    }
}

/// A group's line before anything is sent (`planned`, or as a refused run leaves it).
pub(super) fn planned_line(index: usize, change: &GroupChange) -> ReportRow<'_> {
    ReportRow {
        line: LineKey::Group(index as u32),
        outcome: Some(Outcome::Planned),
        action: action(change).into(),
        ..members_cells(change, &change.after)
    }
}

/// A group's line once its write ended.
pub(super) fn written_line(
    index: usize,
    change: &GroupChange,
    written: &GroupWritten,
) -> ReportRow<'static> {
    // The list sent (with this run's invitees in it), else the plan's.
    let after = written.sent.as_deref().unwrap_or(&change.after);
    ReportRow {
        line: LineKey::Group(index as u32),
        outcome: Some(written.outcome),
        action: action(change).into(),
        http_status: written.http_status,
        attempts: written.attempts,
        error: written.message.clone().unwrap_or_default().into(),
        request_id: written.request_id.clone().unwrap_or_default(),
        elapsed_ms: Some(written.elapsed.as_millis()),
        group_id: written.id.clone().unwrap_or_default(),
        ..members_cells(change, after)
    }
}

/// `group`, or `create_group+group` for a group the run creates.
fn action(change: &GroupChange) -> &'static str {
    match change.id {
        Some(_) => "group",
        None => "create_group+group",
    }
}

/// The cells every line of a group's write has: its id and name, the members added and
/// removed (`changes`), and the whole lists before and `after`, as JSON.
fn members_cells(change: &GroupChange, after: &[u64]) -> ReportRow<'static> {
    let list = |ids: &[u64]| serde_json::json!({ "members": ids }).to_string();
    let ids = |ids: Vec<u64>| {
        ids.iter()
            .map(|id| id.to_compact_string().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut changes = Vec::new();
    let (added, removed) = (
        difference(after, &change.before),
        difference(&change.before, after),
    );
    if !added.is_empty() {
        changes.push(format!("members added: {}", ids(added)));
    }
    if !removed.is_empty() {
        changes.push(format!("members removed: {}", ids(removed)));
    }
    ReportRow {
        group_id: change.id.clone().unwrap_or_default(),
        groups: change.name.clone(),
        changes: changes.join("; "),
        before: list(&change.before),
        after: list(after),
        ..Default::default()
    }
}

/// Writes the groups one at a time, each line as it ends; the rest `cancelled` once the run
/// is stopped.
pub(super) async fn send(
    engine: &Arc<Engine>,
    run: &GroupRun,
    invited: &HashMap<String, u64>,
    ledger: &mut Ledger,
) {
    if run.plan.changes.is_empty() {
        return;
    }
    tracing::info!(groups = run.plan.changes.len(), "writing the groups");
    for (index, change) in run.plan.changes.iter().enumerate() {
        let written = write_group(engine, change, must_reread(run.read_at), invited).await;
        if written.reread {
            tracing::debug!(group = %change.name, "read again before its write");
        }
        ledger.record(written_line(index, change, &written));
    }
}

/// The plan's lines of groups, for a person: each group to write with who joins and leaves
/// it (`= group Sales: +2 -1 (5 → 6 members): +amy@acme.example; -bo@acme.example`), then each
/// row whose group names lead nowhere.
pub(super) fn plan_lines(plan: &GroupPlan, members: &[Member]) -> GroupLines {
    const NAMED: usize = 5;
    let email: HashMap<u64, &str> = members
        .iter()
        .filter_map(|m| Some((m.id, m.email.as_deref()?)))
        .collect();
    let who = |sign: char, ids: Vec<u64>| -> Vec<String> {
        let mut names: Vec<String> = ids
            .iter()
            .take(NAMED)
            .map(|id| match email.get(id) {
                Some(email) => format!("{sign}{email}"),
                None => format!("{sign}member {id}"),
            })
            .collect();
        if ids.len() > NAMED {
            names.push(format!("{sign}{} more", ids.len() - NAMED));
        }
        names
    };
    let mut lines: Vec<String> = plan
        .changes
        .iter()
        .map(|change| {
            let verb = match change.id {
                Some(_) => "= group",
                None => "+ create group",
            };
            let mut people = who('+', change.added());
            people.extend(
                change
                    .invitees
                    .iter()
                    .map(|email| format!("+{email} (once invited)")),
            );
            people.extend(who('-', change.removed()));
            format!(
                "{verb} {}: {}: {}",
                change.name,
                change.summary(),
                people.join("; ")
            )
        })
        .collect();
    let mut unmanaged = std::collections::BTreeSet::new();
    for (row, groups) in &plan.rows {
        if !groups.notes.is_empty() {
            lines.push(format!("? row {row} groups: {}", groups.notes.join("; ")));
        }
        unmanaged.extend(groups.unmanaged.iter().map(|name| name.as_str()));
    }
    if !unmanaged.is_empty() {
        let names: Vec<&str> = unmanaged.into_iter().collect();
        lines.push(format!(
            ". groups the export names that --manage-groups leaves alone: {}",
            names.join(", ")
        ));
    }
    if let Some(why) = plan.rowless_kept {
        lines.push(format!(
            ". members without a row keep their groups in this run: {why}"
        ));
    }
    let created = plan.changes.iter().filter(|c| c.id.is_none()).count();
    let created = match created {
        0 => String::new(),
        n => format!(" ({n} to create)"),
    };
    // A saved plan or a rollback carries its writes, not the groups it manages.
    let managed = match plan.managed.len() {
        0 => String::new(),
        n => format!(" of {n} managed"),
    };
    let count = format!("groups: {} to write{created}{managed}", plan.changes.len());
    GroupLines { lines, count }
}
