//! One chain, step by step: each operation sent through the engine under its kind's retry
//! rule, its answer checked for fields that did not stick, and the chain stopped at the first
//! step that does not succeed. The chain's line then says what landed before that step, and
//! why it and the steps after it did not.

use std::time::{Duration, Instant};

use crate::api::{ApiError, Member};
use crate::execute::retry_policy::{Disposition, Refusal, classify, retry_rule};
use crate::execute::{Attempted, Engine};
use crate::plan::{Chain, Operation, OperationKind};

use super::lifecycle::{self, Failure, Holds};
use super::{ChainOutcome, ChainResult};

/// How a row's error starts when its profile call landed and its role call did not (failed,
/// or never ran because the run was stopped). `rollback` reads it in reports written before
/// the `landed` column.
pub const PROFILE_ONLY: &str = "the profile fields were updated, the role was not: ";

/// Runs `chain`'s steps in order; the first that fails, or that the run holds back
/// (`holds`: the invite cap, a full seat pool), ends it.
pub(super) async fn run_chain(
    engine: &Engine,
    holds: &Holds,
    chain: &Chain,
    index: usize,
) -> ChainResult {
    let started = Instant::now();
    let mut result = ChainResult {
        index,
        outcome: ChainOutcome::Done,
        http_status: None,
        attempts: 0,
        error: None,
        note: None,
        request_id: None,
        elapsed: Duration::ZERO,
        landed: Vec::new(),
        member_id: chain.member_id,
    };
    for (i, step) in chain.steps.iter().enumerate() {
        let ran = match holds.holding(step.kind()) {
            Some(reason) => Err((ChainOutcome::Deferred, reason.to_string())),
            None => run_step(engine, holds, step, &mut result).await,
        };
        if let Err((outcome, message)) = ran {
            let (done, not_done) = chain.steps.split_at(i);
            result.outcome = outcome;
            result.error = Some(format!("{}{message}", partly_done(done, not_done)));
            break;
        }
    }
    result.elapsed = started.elapsed();
    result
}

/// Sends one step and notes its answer on the result.
async fn run_step(
    engine: &Engine,
    holds: &Holds,
    step: &Operation,
    result: &mut ChainResult,
) -> Result<(), Failure> {
    let kind = step.kind();
    let rule = retry_rule(kind);
    let client = engine.client();
    let attempted = if let Operation::Invite(invite) = step {
        lifecycle::invite(engine, invite, result).await?
    } else {
        // Every other step acts on a member that exists (an invitee's, once invited).
        let Some(member_id) = result.member_id else {
            return Err(not_sent("the member has no id: it was never created"));
        };
        match step {
            Operation::UpdateProfile { body, .. } => {
                engine
                    .call_with(rule, || client.update_profile(member_id, body))
                    .await
            }
            Operation::ChangeRole { .. } => {
                let Some(role) = step.new_role() else {
                    return Err(not_sent("a role change without a role"));
                };
                engine
                    .call_with(rule, || client.update_role(member_id, role))
                    .await
            }
            Operation::Enable => engine.call_with(rule, || client.enable(member_id)).await,
            Operation::Disable { reassign_to: None } => {
                engine.call_with(rule, || client.disable(member_id)).await
            }
            Operation::Disable {
                reassign_to: Some(to),
            } => {
                engine
                    .call_with(rule, || client.remove_with_reassignment(member_id, *to))
                    .await
            }
            Operation::Invite(_) => unreachable!("sent above"),
        }
    };
    if let Err(error) = &attempted.result
        && let Some(held) = lifecycle::held_by(holds, kind, error)
    {
        result.attempts += attempted.attempts;
        result.http_status = error.status();
        append_request_id(result, error.request_id());
        return Err(held);
    }
    record(result, attempted, step)
}

fn not_sent(why: &str) -> Failure {
    (ChainOutcome::Failed, format!("not sent: {why}"))
}

/// How the error of a chain stopped part-way starts: what its steps before the failed one
/// did, and which did not happen (`the profile fields were updated, the role was not: `).
/// Nothing when the first step failed: `landed` is empty, and the error says why.
fn partly_done(done: &[Operation], not_done: &[Operation]) -> String {
    if done.is_empty() {
        return String::new();
    }
    let did: Vec<&str> = done.iter().map(|s| phrases(s.kind()).0).collect();
    let not: Vec<&str> = not_done.iter().map(|s| phrases(s.kind()).1).collect();
    let verb = match not_done {
        [one] if !phrases(one.kind()).2 => "was",
        _ => "were",
    };
    format!("{}, {} {verb} not: ", and_list(&did), and_list(&not))
}

/// What a step that landed did, what a step that did not is called, and whether that name is
/// plural.
fn phrases(kind: OperationKind) -> (&'static str, &'static str, bool) {
    match kind {
        OperationKind::UpdateProfile => (
            "the profile fields were updated",
            "the profile fields",
            true,
        ),
        OperationKind::ChangeRole => ("the role was changed", "the role", false),
        OperationKind::Invite => ("the member was invited", "the invitation", false),
        OperationKind::Enable => ("the member was enabled", "the enabling", false),
        OperationKind::Disable => ("the member was disabled", "the disabling", false),
    }
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Notes a call's answer on the chain's result, and the fields it shows landed; `Err` carries
/// the failure. Messages speak of this call alone: the chain's other calls, and their
/// attempts, are not this one's.
fn record(
    result: &mut ChainResult,
    call: Attempted<Member>,
    step: &Operation,
) -> Result<(), Failure> {
    let Attempted {
        result: answer,
        attempts,
        cut_off,
    } = call;
    result.attempts += attempts;
    match answer {
        Ok(reply) => {
            result.http_status = Some(reply.status);
            append_request_id(result, reply.request_id.as_deref());
            if step.kind() == OperationKind::Invite {
                result.member_id = Some(reply.value.id);
            }
            if let Some(why) = lifecycle::status_not_reached(step.kind(), &reply.value) {
                return Err((ChainOutcome::Failed, why));
            }
            let mut not_applied = Vec::new();
            for change in step.changes() {
                let now = reply.value.current(change.field);
                if now == change.after {
                    result.landed.push(change.field);
                } else {
                    not_applied.push(format!(
                        "{} (sent {}, server has {})",
                        change.field,
                        show(&change.after),
                        show(&now)
                    ));
                }
            }
            if not_applied.is_empty() {
                Ok(())
            } else {
                Err((
                    ChainOutcome::Failed,
                    format!(
                        "the server accepted the update but did not apply: {}",
                        not_applied.join("; ")
                    ),
                ))
            }
        }
        Err(error) => {
            result.http_status = error.status().or(result.http_status);
            append_request_id(result, error.request_id());
            let disposition = classify(&error);
            let outcome = match disposition {
                Disposition::Stopped => ChainOutcome::Cancelled,
                _ => ChainOutcome::Failed,
            };
            Err((
                outcome,
                failure_message(&error, disposition, attempts, cut_off),
            ))
        }
    }
}

/// What the line's `error` says of a call that did not succeed.
/// `attempts` are this call's, and `cut_off` says its last was on the wire when the grace
/// after a stop ran out.
pub(crate) fn failure_message(
    error: &ApiError,
    disposition: Disposition,
    attempts: u32,
    cut_off: bool,
) -> String {
    match disposition {
        Disposition::StopRun(why) => {
            let note = match why {
                Refusal::Token => "the access token was refused",
                Refusal::Certificate => {
                    "the run stopped: nothing is sent to a server this machine does not trust"
                }
            };
            // An earlier attempt may have landed before its answer was lost (a write cut by
            // the proxy that then refused the certificate).
            match attempts {
                0 | 1 => format!("{error} ({note})"),
                n => format!(
                    "{error} ({note}; after {n} attempts, an earlier one may have been applied (a re-run will tell))"
                ),
            }
        }
        Disposition::Stopped if cut_off => {
            "the run was stopped while this request was in flight; it may or may not have been applied (a re-run will tell)".to_string()
        }
        Disposition::Stopped if attempts > 0 => format!(
            "the run was stopped before this request was sent again; {} may or may not have been applied (a re-run will tell)",
            if attempts == 1 { "the attempt sent".to_string() } else { format!("the {attempts} attempts sent") }
        ),
        _ if attempts > 1 => format!("{error} (after {attempts} attempts)"),
        _ => error.to_string(),
    }
}

pub(super) fn append_request_id(result: &mut ChainResult, id: Option<&str>) {
    append_id(&mut result.request_id, id);
}

/// Adds a response's request id to `ids` (space-separated when a line made several calls).
pub(crate) fn append_id(ids: &mut Option<String>, id: Option<&str>) {
    if let Some(id) = id {
        match ids {
            Some(ids) => {
                ids.push(' ');
                ids.push_str(id);
            }
            None => *ids = Some(id.to_string()),
        }
    }
}

fn show(value: &Option<crate::fields::Value>) -> String {
    value.as_ref().map_or("null".to_string(), |v| v.to_string())
}

#[cfg(test)]
#[path = "steps_tests.rs"]
pub(super) mod tests;
