//! What a person sees of the plan on stderr, the confirmation question, and the rows that
//! did not go through, listed at the end of every run.

use std::io::{BufRead, IsTerminal};
use std::path::Path;

use crate::exit_code::fails_the_run;
use crate::plan::leavers::MemberNote;
use crate::plan::{Chain, LineKey, Note, Noted, OperationKind, Plan, RowPlan};
use crate::progress::Progress;
use crate::report::{Outcome, RowToCheck, SHOWN_CHARS, Summary, cut, shown_text};
use crate::validate::describe;

use super::Mode;

/// The longest problem list shown for an invalid row, in characters (the report has it all):
/// a value thousands of characters long would bury the plan.
const PROBLEMS_SHOWN: usize = 3 * crate::report::SHOWN_CHARS;

/// The plan, for a person: one line per change or problem, then the counts. Values are
/// shown as text and cut when long (`report::describe_changes`). `apply` previews the first
/// lines of the members' changes and, apart, of the groups', so that a long list of rows never
/// hides what happens to the groups; the groups' count follows the members'.
pub(super) fn show_plan(
    plan: &Plan,
    (members_noted, groups): (&[MemberNote], Option<GroupLines>),
    mode: Mode,
    member_count: usize,
    org: &str,
    progress: &dyn Progress,
) {
    const APPLY_PREVIEW: usize = 20;
    if !progress.takes_notes() {
        return;
    }
    let limit = match mode {
        Mode::Plan => usize::MAX,
        Mode::Apply { .. } => APPLY_PREVIEW,
    };
    let subjects = plan.subjects.iter().map(chain_line);
    let noted = members_noted.iter().map(member_note_line);
    let lines = plan
        .rows
        .iter()
        .filter_map(row_line)
        .chain(subjects)
        .chain(noted);
    let mut hidden = preview(lines, limit, progress);
    if let Some(groups) = &groups {
        hidden += preview(groups.lines.iter().cloned(), limit, progress);
    }
    if hidden > 0 {
        progress.note(&format!(
            "… and {hidden} more (`member-sync plan` lists them all)"
        ));
    }
    progress.note(&counts_line(plan, members_noted, member_count, org));
    if let Some(groups) = &groups {
        progress.note(&groups.count);
    }
}

/// The plan's group lines (`sync::groups::plan_lines`), and its count of groups.
pub(super) struct GroupLines {
    pub lines: Vec<String>,
    pub count: String,
}

/// Notes the first `limit` of `lines`; says how many it left out.
fn preview(lines: impl Iterator<Item = String>, limit: usize, progress: &dyn Progress) -> usize {
    let mut hidden = 0;
    for (i, line) in lines.enumerate() {
        match i < limit {
            true => progress.note(&line),
            false => hidden += 1,
        }
    }
    hidden
}

/// A row's line in the plan, if it has one (unchanged and duplicate rows have none).
fn row_line(plan: &RowPlan) -> Option<String> {
    Some(match plan {
        RowPlan::Chain(chain) => chain_line(chain),
        RowPlan::Invalid(i) => format!(
            "! row {} invalid: {}",
            i.row,
            cut(&describe(&i.problems), PROBLEMS_SHOWN)
        ),
        RowPlan::NotFound {
            row,
            email,
            user_id,
            note,
        } => {
            let who = email
                .clone()
                .or(user_id.map(|i| format!("user_id {i}")))
                .unwrap_or_default();
            match note {
                None => format!("? row {row} not found: {who}"),
                Some(note) if note.outcome == Noted::NotFound => format!(
                    "? row {row} not found: {who}: {}",
                    cut(&note.reason, PROBLEMS_SHOWN)
                ),
                Some(note) => noted_line(&format!("row {row}"), &who, note),
            }
        }
        RowPlan::Unchanged {
            row,
            email,
            note: Some(note),
            ..
        } if note.outcome != Noted::Unchanged => {
            noted_line(&format!("row {row}"), email.as_deref().unwrap_or("?"), note)
        }
        RowPlan::Unchanged { .. } | RowPlan::Duplicate(_) => return None,
    })
}

/// `. row 12 pending: bo@acme.example: invited 2026-03-01, 9 days ago; ...`: a line the
/// lifecycle rules decided sends nothing.
fn noted_line(what: &str, email: &str, note: &Note) -> String {
    format!(
        ". {what} {}: {email}: {}",
        note.outcome,
        cut(&note.reason, PROBLEMS_SHOWN)
    )
}

/// A member without a row, reported (`. leaver ...`, `. excluded ...`).
fn member_note_line(member: &MemberNote) -> String {
    let email = member.email.as_deref().unwrap_or("?");
    format!(
        ". {} {email}: {}",
        member.note.outcome,
        cut(&member.note.reason, PROBLEMS_SHOWN)
    )
}

/// A chain's line: `~` an update, `+` an invite, `-` a disable, `^` an enable (by its first
/// step), the member, then the fields it changes.
fn chain_line(chain: &Chain) -> String {
    let symbol = match chain.steps.first().map(|step| step.kind()) {
        Some(OperationKind::Invite) => "+ invite",
        Some(OperationKind::Disable) => "- disable",
        Some(OperationKind::Enable) => "^ enable",
        Some(OperationKind::UpdateProfile | OperationKind::ChangeRole) | None => "~",
    };
    let email = chain.email.as_deref().unwrap_or("?");
    let changes = crate::report::describe_changes(chain.changes());
    match changes.as_str() {
        "" => format!("{symbol} {email}"),
        changes => format!("{symbol} {email}  {changes}"),
    }
}

/// `plan for acme (60 members): 12 to update, 40 unchanged, 3 invalid, 2 not found`, with the
/// lifecycle's counts when there are any: `12 to update, 2 to invite, 1 to enable, 1 to
/// disable, 40 unchanged, ..., 2 not found, 1 pending, 2 deferred, 1 disabled, 3 leavers, 2
/// excluded`.
fn counts_line(
    plan: &Plan,
    members_noted: &[MemberNote],
    member_count: usize,
    org: &str,
) -> String {
    let mut counts = Counts::default();
    for row in &plan.rows {
        match row {
            RowPlan::Chain(chain) => counts.chain(chain),
            RowPlan::Unchanged { note: None, .. } => counts.unchanged += 1,
            RowPlan::Unchanged {
                note: Some(note), ..
            }
            | RowPlan::NotFound {
                note: Some(note), ..
            } => counts.noted(note.outcome),
            RowPlan::Invalid(_) => counts.invalid += 1,
            RowPlan::NotFound { note: None, .. } => counts.not_found += 1,
            RowPlan::Duplicate(_) => counts.duplicate += 1,
        }
    }
    plan.subjects.iter().for_each(|chain| counts.chain(chain));
    members_noted
        .iter()
        .for_each(|m| counts.noted(m.note.outcome));
    let optional = |n: usize, what: &str| match n {
        0 => String::new(),
        n => format!(", {n} {what}"),
    };
    let leavers = match counts.leaver {
        1 => ", 1 leaver".to_string(),
        n => optional(n, "leavers"),
    };
    format!(
        "plan for {org} ({member_count} members): {} to update{}{}{}, {} unchanged, {} invalid, {} not found{}{}{}{}{leavers}{}",
        counts.update,
        optional(counts.invite, "to invite"),
        optional(counts.enable, "to enable"),
        optional(counts.disable, "to disable"),
        counts.unchanged,
        counts.invalid,
        counts.not_found,
        optional(counts.duplicate, "duplicate"),
        optional(counts.pending, "pending"),
        optional(counts.deferred, "deferred"),
        optional(counts.disabled, "disabled"),
        optional(counts.excluded, "excluded"),
    )
}

/// How many lines of each kind the plan has.
#[derive(Default)]
struct Counts {
    update: usize,
    unchanged: usize,
    invalid: usize,
    not_found: usize,
    duplicate: usize,
    invite: usize,
    enable: usize,
    disable: usize,
    pending: usize,
    deferred: usize,
    disabled: usize,
    leaver: usize,
    excluded: usize,
}

impl Counts {
    /// A chain counts by its first step: a rehire's `^ enable` then update is an enable.
    fn chain(&mut self, chain: &Chain) {
        *match chain.steps.first().map(|step| step.kind()) {
            Some(OperationKind::Invite) => &mut self.invite,
            Some(OperationKind::Enable) => &mut self.enable,
            Some(OperationKind::Disable) => &mut self.disable,
            Some(OperationKind::UpdateProfile | OperationKind::ChangeRole) | None => {
                &mut self.update
            }
        } += 1;
    }

    fn noted(&mut self, outcome: Noted) {
        *match outcome {
            Noted::NotFound => &mut self.not_found,
            Noted::Unchanged => &mut self.unchanged,
            Noted::Pending => &mut self.pending,
            Noted::Deferred => &mut self.deferred,
            Noted::Disabled => &mut self.disabled,
            Noted::Leaver => &mut self.leaver,
            Noted::Excluded => &mut self.excluded,
        } += 1;
    }
}

/// Whether `apply` may send its `updates` to `org`: `--yes` (`yes`), a rehearsal on the
/// in-process sandbox (`sandbox`: it touches nothing real), no terminal to ask on (said once,
/// so a log shows why nobody was asked), or the person's answer.
pub(super) fn go_ahead(
    updates: usize,
    org: &str,
    yes: bool,
    sandbox: bool,
    progress: &dyn Progress,
) -> bool {
    if yes || sandbox || updates == 0 {
        return true;
    }
    if !std::io::stdin().is_terminal() {
        progress.note(&format!(
            "stdin is not a terminal: applying {updates} update(s) to {org} without asking (--yes says so and hides this line)"
        ));
        return true;
    }
    confirm(updates, org, progress)
}

/// Asks on stderr, even with `--quiet`: a question nobody sees must not be waited for. Any
/// spinner or bar is stopped first: one still drawing would erase the question at its next
/// tick, and the run would look hung.
fn confirm(updates: usize, org: &str, progress: &dyn Progress) -> bool {
    progress.finish();
    eprint!("Apply {updates} update(s) to {org}? [y/N] ");
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).is_ok()
        && matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// The list that ends every run: each row with an outcome that fails the run, the first
/// [`Summary::ROWS_LISTED`] by row number, as warnings that `-q` keeps (cron mails them).
pub(super) fn rows_to_check(summary: &Summary, report: &Path, progress: &dyn Progress) {
    let counts: Vec<(Outcome, usize)> = Outcome::ALL
        .into_iter()
        .filter(|o| fails_the_run(*o))
        .map(|o| (o, summary.count(o)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return;
    }
    let each: Vec<String> = counts.iter().map(|(o, n)| format!("{n} {o}")).collect();
    progress.warn(
        &format!(
            "{total} {} attention ({}); the report {} has every one:",
            if total == 1 { "row needs" } else { "rows need" },
            each.join(", "),
            report.display()
        ),
        None,
    );
    let listed = summary.rows_listed();
    for row in &listed {
        progress.warn(&row_to_check(row), None);
    }
    if total > listed.len() {
        progress.warn(
            &format!("and {} more: see the report", total - listed.len()),
            None,
        );
    }
}

/// `row 37 (line 38, ann@acme.example) invalid: Time Zone: ...` (`member 1042 (…) failed: …`
/// for a line without a row), on one line: the email and the reason shown as text and cut as
/// the plan's lines are (`report::shown_text`).
fn row_to_check(row: &RowToCheck) -> String {
    let key = row.key;
    let email = match row.email.as_str() {
        "" => "no email".to_string(),
        email => shown_text(email, SHOWN_CHARS),
    };
    let place = match row.line {
        Some(line) => format!("line {line}, {email}"),
        None => email,
    };
    let why = match row.why.as_str() {
        "" => String::new(),
        why => format!(": {}", shown_text(why, PROBLEMS_SHOWN)),
    };
    if let LineKey::Group(_) = key {
        // A group's line carries its group's name where a row's has the email.
        return format!("group {place} {}{why}", row.outcome);
    }
    format!("{key} ({place}) {}{why}", row.outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::LineKey;

    #[test]
    fn a_line_to_check_is_named_by_its_row_or_its_member() {
        let check = |key, line| RowToCheck {
            key,
            line,
            email: "ann@acme.example".into(),
            outcome: Outcome::Failed,
            why: "HTTP 403: no".into(),
        };
        assert_eq!(
            row_to_check(&check(LineKey::Row(37), Some(38))),
            "row 37 (line 38, ann@acme.example) failed: HTTP 403: no"
        );
        assert_eq!(
            row_to_check(&check(LineKey::Member(1042), None)),
            "member 1042 (ann@acme.example) failed: HTTP 403: no"
        );
        let group = RowToCheck {
            email: "Sales".into(),
            ..check(LineKey::Group(0), None)
        };
        assert_eq!(row_to_check(&group), "group Sales failed: HTTP 403: no");
        // Rows are listed before members.
        assert!(LineKey::Row(usize::MAX) < LineKey::Member(0));
    }
}
