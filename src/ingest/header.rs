//! Header matching: which row is the header, and which column feeds which [`Target`].
//!
//! Kept apart from reading bytes so that whatever produced the rows (CSV, TSV, a workbook)
//! hands plain header cells to one place, and every format gets the same aliases, the same
//! refusals and the same messages.
//!
//! Names are compared after [`normalize`]: case, white space, `_` and `-` do not matter, and a
//! `[...]` suffix or a trailing `Required` (Microsoft and Google admin templates) is ignored.
//! Who decides a column, strongest first: the mapping file's `[columns]`, then the preset
//! (which may give a target fallback columns), then the generic [`ALIASES`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use rustc_hash::FxHashMap;

use super::csv_reader::RawRow;
use super::mapping::Mapping;
use super::preset::{PRESETS, Preset};
use super::{MappedColumn, Source, Target};
use crate::fields::{Field, trim_cell};

/// Every header spelling we recognize without a preset, written as people write them;
/// matched after [`normalize`]. Canonical names come first for each target.
///
/// Deliberately absent: a bare `ID`. HR and directory exports use it for their own ids (Entra's
/// object GUID, Okta's user id, employee numbers), and since a user id wins over the email, a
/// wrong guess here would update the wrong member. Mobile phones are not a phone either: which
/// number is the member's is a choice a preset or a mapping file makes. Nor is a bare `Status`
/// an employment status (a contract's, a ticket's, a marital one): a preset says when it is
/// (BambooHR's, Okta's), or a mapping file does.
pub const ALIASES: &[(&str, Target)] = &[
    ("email", Target::Email),
    ("Work Email", Target::Email),
    ("Email Address", Target::Email),
    ("E-mail", Target::Email),
    ("Mail", Target::Email),
    ("user_id", Target::UserId),
    ("User ID", Target::UserId),
    ("Tallyfy ID", Target::UserId),
    ("first_name", Target::Field(Field::FirstName)),
    ("Given Name", Target::Field(Field::FirstName)),
    ("First", Target::Field(Field::FirstName)),
    ("last_name", Target::Field(Field::LastName)),
    ("Surname", Target::Field(Field::LastName)),
    ("Family Name", Target::Field(Field::LastName)),
    ("Last", Target::Field(Field::LastName)),
    ("phone", Target::Field(Field::Phone)),
    ("Phone Number", Target::Field(Field::Phone)),
    ("Work Phone", Target::Field(Field::Phone)),
    ("Telephone", Target::Field(Field::Phone)),
    ("job_title", Target::Field(Field::JobTitle)),
    ("Title", Target::Field(Field::JobTitle)),
    ("Position", Target::Field(Field::JobTitle)),
    ("job_description", Target::Field(Field::JobDescription)),
    ("team", Target::Field(Field::Team)),
    ("Department", Target::Field(Field::Team)),
    ("Team Name", Target::Field(Field::Team)),
    ("timezone", Target::Field(Field::Timezone)),
    ("TZ", Target::Field(Field::Timezone)),
    ("country_id", Target::Field(Field::CountryId)),
    ("date_format", Target::Field(Field::DateFormat)),
    ("role", Target::Field(Field::Role)),
    ("step_preferences", Target::Field(Field::StepPreferences)),
    ("country", Target::Country),
    ("Country Code", Target::Country),
    ("Country or Region", Target::Country),
    ("Country/Region", Target::Country),
    ("display_name", Target::DisplayName),
    ("Full Name", Target::DisplayName),
    ("Name", Target::DisplayName),
    ("employment_status", Target::Status),
    ("Employee Status", Target::Status),
    ("Worker Status", Target::Status),
    ("accountEnabled", Target::Status),
    ("start_date", Target::StartDate),
    ("Hire Date", Target::StartDate),
    ("Date of Hire", Target::StartDate),
    ("end_date", Target::EndDate),
    ("Termination Date", Target::EndDate),
    ("Last Day", Target::EndDate),
    ("Last Day of Work", Target::EndDate),
    ("Exit Date", Target::EndDate),
    ("Separation Date", Target::EndDate),
];

/// The comparable form of a header: lower case, without white space, `_`, `-`, a `[...]`
/// suffix or a trailing `Required`. `First Name` = `first_name` = `FIRSTNAME`.
pub fn normalize(header: &str) -> String {
    let mut text = trim_cell(header);
    if let Some(open) = text.rfind('[')
        && text.ends_with(']')
        && open > 0
    {
        text = &text[..open];
    }
    let mut key: String = text
        .chars()
        .filter(|c| !(c.is_whitespace() || *c == '_' || *c == '-'))
        .flat_map(char::to_lowercase)
        .collect();
    // `User name [userPrincipalName] Required`: the suffix follows the bracket.
    if let Some(stripped) = key.strip_suffix("required")
        && !stripped.is_empty()
    {
        key = stripped.to_string();
        if let Some(open) = key.rfind('[')
            && key.ends_with(']')
            && open > 0
        {
            key.truncate(open);
        }
    }
    key
}

/// The normalized form of a header spelling built into member-sync (a generic alias, a
/// preset's column), made once per run: finding the header row compares every cell of the first
/// rows with all of them.
pub fn known_key(spelling: &'static str) -> Cow<'static, str> {
    static KEYS: LazyLock<FxHashMap<&'static str, String>> = LazyLock::new(|| {
        let presets = PRESETS.iter().flat_map(|p| {
            let columns = p.columns.iter().map(|(header, _)| *header);
            columns.chain(p.ignored.iter().chain(p.all_of).chain(p.any_of).copied())
        });
        let aliases = ALIASES.iter().map(|(alias, _)| *alias);
        aliases.chain(presets).map(|h| (h, normalize(h))).collect()
    });
    match KEYS.get(spelling) {
        Some(key) => Cow::Borrowed(key.as_str()),
        None => Cow::Owned(normalize(spelling)),
    }
}

/// The generic target a header maps to, if any.
pub fn target_for(header: &str) -> Option<Target> {
    let key = normalize(header);
    ALIASES
        .iter()
        .find(|(alias, _)| known_key(alias) == key)
        .map(|(_, target)| *target)
}

/// Whether any source we know (aliases, presets, the mapping file) names this header.
fn is_known(key: &str, mapping: Option<&Mapping>) -> bool {
    ALIASES.iter().any(|(alias, _)| known_key(alias) == key)
        || PRESETS.iter().any(|p| p.target_of(key).is_some())
        || mapping.is_some_and(|m| m.rule_for(key).is_some())
}

/// Which of the first rows is the header: the one naming the most columns we know (the first
/// of equals). Skips Entra's `version:v1.0` line, report titles and blank lines. When no row
/// names a known column, the first row is the header, so the error lists what it holds.
pub fn find_header(rows: &[RawRow], mapping: Option<&Mapping>) -> Option<usize> {
    let score = |row: &RawRow| {
        let mut keys: Vec<String> = row
            .cells
            .iter()
            .map(normalize)
            .filter(|k| !k.is_empty() && is_known(k, mapping))
            .collect();
        keys.sort();
        keys.dedup();
        keys.len()
    };
    let mut best: Option<(usize, usize)> = None;
    for (i, row) in rows.iter().enumerate() {
        let known = score(row);
        if best.is_none_or(|(_, n)| known > n) {
            best = Some((i, known));
        }
    }
    best.map(|(i, _)| i)
}

/// The header row, mapped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderMap {
    /// In file order; `index` numbers them 0.. (the cells a record keeps).
    pub columns: Vec<MappedColumn>,
    /// Headers that map to nothing, in file order.
    pub unknown_columns: Vec<String>,
}

/// Maps a header row with the generic aliases only.
pub fn map_headers(headers: &[String]) -> Result<HeaderMap, String> {
    map_headers_with(headers, None, None)
}

/// Columns with their rank among a target's columns (0 = main).
type Ranked = Vec<(usize, u8)>;

/// Who claimed a column.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Claim {
    Mapping { fallback: bool },
    Preset { rank: u8 },
    Alias,
}

/// Maps a header row onto targets, or explains in one message why it cannot be used.
///
/// Refused: the same header written twice (a naive reader silently keeps the last one), two
/// columns feeding one target with nothing saying which is the fallback, and a row with no key
/// column. Blank header cells (the empty trailing columns Excel leaves behind) are skipped.
pub fn map_headers_with(
    headers: &[String],
    preset: Option<&Preset>,
    mapping: Option<&Mapping>,
) -> Result<HeaderMap, String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut claims: Vec<(usize, Target, Claim)> = Vec::new();
    let mut unmapped = vec![false; headers.len()];
    for (position, raw) in headers.iter().enumerate() {
        let header = trim_cell(raw);
        if header.is_empty() {
            continue;
        }
        if let Some(&first) = seen.get(&header.to_lowercase()) {
            return Err(format!(
                "columns {} and {} are both named `{header}`; remove one or rename it",
                first + 1,
                position + 1
            ));
        }
        seen.insert(header.to_lowercase(), position);
        let key = normalize(header);
        let claim = match (mapping.and_then(|m| m.rule_for(&key)), preset) {
            (Some(rule), _) => rule.target.map(|t| {
                (
                    t,
                    Claim::Mapping {
                        fallback: rule.fallback,
                    },
                )
            }),
            (None, Some(p)) if p.ignores(&key) => None,
            (None, Some(p)) => match p.target_of(&key) {
                Some((t, rank)) => Some((t, Claim::Preset { rank })),
                None => target_for(header).map(|t| (t, Claim::Alias)),
            },
            (None, None) => target_for(header).map(|t| (t, Claim::Alias)),
        };
        match claim {
            Some((target, claim)) => claims.push((position, target, claim)),
            None => unmapped[position] = true,
        }
    }

    let mut chosen: Vec<(usize, Target, u8)> = Vec::new();
    let mut targets: Vec<Target> = Vec::new();
    for &(_, target, _) in &claims {
        if !targets.contains(&target) {
            targets.push(target);
        }
    }
    for target in targets {
        let of = |want: fn(Claim) -> bool| -> Vec<(usize, Claim)> {
            claims
                .iter()
                .filter(|&&(_, t, c)| t == target && want(c))
                .map(|&(p, _, c)| (p, c))
                .collect()
        };
        let by_mapping = of(|c| matches!(c, Claim::Mapping { .. }));
        let by_preset = of(|c| matches!(c, Claim::Preset { .. }));
        let by_alias = of(|c| c == Claim::Alias);
        let (winners, losers): (Ranked, Vec<(usize, Claim)>) = if !by_mapping.is_empty() {
            (
                rank_mapping(headers, &by_mapping, target)?,
                [by_preset, by_alias].concat(),
            )
        } else if !by_preset.is_empty() {
            let mut ranked: Ranked = by_preset
                .iter()
                .map(|&(p, c)| match c {
                    Claim::Preset { rank } => (p, rank),
                    _ => (p, u8::MAX),
                })
                .collect();
            ranked.sort_by_key(|&(p, rank)| (rank, p));
            (renumber(ranked), by_alias)
        } else {
            if let [(first, _), (second, _), ..] = by_alias[..] {
                return Err(both_map(headers, first, second, target, ""));
            }
            (vec![(by_alias[0].0, 0)], Vec::new())
        };
        chosen.extend(winners.into_iter().map(|(p, rank)| (p, target, rank)));
        for (position, _) in losers {
            unmapped[position] = true;
        }
    }
    chosen.sort_by_key(|&(position, _, _)| position);

    let mut map = HeaderMap::default();
    for (index, (position, target, rank)) in chosen.into_iter().enumerate() {
        map.columns.push(MappedColumn {
            header: trim_cell(&headers[position]).to_string(),
            index,
            source: Source::Column(position),
            target,
            rank,
        });
    }
    map.unknown_columns = headers
        .iter()
        .zip(&unmapped)
        .filter(|(_, unmapped)| **unmapped)
        .map(|(h, _)| trim_cell(h).to_string())
        .collect();
    if !map
        .columns
        .iter()
        .any(|c| matches!(c.target, Target::Email | Target::UserId))
    {
        return Err(missing_key_message(headers));
    }
    Ok(map)
}

/// The mapping file's columns for one target: one main column, the rest marked fallbacks
/// (tried in file order).
fn rank_mapping(
    headers: &[String],
    columns: &[(usize, Claim)],
    target: Target,
) -> Result<Ranked, String> {
    let main: Vec<usize> = columns
        .iter()
        .filter(|(_, c)| *c == Claim::Mapping { fallback: false })
        .map(|&(p, _)| p)
        .collect();
    if let [first, second, ..] = main[..] {
        return Err(both_map(
            headers,
            first,
            second,
            target,
            " in the mapping file; mark the one to use when the other is blank with \
             `fallback = true`",
        ));
    }
    let mut ranked: Ranked = main.iter().map(|&p| (p, 0)).collect();
    let fallbacks = columns
        .iter()
        .filter(|(_, c)| *c == Claim::Mapping { fallback: true })
        .map(|&(p, _)| (p, 1));
    ranked.extend(fallbacks);
    Ok(renumber(ranked))
}

/// Ranks 0, 1, 2... in the given order.
fn renumber(ranked: Ranked) -> Ranked {
    ranked
        .into_iter()
        .enumerate()
        .map(|(i, (p, _))| (p, u8::try_from(i).unwrap_or(u8::MAX)))
        .collect()
}

fn both_map(headers: &[String], first: usize, second: usize, target: Target, why: &str) -> String {
    format!(
        "columns {} (`{}`) and {} (`{}`) both map to {}{}; remove one or rename it",
        first + 1,
        trim_cell(&headers[first]),
        second + 1,
        trim_cell(&headers[second]),
        target_name(target),
        if why.is_empty() { "" } else { why }
    )
}

/// The canonical column name of a target (`email`, `user_id`, `first_name`, ...).
pub fn target_name(target: Target) -> &'static str {
    match target {
        Target::Email => "email",
        Target::UserId => "user_id",
        Target::Country => "country",
        Target::DisplayName => "display_name",
        Target::Status => "status",
        Target::StartDate => "start_date",
        Target::EndDate => "end_date",
        Target::Groups => "groups",
        Target::Field(field) => field.name(),
    }
}

fn missing_key_message(headers: &[String]) -> String {
    let found: Vec<String> = headers
        .iter()
        .map(|h| trim_cell(h))
        .filter(|h| !h.is_empty())
        .map(|h| format!("`{h}`"))
        .collect();
    let found = if found.is_empty() {
        "none".to_string()
    } else {
        found.join(", ")
    };
    let accepted = |target: Target| {
        ALIASES
            .iter()
            .filter(|(_, t)| *t == target)
            .map(|(alias, _)| format!("`{alias}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "no key column: a column with the member's email ({}) or Tallyfy user id ({}) is \
         required; headers found: {found}",
        accepted(Target::Email),
        accepted(Target::UserId)
    )
}

#[cfg(test)]
mod tests;
