//! The plan stage: the rows a replay finds stale set aside, the rest planned against the
//! organization, the plan saved (`plan --out`) and shown, and what the protections take out.

use std::collections::HashMap;
use std::sync::Arc;

use crate::plan::{self, Chain, LineKey, MemberIndex, Plan};
use crate::progress::Progress;
use crate::settings::{RunSettings, Source};
use crate::validate::RowVerdict;

use super::ledger::Ledger;
use super::lines::stale_row;
use super::matched::{self, FewMatched};
use super::members::Members;
use super::source::{SourceRead, save_plan, stale_rows};
use super::{Mode, RunError, guards, show};

/// A run's plan, and what the stages after it need to know of it.
pub(super) struct Planned {
    pub plan: Plan,
    /// Chains a protection takes out (`--exclude`, `--token-owner`): line → why.
    pub excluded: HashMap<LineKey, String>,
    /// Too few rows matched a member (an export's run).
    pub few_matched: Option<FewMatched>,
}

impl Planned {
    /// Report lines the plan ends: one per input row, one per subject.
    pub fn lines(&self) -> usize {
        self.plan.rows.len() + self.plan.subjects.len()
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
        ..
    } = input;
    let stale = match (&recorded, &settings.source) {
        (Some(recorded), source) => {
            let force = matches!(source, Source::Rollback { force: true, .. });
            stale_rows(recorded, &org.members, force)
        }
        _ => HashMap::new(),
    };
    if !stale.is_empty() {
        verdicts.retain(|v| !stale.contains_key(&v.row()));
    }
    let plan = plan_against(verdicts, org);
    for record in recorded.iter().flatten() {
        if let Some(reason) = stale.get(&record.row) {
            ledger.record(stale_row(record, reason));
        }
    }
    let (members, name) = (&org.members, org.org.as_str());
    save_plan(settings, &plan, name, input_file, progress)?;
    let excluded = guards::excluded_lines(
        &plan,
        members,
        &settings.exclusions,
        settings.token_owner.as_deref(),
    );
    show::show_plan(&plan, mode, members.len(), name, progress);
    let few_matched = keys
        .filter(|_| !settings.allow_unmatched)
        .and_then(|keys| matched::check(&plan.rows, &keys, name, members.len(), progress));
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
    })
}

/// The rows planned against the members, through their index (built while they were read,
/// when they came from an export); rows matching an inconsistent member list are invalid,
/// and the list's inconsistencies logged.
fn plan_against(verdicts: Vec<RowVerdict>, org: &mut Members) -> Plan {
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
    plan::plan(verdicts, &index)
}
