//! Employment facts read through the whole of ingest and validation: each preset's status and
//! date columns, the mapping file's, and the cells that make a row invalid when a lifecycle
//! flag reads them (strict), or only warned about when none does (lenient).

use jiff::civil::date;

use super::*;
use crate::validate::employment::{NOT_READ, Reading};

/// Read as a run with a lifecycle flag reads them: strictly.
fn validated(csv: &str, mapping: Option<&str>) -> Vec<RowVerdict> {
    validated_with(csv, mapping, Reading::Strict).verdicts
}

fn validated_with(csv: &str, mapping: Option<&str>, reading: Reading) -> Validation {
    let mut options = crate::ingest::LoadOptions::default().with_employment_reading(reading);
    if let Some(text) = mapping {
        options = options.with_mapping(crate::ingest::mapping::parse(text).unwrap(), None);
    }
    let path = std::path::Path::new("t.csv");
    validate_all(&crate::ingest::load_bytes_with(csv.as_bytes(), path, &options).unwrap())
}

fn employment(verdict: &RowVerdict) -> Employment {
    valid(verdict).employment
}

fn problems(verdict: &RowVerdict) -> String {
    describe(&invalid(verdict).problems)
}

#[test]
fn a_bamboohr_report_gives_status_and_dates() {
    let rows = validated(
        "Employee #,Work Email,First name,Status,Hire Date,Termination Date\n\
         1,ann@x.io,Ann,Active,2019-04-01,\n\
         2,bo@x.io,Bo,Inactive,2018-01-15,2026-01-31\n\
         3,cy@x.io,Cy,,,\n",
        None,
    );
    assert_eq!(
        employment(&rows[0]),
        Employment {
            status: Some(Status::Active),
            start_date: Some(date(2019, 4, 1)),
            end_date: None,
        }
    );
    assert_eq!(
        employment(&rows[1]),
        Employment {
            status: Some(Status::Left),
            start_date: Some(date(2018, 1, 15)),
            end_date: Some(date(2026, 1, 31)),
        }
    );
    // Blank cells say nothing: unknown, never active or left.
    assert_eq!(employment(&rows[2]), Employment::default());
}

#[test]
fn an_unknown_status_word_makes_the_row_invalid_naming_it() {
    let rows = validated(
        "Employee #,Work Email,Status\n1,ann@x.io,Gone fishing\n2,bo@x.io,__CLEAR__\n",
        None,
    );
    let problem = problems(&rows[0]);
    assert!(
        problem.starts_with(
            "Status: \"Gone fishing\" is not a status member-sync knows; still employed: Active, \
             Leave of Absence"
        ),
        "{problem}"
    );
    assert!(problem.contains("left: Inactive, Terminated"), "{problem}");
    assert_eq!(
        problems(&rows[1]),
        "Status: \"__CLEAR__\" `__CLEAR__` means nothing in a status or date column: leave the \
         cell blank"
    );
}

#[test]
fn workday_okta_and_entra_speak_their_own_words() {
    let workday = validated(
        "Employee_ID,Legal_Name_First_Name,Email_Address,Worker_Status,Hire_Date,Termination_Date\n\
         1,Ann,ann@x.io,Leave of Absence,2020-02-03-08:00,\n\
         2,Bo,bo@x.io,Terminated,2020-02-03-08:00,2026-02-27-08:00\n",
        None,
    );
    assert_eq!(employment(&workday[0]).status, Some(Status::Active));
    assert_eq!(employment(&workday[1]).status, Some(Status::Left));
    assert_eq!(employment(&workday[1]).end_date, Some(date(2026, 2, 27)));

    let okta = validated(
        "id,status,login,email,firstName,lastName\n\
         00u1,PASSWORD_EXPIRED,ann@x.io,ann@x.io,Ann,Lee\n\
         00u2,DEPROVISIONED,bo@x.io,bo@x.io,Bo,Ek\n",
        None,
    );
    assert_eq!(employment(&okta[0]).status, Some(Status::Active));
    assert_eq!(employment(&okta[1]).status, Some(Status::Left));

    let entra = validated(
        "userPrincipalName,displayName,mail,accountEnabled,employeeHireDate\n\
         ann@x.io,Ann Lee,,True,2021-06-01T00:00:00Z\n\
         bo@x.io,Bo Ek,,FALSE,\n",
        None,
    );
    assert_eq!(employment(&entra[0]).status, Some(Status::Active));
    assert_eq!(employment(&entra[0]).start_date, Some(date(2021, 6, 1)));
    assert_eq!(employment(&entra[1]).status, Some(Status::Left));

    // The bulk template asks whether sign-in is blocked: `Yes` is a leaver.
    let template = validated(
        "version:v1.0,,,\n\
         Name [displayName] Required,User name [userPrincipalName] Required,Initial password [passwordProfile] Required,Block sign in (Yes/No) [accountEnabled] Required\n\
         Ann Lee,ann@x.io,pw1, No\n\
         Bo Ek,bo@x.io,pw2,Yes\n",
        None,
    );
    assert_eq!(employment(&template[0]).status, Some(Status::Active));
    assert_eq!(employment(&template[1]).status, Some(Status::Left));
}

#[test]
fn a_bare_status_column_is_not_read_as_employment_without_a_preset_or_mapping() {
    let rows = validated("email,Status\nann@x.io,Married\n", None);
    assert_eq!(employment(&rows[0]), Employment::default());
    let rows = validated("email,Employment Status\nann@x.io,Full-Time\n", None);
    assert_eq!(employment(&rows[0]).status, Some(Status::Active));
}

#[test]
fn the_mapping_file_names_the_columns_their_words_and_the_date_order() {
    let mapping = r#"
        dates = "dd/mm/yyyy"
        [columns]
        "Zustand" = "status"
        "Eintritt" = "start_date"
        "Austritt" = "end_date"
        [status]
        active = ["Beschäftigt"]
        left = ["Ausgeschieden"]
    "#;
    let rows = validated(
        "email,Zustand,Eintritt,Austritt\n\
         ann@x.io,beschäftigt,03/04/2024,\n\
         bo@x.io,Ausgeschieden,01/02/2020,31/01/2026\n",
        Some(mapping),
    );
    assert_eq!(
        employment(&rows[0]),
        Employment {
            status: Some(Status::Active),
            start_date: Some(date(2024, 4, 3)),
            end_date: None,
        }
    );
    assert_eq!(employment(&rows[1]).status, Some(Status::Left));
    assert_eq!(employment(&rows[1]).end_date, Some(date(2026, 1, 31)));
}

#[test]
fn a_date_that_could_be_read_two_ways_makes_the_row_invalid() {
    let rows = validated(
        "email,Hire Date,Exit Date\nann@x.io,03/04/2024,\nbo@x.io,2024-02-30,\ncy@x.io,,soon\n",
        None,
    );
    assert!(
        problems(&rows[0])
            .starts_with("Hire Date: \"03/04/2024\" is not a date member-sync reads on its own"),
        "{}",
        problems(&rows[0])
    );
    assert_eq!(
        problems(&rows[1]),
        "Hire Date: \"2024-02-30\" is not a day of the calendar"
    );
    assert_eq!(
        problems(&rows[2]),
        "Exit Date: \"soon\" is not a date: write it as YYYY-MM-DD (2026-03-31)"
    );
}

/// No lifecycle flag reads them (the default): a cell that cannot be read is warned about and
/// left unknown, and the row stays valid, so a profile sync goes on.
#[test]
fn without_a_lifecycle_flag_an_unreadable_cell_is_warned_about_and_the_row_stays_valid() {
    let csv = "Employee #,Work Email,Status,Hire Date\n1,ann@x.io,Gone fishing,2019-04-01\n\
               2,bo@x.io,Active,03/04/2024\n";
    let lenient = validated_with(csv, None, Reading::Lenient);
    let facts: Vec<Employment> = lenient.verdicts.iter().map(employment).collect();
    assert_eq!(
        facts,
        [
            Employment {
                start_date: Some(date(2019, 4, 1)),
                ..Employment::default()
            },
            Employment {
                status: Some(Status::Active),
                ..Employment::default()
            },
        ]
    );
    let warned: Vec<(usize, &str)> = lenient
        .warnings
        .iter()
        .map(|w| (w.row, w.column.as_str()))
        .collect();
    assert_eq!(warned, [(1, "Status"), (2, "Hire Date")]);
    let message = &lenient.warnings[0].message;
    assert!(
        message.starts_with("\"Gone fishing\" is not a status member-sync knows")
            && message.ends_with(NOT_READ),
        "{message}"
    );
    // The same file read for a lifecycle flag: both rows invalid.
    let strict = validated_with(csv, None, Reading::Strict);
    assert!(
        strict
            .verdicts
            .iter()
            .all(|v| matches!(v, RowVerdict::Invalid(_)))
    );
    assert!(strict.warnings.is_empty());
}

#[test]
fn rows_of_one_person_that_differ_only_in_status_are_not_the_same_request() {
    let rows = validated(
        "Employee #,Work Email,Status\n1,ann@x.io,Active\n2,ann@x.io,Terminated\n",
        None,
    );
    assert!(
        rows.iter().all(|r| matches!(r, RowVerdict::Invalid(_))),
        "{rows:?}"
    );
    let rows = validated(
        "Employee #,Work Email,Status\n1,ann@x.io,Active\n2,ann@x.io,active\n",
        None,
    );
    assert!(matches!(rows[1], RowVerdict::Duplicate(_)), "{rows:?}");
}
