//! The plan stage: the lines a replay finds stale or done set aside, the rest planned against
//! the organization under the lifecycle settings (joiners, rehires, then the leavers with this
//! run's absences counted), a replay's own chains added, the plan saved (`plan --out`) and
//! shown, and what the protections take out.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::api::Member;
use crate::guard::Exclusions;
use crate::plan::groups::GroupChange;
use crate::plan::leavers::LeaverPlan;
use crate::plan::{self, Chain, LineKey, MemberIndex, Plan, Rules};
use crate::progress::Progress;
use crate::replay;
use crate::settings::{RunSettings, Source};
use crate::state::GraceRun;
use crate::validate::RowVerdict;

use super::groups::{self, GroupRun};
use super::ledger::Ledger;
use super::matched::{self, FewMatched};
use super::members::Members;
use super::source::{SourceRead, save_plan};
use super::{Mode, RunError, guards, leaving, show};

/// A run's plan, and what the stages after it need to know of it.
pub(super) struct Planned {
    pub plan: Plan,
    /// Chains a protection takes out (`--exclude`, `--token-owner`): line → why.
    pub excluded: HashMap<LineKey, String>,
    /// Too few rows matched a member (an export's run).
    pub few_matched: Option<FewMatched>,
    /// The leavers' lines without a row, and how many active members the input leaves out.
    pub leavers: LeaverPlan,
    /// This run's absences counted, kept when an `apply` of the whole directory completes.
    pub grace: Option<GraceRun>,
    /// The run read the whole directory: absent members are leavers (an export, not a
    /// repair run of some of its rows, a saved plan or a rollback).
    pub whole_directory: bool,
    /// The group writes (`--groups-from`).
    pub groups: Option<GroupRun>,
}

impl Planned {
    /// Report lines the plan ends: one per input row, one per subject.
    pub fn lines(&self) -> usize {
        let groups = self.groups.as_ref().map_or(0, GroupRun::lines);
        self.plan.rows.len() + self.plan.subjects.len() + self.leavers.lines.len() + groups
    }

    /// The group writes `apply` sends.
    pub fn group_changes(&self) -> &[GroupChange] {
        self.groups.as_ref().map_or(&[], |run| &run.plan.changes)
    }

    /// The chains `apply` sends: every chain no protection took out, rows' first.
    pub fn to_send(&self) -> Vec<Chain> {
        self.plan
            .chains()
            .filter(|chain| !self.excluded.contains_key(&chain.line))
            .cloned()
            .collect()
    }
}

/// Plans the run's rows against `org`; the lines of stale recorded changes are written here.
pub(super) fn plan_run(
    settings: &RunSettings,
    mode: Mode,
    input: SourceRead,
    org: &mut Members,
    ledger: &mut Ledger,
    progress: &Arc<dyn Progress>,
) -> Result<Planned, RunError> {
    let progress = progress.as_ref();
    let SourceRead {
        mut verdicts,
        recorded,
        keys,
        input: input_file,
        saved_groups,
        ..
    } = input;
    // A replay's lines are met with the organization first: the stale and the done end here,
    // the planner plans the rest of the rows, and the replay adds the chains it makes itself.
    let force = matches!(settings.source, Source::Rollback { force: true, .. });
    let replayed = recorded
        .as_deref()
        .map(|recorded| replay::against(recorded, &org.members, force));
    if let Some(replayed) = &replayed {
        verdicts.retain(|v| replayed.plans_row(v.row()));
    }
    let whole_directory =
        matches!(settings.source, Source::Export { .. }) && settings.only_rows_from.is_none();
    let planned = plan_against(verdicts, org, settings, keys, whole_directory, progress)?;
    let (mut plan, few_matched, leavers, grace, groups) = planned;
    let groups = groups.or(saved_groups.map(groups::replayed));
    if let Some(mut replayed) = replayed {
        for line in replayed.take_lines() {
            ledger.record(line);
        }
        replayed.add_to(&mut plan);
    }
    if let Some(groups) = &groups {
        ledger.set_group_cells(groups.row_cells());
    }
    let (members, name) = (&org.members, org.org.as_str());
    let saved_groups = groups
        .as_ref()
        .and_then(|run| Some((&run.plan.changes[..], run.limit?)));
    save_plan(
        settings,
        &plan,
        (name, members),
        (input_file, saved_groups),
        progress,
    )?;
    let excluded = guards::excluded_lines(
        &plan,
        members,
        &settings.exclusions,
        settings.token_owner.as_deref(),
    );
    let group_lines = groups
        .as_ref()
        .map(|run| groups::plan_lines(&run.plan, members));
    let shown = (leavers.lines.as_slice(), group_lines);
    show::show_plan(&plan, shown, mode, members.len(), name, progress);
    if !excluded.is_empty() {
        progress.note(&format!(
            "{} rows left alone: their members are protected (--exclude, --token-owner)",
            excluded.len()
        ));
    }
    Ok(Planned {
        plan,
        excluded,
        few_matched,
        leavers,
        grace,
        whole_directory,
        groups,
    })
}

/// What planning against the organization gives the run.
type Planning = (
    Plan,
    Option<FewMatched>,
    LeaverPlan,
    Option<GraceRun>,
    Option<GroupRun>,
);

/// The rows planned against the members, through their index (built while they were read,
/// when they came from an export), under the run's lifecycle settings; then, with too few rows
/// matched, every invite held back; then the leavers. Rows matching an inconsistent member
/// list are invalid, and the list's inconsistencies logged.
fn plan_against(
    mut verdicts: Vec<RowVerdict>,
    org: &mut Members,
    settings: &RunSettings,
    keys: Option<String>,
    whole_directory: bool,
    progress: &dyn Progress,
) -> Result<Planning, RunError> {
    let index = match org.lookup.take() {
        Some(lookup) => MemberIndex::with_lookup(&org.members, lookup),
        None => MemberIndex::new(&org.members),
    };
    let inconsistencies = index.inconsistencies();
    if !inconsistencies.is_empty() {
        tracing::warn!(
            "the organization's member list is inconsistent; rows matching these members are invalid: {}",
            inconsistencies.join("; ")
        );
    }
    let row_groups = settings
        .groups
        .as_ref()
        .map(|_| groups::take_row_groups(&mut verdicts));
    let mut plan = plan::plan_with(verdicts, &index, &Rules::now(&settings.lifecycle));
    let name = org.org.as_str();
    let few_matched = keys
        .filter(|_| !settings.allow_unmatched)
        .and_then(|keys| matched::check(&plan.rows, &keys, name, org.members.len(), progress));
    if few_matched.is_some() {
        plan::lifecycle::hold_invites(&mut plan.rows, leaving::FEW_MATCHED_HOLD);
    }
    let (leavers, grace) = match whole_directory {
        true => {
            let few = few_matched.is_some();
            leaving::decide(settings, &mut plan, &index, &org.members, few, progress)?
        }
        false => (LeaverPlan::default(), None),
    };
    let groups = match (&settings.groups, &org.groups, row_groups) {
        (Some(group_settings), Some((groups, read_at)), Some(row_groups)) => {
            let few = few_matched.is_some();
            let context = groups::GroupContext {
                settings: group_settings,
                index: &index,
                members: &org.members,
                groups,
                read_at: *read_at,
                protected: protected(&org.members, &settings.exclusions),
                rowless_kept: groups::rowless_kept(&plan, few, whole_directory),
            };
            Some(groups::plan(context, &plan, row_groups))
        }
        _ => None,
    };
    Ok((plan, few_matched, leavers, grace, groups))
}

/// Members `--exclude` protects: their groups are never changed.
fn protected(members: &[Member], exclusions: &Exclusions) -> HashSet<u64> {
    if exclusions.is_empty() {
        return HashSet::new();
    }
    members
        .iter()
        .filter(|m| {
            m.email
                .as_deref()
                .is_some_and(|e| exclusions.matching(e).is_some())
        })
        .map(|m| m.id)
        .collect()
}
