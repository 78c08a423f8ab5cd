//! The per-row report: one CSV line for every input row, and one for every subject the run acts
//! on without a row (a member: leavers, later), each naming its action; the run's audit trail,
//! retry list and undo file.
//!
//! Lines are written as rows finish and flushed one by one, so a crash loses nothing already
//! done. Cells are made safe to open in Excel as `crate::cell_safety` decides (a leading `'` on
//! a cell a spreadsheet would run), and read back with its [`unescape_cell`].

mod html;
mod read_back;
pub mod retention;
mod shown;
mod summary;
mod writer;
mod xlsx;

pub use crate::cell_safety::{escape_cell, unescape_cell};
pub use html::{HtmlTarget, RunFacts, write_html};
pub use read_back::{ReportLine, read_back};
pub use shown::{SHOWN_CHARS, cut, describe_changes, show_value, shown_text};
pub use summary::{RowToCheck, Summary, summary_output, write_summary_json};
pub use writer::{RenderedLines, ReportSink, ReportWriter, WriteFailure};
pub use xlsx::{PendingXlsx, ReportFormat, XlsxWritten, create_report, journal_path};

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use compact_str::{CompactString, ToCompactString};
use serde_json::Value as Json;

use crate::fields::{Field, Value};
use crate::plan::{Change, LineKey};

/// How an input row ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    Updated,
    Unchanged,
    Planned,
    Invalid,
    NotFound,
    Failed,
    Cancelled,
    /// Matched by `--exclude`: never changed, whatever the row says.
    Excluded,
    /// A saved plan's or a rollback's change whose member moved on since: not touched.
    Stale,
    /// The same key and values as an earlier row, which acts for both: never sent.
    Duplicate,
    /// A joiner this run invited (`--joiners invite`).
    Invited,
    /// A rehire this run enabled (`--rehires enable`), then updated when the row asked.
    Enabled,
    /// A member this run disabled (`--leavers disable`); or, on a row with nothing sent, a
    /// member who is disabled and stays so (`--rehires report`).
    Disabled,
    /// A row whose member is invited and has not joined yet: never invited again.
    Pending,
    /// A joiner not invited in this run, for a reason a later run lifts (`--max-invites`, a
    /// start date to come, the invite cap, a full seat pool).
    Deferred,
    /// A leaver reported, not disabled (`--leavers report`, or not absent long enough yet).
    Leaver,
}

impl Outcome {
    pub const ALL: [Outcome; 16] = [
        Outcome::Updated,
        Outcome::Unchanged,
        Outcome::Planned,
        Outcome::Invalid,
        Outcome::NotFound,
        Outcome::Failed,
        Outcome::Cancelled,
        Outcome::Excluded,
        Outcome::Stale,
        Outcome::Duplicate,
        Outcome::Invited,
        Outcome::Enabled,
        Outcome::Disabled,
        Outcome::Pending,
        Outcome::Deferred,
        Outcome::Leaver,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::Planned => "planned",
            Outcome::Invalid => "invalid",
            Outcome::NotFound => "not_found",
            Outcome::Failed => "failed",
            Outcome::Cancelled => "cancelled",
            Outcome::Excluded => "excluded",
            Outcome::Stale => "stale",
            Outcome::Duplicate => "duplicate",
            Outcome::Invited => "invited",
            Outcome::Enabled => "enabled",
            Outcome::Disabled => "disabled",
            Outcome::Pending => "pending",
            Outcome::Deferred => "deferred",
            Outcome::Leaver => "leaver",
        }
    }
}

impl std::str::FromStr for Outcome {
    type Err = String;

    fn from_str(s: &str) -> Result<Outcome, String> {
        let wanted = s.trim().to_ascii_lowercase();
        Outcome::ALL
            .into_iter()
            .find(|o| o.as_str() == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = Outcome::ALL.iter().map(|o| o.as_str()).collect();
                format!("`{s}` is not an outcome ({})", names.join(", "))
            })
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of the report. The cells most lines share with what they report on (the email, a
/// fixed message) are borrowed, and the user id is held inline: the plan of 100,000 rows is
/// written without copying an email.
#[derive(Debug, Clone)]
pub struct ReportRow<'a> {
    /// The input row the line is for, or the subject acted on without a row (its `row` cell
    /// is then empty, and `user_id` names the member).
    pub line: LineKey,
    pub email: Cow<'a, str>,
    pub user_id: CompactString,
    pub outcome: Option<Outcome>,
    pub changes: String,
    pub before: String,
    pub after: String,
    pub http_status: Option<u16>,
    pub attempts: u32,
    pub error: Cow<'a, str>,
    pub request_id: String,
    pub elapsed_ms: Option<u128>,
    /// The changed fields the server took, as a JSON array of names (`["job_title"]`),
    /// for rows `apply` sent; empty for rows it did not take on ([`ReportRow::with_landed`]).
    pub landed: String,
    /// What the line's chain does (`update`; later `invite`, `enable`, `disable`,
    /// `enable+update`): planned, done or not. Empty when nothing is to be sent.
    pub action: Cow<'a, str>,
    /// A group's line: the group's id (empty for one this run failed to create).
    pub group_id: String,
    /// A group's line: the group's name. A row's line: the groups it joins and leaves
    /// (`+Sales; -Marketing`), and why a name it gives leads nowhere.
    pub groups: String,
}

impl Default for ReportRow<'_> {
    fn default() -> Self {
        ReportRow {
            line: LineKey::Row(0),
            email: Cow::Borrowed(""),
            user_id: CompactString::default(),
            outcome: None,
            changes: String::new(),
            before: String::new(),
            after: String::new(),
            http_status: None,
            attempts: 0,
            error: Cow::Borrowed(""),
            request_id: String::new(),
            elapsed_ms: None,
            landed: String::new(),
            action: Cow::Borrowed(""),
            group_id: String::new(),
            groups: String::new(),
        }
    }
}

/// The report's columns, in order. Each column added since the first twelve came last, after
/// the others (`landed`, then `action`): scripts that read the first columns by position, and
/// reports written before, still read the same.
pub const COLUMNS: [&str; 16] = [
    "row",
    "email",
    "user_id",
    "outcome",
    "changes",
    "before",
    "after",
    "http_status",
    "attempts",
    "error",
    "request_id",
    "elapsed_ms",
    "landed",
    "action",
    "group_id",
    "groups",
];

impl<'a> ReportRow<'a> {
    /// Fills `changes`, `before` and `after` from a list of changes (in field order). The JSON
    /// objects are written directly, fields by name as serde_json's map orders them: one
    /// string each, not a map of values first (a plan of 5,000 changes wrote 60,000 small
    /// allocations).
    pub fn with_changes<'c>(
        mut self,
        changes: impl IntoIterator<Item = &'c Change> + Clone,
    ) -> ReportRow<'a> {
        self.changes = describe_changes(changes.clone());
        let mut by_name: Vec<&Change> = changes.into_iter().collect();
        by_name.sort_by_key(|c| c.field.name());
        self.before = json_object(&by_name, |c| &c.before);
        self.after = json_object(&by_name, |c| &c.after);
        self
    }

    /// Fills `landed`: which of the row's changed fields the server took (`[]`: none),
    /// named in the order `before` and `after` name them.
    pub fn with_landed(mut self, landed: &[Field]) -> ReportRow<'a> {
        let mut names: Vec<&str> = landed.iter().map(|field| field.name()).collect();
        names.sort_unstable();
        self.landed = serde_json::Value::from(names).to_string();
        self
    }

    /// The cells in column order: borrowed where the row holds them as text, numbers written
    /// inline (no allocation for any cell of a line).
    fn cells(&self) -> [CompactCell<'_>; COLUMNS.len()] {
        use CompactCell::{Number, Text};
        let number = |n: Option<u128>| n.map_or(Text(""), |n| Number(n.to_compact_string()));
        [
            number(self.line.row().map(|row| row as u128)),
            Text(&self.email),
            Text(&self.user_id),
            Text(self.outcome.map(Outcome::as_str).unwrap_or_default()),
            Text(&self.changes),
            Text(&self.before),
            Text(&self.after),
            number(self.http_status.map(u128::from)),
            Number(self.attempts.to_compact_string()),
            Text(&self.error),
            Text(&self.request_id),
            number(self.elapsed_ms),
            Text(&self.landed),
            Text(&self.action),
            Text(&self.group_id),
            Text(&self.groups),
        ]
    }
}

/// One cell of a report line.
enum CompactCell<'a> {
    Text(&'a str),
    Number(CompactString),
}

impl std::ops::Deref for CompactCell<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            CompactCell::Text(text) => text,
            CompactCell::Number(number) => number,
        }
    }
}

/// A field's value as the report's `before`/`after` JSON (and saved plans) hold it; empty is
/// `null`.
pub fn value_json(value: &Option<Value>) -> Json {
    value.as_ref().map_or(Json::Null, Value::to_json)
}

/// `{"job_title":"A","team":null}`: each change's field and value, as serde_json writes an
/// object of them (the same text, escapes included).
fn json_object<'c>(
    changes: &[&'c Change],
    value: impl Fn(&'c Change) -> &'c Option<Value>,
) -> String {
    let mut json = String::from("{");
    for (i, change) in changes.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        push_json_string(&mut json, change.field.name());
        json.push(':');
        match value(change) {
            None => json.push_str("null"),
            Some(Value::Text(text)) => push_json_string(&mut json, text),
            Some(Value::Integer(n)) => {
                let _ = write!(json, "{n}");
            }
            Some(Value::Bool(b)) => json.push_str(if *b { "true" } else { "false" }),
        }
    }
    json.push('}');
    json
}

/// A JSON string literal: as is between quotes when nothing in it needs escaping (a quote, a
/// backslash, a control character), else as serde_json escapes it.
fn push_json_string(json: &mut String, text: &str) {
    if text.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        json.push_str(&serde_json::Value::from(text).to_string());
    } else {
        json.push('"');
        json.push_str(text);
        json.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::writer::render_line;
    use super::*;
    use crate::fields::Field;
    use proptest::prelude::*;

    fn value_strategy() -> impl Strategy<Value = Option<Value>> {
        prop_oneof![
            Just(None),
            "[a-z\"\\\\\n\té\u{1}]{0,5}".prop_map(|t| Some(Value::Text(t.into()))),
            any::<i64>().prop_map(|n| Some(Value::Integer(n))),
            any::<bool>().prop_map(|b| Some(Value::Bool(b))),
        ]
    }

    proptest! {
        /// `before` and `after` are the text serde_json writes for a map of the same values.
        #[test]
        fn before_and_after_are_what_serde_json_writes(
            values in prop::collection::vec((value_strategy(), value_strategy()), 11)
        ) {
            let changes: Vec<Change> = Field::ALL
                .into_iter()
                .zip(values)
                .filter(|(_, (before, after))| before != after)
                .map(|(field, (before, after))| Change { field, before, after })
                .collect();
            let row = ReportRow::default().with_changes(&changes);
            let map = |side: fn(&Change) -> &Option<Value>| {
                let object: serde_json::Map<String, Json> = changes
                    .iter()
                    .map(|c| (c.field.name().to_string(), value_json(side(c))))
                    .collect();
                Json::Object(object).to_string()
            };
            prop_assert_eq!(row.before, map(|c| &c.before));
            prop_assert_eq!(row.after, map(|c| &c.after));
        }

        /// The report's own line writer writes what the csv crate would, escaped cells
        /// included, and reads back as the cells it was given.
        #[test]
        fn lines_are_written_as_the_csv_crate_writes_them(
            cells in prop::collection::vec("[a-z'=+@\\-\t\r\n,\" é]{0,6}", COLUMNS.len())
        ) {
            let mut ours = Vec::new();
            render_line(&mut ours, cells.iter().map(String::as_str));
            let mut theirs = csv::Writer::from_writer(Vec::new());
            for cell in &cells {
                theirs.write_field(escape_cell(cell).as_bytes()).unwrap();
            }
            theirs.write_record(None::<&[u8]>).unwrap();
            prop_assert_eq!(&ours, &theirs.into_inner().unwrap());
            let read = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(&ours[..])
                .into_records()
                .next()
                .unwrap()
                .unwrap();
            let back: Vec<&str> = read.iter().map(unescape_cell).collect();
            prop_assert_eq!(back, cells.iter().map(String::as_str).collect::<Vec<_>>());
        }
    }

    #[test]
    fn changes_read_like_a_diff() {
        let changes = vec![
            Change {
                field: Field::JobTitle,
                before: Some(Value::Text("A".into())),
                after: Some(Value::Text("B".into())),
            },
            Change {
                field: Field::Team,
                before: None,
                after: Some(Value::Text("Sales".into())),
            },
        ];
        let row = ReportRow::default().with_changes(&changes);
        assert_eq!(
            row.changes,
            r#"job_title: "A" -> "B"; team: (empty) -> "Sales""#
        );
        assert_eq!(row.before, r#"{"job_title":"A","team":null}"#);
        assert_eq!(row.after, r#"{"job_title":"B","team":"Sales"}"#);
    }
}
