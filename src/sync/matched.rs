//! Whether a run's rows found their members.
//!
//! A wrong key column (personal emails where work emails were meant), the wrong organization
//! (`--org`) or the wrong file all look the same from inside a run: every row is `not_found`,
//! nothing is sent, and the run would end `0 to update` with exit 0, like a night with nothing
//! to do. So a run where no valid row matched a member, or fewer than [`MIN_MATCHED_SHARE`] of
//! them when there are at least [`MIN_ROWS_FOR_SHARE`], says so with the likely causes, and
//! `apply` exits 5 (`exit_code.rs`), unless `--allow-unmatched` (or the profile's
//! `allow_unmatched`) says the input holds people outside the organization on purpose.
//!
//! Only exports are judged: a saved plan was matched when it was made (and checked against its
//! organization), a rollback's rows come from a run of the same organization.

use crate::ingest::{MappedColumn, Table, Target};
use crate::plan::RowPlan;
use crate::progress::Progress;

/// Fewer valid rows than this share matching a member is too few...
pub const MIN_MATCHED_SHARE: f64 = 0.5;
/// ...when there are at least this many valid rows. Fewer rows are judged only when none
/// matched: in a small file, a few new joiners not yet in Tallyfy are a normal share.
pub const MIN_ROWS_FOR_SHARE: usize = 10;

/// Too few rows matched: what to tell the person, and the exit code's reason.
#[derive(Debug, Clone)]
pub(crate) struct FewMatched {
    pub message: String,
    pub hint: String,
}

/// The columns a table's rows are matched by, for the message: `column 1 `Work Email``, the
/// user id's first when there is one (it wins over the email).
pub(super) fn key_columns(table: &Table) -> String {
    let named: Vec<String> = [Target::UserId, Target::Email]
        .into_iter()
        .flat_map(|target| table.columns_of(target))
        .map(describe_column)
        .collect();
    match named.as_slice() {
        [] => "no column".into(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first}, else {}", rest.join(", else ")),
    }
}

fn describe_column(column: &MappedColumn) -> String {
    match column.column_number() {
        Some(n) => format!("column {n} `{}`", column.header),
        None => format!("`{}`", column.header),
    }
}

/// `Some`, after warning, when too few of the valid rows matched a member of `org` (`members`
/// of them); `keys` says which columns were read as keys.
pub(super) fn check(
    plans: &[RowPlan],
    keys: &str,
    org: &str,
    members: usize,
    progress: &dyn Progress,
) -> Option<FewMatched> {
    let few = judge(plans, keys, org, members)?;
    progress.warn(&few.message, Some(&few.hint));
    Some(few)
}

fn judge(plans: &[RowPlan], keys: &str, org: &str, members: usize) -> Option<FewMatched> {
    let mut valid = 0usize;
    let mut matched = 0usize;
    let mut first_unmatched = None;
    for plan in plans {
        match plan {
            // An identical repeat is judged once, by its first row.
            RowPlan::Invalid(_) | RowPlan::Duplicate(_) => continue,
            // An invite is a row of no member (a joiner), as a `not_found` row is.
            RowPlan::Chain(chain) if chain.member_id.is_none() => {
                first_unmatched = first_unmatched.or_else(|| {
                    let email = chain.email.as_deref()?;
                    Some(format!("row {} has `{email}`", plan.row()))
                });
            }
            RowPlan::Chain(_) | RowPlan::Unchanged { .. } => matched += 1,
            RowPlan::NotFound {
                row,
                email,
                user_id,
                ..
            } => {
                first_unmatched = first_unmatched.or_else(|| {
                    let key = match (user_id, email) {
                        (Some(id), _) => format!("user_id {id}"),
                        (None, Some(email)) => format!("`{email}`"),
                        (None, None) => return None,
                    };
                    Some(format!("row {row} has {key}"))
                });
            }
        }
        valid += 1;
    }
    if !too_few(valid, matched) {
        return None;
    }
    let how_many = if matched == 0 {
        format!("none of the {valid} valid rows")
    } else {
        format!(
            "only {matched} of the {valid} valid rows ({}%)",
            matched * 100 / valid
        )
    };
    let example = first_unmatched
        .map(|example| format!(" ({example})"))
        .unwrap_or_default();
    Some(FewMatched {
        message: format!(
            "{how_many} matched a member of {org} ({members} members); rows are matched by {keys}{example}: wrong key column, wrong organization or wrong file?"
        ),
        hint: "`member-sync validate FILE` shows which column is read as the key; check --org and the file. If the input holds people outside this organization on purpose, pass --allow-unmatched (or `allow_unmatched = true` in the profile)".into(),
    })
}

/// The rule: no valid row matched, or under [`MIN_MATCHED_SHARE`] of at least
/// [`MIN_ROWS_FOR_SHARE`].
fn too_few(valid: usize, matched: usize) -> bool {
    valid > 0
        && (matched == 0
            || (valid >= MIN_ROWS_FOR_SHARE && (matched as f64) < valid as f64 * MIN_MATCHED_SHARE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_matched_is_too_few_at_any_size_a_share_only_from_ten_rows() {
        assert!(!too_few(0, 0), "no valid row: nothing to judge");
        assert!(too_few(1, 0));
        assert!(!too_few(9, 1));
        assert!(too_few(10, 4));
        assert!(!too_few(10, 5));
        assert!(too_few(20, 9));
        assert!(!too_few(20, 10));
    }

    #[test]
    fn the_message_names_the_counts_the_key_and_an_unmatched_row() {
        let plans = vec![
            RowPlan::NotFound {
                row: 1,
                email: Some("ann@home.example".into()),
                user_id: None,
                note: None,
            },
            RowPlan::NotFound {
                row: 2,
                email: Some("bob@home.example".into()),
                user_id: None,
                note: None,
            },
        ];
        let few = judge(&plans, "column 1 `Email`", "acme", 40).expect("too few");
        assert_eq!(
            few.message,
            "none of the 2 valid rows matched a member of acme (40 members); rows are matched by column 1 `Email` (row 1 has `ann@home.example`): wrong key column, wrong organization or wrong file?"
        );
    }
}
