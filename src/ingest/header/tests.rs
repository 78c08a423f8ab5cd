//! Header spellings, header-row detection, presets and the mapping file deciding columns.

use super::*;

fn headers(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn targets(names: &[&str]) -> Vec<(String, Target)> {
    map_headers(&headers(names))
        .unwrap()
        .columns
        .into_iter()
        .map(|c| (c.header, c.target))
        .collect()
}

#[test]
fn case_spaces_underscores_and_hyphens_do_not_matter() {
    for spelling in [
        "First Name",
        "first_name",
        "FIRSTNAME",
        "first-name",
        " First  Name ",
    ] {
        assert_eq!(
            target_for(spelling),
            Some(Target::Field(Field::FirstName)),
            "{spelling}"
        );
    }
    assert_eq!(target_for("E-mail"), Some(Target::Email));
    assert_eq!(
        target_for("TIME ZONE"),
        Some(Target::Field(Field::Timezone))
    );
}

#[test]
fn common_aliases_map_to_their_fields() {
    let cases = [
        ("Work Email", Target::Email),
        ("Email Address", Target::Email),
        ("Mail", Target::Email),
        ("Tallyfy ID", Target::UserId),
        ("User ID", Target::UserId),
        ("Given Name", Target::Field(Field::FirstName)),
        ("Surname", Target::Field(Field::LastName)),
        ("Family Name", Target::Field(Field::LastName)),
        ("Position", Target::Field(Field::JobTitle)),
        ("Job Title", Target::Field(Field::JobTitle)),
        ("Department", Target::Field(Field::Team)),
        ("Team Name", Target::Field(Field::Team)),
        ("Telephone", Target::Field(Field::Phone)),
        ("TZ", Target::Field(Field::Timezone)),
        ("Country ID", Target::Field(Field::CountryId)),
        ("Step Preferences", Target::Field(Field::StepPreferences)),
    ];
    for (header, target) in cases {
        assert_eq!(target_for(header), Some(target), "{header}");
    }
}

#[test]
fn admin_template_suffixes_are_ignored() {
    assert_eq!(target_for("Email Address [Required]"), Some(Target::Email));
    assert_eq!(
        target_for("First name [givenName]"),
        Some(Target::Field(Field::FirstName))
    );
    assert_eq!(
        target_for("Department [department] Required"),
        Some(Target::Field(Field::Team))
    );
}

#[test]
fn a_bare_id_or_a_mobile_phone_is_not_guessed() {
    assert_eq!(target_for("ID"), None);
    assert_eq!(target_for("Mobile Phone"), None);
    assert_eq!(target_for("Required"), None);
}

#[test]
fn no_alias_is_claimed_by_two_targets() {
    for (i, (a, ta)) in ALIASES.iter().enumerate() {
        for (b, tb) in &ALIASES[i + 1..] {
            let collide = normalize(a) == normalize(b) && ta != tb;
            assert!(!collide, "`{a}` and `{b}` collide ({ta:?}, {tb:?})");
        }
    }
}

#[test]
fn unknown_columns_are_listed_and_blank_headers_skipped() {
    let map = map_headers(&headers(&["Email", "Salary", "", "Team", "Password", " "])).unwrap();
    assert_eq!(map.unknown_columns, ["Salary", "Password"]);
    assert_eq!(
        targets(&["Email", "Salary", "", "Team"]),
        [
            ("Email".to_string(), Target::Email),
            ("Team".to_string(), Target::Field(Field::Team))
        ]
    );
    // `index` is the cell's place in a record (only mapped cells are kept); the file's
    // column is kept for messages.
    assert_eq!(map.columns[1].index, 1);
    assert_eq!(map.columns[1].column_number(), Some(4));
}

#[test]
fn two_columns_for_one_target_are_refused_naming_both() {
    let err = map_headers(&headers(&[
        "Name",
        "x",
        "Email",
        "y",
        "z",
        "w",
        "Work Email",
    ]))
    .unwrap_err();
    assert_eq!(
        err,
        "columns 3 (`Email`) and 7 (`Work Email`) both map to email; remove one or rename it"
    );
}

#[test]
fn an_exactly_repeated_header_is_refused() {
    let err = map_headers(&headers(&["email", "Notes", "Notes"])).unwrap_err();
    assert_eq!(
        err,
        "columns 2 and 3 are both named `Notes`; remove one or rename it"
    );
}

#[test]
fn a_missing_key_column_lists_what_was_found_and_what_is_accepted() {
    let err = map_headers(&headers(&["First Name", "Last Name", "ID"])).unwrap_err();
    assert!(err.starts_with("no key column"), "{err}");
    assert!(err.contains("`First Name`, `Last Name`, `ID`"), "{err}");
    assert!(
        err.contains("`Work Email`") && err.contains("`Tallyfy ID`"),
        "{err}"
    );
}

#[test]
fn user_id_alone_is_a_key() {
    assert_eq!(
        targets(&["Tallyfy ID"]),
        [("Tallyfy ID".to_string(), Target::UserId)]
    );
}

fn raw(line: u64, cells: &[&str]) -> RawRow {
    RawRow {
        line,
        cells: cells.iter().collect(),
    }
}

/// `(header, target, rank)` of every mapped column.
fn mapped(map: &HeaderMap) -> Vec<(&str, Target, u8)> {
    map.columns
        .iter()
        .map(|c| (c.header.as_str(), c.target, c.rank))
        .collect()
}

#[test]
fn the_header_is_the_row_naming_most_known_columns() {
    let rows = [
        raw(1, &["version:v1.0", "", ""]),
        raw(
            2,
            &[
                "Name [displayName] Required",
                "User name [userPrincipalName] Required",
                "x",
            ],
        ),
        raw(3, &["Chris Green", "chris@contoso.com", "pw"]),
    ];
    assert_eq!(find_header(&rows, None), Some(1));
    let titled = [
        raw(1, &["Quarterly staff report"]),
        raw(2, &["Generated 2024-01-01", ""]),
        raw(4, &["Work Email", "Department"]),
        raw(5, &["a@x.io", "Ops"]),
    ];
    assert_eq!(find_header(&titled, None), Some(2));
    let unknown = [raw(4, &["a", "b", "c"]), raw(5, &["1", "2", "3"])];
    assert_eq!(find_header(&unknown, None), Some(0));
    assert_eq!(find_header(&[], None), None);
}

#[test]
fn a_preset_ranks_fallbacks_and_claims_its_columns_first() {
    let preset = crate::ingest::preset::by_id("entra-users").unwrap();
    let map = map_headers_with(
        &headers(&[
            "userPrincipalName",
            "displayName",
            "mail",
            "mobilePhone",
            "telephoneNumber",
            "id",
        ]),
        Some(preset),
        None,
    )
    .unwrap();
    assert_eq!(
        mapped(&map),
        [
            ("userPrincipalName", Target::Email, 1),
            ("displayName", Target::DisplayName, 0),
            ("mail", Target::Email, 0),
            ("mobilePhone", Target::Field(Field::Phone), 1),
            ("telephoneNumber", Target::Field(Field::Phone), 0),
        ]
    );
    assert_eq!(map.unknown_columns, ["id"]);
    assert_eq!(map.columns[2].index, 2);
}

#[test]
fn a_preset_keeps_generic_aliases_off_the_columns_it_decides() {
    let bamboo = crate::ingest::preset::by_id("bamboohr").unwrap();
    let map = map_headers_with(
        &headers(&[
            "Work Email",
            "Preferred name",
            "First name",
            "Role",
            "Title",
        ]),
        Some(bamboo),
        None,
    )
    .unwrap();
    assert_eq!(
        mapped(&map),
        [
            ("Work Email", Target::Email, 0),
            ("First name", Target::Field(Field::FirstName), 0),
            ("Role", Target::Field(Field::Role), 0),
            ("Title", Target::Field(Field::JobTitle), 0),
        ]
    );
    assert_eq!(map.unknown_columns, ["Preferred name"]);
}

#[test]
fn the_mapping_file_wins_and_names_fallbacks() {
    let mapping = crate::ingest::mapping::parse(
        r#"
        [columns]
        "Primary" = "email"
        "Alt mail" = { field = "email", fallback = true }
        "Vorname" = "first_name"
        "First Name" = "ignore"
        "#,
    )
    .unwrap();
    let map = map_headers_with(
        &headers(&["Alt mail", "Vorname", "First Name", "Email", "Primary"]),
        None,
        Some(&mapping),
    )
    .unwrap();
    assert_eq!(
        mapped(&map),
        [
            ("Alt mail", Target::Email, 1),
            ("Vorname", Target::Field(Field::FirstName), 0),
            ("Primary", Target::Email, 0),
        ]
    );
    assert_eq!(map.unknown_columns, ["First Name", "Email"]);

    let two_main =
        crate::ingest::mapping::parse("[columns]\nA = \"email\"\nB = \"email\"\n").unwrap();
    let err = map_headers_with(&headers(&["A", "B"]), None, Some(&two_main)).unwrap_err();
    assert!(err.contains("fallback = true"), "{err}");
}

#[test]
fn repeated_headers_differing_in_case_are_still_repeated() {
    let err = map_headers(&headers(&["email", "Notes", "NOTES"])).unwrap_err();
    assert_eq!(
        err,
        "columns 2 and 3 are both named `NOTES`; remove one or rename it"
    );
}
