//! Time zones as exports write them, brought to the IANA name Tallyfy stores.
//!
//! Most exports carry no time zone; those that do write it every way there is: IANA names
//! (`Europe/London`), their legacy spellings (`US/Eastern`, `Asia/Calcutta`), Windows ids
//! (`GMT Standard Time`), Windows display strings (`(UTC+00:00) Dublin, Edinburgh, Lisbon,
//! London`), Workday's `GMT-08:00 Pacific Time (Los Angeles)`, abbreviations (`IST`, `CST`)
//! and bare offsets (`GMT-5`). [`resolve`] tries them in that spirit: exact forms first, then
//! forms that need the row's country, and a bare offset last. Where a form cannot say which
//! zone it means (an abbreviation without a country, `MST` in the US), the row is refused
//! with what to write instead: a wrong time zone is worse than none.
//!
//! The tables are data files in `data/`: CLDR's windowsZones (Windows ids and display names),
//! tzdata's links (old name → today's name) and zone.tab (country → zones). The zones
//! themselves come from jiff's bundled database ([`zone_database`]), so every name produced is
//! one jiff knows, and the same on every machine whatever its `/usr/share/zoneinfo` holds.

use std::collections::HashMap;
use std::sync::OnceLock;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::country;
use super::trim_cell;

mod tables;

use tables::{WindowsZone, display_key, tables};

/// A resolved time zone, and a note when the reading was a choice the user should know of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub name: String,
    pub note: Option<String>,
}

impl Resolved {
    fn exact(name: String) -> Resolved {
        Resolved { name, note: None }
    }
}

/// The user's own spellings (a mapping file's `[timezones]` table), compared case-insensitively
/// after trimming. Targets are checked when the table is built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Aliases(HashMap<String, String>);

impl Aliases {
    /// Builds the table; a target that is not a time zone is refused, naming the entry.
    pub fn new<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Aliases, String> {
        let mut map = HashMap::new();
        for (from, to) in pairs {
            let name = canonical_timezone(to).ok_or_else(|| {
                format!(
                    "`{from}` = `{to}`: `{to}` is not an IANA time zone name (e.g. Europe/London)"
                )
            })?;
            map.insert(trim_cell(from).to_lowercase(), name);
        }
        Ok(Aliases(map))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn get(&self, cell: &str) -> Option<&String> {
        self.0.get(&cell.to_lowercase())
    }
}

/// The IANA name a cell means. `country` is the row's ISO alpha-2 code, when it has one.
///
/// The error is a rule in words that follows the quoted value in messages
/// (`"IST" is a time zone abbreviation, ...`).
pub fn resolve(raw: &str, country: Option<&str>, aliases: &Aliases) -> Result<Resolved, String> {
    let cell = trim_cell(raw);
    if let Some(name) = aliases.get(cell) {
        return Ok(Resolved::exact(name.clone()));
    }
    if is_abbreviation(cell) {
        return by_abbreviation(cell, country);
    }
    if let Some(name) = canonical_timezone(cell) {
        return Ok(Resolved::exact(name));
    }
    let tables = tables();
    if let Some(&zone) = tables.windows_by_id.get(&cell.to_lowercase()) {
        return Ok(by_windows(&tables.windows[zone], country));
    }
    if let Some(zone) = windows_display(cell) {
        return Ok(by_windows(&tables.windows[zone], country));
    }
    if let Some(name) = by_city(cell) {
        return Ok(Resolved::exact(name));
    }
    if let Some(seconds) = parse_offset(cell) {
        return by_offset(cell, seconds, country);
    }
    Err(
        "is not a time zone we know: write an IANA name (e.g. Europe/London) or a Windows \
         zone (e.g. GMT Standard Time)"
            .to_string(),
    )
}

/// The IANA spelling of a time zone name, matched case-insensitively, with legacy names
/// brought to today's (`asia/calcutta` → `Asia/Kolkata`, `US/Eastern` → `America/New_York`).
/// `None` when the name is not in the time zone database.
pub fn canonical_timezone(raw: &str) -> Option<String> {
    let tables = tables();
    let trimmed = trim_cell(raw);
    if tables.canonical.contains(trimmed) {
        return Some(trimmed.to_string());
    }
    let name = tables.names.get(&trim_cell(raw).to_ascii_lowercase())?;
    Some(
        tables
            .renames
            .get(name.as_str())
            .map_or_else(|| name.clone(), |new| new.to_string()),
    )
}

/// Whether `name` is its own canonical form ([`canonical_timezone`] gives it back as it is),
/// told without allocating for names in the database's own spelling.
pub fn is_canonical_timezone(name: &str) -> bool {
    tables().canonical.contains(name) || canonical_timezone(name).as_deref() == Some(name)
}

fn windows_display(cell: &str) -> Option<usize> {
    if !cell.starts_with('(') {
        return None;
    }
    let tables = tables();
    if let Some(&zone) = tables.windows_by_display.get(&display_key(cell)) {
        return Some(zone);
    }
    let (_, places) = cell.split_once(')')?;
    tables.windows_by_display.get(&display_key(places)).copied()
}

fn by_windows(zone: &WindowsZone, country: Option<&str>) -> Resolved {
    let Some(country) = country else {
        return Resolved::exact(canonical(zone.default));
    };
    match zone
        .territories
        .iter()
        .find(|(t, _)| t.eq_ignore_ascii_case(country))
    {
        Some((_, zones)) => Resolved::exact(canonical(zones[0])),
        None => {
            let name = canonical(zone.default);
            let note = format!(
                "the Windows zone `{}` has no zone for {} in CLDR's table; read as {name}",
                zone.id,
                country_label(country)
            );
            Resolved {
                name,
                note: Some(note),
            }
        }
    }
}

/// `GMT-08:00 Pacific Time (Los Angeles)`: the place in parentheses, when it names exactly one
/// zone and the offset written (if any) is one of that zone's.
fn by_city(cell: &str) -> Option<String> {
    let open = cell.rfind('(')?;
    let city = cell[open + 1..].strip_suffix(')')?.trim().to_lowercase();
    let names = tables().by_city.get(&city)?;
    let [name] = names.as_slice() else {
        return None;
    };
    let written = cell[..open].split_whitespace().find_map(parse_offset);
    match written {
        Some(seconds) if !offsets(name)?.contains(seconds) => None,
        _ => Some(name.clone()),
    }
}

/// `IST`, `CST`, `EST`: upper-case letters that are not a zone name of their own, plus the
/// few zone names that are really abbreviations (`EST`, `MST`, ...). `UTC` and `GMT` mean one
/// thing everywhere and are plain zone names.
fn is_abbreviation(cell: &str) -> bool {
    const ABBREVIATION_NAMES: [&str; 7] = ["EST", "MST", "HST", "CET", "EET", "MET", "WET"];
    let letters = (2..=5).contains(&cell.len()) && cell.bytes().all(|b| b.is_ascii_uppercase());
    letters
        && !matches!(cell, "UTC" | "GMT" | "UCT")
        && (ABBREVIATION_NAMES.contains(&cell) || canonical_timezone(cell).is_none())
}

fn by_abbreviation(cell: &str, country: Option<&str>) -> Result<Resolved, String> {
    let Some(country) = country else {
        return Err(
            "is a time zone abbreviation, and abbreviations name different zones in \
                    different countries: add a country column, or write the IANA name (e.g. \
                    Asia/Kolkata)"
                .to_string(),
        );
    };
    let matching = zones_of(country).filter(|zone| {
        zone_offsets(zone)
            .is_some_and(|o| o.abbreviations.iter().any(|a| a.eq_ignore_ascii_case(cell)))
    });
    pick_one(
        country,
        matching.collect(),
        "is not a time zone abbreviation used in",
    )
}

fn by_offset(cell: &str, seconds: i32, country: Option<&str>) -> Result<Resolved, String> {
    if let Some(country) = country {
        let matching: Vec<&str> = zones_of(country)
            .filter(|zone| zone_offsets(zone).is_some_and(|o| o.standard() == seconds))
            .collect();
        if !matching.is_empty() {
            let resolved = pick_one(country, matching, "has no zone in")?;
            let note = format!(
                "the offset `{cell}` read as {}, the zone of {} with that offset",
                resolved.name,
                country_label(country)
            );
            return Ok(Resolved {
                note: Some(note),
                ..resolved
            });
        }
    }
    if seconds % 3600 != 0 || !(-14 * 3600..=12 * 3600).contains(&seconds) {
        return Err(
            "is a UTC offset with no fixed-offset zone (those exist for whole hours \
                    only): write the IANA name (e.g. Asia/Kolkata)"
                .to_string(),
        );
    }
    // Etc/GMT signs are POSIX-style, the reverse of ISO: UTC-5 is Etc/GMT+5.
    let hours = -seconds / 3600;
    let name = match hours {
        0 => "Etc/GMT".to_string(),
        h => format!("Etc/GMT{h:+}"),
    };
    let note = format!(
        "the offset `{cell}` read as {name}, which never changes for daylight saving time; \
         write the IANA name (e.g. America/New_York) if the member's clocks change"
    );
    Ok(Resolved {
        name,
        note: Some(note),
    })
}

/// The first of the candidates when they all keep the same time all year; an error naming
/// them when they do not (`MST` in the US: Denver changes its clocks, Phoenix does not).
fn pick_one(country: &str, candidates: Vec<&str>, none_rule: &str) -> Result<Resolved, String> {
    let Some(first) = candidates.first() else {
        return Err(format!(
            "{none_rule} {}: write the IANA name (e.g. Europe/London)",
            country_label(country)
        ));
    };
    let seasons = zone_offsets(first).map(|o| o.seasons);
    let others: Vec<&str> = candidates
        .iter()
        .filter(|z| zone_offsets(z).map(|o| o.seasons) != seasons)
        .copied()
        .collect();
    if others.is_empty() {
        return Ok(Resolved::exact(canonical(first)));
    }
    let mut named = vec![canonical(first)];
    named.extend(others.iter().take(3).map(|z| canonical(z)));
    Err(format!(
        "could mean {} in {}, whose clocks differ part of the year: write the IANA name",
        named.join(" or "),
        country_label(country)
    ))
}

fn zones_of(country: &str) -> impl Iterator<Item = &'static str> {
    tables()
        .by_country
        .get(country.to_ascii_uppercase().as_str())
        .into_iter()
        .flatten()
        .copied()
}

fn canonical(name: &str) -> String {
    canonical_timezone(name).unwrap_or_else(|| name.to_string())
}

fn country_label(alpha2: &str) -> String {
    match country::by_alpha2(alpha2) {
        Some(c) => format!("{} ({})", c.name, c.alpha2),
        None => alpha2.to_string(),
    }
}

/// `GMT-5`, `UTC+05:30`, `+0530`, `-05:00`, `UTC −3` → seconds east of UTC.
fn parse_offset(cell: &str) -> Option<i32> {
    let text = cell.trim();
    let text = ["UTC", "GMT", "utc", "gmt"]
        .iter()
        .find_map(|p| text.strip_prefix(p))
        .unwrap_or(text)
        .trim_start();
    let (sign, rest) = match text.chars().next()? {
        '+' => (1, &text[1..]),
        '-' => (-1, &text[1..]),
        '−' => (-1, &text['−'.len_utf8()..]),
        _ => return None,
    };
    let rest = rest.trim_start();
    let (hours, minutes) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None if rest.len() == 4 => rest.split_at(2),
        None => (rest, "0"),
    };
    let all_digits =
        |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(hours) || !all_digits(minutes) {
        return None;
    }
    let (hours, minutes): (i32, i32) = (hours.parse().ok()?, minutes.parse().ok()?);
    (hours <= 14 && minutes < 60).then_some(sign * (hours * 3600 + minutes * 60))
}

/// What a zone's clocks do this year: offsets and abbreviations mid-January and mid-July.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Offsets {
    seasons: (i32, i32),
    abbreviations: [String; 2],
}

impl Offsets {
    /// The offset without daylight saving time (daylight time adds, in every zone we read).
    fn standard(&self) -> i32 {
        self.seasons.0.min(self.seasons.1)
    }

    fn contains(&self, seconds: i32) -> bool {
        self.seasons.0 == seconds || self.seasons.1 == seconds
    }
}

fn offsets(name: &str) -> Option<Offsets> {
    let tz = zone_database().get(name).ok()?;
    let year = jiff::ZonedDateTime::now().year();
    let at = |month| -> Option<Timestamp> {
        let date = jiff::civil::date(year, month, 15);
        Some(date.to_zoned_datetime(TimeZone::UTC).ok()?.timestamp())
    };
    let (winter, summer) = (tz.to_offset_info(at(1)?), tz.to_offset_info(at(7)?));
    Some(Offsets {
        seasons: (winter.offset().seconds(), summer.offset().seconds()),
        abbreviations: [
            winter.abbreviation().to_string(),
            summer.abbreviation().to_string(),
        ],
    })
}

/// [`offsets`], computed once per zone.
fn zone_offsets(name: &str) -> Option<Offsets> {
    static CACHE: OnceLock<std::sync::Mutex<HashMap<String, Option<Offsets>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    cache
        .entry(name.to_string())
        .or_insert_with(|| offsets(name))
        .clone()
}

/// The time zone database every reading uses: the one bundled into the binary. Listing the
/// system's `/usr/share/zoneinfo` opens each of its ~600 files, which costs more than reading a
/// 100,000-row export; the bundle also makes the results the same on every machine.
pub fn zone_database() -> &'static jiff::tz::TimeZoneDatabase {
    static DATABASE: std::sync::OnceLock<jiff::tz::TimeZoneDatabase> = std::sync::OnceLock::new();
    DATABASE.get_or_init(jiff::tz::TimeZoneDatabase::bundled)
}

#[cfg(test)]
mod tests;
