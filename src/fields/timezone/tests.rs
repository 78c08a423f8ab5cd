//! Every spelling the reference lists, and the tables checked against jiff's database.

use super::*;

fn name(raw: &str, country: Option<&str>) -> String {
    match resolve(raw, country, &Aliases::default()) {
        Ok(resolved) => resolved.name,
        Err(rule) => panic!("{raw:?} ({country:?}) {rule}"),
    }
}

fn noted(raw: &str, country: Option<&str>) -> (String, String) {
    let resolved = resolve(raw, country, &Aliases::default()).expect(raw);
    (resolved.name, resolved.note.expect("a note"))
}

fn refused(raw: &str, country: Option<&str>) -> String {
    resolve(raw, country, &Aliases::default()).expect_err(raw)
}

#[test]
fn iana_names_in_any_case_and_their_legacy_spellings_become_todays_names() {
    assert_eq!(name("america/new_york", None), "America/New_York");
    assert_eq!(name(" Europe/London\u{a0}", None), "Europe/London");
    assert_eq!(name("US/Eastern", None), "America/New_York");
    assert_eq!(name("Asia/Calcutta", None), "Asia/Kolkata");
    assert_eq!(name("asia/saigon", None), "Asia/Ho_Chi_Minh");
    assert_eq!(name("Europe/Kiev", None), "Europe/Kyiv");
    assert_eq!(name("UTC", None), "Etc/UTC");
    assert_eq!(name("GMT", None), "Etc/GMT");
    // Names zone.tab still lists are today's names, even where tzdata links them elsewhere.
    assert_eq!(name("Europe/Vatican", None), "Europe/Vatican");
    assert_eq!(canonical_timezone("Mars/Olympus"), None);
}

#[test]
fn windows_ids_use_cldr_and_the_country_picks_among_candidates() {
    assert_eq!(name("GMT Standard Time", None), "Europe/London");
    assert_eq!(name("gmt standard time", Some("IE")), "Europe/Dublin");
    assert_eq!(name("GMT Standard Time", Some("PT")), "Europe/Lisbon");
    assert_eq!(name("India Standard Time", None), "Asia/Kolkata");
    assert_eq!(
        name("Central Standard Time", Some("CA")),
        "America/Winnipeg"
    );
    assert_eq!(
        name("Eastern Standard Time", Some("US")),
        "America/New_York"
    );
    let (zone, note) = noted("Pacific Standard Time", Some("JP"));
    assert_eq!(zone, "America/Los_Angeles");
    assert!(note.contains("no zone for Japan (JP)"), "{note}");
}

#[test]
fn windows_display_strings_old_and_new() {
    assert_eq!(
        name("(UTC+00:00) Dublin, Edinburgh, Lisbon, London", None),
        "Europe/London"
    );
    assert_eq!(
        name("(GMT-08:00) Pacific Time (US & Canada)", None),
        "America/Los_Angeles"
    );
    assert_eq!(
        name("(UTC+05:30)  Chennai, Kolkata, Mumbai, New Delhi", None),
        "Asia/Kolkata"
    );
    // The places alone identify the zone when the offset text differs.
    assert_eq!(
        name(
            "(UTC+01:00) Brussels, Copenhagen, Madrid, Paris",
            Some("ES")
        ),
        "Europe/Madrid"
    );
}

#[test]
fn workday_style_names_use_the_city_and_check_the_offset() {
    assert_eq!(
        name("GMT-08:00 Pacific Time (Los Angeles)", None),
        "America/Los_Angeles"
    );
    assert_eq!(name("GMT+05:30 India Time (Kolkata)", None), "Asia/Kolkata");
    assert!(refused("GMT+01:00 Pacific Time (Los Angeles)", None).contains("not a time zone"));
}

#[test]
fn abbreviations_need_a_country() {
    let rule = refused("IST", None);
    assert!(rule.starts_with("is a time zone abbreviation"), "{rule}");
    assert!(rule.contains("add a country column"), "{rule}");
    assert!(refused("EST", None).contains("abbreviation"));
    assert_eq!(name("IST", Some("IN")), "Asia/Kolkata");
    assert_eq!(name("IST", Some("IE")), "Europe/Dublin");
    assert_eq!(name("IST", Some("IL")), "Asia/Jerusalem");
    assert_eq!(name("CST", Some("US")), "America/Chicago");
    assert_eq!(name("CST", Some("CN")), "Asia/Shanghai");
    assert_eq!(name("EST", Some("us")), "America/New_York");
    assert_eq!(name("BST", Some("GB")), "Europe/London");
}

#[test]
fn an_abbreviation_that_is_ambiguous_within_its_country_is_refused() {
    let rule = refused("MST", Some("US"));
    assert!(
        rule.contains("America/Denver") && rule.contains("America/Phoenix"),
        "{rule}"
    );
    let rule = refused("PST", Some("GB"));
    assert_eq!(
        rule,
        "is not a time zone abbreviation used in United Kingdom (GB): write the IANA name (e.g. \
         Europe/London)"
    );
}

#[test]
fn bare_offsets_are_a_last_resort() {
    let (zone, note) = noted("GMT-5", None);
    assert_eq!(zone, "Etc/GMT+5");
    assert!(note.contains("daylight saving"), "{note}");
    assert_eq!(noted("UTC+01:00", None).0, "Etc/GMT-1");
    assert_eq!(noted("+0000", None).0, "Etc/GMT");
    assert_eq!(noted("UTC+05:30", Some("IN")).0, "Asia/Kolkata");
    assert_eq!(noted("GMT-5", Some("US")).0, "America/New_York");
    assert!(refused("UTC+05:30", None).contains("whole hours"));
    assert!(refused("UTC+25", None).contains("not a time zone"));
}

#[test]
fn user_aliases_come_first_and_their_targets_are_checked() {
    let aliases = Aliases::new([("Eastern", "US/Eastern"), ("HQ", "Europe/Paris")]).unwrap();
    let resolved = resolve(" eastern ", None, &aliases).unwrap();
    assert_eq!(resolved.name, "America/New_York");
    assert_eq!(resolve("HQ", None, &aliases).unwrap().name, "Europe/Paris");
    let err = Aliases::new([("Home", "Mars/Base")]).unwrap_err();
    assert_eq!(
        err,
        "`Home` = `Mars/Base`: `Mars/Base` is not an IANA time zone name (e.g. Europe/London)"
    );
}

#[test]
fn offsets_parse_the_forms_exports_use() {
    assert_eq!(parse_offset("GMT-5"), Some(-5 * 3600));
    assert_eq!(parse_offset("UTC +05:30"), Some(5 * 3600 + 1800));
    assert_eq!(parse_offset("+0545"), Some(5 * 3600 + 45 * 60));
    assert_eq!(parse_offset("−03:00"), Some(-3 * 3600));
    for text in ["GMT", "5", "+5:75", "UTC+123", "+", "-0a"] {
        assert_eq!(parse_offset(text), None, "{text}");
    }
}

#[test]
fn every_table_entry_is_a_zone_jiff_knows() {
    let tables = tables();
    for (old, new) in &tables.renames {
        assert!(
            tables.names.contains_key(&old.to_ascii_lowercase()),
            "{old}"
        );
        assert!(
            crate::fields::timezone::zone_database().get(new).is_ok(),
            "{old} -> {new}"
        );
    }
    assert!(tables.windows.len() > 130);
    for zone in &tables.windows {
        assert!(canonical_timezone(zone.default).is_some(), "{}", zone.id);
        for (territory, zones) in &zone.territories {
            assert!(
                crate::fields::country::by_alpha2(territory).is_some(),
                "{territory}"
            );
            for name in zones {
                assert!(
                    canonical_timezone(name).is_some(),
                    "{} {territory} {name}",
                    zone.id
                );
            }
        }
    }
    for (country, zones) in &tables.by_country {
        for name in zones {
            assert!(
                crate::fields::timezone::zone_database().get(name).is_ok(),
                "{country} {name}"
            );
        }
    }
}
