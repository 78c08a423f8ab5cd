//! Rows as real exports bring them: fallback columns, empty names beside a display name,
//! countries for the `[countries]` table, time zones read with the row's country, and the
//! mapping file's blank policies and constants.

use std::collections::BTreeMap;

use super::*;

fn validated(csv: &str, mapping: Option<&str>) -> Validation {
    let mut options = crate::ingest::LoadOptions::default();
    if let Some(text) = mapping {
        options = options.with_mapping(crate::ingest::mapping::parse(text).unwrap(), None);
    }
    let table =
        crate::ingest::load_bytes_with(csv.as_bytes(), std::path::Path::new("t.csv"), &options)
            .unwrap();
    validate_all(&table)
}

fn warnings(validation: &Validation) -> Vec<(usize, &str, &str)> {
    validation
        .warnings
        .iter()
        .map(|w| (w.row, w.column.as_str(), w.message.as_str()))
        .collect()
}

#[test]
fn a_blank_mail_falls_back_to_the_user_principal_name() {
    let validation = validated(
        "userPrincipalName,displayName,mail,givenName,surname\n\
         Ann@X.io,Ann Lee,,Ann,Lee\nbo@x.io,Bo Ek,b.ek@x.io,Bo,Ek\n",
        None,
    );
    assert_eq!(
        valid(&validation.verdicts[0]).key,
        MemberKey::Email("ann@x.io".into())
    );
    assert_eq!(valid(&validation.verdicts[1]).email(), Some("b.ek@x.io"));
    assert!(validation.warnings.is_empty());
}

#[test]
fn empty_first_and_last_names_are_split_from_the_display_name_with_a_warning() {
    let validation = validated(
        "email,Display Name,First Name,Last Name\n\
         a@x.io, Chris Green,,\nb@x.io,Cher,,\nc@x.io,Ann Lee,Annie,\n",
        None,
    );
    let fields = |i: usize| valid(&validation.verdicts[i]).fields.clone();
    assert_eq!(
        fields(0),
        BTreeMap::from([
            (Field::FirstName, set("Chris")),
            (Field::LastName, set("Green"))
        ])
    );
    assert_eq!(fields(1), BTreeMap::from([(Field::FirstName, set("Cher"))]));
    // A first name present: nothing is split.
    assert_eq!(
        fields(2),
        BTreeMap::from([(Field::FirstName, set("Annie"))])
    );
    let got = warnings(&validation);
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0],
        (
            1,
            "Display Name",
            "first and last name are empty: took first_name \"Chris\" and last_name \"Green\" \
             from the display name \"Chris Green\"; check the split"
        )
    );
    assert!(
        got[1].2.contains("last_name is left unchanged"),
        "{}",
        got[1].2
    );
}

#[test]
fn a_split_that_breaks_a_rule_makes_the_row_invalid() {
    let long = "x".repeat(40);
    let validation = validated(
        &format!("email,Name,first_name\na@x.io,Ann {long},\n"),
        None,
    );
    let row = invalid(&validation.verdicts[0]);
    assert_eq!(row.problems[0].column, "Name");
    assert!(
        row.problems[0].rule.starts_with("split into last_name"),
        "{:?}",
        row.problems
    );
}

#[test]
fn countries_become_country_ids_through_the_mapping_table() {
    let mapping = "[countries]\nGB = 44\nUS = 1\n";
    let validation = validated(
        "email,Country\na@x.io,United Kingdom\nb@x.io,USA\nc@x.io,Narnia\nd@x.io,France\ne@x.io,\n",
        Some(mapping),
    );
    let id = |i: usize| {
        valid(&validation.verdicts[i])
            .fields
            .get(&Field::CountryId)
            .cloned()
    };
    assert_eq!(id(0), Some(Desired::Set(Value::Integer(44))));
    assert_eq!(id(1), Some(Desired::Set(Value::Integer(1))));
    assert_eq!(id(2), None);
    assert_eq!(id(3), None);
    assert_eq!(id(4), None);
    assert_eq!(
        warnings(&validation),
        [
            (
                3,
                "Country",
                "country \"Narnia\" is not in the mapping's [countries] table: country_id is left \
                 unchanged"
            ),
            (
                4,
                "Country",
                "country \"France\" (France, FR) is not in the mapping's [countries] table: \
                 country_id is left unchanged"
            ),
        ]
    );
}

#[test]
fn time_zones_use_the_row_country_and_the_mapping_aliases() {
    let validation = validated(
        "email,Country Code,Time Zone\n\
         a@x.io,IN,IST\nb@x.io,IE,IST\nc@x.io,,IST\nd@x.io,US,US/Eastern\n\
         e@x.io,IE,GMT Standard Time\nf@x.io,,GMT-5\ng@x.io,,Head Office\n",
        Some("[timezones]\n\"head office\" = \"Europe/Paris\"\n"),
    );
    let zone = |i: usize| match &validation.verdicts[i] {
        RowVerdict::Valid(row) => format!("{:?}", row.fields.get(&Field::Timezone)),
        RowVerdict::Invalid(row) => describe(&row.problems),
        RowVerdict::Duplicate(row) => row.reason(),
    };
    assert_eq!(zone(0), format!("{:?}", Some(set("Asia/Kolkata"))));
    assert_eq!(zone(1), format!("{:?}", Some(set("Europe/Dublin"))));
    assert!(
        zone(2).starts_with("Time Zone: \"IST\" is a time zone abbreviation"),
        "{}",
        zone(2)
    );
    assert_eq!(zone(3), format!("{:?}", Some(set("America/New_York"))));
    assert_eq!(zone(4), format!("{:?}", Some(set("Europe/Dublin"))));
    assert_eq!(zone(5), format!("{:?}", Some(set("Etc/GMT+5"))));
    assert_eq!(zone(6), format!("{:?}", Some(set("Europe/Paris"))));
    let got = warnings(&validation);
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].0, got[0].1), (6, "Time Zone"));
}

#[test]
fn a_mapping_can_make_blank_clear_and_change_the_sentinel() {
    let validation = validated(
        "email,phone,team,job_title\na@x.io,,<none>,__CLEAR__\n",
        Some("clear_sentinel = \"<none>\"\n[blank]\nphone = \"clear\"\n"),
    );
    let row = valid(&validation.verdicts[0]);
    assert_eq!(
        row.fields,
        BTreeMap::from([
            (Field::Phone, Desired::Clear),
            (Field::JobTitle, set("__CLEAR__")),
            (Field::Team, Desired::Clear),
        ])
    );
}

#[test]
fn constants_fill_blank_cells_and_absent_columns() {
    let validation = validated(
        "email,date_format\na@x.io,\nb@x.io,MM/DD/YYYY\n",
        Some("[constants]\ndate_format = \"dd/mm/yyyy\"\nrole = \"standard\"\n"),
    );
    let fields = |i: usize| valid(&validation.verdicts[i]).fields.clone();
    assert_eq!(fields(0)[&Field::DateFormat], set("dd/mm/yyyy"));
    assert_eq!(fields(1)[&Field::DateFormat], set("mm/dd/yyyy"));
    assert_eq!(fields(1)[&Field::Role], set("standard"));
}

#[test]
fn duplicates_found_through_a_fallback_name_the_column_that_gave_the_key() {
    let validation = validated(
        // Two rows for one member that disagree (identical ones would count once).
        "userPrincipalName,displayName,mail,jobTitle\nann@x.io,Ann,,CFO\nx@x.io,Ann 2,ANN@x.io,CEO\n",
        None,
    );
    let first = invalid(&validation.verdicts[0]);
    assert_eq!(
        describe(&first.problems),
        "userPrincipalName: \"ann@x.io\" duplicate key, also on row 2"
    );
    let second = invalid(&validation.verdicts[1]);
    assert_eq!(
        describe(&second.problems),
        "mail: \"ANN@x.io\" duplicate key, also on row 1"
    );
}
