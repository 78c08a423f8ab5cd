//! Rows that share a key: the same member named on several rows.
//!
//! When those rows ask for exactly the same thing (the same key, the same canonical values:
//! Microsoft 365's own import sample is five people four times over), the first one acts and
//! the others end `duplicate`, "same as row 1": sending them again would change nothing, so
//! refusing the lot would only punish a harmless export. When they disagree in anything, every
//! one of them is invalid, as before: which of two rows is right is not ours to guess.
//!
//! Messages are bounded: each row names at most three of the others and counts the rest
//! (`also on rows 2, 3, 4 and 9,996 more`), and one summary line gives the totals. Naming every
//! other row on every row made 10,000 rows of one placeholder email into 590 MB of messages.

use super::{Draft, DuplicateRow, InvalidRow, RowProblem, RowVerdict, keys::SharedKey};

/// How many other rows a duplicate-key message names before it counts the rest.
const NAMED_ROWS: usize = 3;

/// Settles every key that several rows share: identical repeats become [`DuplicateRow`]s,
/// every row of a key whose rows disagree becomes invalid. `key_cells` reads a row's key cells
/// again (by position), for the message. Returns the summary lines (none when no key is
/// shared).
pub(super) fn settle<'t>(
    verdicts: &mut [RowVerdict],
    shared: Vec<SharedKey>,
    key_cells: impl Fn(usize) -> Draft<'t>,
) -> Vec<String> {
    let mut totals = Totals::default();
    for group in shared {
        if identical(verdicts, &group.positions) {
            totals.repeats += group.positions.len() - 1;
            mark_repeats(verdicts, &group.positions);
        } else {
            totals.conflicting_rows += group.positions.len();
            *if group.is_email {
                &mut totals.emails
            } else {
                &mut totals.user_ids
            } += 1;
            refuse_all(verdicts, &group.positions, &key_cells);
        }
    }
    totals.lines()
}

/// Every row valid, and each asking for what the first asks for.
fn identical(verdicts: &[RowVerdict], positions: &[usize]) -> bool {
    let RowVerdict::Valid(first) = &verdicts[positions[0]] else {
        return false;
    };
    positions[1..].iter().all(|&i| match &verdicts[i] {
        RowVerdict::Valid(row) => row.same_request(first),
        _ => false,
    })
}

/// The rows after the first become duplicates of it.
fn mark_repeats(verdicts: &mut [RowVerdict], positions: &[usize]) {
    let of = verdicts[positions[0]].row();
    for &i in &positions[1..] {
        if let RowVerdict::Valid(row) = &mut verdicts[i] {
            let repeat = DuplicateRow {
                row: row.row,
                of,
                email: row.take_email(),
                user_id: row.user_id,
            };
            verdicts[i] = RowVerdict::Duplicate(repeat);
        }
    }
}

/// Every row of the key becomes invalid, naming a few of the others.
fn refuse_all<'t>(
    verdicts: &mut [RowVerdict],
    positions: &[usize],
    key_cells: &impl Fn(usize) -> Draft<'t>,
) {
    for &i in positions {
        let others: Vec<String> = positions
            .iter()
            .filter(|&&j| j != i)
            .take(NAMED_ROWS)
            .map(|&j| verdicts[j].row().to_string())
            .collect();
        let more = positions.len() - 1 - others.len();
        let plural = if positions.len() == 2 { "" } else { "s" };
        let more = if more > 0 {
            format!(" and {} more", thousands(more))
        } else {
            String::new()
        };
        // The cells the message quotes, read again for these rows only.
        let cells = key_cells(i);
        let problem = RowProblem {
            column: cells.key_column.to_string(),
            value: cells.key_value.to_string(),
            rule: format!(
                "duplicate key, also on row{plural} {}{more}",
                others.join(", ")
            ),
        };
        match &mut verdicts[i] {
            RowVerdict::Invalid(invalid) => invalid.problems.push(problem),
            verdict => {
                *verdict = RowVerdict::Invalid(InvalidRow {
                    row: verdict.row(),
                    email: cells.raw_email.to_string(),
                    user_id: cells.raw_user_id.to_string(),
                    problems: vec![problem],
                });
            }
        }
    }
}

/// What the shared keys came to, for the summary lines.
#[derive(Debug, Default)]
struct Totals {
    repeats: usize,
    conflicting_rows: usize,
    emails: usize,
    user_ids: usize,
}

impl Totals {
    /// `10,000 rows share 1 email, so none of them is sent: …`, and the repeats.
    fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if self.conflicting_rows > 0 {
            let keys: Vec<String> = [(self.emails, "email"), (self.user_ids, "user id")]
                .into_iter()
                .filter(|(n, _)| *n > 0)
                .map(|(n, what)| count(n, what))
                .collect();
            lines.push(format!(
                "{} share {}, so none of them is sent: keep one row per member",
                count(self.conflicting_rows, "row"),
                keys.join(" and ")
            ));
        }
        if self.repeats > 0 {
            let (verb, each) = if self.repeats == 1 {
                ("repeats", "it ends")
            } else {
                ("repeat", "each ends")
            };
            lines.push(format!(
                "{} {verb} an earlier row exactly: {each} `duplicate`, and only the first is sent",
                count(self.repeats, "row")
            ));
        }
        lines
    }
}

/// `1 row`, `10,000 rows`.
fn count(n: usize, what: &str) -> String {
    let s = if n == 1 { "" } else { "s" };
    format!("{} {what}{s}", thousands(n))
}

/// `9996` → `9,996`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands() {
        let cases = [
            (0, "0"),
            (7, "7"),
            (999, "999"),
            (1000, "1,000"),
            (9996, "9,996"),
            (999_999, "999,999"),
            (1_000_000, "1,000,000"),
        ];
        for (n, text) in cases {
            assert_eq!(thousands(n), text);
        }
    }

    #[test]
    fn summary_lines_count_rows_and_keys() {
        let totals = Totals {
            repeats: 1,
            conflicting_rows: 10_000,
            emails: 1,
            user_ids: 0,
        };
        assert_eq!(
            totals.lines(),
            [
                "10,000 rows share 1 email, so none of them is sent: keep one row per member",
                "1 row repeats an earlier row exactly: it ends `duplicate`, and only the first \
                 is sent",
            ]
        );
        let both = Totals {
            conflicting_rows: 7,
            emails: 2,
            user_ids: 1,
            ..Totals::default()
        };
        assert_eq!(
            both.lines(),
            [
                "7 rows share 2 emails and 1 user id, so none of them is sent: keep one row per member"
            ]
        );
        assert!(Totals::default().lines().is_empty());
    }
}
