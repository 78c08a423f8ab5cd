//! What a person sees of the plan on stderr, and the confirmation question.

use std::io::BufRead;

use crate::plan::RowPlan;
use crate::progress::Progress;
use crate::report::cut;
use crate::validate::describe;

use super::Mode;

/// The longest problem list shown for an invalid row, in characters (the report has it all):
/// a value thousands of characters long would bury the plan.
const PROBLEMS_SHOWN: usize = 3 * crate::report::SHOWN_CHARS;

/// The plan, for a person: one line per change or problem, then the counts. Values are
/// shown as text and cut when long (`report::describe_changes`).
pub(super) fn show_plan(
    plans: &[RowPlan],
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
    let mut shown = 0;
    let mut hidden = 0;
    for plan in plans {
        let line = match plan {
            RowPlan::Update(u) => format!(
                "~ {}  {}",
                u.email.as_deref().unwrap_or("?"),
                crate::report::describe_changes(&u.changes)
            ),
            RowPlan::Invalid(i) => format!(
                "! row {} invalid: {}",
                i.row,
                cut(&describe(&i.problems), PROBLEMS_SHOWN)
            ),
            RowPlan::NotFound {
                row,
                email,
                user_id,
            } => format!(
                "? row {row} not found: {}",
                email
                    .clone()
                    .or(user_id.map(|i| format!("user_id {i}")))
                    .unwrap_or_default()
            ),
            RowPlan::Unchanged { .. } | RowPlan::Duplicate(_) => continue,
        };
        if shown < limit {
            progress.note(&line);
            shown += 1;
        } else {
            hidden += 1;
        }
    }
    if hidden > 0 {
        progress.note(&format!(
            "… and {hidden} more (`member-sync plan` lists them all)"
        ));
    }
    let [
        mut update,
        mut unchanged,
        mut invalid,
        mut not_found,
        mut duplicate,
    ] = [0usize; 5];
    for plan in plans {
        *match plan {
            RowPlan::Update(_) => &mut update,
            RowPlan::Unchanged { .. } => &mut unchanged,
            RowPlan::Invalid(_) => &mut invalid,
            RowPlan::NotFound { .. } => &mut not_found,
            RowPlan::Duplicate(_) => &mut duplicate,
        } += 1;
    }
    let duplicate = match duplicate {
        0 => String::new(),
        n => format!(", {n} duplicate"),
    };
    progress.note(&format!(
        "plan for {org} ({member_count} members): {update} to update, {unchanged} unchanged, {invalid} invalid, {not_found} not found{duplicate}"
    ));
}

/// Asks on stderr, even with `--quiet`: a question nobody sees must not be waited for.
pub(super) fn confirm(updates: usize, org: &str) -> bool {
    eprint!("Apply {updates} update(s) to {org}? [y/N] ");
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).is_ok()
        && matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}
