//! The execute stage: the lines decided without a request go to the report first, then the
//! chains are run by the executor (`execute::pool`) and each line written as its chain ends;
//! chains the run was stopped before are `cancelled`.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc;

use crate::execute::Engine;
use crate::execute::pool::{Concurrency, HeldSteps, run_chains};
use crate::plan::{Chain, OperationKind, RowPlan};
use crate::progress::Progress;
use crate::report::ReportRow;

use super::ledger::Ledger;
use super::lines::{
    excluded_row, member_note_row, planned_chain, planned_row, unsent_row, written_row,
};
use super::planning::Planned;
use super::{RunError, groups};

/// Writes the lines decided before any request, in a few writes: every row's, then every
/// subject's. A chain a protection took out is `excluded`; the others are `planned`, or left
/// out when `skip_chains` (they are about to be sent, and their lines come from the results).
pub(super) fn record_decided(ledger: &mut Ledger, planned: &Planned, skip_chains: bool) {
    ledger.record_all_decided(&planned.plan.rows, |plan| match plan {
        RowPlan::Chain(chain) => chain_line(planned, chain, skip_chains),
        plan => Some(planned_row(plan)),
    });
    ledger.record_all_decided(&planned.plan.subjects, |chain| {
        chain_line(planned, chain, skip_chains)
    });
    ledger.record_all_decided(&planned.leavers.lines, |member| {
        Some(member_note_row(member))
    });
    if !skip_chains {
        let changes = planned.group_changes();
        for (index, change) in changes.iter().enumerate() {
            ledger.record(groups::planned_line(index, change));
        }
    }
}

/// The line of a chain decided before any request, if it has one now.
fn chain_line<'a>(planned: &Planned, chain: &'a Chain, skip_chains: bool) -> Option<ReportRow<'a>> {
    match planned.excluded.get(&chain.line) {
        Some(why) => Some(excluded_row(chain, why)),
        None if skip_chains => None,
        None => Some(planned_chain(chain)),
    }
}

/// Runs `chains` with `concurrency` workers through `engine`, writing each chain's line as it
/// ends, and the lines of those never started as `cancelled`. Gives the members this run's
/// invitations created, by email (the group writes add them).
pub(super) async fn send(
    engine: &Arc<Engine>,
    concurrency: Concurrency,
    chains: Vec<Chain>,
    ledger: &mut Ledger,
    progress: &Arc<dyn Progress>,
) -> Result<HashMap<String, u64>, RunError> {
    let mut invited = HashMap::new();
    if chains.is_empty() {
        return Ok(invited);
    }
    progress.sending();
    engine.set_progress(progress.clone());
    let concurrency = engine.workers(concurrency);
    tracing::info!(concurrency, rate = %engine.rate(), "sending the updates");
    let chains = Arc::new(chains);
    let (sender, mut results) = mpsc::unbounded_channel();
    let pool = tokio::spawn(run_chains(
        engine.clone(),
        chains.clone(),
        concurrency,
        sender,
    ));
    let mut finished = vec![false; chains.len()];
    while let Some(result) = results.recv().await {
        finished[result.index] = true;
        let chain = &chains[result.index];
        let invites = chain
            .steps
            .iter()
            .any(|s| s.kind() == OperationKind::Invite);
        if let (true, Some(email), Some(id)) = (invites, &chain.email, result.member_id) {
            invited.insert(email.clone(), id);
        }
        ledger.record(written_row(chain, &result));
    }
    let held = pool
        .await
        .map_err(|e| RunError::new(format!("the worker pool failed: {e}")))?;
    for (chain, _) in chains.iter().zip(&finished).filter(|(_, done)| !**done) {
        ledger.record(unsent_row(chain));
    }
    tell_held(&held, progress.as_ref());
    Ok(invited)
}

/// Says once why invites or enables stopped in this run: a full seat pool as a warning (a
/// person must free or add seats; `-q` keeps it), the invite cap as a note (a later run
/// invites the rest by itself).
fn tell_held(held: &HeldSteps, progress: &dyn Progress) {
    match (&held.invites, &held.enables) {
        (_, Some(seat_pool)) => progress.warn(
            &format!("{seat_pool}; the rows not sent are `deferred`"),
            None,
        ),
        (Some(cap), None) => {
            progress.note(&format!("{cap}; the rows not sent are `deferred`"));
        }
        (None, None) => {}
    }
}
