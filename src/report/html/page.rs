//! The page itself: maud templates, checked when the crate compiles. Everything interpolated
//! is escaped by maud; the only text written as it is (`PreEscaped`) is the page's own style
//! and script, which the Content-Security-Policy names by hash.

use base64::Engine as _;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use sha2::{Digest, Sha256};

use super::lines::{FieldChange, Line, NEEDS_ATTENTION, Sections, Table};
use super::{ROWS_LISTED, RunFacts, groups};

/// The page's style, whole (no font, image or import from elsewhere).
pub(super) const STYLE: &str = include_str!("style.css");

/// The filter box's script: the page's only script.
pub(super) const SCRIPT: &str = include_str!("filter.js");

/// Outcomes in the order the bar and the legend show them; an outcome not here comes after.
const OUTCOME_ORDER: [&str; 10] = [
    "updated",
    "planned",
    "unchanged",
    "excluded",
    "duplicate",
    "not_found",
    "stale",
    "invalid",
    "cancelled",
    "failed",
];

/// The whole page.
pub(super) fn render(facts: &RunFacts<'_>, sections: &Sections) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(policy());
                meta name="referrer" content="no-referrer";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title(facts)) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header { (headline(facts, sections)) }
                (filter_box())
                main {
                    (attention(sections))
                    (changes(sections))
                    (rest(sections))
                }
                footer {
                    "Every row is in the report " code { (facts.report.display()) }
                    ". This page lists at most " (ROWS_LISTED) " rows in each table. Written by member-sync "
                    (env!("CARGO_PKG_VERSION")) "."
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    }
    .into_string()
}

/// Nothing loads, connects or runs but the page's own style and script.
pub(super) fn policy() -> String {
    format!(
        "default-src 'none'; script-src '{}'; style-src '{}'; img-src 'none'; base-uri 'none'; form-action 'none'",
        sha256(SCRIPT),
        sha256(STYLE)
    )
}

/// A CSP hash source: `sha256-` and the base64 of the text's SHA-256.
fn sha256(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

fn title(facts: &RunFacts<'_>) -> String {
    let when = facts.finished.strftime("%Y-%m-%d %H:%M");
    match facts.org {
        Some(org) => format!("member-sync {} · {org} · {when}", facts.command),
        None => format!("member-sync {} · {when}", facts.command),
    }
}

/// The command, when, how it ended, the counts as a bar, the requests and the pace.
fn headline(facts: &RunFacts<'_>, sections: &Sections) -> Markup {
    let counts = counts(facts, sections);
    let lines: usize = counts.iter().map(|(_, n)| n).sum();
    let (members, groups) = match facts.counts {
        Some(_) => (facts.members, facts.groups),
        None => (sections.counted_members, sections.counted_groups),
    };
    let rows = lines.saturating_sub(members + groups);
    let time = |at: &jiff::ZonedDateTime| at.strftime("%Y-%m-%d %H:%M:%S %:z").to_string();
    html! {
        h1 { "member-sync " (facts.command) }
        p.when {
            @if let Some(org) = facts.org { "organization " strong { (org) } " · " }
            "started " (time(&facts.started)) " · finished " (time(&facts.finished))
            " · took " (seconds(facts.duration))
        }
        p.result.ok[facts.exit_code == 0].bad[facts.exit_code != 0] {
            "exit code " (facts.exit_code)
            @if let Some(error) = &facts.error { ": " (error) }
        }
        @if let Some(hint) = &facts.hint { p.hint { "hint: " (hint) } }
        (bar(&counts, lines))
        ul.legend {
            @for (outcome, n) in &counts {
                li { span class=(swatch(outcome)) {} (n) " " (outcome) }
            }
        }
        dl.numbers {
            dt { "rows" } dd { (rows) }
            @if members > 0 { dt { "members without a row" } dd { (members) } }
            @if groups > 0 { dt { "groups" } dd { (groups) } }
            dt { "requests" } dd { (facts.stats.requests) }
            dt { "retries" } dd { (facts.stats.retries) }
            dt { "answered 429" } dd { (facts.stats.throttled) }
            @if let Some(rate) = per_minute(facts) { dt { "average pace" } dd { (rate) } }
        }
        @if let Some(pace) = &facts.pace { p.pace { (pace) } }
        @if facts.not_in_report > 0 {
            p.bad {
                (facts.not_in_report) " rows are counted here but are not in the report: it could not be written whole."
            }
        }
    }
}

/// Rows per outcome: the run's own counts, or the report's lines when the run counted none;
/// in [`OUTCOME_ORDER`], then any other outcome by name.
fn counts(facts: &RunFacts<'_>, sections: &Sections) -> Vec<(String, usize)> {
    let counts = facts.counts.as_ref().unwrap_or(&sections.counted);
    let mut listed: Vec<(String, usize)> = counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(outcome, n)| (outcome.clone(), *n))
        .collect();
    listed.sort_by_key(|(outcome, _)| {
        let known = OUTCOME_ORDER.iter().position(|o| o == outcome);
        (known.unwrap_or(OUTCOME_ORDER.len()), outcome.clone())
    });
    listed
}

/// The counts as one stacked bar, each outcome's share of the lines.
fn bar(counts: &[(String, usize)], lines: usize) -> Markup {
    if lines == 0 {
        return html! {};
    }
    let mut x = 0.0;
    let segments: Vec<(&str, usize, f64, f64)> = counts
        .iter()
        .map(|(outcome, n)| {
            let width = *n as f64 * 1000.0 / lines as f64;
            x += width;
            (outcome.as_str(), *n, x - width, width)
        })
        .collect();
    let label: Vec<String> = counts.iter().map(|(o, n)| format!("{n} {o}")).collect();
    html! {
        svg.bar viewBox="0 0 1000 24" preserveAspectRatio="none" role="img" aria-label=(label.join(", ")) {
            @for (outcome, n, x, width) in segments {
                rect class=(colour(outcome)) x=(format!("{x:.3}")) y="0" width=(format!("{width:.3}")) height="24" {
                    title { (n) " " (outcome) }
                }
            }
        }
    }
}

/// The colour class of an outcome; one the page does not know gets a neutral one (never a
/// class named by data).
fn colour(outcome: &str) -> &'static str {
    const CLASSES: [&str; 10] = [
        "o-updated",
        "o-planned",
        "o-unchanged",
        "o-excluded",
        "o-duplicate",
        "o-not_found",
        "o-stale",
        "o-invalid",
        "o-cancelled",
        "o-failed",
    ];
    OUTCOME_ORDER
        .iter()
        .position(|o| *o == outcome)
        .map_or("o-other", |at| CLASSES[at])
}

/// A small square of an outcome's colour, before its name.
fn swatch(outcome: &str) -> String {
    format!("swatch {}", colour(outcome))
}

fn seconds(duration: std::time::Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}

/// Requests per minute over the run, when it sent any for a second or more (the pace of a
/// run shorter than that says nothing).
fn per_minute(facts: &RunFacts<'_>) -> Option<String> {
    let minutes = facts.duration.as_secs_f64() / 60.0;
    (facts.stats.requests > 0 && facts.duration.as_secs() >= 1)
        .then(|| format!("{:.0} requests/min", facts.stats.requests as f64 / minutes))
}

/// The filter box, hidden until the page's script shows it (a page opened without scripts
/// shows no box that does nothing).
fn filter_box() -> Markup {
    html! {
        div #filterbox .filter hidden {
            label for="filter" { "Filter rows" }
            input #filter type="search" autocomplete="off" placeholder="an email, an id, a value, a reason";
            span #matches aria-live="polite" {}
        }
    }
}

/// The lines that need a person: failed, cancelled, invalid and stale, with their reasons.
fn attention(sections: &Sections) -> Markup {
    let tables: Vec<(&str, &Table<Line>)> = NEEDS_ATTENTION
        .iter()
        .filter_map(|outcome| Some((*outcome, sections.by_outcome.get(*outcome)?)))
        .collect();
    let total: usize = tables.iter().map(|(_, table)| table.total).sum();
    html! {
        section #attention {
            h2 { "Needs attention " span.count { (total) } }
            @if total == 0 { p.none { "No row failed, was cancelled, invalid or stale." } }
            @for (outcome, table) in tables {
                h3 { span class=(swatch(outcome)) {} (outcome) " (" (table.total) ")" }
                table {
                    thead { tr {
                        th.num { "row" } th { "email" } th { "user_id" }
                        @if sections.has_action { th { "action" } }
                        th { "reason" } th { "changes" } th.num { "HTTP" } th.num { "attempts" }
                    } }
                    tbody {
                        @for line in table.listed() { tr {
                            td.num { (row(line.row)) } td { (line.email) } td { (line.user_id) }
                            @if sections.has_action { td { (line.action) } }
                            td { (line.error) } td { (line.changes) }
                            td.num { (line.http_status) } td.num { (line.attempts) }
                        } }
                    }
                }
                (unlisted(table.unlisted()))
            }
        }
    }
}

/// The changes: the groups written, actions beyond a profile update by name, then each
/// field, before → after.
fn changes(sections: &Sections) -> Markup {
    html! {
        section #changes {
            h2 { "Changes " span.count { (sections.changed) } }
            @if sections.changed == 0 { p.none { "No row changed, or would change." } }
            @if sections.groups.total > 0 {
                h3 { "groups (" (sections.groups.total) ")" }
                (groups::table(&sections.groups, &sections.names))
                (unlisted(sections.groups.unlisted()))
            }
            @for (action, table) in &sections.by_action {
                h3 { "action: " (action) " (" (table.total) ")" }
                (lines_table(table, false))
            }
            @for (field, table) in &sections.by_field {
                h3 { (field) " (" (table.total) ")" }
                table.diff {
                    thead { tr {
                        th.num { "row" } th { "email" } th { "outcome" }
                        th { "before" } th.arrow {} th { "after" }
                    } }
                    tbody { @for change in table.listed() { (field_change(change)) } }
                }
                (unlisted(table.unlisted()))
            }
        }
    }
}

fn field_change(change: &FieldChange) -> Markup {
    html! {
        tr {
            td.num { (row(change.row)) } td { (change.email) } td { (change.outcome) }
            (value(&change.before)) td.arrow { "→" } (value(&change.after))
        }
    }
}

/// A value's cell; an empty value says so.
fn value(value: &Option<String>) -> Markup {
    html! {
        @match value {
            Some(text) => td { (text) },
            None => td { span.empty { "(empty)" } },
        }
    }
}

/// The other lines (unchanged, not found, duplicates, excluded, ...), each outcome collapsed.
fn rest(sections: &Sections) -> Markup {
    let mut rest: Vec<(&String, &Table<Line>)> = sections
        .by_outcome
        .iter()
        .filter(|(outcome, _)| !NEEDS_ATTENTION.contains(&outcome.as_str()))
        .collect();
    rest.sort_by_key(|(outcome, _)| {
        let known = OUTCOME_ORDER.iter().position(|o| o == outcome);
        (known.unwrap_or(OUTCOME_ORDER.len()), outcome.to_string())
    });
    html! {
        section #rest {
            h2 { "Everything else" }
            @if rest.is_empty() { p.none { "No other row." } }
            @for (outcome, table) in rest {
                details {
                    summary { (outcome) " (" (table.total) ")" }
                    (lines_table(table, sections.has_action))
                }
            }
        }
    }
}

/// A table of whole lines: who, what the report says about them.
fn lines_table(table: &Table<Line>, action: bool) -> Markup {
    html! {
        table {
            thead { tr {
                th.num { "row" } th { "email" } th { "user_id" } th { "outcome" }
                @if action { th { "action" } }
                th { "note" } th { "changes" }
            } }
            tbody {
                @for line in table.listed() { tr {
                    td.num { (row(line.row)) } td { (line.email) } td { (line.user_id) }
                    td { (line.outcome) }
                    @if action { td { (line.action) } }
                    td { (line.error) } td { (line.changes) }
                } }
            }
        }
        (unlisted(table.unlisted()))
    }
}

/// The row number; a line without a row (a member acted on without one) shows a dash.
fn row(row: Option<usize>) -> String {
    row.map_or_else(|| "—".to_string(), |row| row.to_string())
}

/// What a table leaves out, and where it is.
fn unlisted(n: usize) -> Markup {
    html! {
        @if n > 0 {
            p.more {
                (n) @if n == 1 { " more row is" } @else { " more rows are" }
                " not listed here: the report has every row."
            }
        }
    }
}
