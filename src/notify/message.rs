//! What a notification says, in each shape a receiver accepts.
//!
//! The content is the summary JSON that `--summary-json` writes (the same figures monitoring
//! reads) and the rows the run's last lines name. Member data in it (emails, reasons that
//! quote a cell) comes from an HR export anyone in HR can type into, so: every text is cut
//! (`report::shown_text`, control characters escaped), the token is replaced wherever it
//! appears, and in chat shapes member data goes only where the receiver shows text as text:
//! Slack `plain_text` objects (the `text` fallback escaped as Slack asks, `&`, `<`, `>`), and
//! Adaptive Card `TextRun`s, which Teams never reads as Markdown (a `TextBlock` would turn
//! `[click](https://…)` into a link).

use serde::Serialize;
use serde_json::{Value, json};

use super::NotifyFormat;
use crate::exit_code::fails_the_run;
use crate::plan::LineKey;
use crate::report::{Outcome, RowToCheck, Summary, shown_text};

/// The longest text of the summary sent (an error, a hint, a path), in characters.
const TEXT_CHARS: usize = 1000;
/// The longest email and reason of a row sent.
const EMAIL_CHARS: usize = 100;
const WHY_CHARS: usize = 300;
/// Slack's limit for a header's text.
const SLACK_HEADER_CHARS: usize = 150;

/// A run's end as a notification tells it, made safe to send.
pub(super) struct RunEnded {
    summary: Value,
    rows: Vec<Row>,
    /// Rows that need attention beyond those listed.
    not_listed: usize,
}

/// A row that did not go through (or a member acted on without a row, or a group's write),
/// as sent.
#[derive(Debug, Serialize)]
struct Row {
    #[serde(skip)]
    key: LineKey,
    /// The input's data row; `null` for a member's or a group's line.
    row: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    member: Option<u64>,
    /// The group's name, for a group's line (which has no email).
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<String>,
    line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    outcome: &'static str,
    why: String,
}

impl Row {
    /// A line to check as sent: a group's line is named by its group, which the run's list
    /// carries where a row's email is.
    fn of(listed: &RowToCheck, safe: impl Fn(&str, usize) -> String) -> Row {
        let named = safe(&listed.email, EMAIL_CHARS);
        let (group, email) = match listed.key {
            LineKey::Group(_) => (Some(named), None),
            LineKey::Row(_) | LineKey::Member(_) => (None, Some(named)),
        };
        Row {
            key: listed.key,
            row: listed.key.row(),
            member: listed.key.member(),
            group,
            line: listed.line,
            email,
            outcome: listed.outcome.as_str(),
            why: safe(&listed.why, WHY_CHARS),
        }
    }

    /// `row 37 (line 38, ann@acme.example) invalid: …`, `member 1001 (ann@acme.example)
    /// failed: …`, `group Sales failed: …`.
    fn text(&self) -> String {
        let why = if self.why.is_empty() {
            String::new()
        } else {
            format!(": {}", self.why)
        };
        if let Some(group) = &self.group {
            return format!("group {group} {}{why}", self.outcome);
        }
        let email = match self.email.as_deref() {
            None | Some("") => "no email",
            Some(email) => email,
        };
        let place = match self.line {
            Some(line) => format!("line {line}, {email}"),
            None => email.to_string(),
        };
        format!("{} ({place}) {}{why}", self.key, self.outcome)
    }
}

impl RunEnded {
    /// `summary` is the run's summary JSON; `run` its totals, when it got as far as rows;
    /// `secret` the token, replaced wherever it appears.
    pub(super) fn new(summary: &Value, run: Option<&Summary>, secret: Option<&str>) -> RunEnded {
        let safe = |text: &str, max: usize| shown_text(&redact(text, secret), max);
        let listed = run.map(Summary::rows_listed).unwrap_or_default();
        let needing_attention: usize = run.map_or(0, |s| {
            Outcome::ALL
                .into_iter()
                .filter(|o| fails_the_run(*o))
                .map(|o| s.count(o))
                .sum()
        });
        let rows: Vec<Row> = listed.iter().map(|r| Row::of(r, safe)).collect();
        RunEnded {
            summary: cut_strings(summary, secret),
            not_listed: needing_attention.saturating_sub(rows.len()),
            rows,
        }
    }

    /// The request body for `format`.
    pub(super) fn body(&self, format: NotifyFormat) -> Value {
        match format {
            NotifyFormat::Json => self.json(),
            NotifyFormat::Slack => self.slack(),
            NotifyFormat::Teams => self.teams(),
        }
    }

    /// The summary JSON, with the rows to check and how many more the report has.
    fn json(&self) -> Value {
        let mut body = self.summary.clone();
        if let Value::Object(object) = &mut body {
            object.insert("rows_to_check".into(), json!(self.rows));
            object.insert("rows_not_listed".into(), json!(self.not_listed));
        }
        body
    }

    /// A Slack incoming webhook's message: `text` (the notification's line, escaped as
    /// mrkdwn) and blocks of `plain_text`.
    fn slack(&self) -> Value {
        let plain = |text: &str| json!({"type": "plain_text", "text": text, "emoji": false});
        let section = |text: &str| json!({"type": "section", "text": plain(text)});
        let title = shown_text(&self.title(), SLACK_HEADER_CHARS);
        let mut blocks = vec![
            json!({"type": "header", "text": plain(&title)}),
            section(&self.details().join("\n")),
        ];
        blocks.extend(self.row_lines().iter().map(|line| section(line)));
        json!({
            "text": slack_escape(&format!("{} · {}", self.title(), self.counts())),
            "blocks": blocks,
        })
    }

    /// A Teams message holding one Adaptive Card, as Teams incoming webhooks and the
    /// Workflows app's "when a Teams webhook request is received" accept it. The title is
    /// member-sync's own words; everything else is in `TextRun`s, never read as Markdown.
    fn teams(&self) -> Value {
        let runs = |text: &str| json!({"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": text}]});
        let mut body = vec![json!({
            "type": "TextBlock",
            "text": self.title(),
            "weight": "Bolder",
            "size": "Medium",
            "wrap": true,
            "color": if self.exit_code() == Some(0) { "Good" } else { "Attention" },
        })];
        body.extend(self.details().iter().map(|line| runs(line)));
        body.extend(self.row_lines().iter().map(|line| runs(line)));
        json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": null,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.2",
                    "body": body,
                    "msteams": {"width": "Full"},
                },
            }],
        })
    }

    fn exit_code(&self) -> Option<u64> {
        self.summary["exit_code"].as_u64()
    }

    fn text(&self, key: &str) -> Option<&str> {
        self.summary[key].as_str()
    }

    /// `member-sync apply: rows need attention (exit 3)`: no member data, no org.
    fn title(&self) -> String {
        let command = self.text("command").unwrap_or("run");
        match self.exit_code() {
            Some(code) => format!("member-sync {command}: {} (exit {code})", meaning(code)),
            None => format!("member-sync {command} ended"),
        }
    }

    /// The organization, the counts, the error and hint, the report.
    fn details(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(org) = self.text("org") {
            lines.push(format!("organization: {org}"));
        }
        lines.push(self.counts());
        if let Some(error) = self.text("error") {
            lines.push(format!("error: {error}"));
        }
        if let Some(hint) = self.text("hint") {
            lines.push(format!("hint: {hint}"));
        }
        if let Some(report) = self.text("report") {
            lines.push(format!("report: {report}"));
        }
        lines
    }

    /// `60 rows: 12 updated, 3 invalid · 14 requests (1 retry, 0 answered 429) in 9.4s`, as the
    /// run's summary line says it.
    fn counts(&self) -> String {
        let s = &self.summary;
        let count =
            |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let outcomes: Vec<String> = Outcome::ALL
            .into_iter()
            .filter_map(|o| {
                s["outcomes"][o.as_str()]
                    .as_u64()
                    .map(|n| format!("{n} {o}"))
            })
            .collect();
        // As the summary line: input rows, then members without a row and groups apart.
        let lines = s["rows"].as_u64().map(|rows| {
            let mut lines = count(rows, "row", "rows");
            match s["members_without_a_row"].as_u64().unwrap_or(0) {
                0 => {}
                n => {
                    lines += &format!(
                        " and {}",
                        count(n, "member without a row", "members without a row")
                    )
                }
            }
            match s["groups"].as_u64().unwrap_or(0) {
                0 => {}
                n => lines += &format!(" and {}", count(n, "group", "groups")),
            }
            lines
        });
        let rows = match lines {
            Some(lines) if !outcomes.is_empty() => format!("{lines}: {}", outcomes.join(", ")),
            Some(lines) => lines,
            None => "no rows read".into(),
        };
        let number = |key: &str| s[key].as_u64().unwrap_or(0);
        format!(
            "{rows} · {} ({}, {} answered 429) in {:.1}s",
            count(number("requests"), "request", "requests"),
            count(number("retries"), "retry", "retries"),
            number("throttled"),
            number("duration_ms") as f64 / 1000.0
        )
    }

    /// `row 37 (line 38, ann@acme.example) invalid: Time Zone: ...`, then how many more.
    fn row_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self.rows.iter().map(Row::text).collect();
        if self.not_listed > 0 {
            lines.push(format!("and {} more: see the report", self.not_listed));
        }
        lines
    }
}

/// What an exit code means, in a few words (the table is `exit_code.rs`).
fn meaning(code: u64) -> &'static str {
    match code {
        0 => "finished",
        1 => "could not run",
        3 => "rows need attention",
        4 => "a guard stopped it before any write",
        5 => "too few rows matched a member",
        6 => "changes pending",
        129 => "stopped by SIGHUP",
        130 => "interrupted",
        143 => "stopped by SIGTERM",
        _ => "ended",
    }
}

/// `text` with every occurrence of `secret` replaced.
fn redact(text: &str, secret: Option<&str>) -> String {
    match secret {
        Some(secret) if !secret.is_empty() => text.replace(secret, "[redacted]"),
        _ => text.to_string(),
    }
}

/// `value` with every string redacted and cut to [`TEXT_CHARS`].
fn cut_strings(value: &Value, secret: Option<&str>) -> Value {
    match value {
        Value::String(text) => Value::String(shown_text(&redact(text, secret), TEXT_CHARS)),
        Value::Array(items) => items.iter().map(|v| cut_strings(v, secret)).collect(),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), cut_strings(v, secret)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Slack reads `&`, `<` and `>` as markup (`<!channel>` notifies everyone, `<https://…|x>`
/// is a link): its documentation asks for these three escaped, and only these.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(exit_code: u8, error: Option<&str>) -> Value {
        json!({
            "command": "apply", "org": "acme", "exit_code": exit_code, "error": error,
            "hint": null, "rows": 3, "outcomes": {"updated": 2, "invalid": 1},
            "requests": 4, "retries": 1, "throttled": 0, "duration_ms": 1500,
            "report": "/srv/r.csv",
        })
    }

    fn run_with(rows: &[(usize, &str, &str)]) -> Summary {
        let mut s = Summary::default();
        for (row, email, why) in rows {
            s.add(Outcome::Invalid);
            s.list(RowToCheck {
                key: LineKey::Row(*row),
                line: Some(*row as u64 + 1),
                email: email.to_string(),
                outcome: Outcome::Invalid,
                why: why.to_string(),
            });
        }
        s
    }

    #[test]
    fn the_token_is_replaced_everywhere() {
        let run = run_with(&[(1, "tok-SECRET", "value tok-SECRET refused")]);
        let ended = RunEnded::new(
            &summary(1, Some("HTTP 401: tok-SECRET")),
            Some(&run),
            Some("tok-SECRET"),
        );
        for format in [NotifyFormat::Json, NotifyFormat::Slack, NotifyFormat::Teams] {
            let body = ended.body(format).to_string();
            assert!(!body.contains("tok-SECRET"), "{body}");
            assert!(body.contains("[redacted]"), "{body}");
        }
    }

    #[test]
    fn member_data_is_cut() {
        let long = "x".repeat(5000);
        let run = run_with(&[(1, &long, &long)]);
        let ended = RunEnded::new(&summary(3, Some(&long)), Some(&run), None);
        let body = ended.body(NotifyFormat::Json);
        let chars = |v: &Value| v.as_str().unwrap().chars().count();
        assert_eq!(chars(&body["rows_to_check"][0]["email"]), EMAIL_CHARS);
        assert_eq!(chars(&body["rows_to_check"][0]["why"]), WHY_CHARS);
        assert_eq!(chars(&body["error"]), TEXT_CHARS);
    }

    #[test]
    fn rows_beyond_those_listed_are_counted() {
        let rows: Vec<(usize, &str, &str)> = (1..=25).map(|n| (n, "a@b.example", "bad")).collect();
        let ended = RunEnded::new(&summary(3, None), Some(&run_with(&rows)), None);
        let body = ended.body(NotifyFormat::Json);
        assert_eq!(body["rows_to_check"].as_array().unwrap().len(), 20);
        assert_eq!(body["rows_not_listed"], 5);
        assert_eq!(
            ended.row_lines().last().unwrap(),
            "and 5 more: see the report"
        );
    }

    #[test]
    fn slack_text_is_escaped_and_blocks_are_plain_text() {
        let run = run_with(&[(1, "<!channel>@x.example", "a & b")]);
        let body = RunEnded::new(&summary(3, None), Some(&run), None).body(NotifyFormat::Slack);
        assert!(!body["text"].as_str().unwrap().contains('<'));
        for block in body["blocks"].as_array().unwrap() {
            assert_eq!(block["text"]["type"], "plain_text", "{block}");
        }
        assert_eq!(
            body["blocks"][2]["text"]["text"],
            "row 1 (line 2, <!channel>@x.example) invalid: a & b"
        );
    }

    #[test]
    fn teams_member_data_is_only_in_text_runs() {
        let run = run_with(&[(1, "[click](https://evil.example)", "why")]);
        let body = RunEnded::new(&summary(3, None), Some(&run), None).body(NotifyFormat::Teams);
        let card = &body["attachments"][0]["content"];
        for block in card["body"].as_array().unwrap() {
            if block["type"] == "TextBlock" {
                assert!(
                    !block["text"].as_str().unwrap().contains("click"),
                    "{block}"
                );
            }
        }
        assert!(card.to_string().contains("[click](https://evil.example)"));
    }

    #[test]
    fn a_member_line_without_a_row_is_named_by_its_member() {
        let mut run = Summary::default();
        run.add(Outcome::Failed);
        run.list(RowToCheck {
            key: LineKey::Member(1001),
            line: None,
            email: "ann@acme.example".into(),
            outcome: Outcome::Failed,
            why: "HTTP 403".into(),
        });
        let ended = RunEnded::new(&summary(3, None), Some(&run), None);
        let body = ended.body(NotifyFormat::Json);
        assert_eq!(body["rows_to_check"][0]["row"], Value::Null);
        assert_eq!(body["rows_to_check"][0]["member"], 1001);
        assert_eq!(
            ended.row_lines(),
            ["member 1001 (ann@acme.example) failed: HTTP 403"]
        );
    }

    #[test]
    fn a_group_line_is_named_by_its_group() {
        let mut run = Summary::default();
        run.add(Outcome::Stale);
        run.list(RowToCheck {
            key: LineKey::Group(0),
            line: None,
            email: "<!channel> Sales".into(),
            outcome: Outcome::Stale,
            why: "changed".into(),
        });
        let ended = RunEnded::new(&summary(3, None), Some(&run), None);
        let body = ended.body(NotifyFormat::Json);
        assert_eq!(
            body["rows_to_check"][0],
            json!({"row": null, "group": "<!channel> Sales", "line": null,
                   "outcome": "stale", "why": "changed"})
        );
        assert_eq!(ended.row_lines(), ["group <!channel> Sales stale: changed"]);
        let slack = ended.body(NotifyFormat::Slack);
        assert_eq!(slack["blocks"][2]["text"]["type"], "plain_text");
    }

    #[test]
    fn the_title_says_what_the_exit_code_means() {
        let ended = RunEnded::new(&summary(4, None), None, None);
        assert_eq!(
            ended.title(),
            "member-sync apply: a guard stopped it before any write (exit 4)"
        );
        assert_eq!(
            ended.counts(),
            "3 rows: 2 updated, 1 invalid · 4 requests (1 retry, 0 answered 429) in 1.5s"
        );
        let mut apart = summary(3, None);
        apart["members_without_a_row"] = json!(1);
        apart["groups"] = json!(2);
        assert!(
            RunEnded::new(&apart, None, None)
                .counts()
                .starts_with("3 rows and 1 member without a row and 2 groups: 2 updated"),
        );
    }
}
