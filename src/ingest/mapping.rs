//! The mapping file (`--mapping FILE`, TOML): everything about an export that headers and
//! presets cannot say.
//!
//! It is read and checked completely before the input is opened, so a typo in a field name or
//! a constant that Tallyfy would refuse stops the run at once, naming the table and the key,
//! instead of failing on every row. The format is documented in `docs/input.md`:
//!
//! ```toml
//! preset = "bamboohr"                  # optional, like --preset
//! clear_sentinel = "<clear>"           # replaces __CLEAR__
//!
//! [columns]                            # source column = field (or "ignore")
//! "Primary Mail" = "email"
//! "Login" = { field = "email", fallback = true }
//! "Mobile" = { field = "phone", blank = "clear" }
//!
//! [constants]                          # the value of every row whose cell is blank or absent
//! date_format = "dd/mm/yyyy"
//!
//! [blank]                              # field = "keep" (the default) or "clear"
//! team = "clear"
//!
//! [countries]                          # country name, alpha-2 or alpha-3 = Tallyfy country_id
//! GB = 44
//!
//! [timezones]                          # value in the file = IANA name
//! "Head office" = "Europe/London"
//!
//! [status]                             # employment status words beyond the built-in ones
//! active = ["Employed"]
//! left = ["Gone"]
//! ```
//!
//! A top-level `dates = "mm/dd/yyyy"` (or `"dd/mm/yyyy"`) says how the start and end date
//! columns write a day and a month, which no cell can say for itself. A top-level
//! `groups = ["Department", "Team"]` names the columns whose cells name the person's groups
//! (as `--groups-from` does): a list beside `[columns]`, not a target in it, because a group
//! column often feeds a profile field too (`Department` is the team).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::header::normalize;
use super::preset::{self, Preset};
use super::{CellRules, Target};
use crate::fields::Field;
use crate::fields::country::CountryIds;
use crate::fields::timezone::{self, Aliases};
use crate::validate::employment::{DayMonthOrder, ExtraWords};
use crate::validate::rules;

/// A checked mapping file.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    /// `Some(None)` is `preset = "none"`.
    pub preset: Option<Option<&'static Preset>>,
    pub columns: Vec<ColumnRule>,
    /// Field → value for rows whose cell is blank or that have no such column.
    pub constants: Vec<(Field, String)>,
    pub rules: CellRules,
    /// `groups = [...]`: the headers of the group columns.
    pub groups: Vec<String>,
}

/// One `[columns]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnRule {
    /// The header as the mapping file writes it.
    pub header: String,
    /// `None` for `"ignore"`.
    pub target: Option<Target>,
    /// Used only when the target's main column is blank.
    pub fallback: bool,
}

impl Mapping {
    /// The rule for a header, compared the way headers are (case, spaces, `_`, `[...]`).
    pub fn rule_for(&self, header: &str) -> Option<&ColumnRule> {
        let key = normalize(header);
        self.columns.iter().find(|c| normalize(&c.header) == key)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    preset: Option<String>,
    clear_sentinel: Option<String>,
    #[serde(default)]
    columns: BTreeMap<String, ColumnSpec>,
    #[serde(default)]
    constants: BTreeMap<String, toml::Value>,
    #[serde(default)]
    blank: BTreeMap<String, String>,
    #[serde(default)]
    countries: BTreeMap<String, i64>,
    #[serde(default)]
    timezones: BTreeMap<String, String>,
    /// The order of day-and-month dates in the start and end date columns.
    dates: Option<String>,
    status: Option<StatusWords>,
    /// The group columns.
    #[serde(default)]
    groups: Vec<String>,
}

/// `[status]`: words for still employed, and for left.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusWords {
    #[serde(default)]
    active: Vec<String>,
    #[serde(default)]
    left: Vec<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ColumnSpec {
    Field(String),
    Full(FullSpec),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FullSpec {
    field: String,
    #[serde(default)]
    fallback: bool,
    blank: Option<String>,
}

/// Reads and checks a mapping file.
pub fn load(path: &Path) -> Result<Mapping, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the mapping file {}: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("mapping file {}: {e}", path.display()))
}

/// Parses and checks mapping text.
pub fn parse(text: &str) -> Result<Mapping, String> {
    let file: File = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?;
    let mut mapping = Mapping {
        preset: file
            .preset
            .as_deref()
            .map(preset::parse_choice)
            .transpose()?,
        ..Mapping::default()
    };
    if let Some(sentinel) = &file.clear_sentinel {
        mapping.rules.blank.set_sentinel(sentinel)?;
    }
    for (header, spec) in &file.columns {
        let (field, fallback, blank) = match spec {
            ColumnSpec::Field(field) => (field, false, None),
            ColumnSpec::Full(full) => (&full.field, full.fallback, full.blank.as_deref()),
        };
        let at = || format!("[columns] {header:?}");
        let target = parse_target(field).map_err(|e| format!("{}: {e}", at()))?;
        if let Some(word) = blank {
            let Some(Target::Field(field)) = target else {
                return Err(format!("{}: `blank` applies to profile fields only", at()));
            };
            set_blank(&mut mapping.rules, field, word).map_err(|e| format!("{}: {e}", at()))?;
        }
        mapping.columns.push(ColumnRule {
            header: header.clone(),
            target,
            fallback,
        });
    }
    for (name, value) in &file.constants {
        let at = format!("[constants] {name}");
        let field = Field::from_name(name)
            .ok_or_else(|| format!("{at}: unknown field; use one of {}", field_names()))?;
        let value = match value {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => return Err(format!("{at}: {other} is not a text, number or true/false")),
        };
        check_constant(field, &value).map_err(|rule| format!("{at} = {value:?}: {rule}"))?;
        mapping.constants.push((field, value));
    }
    for (name, word) in &file.blank {
        let at = format!("[blank] {name}");
        let field = Field::from_name(name)
            .ok_or_else(|| format!("{at}: unknown field; use one of {}", field_names()))?;
        set_blank(&mut mapping.rules, field, word).map_err(|e| format!("{at}: {e}"))?;
    }
    mapping.rules.countries = CountryIds::new(file.countries.iter().map(|(k, v)| (k.as_str(), *v)))
        .map_err(|e| format!("[countries] {e}"))?;
    mapping.rules.timezones =
        Aliases::new(file.timezones.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map_err(|e| format!("[timezones] {e}"))?;
    if let Some(order) = &file.dates {
        let order = DayMonthOrder::parse(order).map_err(|e| format!("dates: {e}"))?;
        mapping.rules.employment.dates = Some(order);
    }
    for header in &file.groups {
        if crate::fields::trim_cell(header).is_empty() {
            return Err("groups: a blank name is not a column; name each group column".into());
        }
    }
    mapping.groups = file.groups;
    if let Some(words) = &file.status {
        mapping.rules.employment.status_words =
            ExtraWords::new(&words.active, &words.left).map_err(|e| format!("[status] {e}"))?;
    }
    Ok(mapping)
}

/// A `[columns]` value: a field name, a key, `country`, `display_name`, or `ignore`.
pub fn parse_target(word: &str) -> Result<Option<Target>, String> {
    let word = word.trim();
    let target = match word {
        "ignore" => return Ok(None),
        "email" => Target::Email,
        "user_id" => Target::UserId,
        "country" => Target::Country,
        "display_name" => Target::DisplayName,
        "status" => Target::Status,
        "start_date" => Target::StartDate,
        "end_date" => Target::EndDate,
        "groups" => {
            return Err(
                "`groups` is not a [columns] target: list group columns at the top of the file, \
                 `groups = [\"Department\"]` (the column may then feed a field as well)"
                    .into(),
            );
        }
        name => Target::Field(Field::from_name(name).ok_or_else(|| {
            format!(
                "`{word}` is not a field; use one of email, user_id, {}, country, display_name, \
                 status, start_date, end_date or ignore",
                field_names()
            )
        })?),
    };
    Ok(Some(target))
}

fn field_names() -> String {
    Field::ALL
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn set_blank(rules: &mut CellRules, field: Field, word: &str) -> Result<(), String> {
    match word {
        "keep" => Ok(()),
        "clear" => rules.blank.clear_when_blank(field),
        other => Err(format!(
            "`{other}` is not a blank policy; use \"keep\" or \"clear\""
        )),
    }
}

fn check_constant(field: Field, value: &str) -> Result<(), String> {
    if field == Field::Timezone {
        return timezone::resolve(value, None, &Aliases::default()).map(drop);
    }
    rules::check(field, value)
        .map(drop)
        .map_err(|broken| broken.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blank::CellIntent;

    #[test]
    fn a_full_mapping_file_is_read() {
        let mapping = parse(
            r#"
            preset = "bamboohr"
            clear_sentinel = "<clear>"

            [columns]
            "Primary Mail" = "email"
            "Login" = { field = "email", fallback = true }
            "Mobile" = { field = "phone", blank = "clear" }
            "Salary" = "ignore"

            [constants]
            date_format = "DD/MM/YYYY"
            step_preferences = true
            country_id = 44

            [blank]
            team = "clear"

            [countries]
            GB = 44
            "United States" = 1

            [timezones]
            "Head office" = "Europe/London"
            "#,
        )
        .unwrap();
        assert_eq!(mapping.preset.unwrap().unwrap().id, "bamboohr");
        let login = mapping.rule_for("login").unwrap();
        assert_eq!((login.target, login.fallback), (Some(Target::Email), true));
        assert_eq!(mapping.rule_for("SALARY").unwrap().target, None);
        assert_eq!(
            mapping.constants,
            [
                (Field::CountryId, "44".to_string()),
                (Field::DateFormat, "DD/MM/YYYY".to_string()),
                (Field::StepPreferences, "true".to_string()),
            ]
        );
        let blank = &mapping.rules.blank;
        assert_eq!(
            blank.for_field(Field::Phone).interpret(""),
            CellIntent::Clear
        );
        assert_eq!(
            blank.for_field(Field::Team).interpret(" "),
            CellIntent::Clear
        );
        assert_eq!(
            blank.for_field(Field::JobTitle).interpret("<clear>"),
            CellIntent::Clear
        );
        assert_eq!(mapping.rules.countries.id_for("United Kingdom"), Some(44));
        assert_eq!(mapping.rules.countries.id_for("USA"), Some(1));
        assert_eq!(
            timezone::resolve("head office", None, &mapping.rules.timezones)
                .unwrap()
                .name,
            "Europe/London"
        );
    }

    #[test]
    fn mistakes_name_the_table_and_key() {
        let err = |text: &str| parse(text).unwrap_err();
        assert_eq!(
            err("[columns]\nMail = \"emial\"\n"),
            "[columns] \"Mail\": `emial` is not a field; use one of email, user_id, first_name, \
             last_name, phone, job_title, job_description, team, timezone, country_id, \
             date_format, step_preferences, role, country, display_name, status, start_date, \
             end_date or ignore"
        );
        assert_eq!(
            err("[constants]\ndate_format = \"yyyy-mm-dd\"\n"),
            "[constants] date_format = \"yyyy-mm-dd\": must be mm/dd/yyyy or dd/mm/yyyy"
        );
        assert!(err("[constants]\nemail = \"x@y.io\"\n").contains("unknown field"));
        assert!(err("[blank]\nfirst_name = \"clear\"\n").contains("first_name cannot be cleared"));
        assert!(err("[blank]\nteam = \"wipe\"\n").contains("\"keep\" or \"clear\""));
        assert!(err("[countries]\nGB = 44\nUK = 45\n").contains("United Kingdom"));
        assert!(err("[timezones]\nHQ = \"Mars/Base\"\n").starts_with("[timezones] `HQ`"));
        assert!(err("preset = \"sap\"\n").contains("unknown preset"));
        assert!(err("[colums]\n").contains("unknown field `colums`"));
        assert!(
            err("[columns]\nX = { field = \"email\", blank = \"clear\" }\n")
                .contains("profile fields only")
        );
        assert!(err("clear_sentinel = \" \"\n").contains("sentinel"));
    }

    #[test]
    fn employment_columns_their_words_and_date_order_are_read() {
        let mapping = parse(
            r#"
            dates = "dd/mm/yyyy"
            [columns]
            "Emp State" = "status"
            "Joined" = "start_date"
            "Leaving" = { field = "end_date", fallback = true }
            [status]
            active = ["Employed"]
            left = ["Gone", "Alumni"]
            "#,
        )
        .unwrap();
        assert_eq!(
            mapping.rule_for("emp state").unwrap().target,
            Some(Target::Status)
        );
        assert_eq!(
            mapping.rule_for("joined").unwrap().target,
            Some(Target::StartDate)
        );
        assert_eq!(
            mapping.rule_for("leaving").unwrap().target,
            Some(Target::EndDate)
        );
        let rules = &mapping.rules.employment;
        assert_eq!(rules.dates, Some(DayMonthOrder::DayFirst));
        assert_eq!(
            rules.status_words,
            ExtraWords::new(&["Employed".into()], &["Gone".into(), "Alumni".into()]).unwrap()
        );
        let err = |text: &str| parse(text).unwrap_err();
        assert!(
            err("dates = \"yyyy/dd/mm\"\n").starts_with("dates: `yyyy/dd/mm` is not a date order")
        );
        assert!(
            err("[status]\nactive = [\"X\"]\nleft = [\"x\"]\n")
                .starts_with("[status] `x` is listed as both")
        );
        assert!(err("[status]\ngone = [\"X\"]\n").contains("unknown field `gone`"));
        assert!(
            err("[columns]\nS = { field = \"status\", blank = \"clear\" }\n")
                .contains("profile fields only")
        );
    }

    #[test]
    fn group_columns_are_a_list_beside_the_columns() {
        let mapping =
            parse("groups = [\"Department\", \"Team\"]\n[columns]\n\"Department\" = \"team\"\n")
                .unwrap();
        assert_eq!(mapping.groups, ["Department", "Team"]);
        assert_eq!(
            mapping.rule_for("department").unwrap().target,
            Some(Target::Field(Field::Team))
        );
        let err = |text: &str| parse(text).unwrap_err();
        assert_eq!(
            err("[columns]\nDept = \"groups\"\n"),
            "[columns] \"Dept\": `groups` is not a [columns] target: list group columns at the \
             top of the file, `groups = [\"Department\"]` (the column may then feed a field as \
             well)"
        );
        assert_eq!(
            err("groups = [\" \"]\n"),
            "groups: a blank name is not a column; name each group column"
        );
        assert!(err("groups = \"Department\"\n").contains("invalid type"));
    }

    #[test]
    fn a_missing_file_is_named() {
        let err = load(Path::new("/no/such/mapping.toml")).unwrap_err();
        assert!(
            err.starts_with("cannot read the mapping file /no/such/mapping.toml"),
            "{err}"
        );
    }
}
