//! What the input says of a person's employment: a status (still employed, or left), a start
//! date and an end date, read from the columns presets and the mapping file name.
//!
//! These facts decide who is invited, who is a leaver and who comes back, so when a lifecycle
//! flag acts on them they are read as strictly as keys are: a status word member-sync does not
//! know, or a date that could be read two ways, makes the row invalid, naming the cell and what
//! is understood ([`Reading::Strict`]). When no flag acts on them (the defaults: a profile
//! sync), the same cell is only warned about and left unknown ([`Reading::Lenient`]): a `Hire
//! Date` written day-first must not stop a sync of job titles that never reads it. A row is
//! never taken for active or for a leaver by default; a blank cell (or no such column) is
//! simply unknown. The words are in [`words`], the date forms in [`dates`].
//!
//! The rules on top of the facts are pure functions of a day (`today` is the caller's): an end
//! date still to come does not make a leaver yet, and a start date further away than
//! `--invite-days-before` holds an invite back. Each returns the reason the report prints.

pub mod dates;
pub mod words;

use jiff::ToSpan;
use jiff::civil::Date;

use super::Draft;
use crate::blank::{BlankPolicy, CellIntent};
use crate::ingest::{MappedColumn, Record, Table, Target, pick_among};

pub use dates::{DayMonthOrder, parse_date};
pub use words::{ExtraWords, Vocabulary, read_status};

/// What a status cell says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Still employed (on leave, suspended and not yet started included).
    Active,
    /// Gone.
    Left,
}

/// The employment facts of a valid row. Each is `None` when the input does not say (no such
/// column, or a blank cell).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Employment {
    pub status: Option<Status>,
    pub start_date: Option<Date>,
    pub end_date: Option<Date>,
}

/// How the input's employment cells are read beyond the built-in words and date forms: what
/// the mapping file adds (`[status]`, `dates`), and what a cell that cannot be read does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmploymentRules {
    /// `[status] active = [...]`, `left = [...]`.
    pub status_words: ExtraWords,
    /// `dates = "mm/dd/yyyy"`: the order of day-and-month dates.
    pub dates: Option<DayMonthOrder>,
    /// Set by the run, not the mapping file: whether a lifecycle flag acts on these cells.
    pub reading: Reading,
}

/// What a status or date cell that cannot be read does to its row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Reading {
    /// The row is invalid, naming the cell: a lifecycle flag (`--joiners invite`, `--leavers
    /// report|disable`, `--rehires enable`, `--invite-days-before`) acts on what it says, and
    /// a guess could invite or disable the wrong person.
    Strict,
    /// The cell is warned about and left unknown; the row still syncs its profile. Nothing
    /// acts on it in this run.
    #[default]
    Lenient,
}

/// How a warned cell ends, in lenient reading: what would read it.
pub const NOT_READ: &str = "left unread: only --joiners invite, --leavers report or disable, --rehires enable and --invite-days-before act on it";

/// Whether a row's person has left, as of a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaverCheck {
    /// Employed, or the input does not say otherwise.
    Staying,
    /// Leaving, but not yet: the reason says when.
    NotYet(String),
    /// Left: the reason says how the input says so.
    Left(String),
}

impl Employment {
    /// Whether the row has left by `today`.
    ///
    /// The status decides when there is one; an end date still to come (the last day is a day
    /// of work) makes a leaver of nobody yet. Without a status, an end date that has passed
    /// makes a leaver, unless the start date is later (a rehire keeps the old end date).
    /// A past end date beside an `Active` status is the same rehire: the status wins.
    pub fn leaver_check(&self, today: Date) -> LeaverCheck {
        if let Some(end) = self.end_date.filter(|end| *end >= today) {
            return LeaverCheck::NotYet(format!(
                "last day {end} (end date): not a leaver before then"
            ));
        }
        match (self.status, self.end_date) {
            (Some(Status::Active), _) => LeaverCheck::Staying,
            (Some(Status::Left), Some(end)) => LeaverCheck::Left(format!(
                "the status column says the person has left (last day {end})"
            )),
            (Some(Status::Left), None) => {
                LeaverCheck::Left("the status column says the person has left".into())
            }
            (None, Some(end)) if self.start_date.is_none_or(|start| start <= end) => {
                LeaverCheck::Left(format!("the last day, {end} (end date), has passed"))
            }
            (None, _) => LeaverCheck::Staying,
        }
    }

    /// Why a joiner's invite waits, when it does: the person has left (never invited), or
    /// starts more than `days_before` days after `today` (the reason says from when).
    pub fn invite_hold(&self, today: Date, days_before: u32) -> Option<String> {
        if let LeaverCheck::Left(reason) = self.leaver_check(today) {
            return Some(format!("{reason}: not invited"));
        }
        let start = self.start_date?;
        let from = start.saturating_sub(i64::from(days_before).days());
        (today < from).then(|| {
            format!("starts {start}: invited from {from} (--invite-days-before {days_before})")
        })
    }
}

/// The employment columns of an input, found once for all its rows.
pub(super) struct EmploymentColumns<'t> {
    status: Vec<(&'t MappedColumn, Vocabulary)>,
    start: Vec<&'t MappedColumn>,
    end: Vec<&'t MappedColumn>,
    rules: &'t EmploymentRules,
    /// Blank is unknown; the clear sentinel means nothing here.
    policy: BlankPolicy,
}

impl<'t> EmploymentColumns<'t> {
    /// `None` when the input has none: most inputs, which then cost nothing more per row.
    pub(super) fn of(table: &'t Table) -> Option<EmploymentColumns<'t>> {
        let status: Vec<_> = table
            .columns_of(Target::Status)
            .into_iter()
            .map(|c| (c, Vocabulary::of_header(&c.header)))
            .collect();
        let start = table.columns_of(Target::StartDate);
        let end = table.columns_of(Target::EndDate);
        if status.is_empty() && start.is_empty() && end.is_empty() {
            return None;
        }
        Some(EmploymentColumns {
            status,
            start,
            end,
            rules: &table.rules.employment,
            policy: table.rules.blank.for_key(),
        })
    }

    /// Reads a record's employment cells into the draft, or its problems.
    pub(super) fn read(&self, record: &'t Record, draft: &mut Draft<'t>) {
        let status_columns = self.status.iter().map(|(c, _)| *c);
        if let Some((column, raw)) = pick_among(status_columns, record) {
            let vocabulary = self
                .status
                .iter()
                .find(|(c, _)| std::ptr::eq(*c, column))
                .map_or(Vocabulary::States, |(_, v)| *v);
            let extra = &self.rules.status_words;
            draft.employment.status = self.cell(draft, column, raw, |cell| {
                read_status(cell, vocabulary, extra)
            });
        }
        let order = self.rules.dates;
        if let Some((column, raw)) = pick_among(self.start.iter().copied(), record) {
            draft.employment.start_date = self.cell(draft, column, raw, |c| parse_date(c, order));
        }
        if let Some((column, raw)) = pick_among(self.end.iter().copied(), record) {
            draft.employment.end_date = self.cell(draft, column, raw, |c| parse_date(c, order));
        }
    }

    /// A cell: blank is unknown, anything else must read; one that does not is a problem of
    /// the row, or in lenient reading a warning ([`Reading`]).
    fn cell<T>(
        &self,
        draft: &mut Draft<'t>,
        column: &MappedColumn,
        raw: &str,
        read: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        let result = match self.policy.interpret(raw) {
            CellIntent::Keep => return None,
            CellIntent::Clear => Err(format!(
                "`{}` means nothing in a status or date column: leave the cell blank",
                self.policy.clear_sentinel
            )),
            CellIntent::Set(cell) => read(cell),
        };
        result
            .map_err(|rule| match self.rules.reading {
                Reading::Strict => draft.problem(column, raw, rule),
                Reading::Lenient => draft.warn(column, format!("{raw:?} {rule}; {NOT_READ}")),
            })
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    const TODAY: Date = date(2026, 3, 10);

    fn facts(status: Option<Status>, start: Option<Date>, end: Option<Date>) -> Employment {
        Employment {
            status,
            start_date: start,
            end_date: end,
        }
    }

    #[test]
    fn an_end_date_still_to_come_makes_no_leaver_yet() {
        let left = Some(Status::Left);
        let last_day = |end| facts(left, None, Some(end)).leaver_check(TODAY);
        // The last day is a day of work: today's leaver leaves tomorrow.
        for end in [TODAY, date(2026, 4, 30)] {
            assert_eq!(
                last_day(end),
                LeaverCheck::NotYet(format!(
                    "last day {end} (end date): not a leaver before then"
                ))
            );
        }
        assert_eq!(
            last_day(date(2026, 3, 9)),
            LeaverCheck::Left(
                "the status column says the person has left (last day 2026-03-09)".into()
            )
        );
        assert_eq!(
            facts(None, None, Some(date(2026, 3, 9))).leaver_check(TODAY),
            LeaverCheck::Left("the last day, 2026-03-09 (end date), has passed".into())
        );
        // Someone still active who has a last day coming says so too.
        assert!(matches!(
            facts(Some(Status::Active), None, Some(date(2026, 6, 1))).leaver_check(TODAY),
            LeaverCheck::NotYet(_)
        ));
    }

    #[test]
    fn the_status_decides_and_a_rehire_keeps_the_old_end_date() {
        assert_eq!(
            facts(Some(Status::Left), None, None).leaver_check(TODAY),
            LeaverCheck::Left("the status column says the person has left".into())
        );
        let old_end = Some(date(2024, 1, 31));
        for rehired in [
            facts(Some(Status::Active), None, old_end),
            facts(None, Some(date(2025, 2, 1)), old_end),
            facts(None, None, None),
            facts(Some(Status::Active), None, None),
        ] {
            assert_eq!(
                rehired.leaver_check(TODAY),
                LeaverCheck::Staying,
                "{rehired:?}"
            );
        }
    }

    #[test]
    fn a_start_date_further_than_the_days_before_holds_the_invite_back() {
        let starts = |start| facts(Some(Status::Active), Some(start), None);
        assert_eq!(starts(date(2026, 3, 10)).invite_hold(TODAY, 0), None);
        assert_eq!(starts(date(2025, 1, 1)).invite_hold(TODAY, 0), None);
        assert_eq!(
            starts(date(2026, 3, 11)).invite_hold(TODAY, 0),
            Some("starts 2026-03-11: invited from 2026-03-11 (--invite-days-before 0)".into())
        );
        assert_eq!(starts(date(2026, 3, 17)).invite_hold(TODAY, 7), None);
        assert_eq!(
            starts(date(2026, 3, 18)).invite_hold(TODAY, 7),
            Some("starts 2026-03-18: invited from 2026-03-11 (--invite-days-before 7)".into())
        );
        assert_eq!(facts(None, None, None).invite_hold(TODAY, 0), None);
        assert_eq!(
            facts(Some(Status::Left), None, None).invite_hold(TODAY, 0),
            Some("the status column says the person has left: not invited".into())
        );
    }
}
