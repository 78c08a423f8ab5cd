//! The lifecycle steps of a chain: invite a joiner, enable a rehire, disable (or remove) a
//! leaver; and what one chain learns that holds for the rest of the run ([`Holds`]).
//!
//! They are apart from the profile steps because their failures mean more than "this row
//! failed". An invite sends an email and takes a seat: after a failure that may have landed
//! it is never sent again (`RetryRule::NeverAfterAmbiguous`), the member is read by email
//! instead and the step decided from what is there. The invite cap's 429 says no invite will
//! go through for hours, and a full seat pool (409 `SEAT_POOL_EXHAUSTED`) that no invite or
//! enable will: the run stops sending those, the rest end `deferred` with the reason, and
//! every other write goes on.

use std::sync::OnceLock;

use crate::api::{ApiError, Member, MemberStatus, Reply};
use crate::execute::pacing::in_words;
use crate::execute::retry_policy::{RetryRule, Throttle, is_ambiguous, retry_rule};
use crate::execute::{Attempted, Engine};
use crate::plan::{Invite, OperationKind};

use super::{ChainOutcome, ChainResult};

/// The code of Tallyfy's 409 for a full seat pool.
pub const SEAT_POOL_EXHAUSTED: &str = "SEAT_POOL_EXHAUSTED";

/// What the run's chains learned that stops some kinds of step for the rest of it. Each is set
/// once, by the first chain that learns it, and read by every worker before its next step.
#[derive(Debug, Default)]
pub struct Holds {
    /// Why no more invites are sent (the invite cap, a full seat pool).
    invites: OnceLock<String>,
    /// Why no more members are enabled (a full seat pool).
    enables: OnceLock<String>,
}

/// What a run's holds ended as, for the run to say once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeldSteps {
    /// Why invites stopped, if they did.
    pub invites: Option<String>,
    /// Why enables stopped, if they did (a full seat pool stops both).
    pub enables: Option<String>,
}

impl Holds {
    /// Why a step of `kind` is not sent in this run any more, if it is not.
    pub(super) fn holding(&self, kind: OperationKind) -> Option<&str> {
        match kind {
            OperationKind::Invite => self.invites.get(),
            OperationKind::Enable => self.enables.get(),
            _ => None,
        }
        .map(String::as_str)
    }

    pub(super) fn ended(&self) -> HeldSteps {
        HeldSteps {
            invites: self.invites.get().cloned(),
            enables: self.enables.get().cloned(),
        }
    }

    /// No more invites: the invite cap's 429.
    fn invite_cap(&self, retry_after: Option<std::time::Duration>) -> String {
        let wait = retry_after.map_or(String::new(), |w| format!(" (Retry-After {})", in_words(w)));
        let reason = format!(
            "the invite cap was reached: Tallyfy answered 429{wait} to an invite; no more invites in this run, a later run invites the person"
        );
        self.invites.get_or_init(|| reason).clone()
    }

    /// No more invites nor enables: the seat pool is full.
    fn seat_pool_full(&self, error: &ApiError) -> String {
        let reason = format!(
            "the seat pool is full ({error}); no more invites or enables in this run: free or add seats, then run again"
        );
        let _ = self.enables.set(reason.clone());
        self.invites.get_or_init(|| reason).clone()
    }
}

/// A step that did not succeed: how the chain ends, and why.
pub(super) type Failure = (ChainOutcome, String);

/// The ends of a lifecycle call the run, not the row, must know of: the invite cap and a full
/// seat pool end the step `deferred` and hold its kind for the rest of the run.
pub(super) fn held_by(holds: &Holds, kind: OperationKind, error: &ApiError) -> Option<Failure> {
    let rule = retry_rule(kind);
    match error {
        ApiError::Status {
            status: 429,
            retry_after,
            ..
        } if kind == OperationKind::Invite && rule.throttle(*retry_after) == Throttle::Kind => {
            Some((ChainOutcome::Deferred, holds.invite_cap(*retry_after)))
        }
        ApiError::Status { status: 409, .. }
            if error.code() == Some(SEAT_POOL_EXHAUSTED)
                && matches!(kind, OperationKind::Invite | OperationKind::Enable) =>
        {
            Some((ChainOutcome::Deferred, holds.seat_pool_full(error)))
        }
        _ => None,
    }
}

/// `POST /users/invite`, never sent twice: after a failure that may have landed, the member is
/// read by email, and what is there decides (`Ok(Some(note))`: it had landed).
pub(super) async fn invite(
    engine: &Engine,
    invite: &Invite,
    result: &mut ChainResult,
) -> Result<Attempted<Member>, Failure> {
    let client = engine.client();
    let attempted = engine
        .call_with(retry_rule(OperationKind::Invite), || {
            client.invite(
                &invite.email,
                &invite.first_name,
                &invite.last_name,
                &invite.role,
                &invite.message,
            )
        })
        .await;
    let lost = match &attempted.result {
        Err(error) if is_ambiguous(error) => error.clone(),
        _ => return Ok(attempted),
    };
    result.attempts += attempted.attempts;
    if let Some(id) = lost.request_id() {
        super::steps::append_request_id(result, Some(id));
    }
    reread(engine, invite, &lost, result).await
}

/// The invite's answer was lost (`lost`): the member read by email says whether it landed.
async fn reread(
    engine: &Engine,
    invite: &Invite,
    lost: &ApiError,
    result: &mut ChainResult,
) -> Result<Attempted<Member>, Failure> {
    let client = engine.client();
    let found = engine
        .call_with(RetryRule::Idempotent, || {
            client.find_member_by_email(&invite.email)
        })
        .await;
    result.attempts += found.attempts;
    let why = format!("the invite's answer was lost ({lost})");
    match found.result {
        Ok(Reply {
            value: Some(member),
            status,
            request_id,
            quota,
        }) => {
            let now = member
                .status
                .map_or("listed".to_string(), |s| s.to_string());
            result.note = Some(format!(
                "{why}; reading the member by email finds them {now}: the invite had landed, it is not sent again"
            ));
            Ok(Attempted {
                result: Ok(Reply {
                    value: member,
                    status,
                    request_id,
                    quota,
                }),
                attempts: 0,
                cut_off: false,
            })
        }
        Ok(reply) => {
            super::steps::append_request_id(result, reply.request_id.as_deref());
            result.http_status = Some(reply.status);
            Err((
                ChainOutcome::Failed,
                format!(
                    "{why}, and no member has this email: it did not land; a later run invites the person"
                ),
            ))
        }
        Err(error) => {
            super::steps::append_request_id(result, error.request_id());
            Err((
                ChainOutcome::Failed,
                format!(
                    "{why}, and reading the member by email failed too ({error}): it may or may not have landed; a later run reads the member list and never invites twice"
                ),
            ))
        }
    }
}

/// The status a lifecycle step leaves its member in, which its answer must show.
pub(super) fn status_after(kind: OperationKind) -> Option<MemberStatus> {
    match kind {
        OperationKind::Invite => Some(MemberStatus::Invited),
        OperationKind::Enable => Some(MemberStatus::Active),
        OperationKind::Disable => Some(MemberStatus::Disabled),
        OperationKind::UpdateProfile | OperationKind::ChangeRole => None,
    }
}

/// Why an answer that succeeded does not show the step done, if it does not. An invitee who
/// already joined (`active`) is the invite landing too. A status the answer does not give
/// cannot be checked, and is not held against it.
pub(super) fn status_not_reached(kind: OperationKind, member: &Member) -> Option<String> {
    let wanted = status_after(kind)?;
    let now = member.status?;
    let reached = now == wanted || (kind == OperationKind::Invite && now == MemberStatus::Active);
    (!reached)
        .then(|| format!("the server accepted the {kind} but the member is {now}, not {wanted}"))
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod tests;
