//! The joiner, leaver and rehire settings of a run, resolved into one [`Lifecycle`].
//!
//! Every lifecycle action is opt-in: by default a joiner is reported (`not_found`), a leaver
//! ignored (only counted in the summary) and a rehire reported, so upgrading member-sync never
//! starts inviting or disabling anyone. An organization provisioned by SCIM must keep it that
//! way (docs/lifecycle.md). The planner reads the resolved values; nothing else looks at the
//! flags. Each mode is a plain enum with its own words, shared by the flag (clap) and the
//! profile key (`FromStr`), so both refuse the same values with the same list.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::cli::LifecycleArgs;
use crate::guard::{DEFAULT_MAX_INVITES, LeaverLimit};
use crate::validate::employment::Reading;

use super::SettingsError;

/// `--joiners`: what to do with a valid row whose person is not a member.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Joiners {
    /// Report the row (`not_found`); invite nobody.
    #[default]
    Report,
    /// Invite the person (`POST /users/invite`), at most --max-invites a run.
    Invite,
}

/// `--invite-role`: the role of an invited person whose row gives none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum InviteRole {
    Admin,
    Standard,
    #[default]
    Light,
}

impl InviteRole {
    /// The role as Tallyfy's API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            InviteRole::Admin => "admin",
            InviteRole::Standard => "standard",
            InviteRole::Light => "light",
        }
    }
}

/// `--leavers`: what to do with an active member absent from the input, or whose row says the
/// person has left.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Leavers {
    /// Do nothing; the summary says how many there are.
    #[default]
    Ignore,
    /// List them in the report (`leaver`); send nothing.
    Report,
    /// Disable them (`DELETE /users/{id}/disable`), within the safety nets.
    Disable,
}

/// `--rehires`: what to do with a row whose member is disabled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Rehires {
    /// Report the row (`disabled`), with the hint to enable them.
    #[default]
    Report,
    /// Enable the member (`PUT /users/{id}/enable`), then update them.
    Enable,
}

/// The words of a mode enum, for profile keys and messages.
fn mode_words<T: clap::ValueEnum>() -> Vec<String> {
    T::value_variants()
        .iter()
        .filter_map(|v| v.to_possible_value())
        .map(|v| v.get_name().to_string())
        .collect()
}

/// A mode from a profile's text: its words, whatever the case.
fn parse_mode<T: clap::ValueEnum>(text: &str) -> Result<T, String> {
    T::from_str(text.trim(), true)
        .map_err(|_| format!("`{text}` is not one of {}", mode_words::<T>().join(", ")))
}

/// The mode's word, as typed on the command line.
fn mode_word<T: clap::ValueEnum>(value: &T) -> String {
    value
        .to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_string())
}

macro_rules! mode_text {
    ($($mode:ty),*) => {$(
        impl FromStr for $mode {
            type Err = String;
            fn from_str(text: &str) -> Result<$mode, String> {
                parse_mode(text)
            }
        }
        impl fmt::Display for $mode {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&mode_word(self))
            }
        }
    )*};
}
mode_text!(Joiners, InviteRole, Leavers, Rehires);

/// The message of an invite when `--invite-message` is not given (Tallyfy requires one).
pub const DEFAULT_INVITE_MESSAGE: &str =
    "You are invited to join your organization's workspace on Tallyfy.";

/// Tallyfy's limit on an invite's message, in characters.
pub const INVITE_MESSAGE_MAX: usize = 5000;

/// `--leaver-grace-runs`' default: absent from two completed runs in a row.
pub const DEFAULT_GRACE_RUNS: u32 = 2;

/// Every joiner, leaver and rehire setting of a run, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Lifecycle {
    pub joiners: Joiners,
    /// The role of an invite whose row has none.
    pub invite_role: InviteRole,
    /// The invite's text (a `@FILE` already read).
    pub invite_message: String,
    /// Invites per run; the rest are `deferred` (`guard::invite_deferred`).
    pub max_invites: u32,
    /// An invite waits until this many days before the row's start date.
    pub invite_days_before: u32,
    pub leavers: Leavers,
    /// Past this, the run disables nobody and exits 4 (`guard::check_leaver_count`).
    pub max_leavers: LeaverLimit,
    /// Consecutive completed runs a member must be absent from before a disable
    /// (`state::LeaverGrace`).
    pub leaver_grace_runs: u32,
    /// Remove leavers with their tasks reassigned to this member (lower-cased email), instead
    /// of only disabling them.
    pub reassign_to: Option<String>,
    pub rehires: Rehires,
}

impl Default for Lifecycle {
    fn default() -> Lifecycle {
        Lifecycle {
            joiners: Joiners::Report,
            invite_role: InviteRole::Light,
            invite_message: DEFAULT_INVITE_MESSAGE.to_string(),
            max_invites: DEFAULT_MAX_INVITES,
            invite_days_before: 0,
            leavers: Leavers::Ignore,
            max_leavers: LeaverLimit::DEFAULT,
            leaver_grace_runs: DEFAULT_GRACE_RUNS,
            reassign_to: None,
            rehires: Rehires::Report,
        }
    }
}

impl Lifecycle {
    /// How the input's status and date cells are read: strictly when a setting of this run
    /// acts on them (an unreadable one makes its row invalid), leniently otherwise (warned
    /// about, left unknown), so a profile sync is not stopped by a column it never uses.
    pub fn employment_reading(&self) -> Reading {
        let reads = self.joiners == Joiners::Invite
            || self.leavers != Leavers::Ignore
            || self.rehires == Rehires::Enable
            || self.invite_days_before > 0;
        match reads {
            true => Reading::Strict,
            false => Reading::Lenient,
        }
    }

    /// The flags (and the profile keys `config` filled in), checked; `--invite-message @FILE`
    /// is read here, so a missing file stops the run before anything is sent.
    pub fn resolve(args: &LifecycleArgs) -> Result<Lifecycle, SettingsError> {
        Ok(Lifecycle {
            joiners: args.joiners,
            invite_role: args.invite_role,
            invite_message: match &args.invite_message {
                Some(text) => invite_message(text)?,
                None => DEFAULT_INVITE_MESSAGE.to_string(),
            },
            max_invites: args.max_invites,
            invite_days_before: args.invite_days_before,
            leavers: args.leavers,
            max_leavers: args.max_leavers,
            leaver_grace_runs: args.leaver_grace_runs,
            reassign_to: args.reassign_to.clone(),
            rehires: args.rehires,
        })
    }
}

/// `--invite-message`: the text, or `@FILE` for a file's (`@@` for a text starting with `@`);
/// not blank, at most [`INVITE_MESSAGE_MAX`] characters.
pub fn invite_message(arg: &str) -> Result<String, SettingsError> {
    let error = |message: String| SettingsError {
        message,
        hint: Some(
            "give the text itself, or @FILE to read it from a file (UTF-8); @@ starts a text \
             with @"
                .into(),
        ),
    };
    let (text, from) = match arg.strip_prefix('@') {
        Some(rest) if rest.starts_with('@') => (rest.to_string(), None),
        Some(path) => {
            let shown = Path::new(path).display().to_string();
            let text = std::fs::read_to_string(path).map_err(|e| {
                error(format!(
                    "cannot read the --invite-message file {shown}: {e}"
                ))
            })?;
            (text, Some(shown))
        }
        None => (arg.to_string(), None),
    };
    let what = from.map_or("--invite-message".to_string(), |file| {
        format!("the --invite-message file {file}")
    });
    let text = text
        .trim()
        .trim_start_matches('\u{feff}')
        .trim()
        .to_string();
    if text.is_empty() {
        return Err(error(format!("{what} is blank: an invite needs a message")));
    }
    let length = text.chars().count();
    if length > INVITE_MESSAGE_MAX {
        return Err(error(format!(
            "{what} has {length} characters; Tallyfy takes at most {INVITE_MESSAGE_MAX}"
        )));
    }
    Ok(text)
}

/// `--leaver-grace-runs`: 1 or more (the run that finds the absence counts as one).
pub fn parse_grace_runs(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(0) => Err(
            "0 is not a number of runs: the run that finds a member absent is the first, so 1 \
             disables at the first absence"
                .into(),
        ),
        Ok(runs) => Ok(runs),
        Err(_) => Err(format!(
            "`{text}` is not a number of runs: write how many completed runs in a row a member \
             must be absent from (2)"
        )),
    }
}

/// `--max-invites` and `--invite-days-before`: a count, 0 or more.
pub fn parse_count(text: &str) -> Result<u32, String> {
    text.trim()
        .parse::<u32>()
        .map_err(|_| format!("`{text}` is not a count: write a whole number, 0 or more"))
}

/// `--reassign-to`: a member's email, lower-cased.
pub fn parse_reassign_to(text: &str) -> Result<String, String> {
    crate::validate::keys::parse_email(crate::fields::trim_cell(text)).map_err(|rule| {
        format!(
            "`{}` {rule}: name the member who takes over leavers' tasks",
            text.trim()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_read_their_words_in_any_case_and_name_them_otherwise() {
        assert_eq!("Invite".parse(), Ok(Joiners::Invite));
        assert_eq!(" disable ".parse(), Ok(Leavers::Disable));
        assert_eq!("ENABLE".parse(), Ok(Rehires::Enable));
        assert_eq!(
            "standard".parse::<InviteRole>().map(InviteRole::as_str),
            Ok("standard")
        );
        assert_eq!(
            "delete".parse::<Leavers>(),
            Err("`delete` is not one of ignore, report, disable".into())
        );
        assert_eq!(
            "owner".parse::<InviteRole>(),
            Err("`owner` is not one of admin, standard, light".into())
        );
        assert_eq!(Leavers::Disable.to_string(), "disable");
    }

    #[test]
    fn status_and_date_cells_are_read_strictly_only_when_a_setting_acts_on_them() {
        let reading = |edit: fn(&mut Lifecycle)| {
            let mut lifecycle = Lifecycle::default();
            edit(&mut lifecycle);
            lifecycle.employment_reading()
        };
        assert_eq!(reading(|_| {}), Reading::Lenient);
        assert_eq!(reading(|l| l.leavers = Leavers::Report), Reading::Strict);
        assert_eq!(reading(|l| l.leavers = Leavers::Disable), Reading::Strict);
        assert_eq!(reading(|l| l.joiners = Joiners::Invite), Reading::Strict);
        assert_eq!(reading(|l| l.rehires = Rehires::Enable), Reading::Strict);
        assert_eq!(reading(|l| l.invite_days_before = 3), Reading::Strict);
        // Settings that read no cell of the input.
        assert_eq!(reading(|l| l.max_invites = 2), Reading::Lenient);
        assert_eq!(reading(|l| l.leaver_grace_runs = 5), Reading::Lenient);
    }

    #[test]
    fn counts_and_grace_runs_refuse_what_means_nothing() {
        assert_eq!(parse_grace_runs("3"), Ok(3));
        assert!(
            parse_grace_runs("0")
                .unwrap_err()
                .contains("1 disables at the first absence")
        );
        assert!(
            parse_grace_runs("two")
                .unwrap_err()
                .starts_with("`two` is not a number of runs")
        );
        assert_eq!(parse_count("0"), Ok(0));
        assert!(parse_count("-1").unwrap_err().contains("0 or more"));
        assert_eq!(
            parse_reassign_to(" Lead@Acme.example "),
            Ok("lead@acme.example".into())
        );
        assert!(
            parse_reassign_to("lead")
                .unwrap_err()
                .starts_with("`lead` is not an email address")
        );
    }

    #[test]
    fn an_invite_message_is_text_or_a_file_never_blank_or_too_long() {
        assert_eq!(invite_message(" Welcome! ").unwrap(), "Welcome!");
        assert_eq!(invite_message("@@team").unwrap(), "@team");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("invite.txt");
        std::fs::write(&file, "\u{feff}Welcome to Acme.\n").unwrap();
        let arg = format!("@{}", file.display());
        assert_eq!(invite_message(&arg).unwrap(), "Welcome to Acme.");
        let missing = invite_message("@/no/such/invite.txt").unwrap_err();
        assert!(
            missing
                .message
                .starts_with("cannot read the --invite-message file /no/such/invite.txt"),
            "{}",
            missing.message
        );
        assert!(missing.hint.unwrap().contains("@FILE"));
        assert_eq!(
            invite_message("  ").unwrap_err().message,
            "--invite-message is blank: an invite needs a message"
        );
        std::fs::write(&file, "x".repeat(5001)).unwrap();
        assert_eq!(
            invite_message(&arg).unwrap_err().message,
            format!(
                "the --invite-message file {} has 5001 characters; Tallyfy takes at most 5000",
                file.display()
            )
        );
    }
}
