//! The tables behind time zone reading, loaded once: jiff's zone names, tzdata's renames,
//! CLDR's Windows zones (ids, display names, territories) and each country's zones.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::OnceLock;

/// One Windows zone of CLDR's table.
pub(super) struct WindowsZone {
    pub(super) id: &'static str,
    /// CLDR's default zone (territory `001`).
    pub(super) default: &'static str,
    /// Territory → its zones, main one first.
    pub(super) territories: Vec<(&'static str, Vec<&'static str>)>,
}

pub(super) struct Tables {
    /// Lower-cased name → the database's spelling.
    pub(super) names: HashMap<String, String>,
    /// Names already in canonical form: the database's spelling, not renamed since.
    pub(super) canonical: HashSet<String>,
    pub(super) renames: HashMap<&'static str, &'static str>,
    pub(super) windows: Vec<WindowsZone>,
    pub(super) windows_by_id: HashMap<String, usize>,
    /// Normalized display string, and its place-names part alone → zone.
    pub(super) windows_by_display: HashMap<String, usize>,
    /// Country → its zones, CLDR's main zones first, then tzdata's zone.tab order.
    pub(super) by_country: HashMap<&'static str, Vec<&'static str>>,
    /// Lower-cased last part of a name with spaces (`los angeles`) → canonical names.
    pub(super) by_city: HashMap<String, Vec<String>>,
}

pub(super) fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let names: HashMap<String, String> = crate::fields::timezone::zone_database()
            .available()
            .map(|name| name.as_str().to_string())
            .filter(|name| !matches!(name.as_str(), "Factory" | "localtime" | "posixrules"))
            .map(|name| (name.to_ascii_lowercase(), name))
            .collect();
        let renames: HashMap<&'static str, &'static str> =
            data_lines(include_str!("../data/tz_renames.txt"))
                .filter_map(|line| line.split_once(' '))
                .collect();
        let canonical = names
            .values()
            .filter(|name| !renames.contains_key(name.as_str()))
            .cloned()
            .collect();
        let mut tables = Tables {
            names,
            canonical,
            renames,
            windows: Vec::new(),
            windows_by_id: HashMap::default(),
            windows_by_display: HashMap::default(),
            by_country: HashMap::default(),
            by_city: HashMap::default(),
        };
        load_windows(&mut tables);
        load_countries(&mut tables);
        let by_city = tables.names.values().filter_map(|name| {
            let city = name.rsplit_once('/')?.1.replace('_', " ").to_lowercase();
            Some((city, canonical_in(&tables, name)))
        });
        let mut cities: HashMap<String, Vec<String>> = HashMap::default();
        for (city, name) in by_city {
            let names = cities.entry(city).or_default();
            if !names.contains(&name) {
                names.push(name);
            }
        }
        tables.by_city = cities;
        tables
    })
}

fn canonical_in(tables: &Tables, name: &str) -> String {
    tables
        .renames
        .get(name)
        .map_or_else(|| name.to_string(), |n| n.to_string())
}

fn data_lines(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

fn load_windows(tables: &mut Tables) {
    for line in data_lines(include_str!("../data/windows_zones.txt")) {
        let mut parts = line.split('|').map(str::trim);
        let (Some(id), Some(display)) = (parts.next(), parts.next()) else {
            continue;
        };
        let mut zone = WindowsZone {
            id,
            default: "",
            territories: Vec::new(),
        };
        for part in parts {
            let mut words = part.split_whitespace();
            let Some(territory) = words.next() else {
                continue;
            };
            let zones: Vec<&'static str> = words.collect();
            if territory == "001" {
                zone.default = zones.first().copied().unwrap_or("");
            } else {
                zone.territories.push((territory, zones));
            }
        }
        let index = tables.windows.len();
        tables.windows_by_id.insert(id.to_lowercase(), index);
        tables
            .windows_by_display
            .insert(display_key(display), index);
        if let Some((_, places)) = display.split_once(')') {
            tables
                .windows_by_display
                .entry(display_key(places))
                .or_insert(index);
        }
        tables.windows.push(zone);
    }
}

fn load_countries(tables: &mut Tables) {
    // CLDR's main zone of each Windows zone in a country comes first: it is the zone people
    // of that region mean, where zone.tab's order is only geographic.
    let mut by_country: HashMap<&'static str, Vec<&'static str>> = HashMap::default();
    for zone in &tables.windows {
        for (territory, zones) in &zone.territories {
            if let Some(main) = zones.first() {
                by_country.entry(territory).or_default().push(main);
            }
        }
    }
    for line in data_lines(include_str!("../data/zones_by_country.txt")) {
        let mut words = line.split_whitespace();
        let Some(country) = words.next() else {
            continue;
        };
        by_country.entry(country).or_default().extend(words);
    }
    tables.by_country = by_country
        .into_iter()
        .map(|(country, zones)| {
            let mut seen = Vec::new();
            for zone in zones {
                let zone: &'static str = tables.renames.get(zone).copied().unwrap_or(zone);
                if !seen.contains(&zone) {
                    seen.push(zone);
                }
            }
            (country, seen)
        })
        .collect();
}

/// Lower case, single spaces, `GMT` read as `UTC` (older Windows wrote `(GMT-08:00) ...`).
pub(super) fn display_key(text: &str) -> String {
    let text = text.trim().to_lowercase().replace("(gmt", "(utc");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
