//! Built-in presets: how each HR or directory system names its columns, and which column to
//! fall back on when one is blank.
//!
//! Generic header aliases map one column per field and refuse two candidates; real sources
//! need more than that. Entra's download leaves `mail` blank for many users (the
//! `userPrincipalName` is the address then), Workday has `Business_Title` and `Job_Title`
//! (prefer the first), BambooHR's `Preferred name` is not the legal first name. A preset says
//! all of it as data: a target's first spelling is its main column, later spellings are
//! fallbacks tried in order when the main cell is blank. Presets are detected from the header
//! (`all_of`, then `any_of`) and shown to the user; `--preset NAME` forces one. Column names
//! come from `reference/hr-exports.md`.

use super::Target;
use super::header::{known_key, normalize};
use crate::fields::Field;

/// One source system's columns.
#[derive(Debug, PartialEq, Eq)]
pub struct Preset {
    /// The `--preset` name.
    pub id: &'static str,
    /// What the user sees.
    pub name: &'static str,
    /// Header → target. A target's first header is its main column; later ones are fallbacks.
    pub columns: &'static [(&'static str, Target)],
    /// Headers no generic alias may claim for this source.
    pub ignored: &'static [&'static str],
    /// Detected when every one of these headers is present...
    pub all_of: &'static [&'static str],
    /// ...and, when this is not empty, at least one of these.
    pub any_of: &'static [&'static str],
}

const EMAIL: Target = Target::Email;
const FIRST: Target = Target::Field(Field::FirstName);
const LAST: Target = Target::Field(Field::LastName);
const TITLE: Target = Target::Field(Field::JobTitle);
const TEAM: Target = Target::Field(Field::Team);
const PHONE: Target = Target::Field(Field::Phone);
const TIMEZONE: Target = Target::Field(Field::Timezone);
const COUNTRY: Target = Target::Country;
const DISPLAY: Target = Target::DisplayName;
const STATUS: Target = Target::Status;
const START: Target = Target::StartDate;
const END: Target = Target::EndDate;

/// Every preset, in the order ties are broken.
pub const PRESETS: &[Preset] = &[
    Preset {
        id: "entra-template",
        name: "Microsoft Entra bulk-create template",
        columns: &[
            ("User name [userPrincipalName]", EMAIL),
            ("First name [givenName]", FIRST),
            ("Last name [surname]", LAST),
            ("Name [displayName]", DISPLAY),
            ("Job title [jobTitle]", TITLE),
            ("Department [department]", TEAM),
            ("Office phone [telephoneNumber]", PHONE),
            ("Mobile phone [mobile]", PHONE),
            ("Usage location [usageLocation]", COUNTRY),
            ("Country or region [country]", COUNTRY),
            // Whether sign-in is blocked: `Yes` says the person has left.
            ("Block sign in (Yes/No) [accountEnabled]", STATUS),
        ],
        ignored: &["Initial password [passwordProfile]"],
        all_of: &[
            "User name [userPrincipalName]",
            "Name [displayName]",
            "Initial password [passwordProfile]",
        ],
        any_of: &[],
    },
    Preset {
        id: "entra-users",
        name: "Microsoft Entra user download",
        columns: &[
            ("mail", EMAIL),
            ("userPrincipalName", EMAIL),
            ("givenName", FIRST),
            ("surname", LAST),
            ("displayName", DISPLAY),
            ("jobTitle", TITLE),
            ("department", TEAM),
            ("telephoneNumber", PHONE),
            ("businessPhones", PHONE),
            ("mobilePhone", PHONE),
            ("mobile", PHONE),
            ("usageLocation", COUNTRY),
            ("country", COUNTRY),
            ("accountEnabled", STATUS),
            ("employeeHireDate", START),
            ("employeeLeaveDateTime", END),
        ],
        ignored: &["id", "objectId"],
        all_of: &["userPrincipalName", "displayName"],
        any_of: &["mail", "givenName", "surname"],
    },
    Preset {
        id: "m365",
        name: "Microsoft 365 admin center users CSV",
        columns: &[
            ("User Name", EMAIL),
            ("First Name", FIRST),
            ("Last Name", LAST),
            ("Display Name", DISPLAY),
            ("Job Title", TITLE),
            ("Department", TEAM),
            ("Office Phone", PHONE),
            ("Mobile Phone", PHONE),
            ("Country or Region", COUNTRY),
        ],
        ignored: &["Office Number", "Fax"],
        all_of: &["User Name", "First Name", "Last Name", "Display Name"],
        any_of: &[],
    },
    Preset {
        id: "google",
        name: "Google Workspace admin users CSV",
        columns: &[
            ("Email Address [Required]", EMAIL),
            ("First Name [Required]", FIRST),
            ("Last Name [Required]", LAST),
            ("Employee Title", TITLE),
            ("Department", TEAM),
            ("Work Phone", PHONE),
            ("Mobile Phone", PHONE),
        ],
        ignored: &["Password [Required]", "Recovery Email", "Recovery Phone"],
        all_of: &["Email Address [Required]", "Org Unit Path [Required]"],
        any_of: &[],
    },
    Preset {
        id: "okta",
        name: "Okta user export",
        columns: &[
            ("email", EMAIL),
            ("login", EMAIL),
            ("firstName", FIRST),
            ("lastName", LAST),
            ("displayName", DISPLAY),
            ("title", TITLE),
            ("department", TEAM),
            ("primaryPhone", PHONE),
            ("mobilePhone", PHONE),
            ("countryCode", COUNTRY),
            ("timezone", TIMEZONE),
            ("status", STATUS),
        ],
        ignored: &["id", "secondEmail"],
        all_of: &["login", "firstName", "lastName"],
        any_of: &[],
    },
    Preset {
        id: "bamboohr",
        name: "BambooHR report",
        columns: &[
            ("Work Email", EMAIL),
            ("First name", FIRST),
            ("Last name", LAST),
            ("Job title", TITLE),
            ("Department", TEAM),
            ("Work phone", PHONE),
            ("Mobile phone", PHONE),
            ("Country", COUNTRY),
            ("Status", STATUS),
            ("Hire Date", START),
            ("Termination Date", END),
        ],
        ignored: &["Preferred name", "Home Email", "Employee #"],
        all_of: &["Work Email"],
        any_of: &["Preferred name", "Employee #", "Employee Number"],
    },
    Preset {
        id: "workday",
        name: "Workday custom report",
        columns: &[
            ("Email_Address", EMAIL),
            ("Primary_Work_Email", EMAIL),
            ("Legal_Name_First_Name", FIRST),
            ("First_Name", FIRST),
            ("Legal_Name_Last_Name", LAST),
            ("Last_Name", LAST),
            ("Business_Title", TITLE),
            ("Job_Title", TITLE),
            ("Department", TEAM),
            ("Team_Name", TEAM),
            ("Work_Phone", PHONE),
            ("Country", COUNTRY),
            ("Time_Zone", TIMEZONE),
            ("Worker_Status", STATUS),
            ("Hire_Date", START),
            ("Termination_Date", END),
        ],
        ignored: &["Preferred_Name", "Employee_ID"],
        all_of: &[],
        any_of: &[
            "Legal_Name_First_Name",
            "Business_Title",
            "Primary_Work_Email",
        ],
    },
];

/// A preset by its `--preset` name.
pub fn by_id(id: &str) -> Option<&'static Preset> {
    PRESETS
        .iter()
        .find(|p| p.id.eq_ignore_ascii_case(id.trim()))
}

/// The `--preset` names, for help and errors.
pub fn ids() -> Vec<&'static str> {
    PRESETS.iter().map(|p| p.id).collect()
}

/// `--preset`: a preset name, or `none` for generic aliases only.
pub fn parse_choice(text: &str) -> Result<Option<&'static Preset>, String> {
    if text.trim().eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    by_id(text).map(Some).ok_or_else(|| {
        format!(
            "unknown preset `{text}`; presets: {}, or none",
            ids().join(", ")
        )
    })
}

impl Preset {
    /// The target this preset gives a normalized header, and its rank (0 = main column).
    pub fn target_of(&self, key: &str) -> Option<(Target, u8)> {
        let (index, &(_, target)) = self
            .columns
            .iter()
            .enumerate()
            .find(|(_, (spelling, _))| known_key(spelling) == key)?;
        let rank = self.columns[..index]
            .iter()
            .filter(|(_, t)| *t == target)
            .count();
        Some((target, u8::try_from(rank).unwrap_or(u8::MAX)))
    }

    /// Whether no generic alias may claim this normalized header.
    pub fn ignores(&self, key: &str) -> bool {
        self.ignored.iter().any(|h| known_key(h) == key)
    }

    fn matches(&self, keys: &[String]) -> bool {
        let has = |h: &&'static str| {
            let wanted = known_key(h);
            keys.iter().any(|k| *k == wanted)
        };
        self.all_of.iter().all(has) && (self.any_of.is_empty() || self.any_of.iter().any(has))
    }

    fn known_columns(&self, keys: &[String]) -> usize {
        keys.iter().filter(|k| self.target_of(k).is_some()).count()
    }
}

/// The preset whose signature the headers carry; the one that knows most columns wins.
pub fn detect(headers: &[String]) -> Option<&'static Preset> {
    let keys: Vec<String> = headers.iter().map(|h| normalize(h)).collect();
    let mut best: Option<(&Preset, usize)> = None;
    for preset in PRESETS.iter().filter(|p| p.matches(&keys)) {
        let known = preset.known_columns(&keys);
        if best.is_none_or(|(_, n)| known > n) {
            best = Some((preset, known));
        }
    }
    best.map(|(preset, _)| preset)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detected(headers: &[&str]) -> Option<&'static str> {
        let headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
        detect(&headers).map(|p| p.id)
    }

    #[test]
    fn each_source_is_recognized_from_its_header() {
        let cases: [(&[&str], &str); 7] = [
            (
                &[
                    "Name [displayName] Required",
                    "User name [userPrincipalName] Required",
                    "Initial password [passwordProfile] Required",
                    "First name [givenName]",
                ],
                "entra-template",
            ),
            (
                &[
                    "userPrincipalName",
                    "displayName",
                    "surname",
                    "mail",
                    "givenName",
                    "id",
                ],
                "entra-users",
            ),
            (
                &[
                    "User Name",
                    "First Name",
                    "Last Name",
                    "Display Name",
                    "Job Title",
                ],
                "m365",
            ),
            (
                &[
                    "First Name [Required]",
                    "Last Name [Required]",
                    "Email Address [Required]",
                    "Password [Required]",
                    "Org Unit Path [Required]",
                ],
                "google",
            ),
            (
                &["id", "status", "login", "email", "firstName", "lastName"],
                "okta",
            ),
            (
                &[
                    "Employee #",
                    "First name",
                    "Last name",
                    "Preferred name",
                    "Work Email",
                ],
                "bamboohr",
            ),
            (
                &[
                    "Employee_ID",
                    "Legal_Name_First_Name",
                    "Business_Title",
                    "Email_Address",
                ],
                "workday",
            ),
        ];
        for (headers, id) in cases {
            assert_eq!(detected(headers), Some(id), "{headers:?}");
        }
        assert_eq!(detected(&["email", "first_name", "team"]), None);
    }

    #[test]
    fn later_spellings_of_a_target_are_fallbacks() {
        let workday = by_id("workday").unwrap();
        assert_eq!(workday.target_of("businesstitle"), Some((TITLE, 0)));
        assert_eq!(workday.target_of("jobtitle"), Some((TITLE, 1)));
        let entra = by_id("entra-users").unwrap();
        assert_eq!(entra.target_of("userprincipalname"), Some((EMAIL, 1)));
        assert_eq!(entra.target_of("objectid"), None);
        assert!(by_id("bamboohr").unwrap().ignores("preferredname"));
    }

    #[test]
    fn each_source_names_its_employment_columns() {
        let of = |id: &str, header: &str| by_id(id).unwrap().target_of(&normalize(header));
        assert_eq!(of("bamboohr", "Status"), Some((STATUS, 0)));
        assert_eq!(of("bamboohr", "Hire Date"), Some((START, 0)));
        assert_eq!(of("bamboohr", "Termination Date"), Some((END, 0)));
        assert_eq!(of("workday", "Worker Status"), Some((STATUS, 0)));
        assert_eq!(of("workday", "Termination_Date"), Some((END, 0)));
        assert_eq!(of("okta", "status"), Some((STATUS, 0)));
        assert_eq!(of("entra-users", "accountEnabled"), Some((STATUS, 0)));
        assert_eq!(of("entra-users", "employeeLeaveDateTime"), Some((END, 0)));
        assert_eq!(
            of(
                "entra-template",
                "Block sign in (Yes/No) [accountEnabled] Required"
            ),
            Some((STATUS, 0))
        );
    }

    #[test]
    fn names_are_checked() {
        assert_eq!(parse_choice("Okta").unwrap().unwrap().id, "okta");
        assert_eq!(parse_choice("none").unwrap(), None);
        let err = parse_choice("sap").unwrap_err();
        assert!(err.contains("entra-template, entra-users, m365"), "{err}");
    }

    #[test]
    fn every_spelling_is_distinct_within_a_preset() {
        for preset in PRESETS {
            let keys: Vec<String> = preset.columns.iter().map(|(h, _)| normalize(h)).collect();
            for (i, key) in keys.iter().enumerate() {
                assert!(!keys[i + 1..].contains(key), "{}: {key}", preset.id);
            }
        }
    }
}
