//! Group writes: one group at a time, after every member chain, through the run's one engine
//! (its pacer and retry policy).
//!
//! `PUT /groups/{id}` replaces the whole member list and Tallyfy offers no ETag, so a write
//! made from an old read would undo whatever a person changed since. Each write therefore
//! carries the list the plan read (`before`): when the plan is old enough that someone may
//! have edited the group ([`REREAD_AFTER`], or always for a saved plan), the group is read
//! again first, and one whose members are no longer `before` is `stale`, not written. The
//! write takes the name, description and guests of that latest read, so a rename or a guest
//! added in the meantime is kept. Its answer must show the members sent.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::api::{ApiError, Group, GroupWrite};
use crate::execute::pool::steps::{append_id, failure_message};
use crate::execute::retry_policy::{
    Disposition, GROUP_CREATE_RULE, GROUP_WRITE_RULE, classify, is_ambiguous,
};
use crate::execute::{Attempted, Engine};
use crate::plan::groups::GroupChange;
use crate::report::Outcome;

/// A plan older than this re-reads a group right before writing it. Reading the groups and
/// writing the first of them is a matter of seconds in most runs; past half a minute (a long
/// member phase, a slow pace, a person reading the plan before answering the question) a
/// person may have changed a group in Tallyfy's web app.
pub const REREAD_AFTER: Duration = Duration::from_secs(30);

/// How one group's write ended.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupWritten {
    /// `updated`, `stale`, `failed` or `cancelled`.
    pub outcome: Outcome,
    /// The group's id: the plan's, or the one its creation gave.
    pub id: Option<String>,
    pub http_status: Option<u16>,
    pub attempts: u32,
    /// Why it did not end `updated`, or what an `updated` line should say all the same.
    pub message: Option<String>,
    /// Request ids, space-separated.
    pub request_id: Option<String>,
    pub elapsed: Duration,
    /// Whether the group was read again before the write.
    pub reread: bool,
    /// The member list sent (the plan's, with the ids of this run's invitees that landed).
    pub sent: Option<Vec<u64>>,
}

/// Whether a write must read its group again first: a saved plan's always, a run's once the
/// groups were read more than [`REREAD_AFTER`] ago.
pub fn must_reread(read_at: Option<Instant>) -> bool {
    read_at.is_none_or(|at| at.elapsed() > REREAD_AFTER)
}

/// Creates the group when it is new, reads it again when `reread`, and writes its members:
/// the plan's, with the ids `invited` gives this run's invitees (by email).
pub async fn write_group(
    engine: &Engine,
    change: &GroupChange,
    reread: bool,
    invited: &HashMap<String, u64>,
) -> GroupWritten {
    let started = Instant::now();
    let mut written = GroupWritten {
        outcome: Outcome::Updated,
        id: change.id.clone(),
        http_status: None,
        attempts: 0,
        message: None,
        request_id: None,
        elapsed: Duration::ZERO,
        reread: false,
        sent: None,
    };
    if engine.stop_token().is_cancelled() {
        written.outcome = Outcome::Cancelled;
        written.message = Some("not attempted: the run was stopped".into());
        return written;
    }
    let (after, not_invited) = with_invitees(change, invited);
    if after == change.before && change.id.is_some() {
        written.outcome = Outcome::Unchanged;
        written.message = Some(format!(
            "not written: the invitations it waited for did not land ({})",
            not_invited.join(", ")
        ));
        return written;
    }
    let result = steps(engine, change, &after, reread, &mut written).await;
    if let Err((outcome, message)) = result {
        written.outcome = outcome;
        written.message = Some(message);
    }
    if written.outcome == Outcome::Updated && !not_invited.is_empty() {
        written.message = Some(format!(
            "written without {}, whose invitation did not land: a later run adds them",
            not_invited.join(", ")
        ));
    }
    written.elapsed = started.elapsed();
    written
}

/// The plan's `after` with the ids of the invitees whose invitation landed, and the emails of
/// those whose did not.
fn with_invitees(change: &GroupChange, invited: &HashMap<String, u64>) -> (Vec<u64>, Vec<String>) {
    let mut after = change.after.clone();
    let mut not_invited = Vec::new();
    for email in &change.invitees {
        match invited.get(email) {
            Some(id) => after.push(*id),
            None => not_invited.push(email.clone()),
        }
    }
    (sorted(&after), not_invited)
}

type Failure = (Outcome, String);

async fn steps(
    engine: &Engine,
    change: &GroupChange,
    after: &[u64],
    reread: bool,
    written: &mut GroupWritten,
) -> Result<(), Failure> {
    let client = engine.client();
    let (id, latest) = match &change.id {
        None => {
            let call = engine
                .call_with(GROUP_CREATE_RULE, || {
                    client.create_group(&change.name, &change.description)
                })
                .await;
            let created = answer(written, call, "creating the group")?;
            (created.id.clone(), created)
        }
        Some(id) if reread => {
            written.reread = true;
            let call = engine
                .call_with(GROUP_WRITE_RULE, || client.get_group(id))
                .await;
            let now = answer(written, call, "reading the group again before writing it")?;
            if sorted(&now.members) != change.before {
                return Err((
                    Outcome::Stale,
                    format!(
                        "the group's members changed since the plan read them ({} then, {} now): not written; a new plan reads them again",
                        change.before.len(),
                        now.members.len()
                    ),
                ));
            }
            (id.clone(), now)
        }
        Some(id) => (id.clone(), as_planned(id, change)),
    };
    written.id = Some(id.clone());
    if after.is_empty() && latest.members.is_empty() {
        // A group created for rows whose members cannot be placed yet.
        return Ok(());
    }
    // Tallyfy requires a description with every write; a group made without one (in the web
    // app, or by an older client) is written with its name as its description.
    let description = match latest.description.trim() {
        "" => &latest.name,
        _ => &latest.description,
    };
    let body = GroupWrite {
        name: &latest.name,
        description,
        members: after,
        guests: &latest.guests,
    };
    written.sent = Some(after.to_vec());
    let call = engine
        .call_with(GROUP_WRITE_RULE, || client.update_group(&id, &body))
        .await;
    let answered = answer(written, call, "writing the group's members")?;
    if sorted(&answered.members) != after {
        return Err((
            Outcome::Failed,
            format!(
                "the server accepted the group's members but holds {} of them, not the {} sent; a new plan shows the difference",
                answered.members.len(),
                after.len()
            ),
        ));
    }
    Ok(())
}

/// The group as the plan read it, for a write that does not read it again.
fn as_planned(id: &str, change: &GroupChange) -> Group {
    Group {
        id: id.to_string(),
        name: change.name.clone(),
        description: change.description.clone(),
        members: change.before.clone(),
        guests: change.guests.clone(),
        last_updated: change.last_updated.clone(),
    }
}

/// Notes a call's answer on `written`; `Err` says what failed while `doing` it.
fn answer(
    written: &mut GroupWritten,
    call: Attempted<Group>,
    doing: &str,
) -> Result<Group, Failure> {
    written.attempts += call.attempts;
    match call.result {
        Ok(reply) => {
            written.http_status = Some(reply.status);
            append_id(&mut written.request_id, reply.request_id.as_deref());
            Ok(reply.value)
        }
        Err(error) => {
            written.http_status = error.status().or(written.http_status);
            append_id(&mut written.request_id, error.request_id());
            Err(failed(&error, call.attempts, call.cut_off, doing))
        }
    }
}

fn failed(error: &ApiError, attempts: u32, cut_off: bool, doing: &str) -> Failure {
    let disposition = classify(error);
    let outcome = match disposition {
        Disposition::Stopped => Outcome::Cancelled,
        _ => Outcome::Failed,
    };
    let mut message = format!(
        "{doing}: {}",
        failure_message(error, disposition, attempts, cut_off)
    );
    if doing == "creating the group" && is_ambiguous(error) {
        message.push_str(
            "; the group may have been created: the next run finds it by its name and never creates it twice",
        );
    }
    if error.status() == Some(403) {
        message.push_str(
            " (the token's user may lack Tallyfy's manage_groups permission: an administrator can grant it)",
        );
    }
    (outcome, message)
}

fn sorted(members: &[u64]) -> Vec<u64> {
    let mut members = members.to_vec();
    members.sort_unstable();
    members.dedup();
    members
}

#[cfg(test)]
#[path = "groups_tests.rs"]
mod tests;
