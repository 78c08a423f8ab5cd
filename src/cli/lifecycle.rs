//! The joiner, leaver and rehire flags of `plan` and `apply`, as typed. They are resolved (the
//! invite message read, the profile's keys filled in) into `settings::Lifecycle`.

use clap::Args;

use crate::guard::LeaverLimit;
use crate::settings::lifecycle::{
    InviteRole, Joiners, Leavers, Rehires, parse_count, parse_grace_runs, parse_reassign_to,
};

/// The `--help` heading of these options.
const LIFECYCLE: &str = "Joiners, leavers and rehires (see docs/lifecycle.md)";

#[derive(Debug, Clone, Args)]
pub struct LifecycleArgs {
    /// A row whose person is not a member: `report` it (`not_found`), or `invite` them. Never
    /// `invite` in an organization provisioned by SCIM.
    #[arg(long, value_enum, value_name = "MODE", default_value_t = Joiners::Report, help_heading = LIFECYCLE)]
    pub joiners: Joiners,

    /// The role of an invite whose row gives none.
    #[arg(long, value_enum, value_name = "ROLE", default_value_t = InviteRole::Light, help_heading = LIFECYCLE)]
    pub invite_role: InviteRole,

    /// The invite's message: the text, or @FILE to read it from a file (at most 5000
    /// characters) [default: a one-line welcome].
    #[arg(long, value_name = "TEXT|@FILE", help_heading = LIFECYCLE)]
    pub invite_message: Option<String>,

    /// Invites per run; the rest end `deferred`, for a later run.
    #[arg(long, value_name = "N", default_value = "10", value_parser = parse_count, help_heading = LIFECYCLE)]
    pub max_invites: u32,

    /// Invite a person only from this many days before the start date of their row.
    #[arg(long, value_name = "N", default_value = "0", value_parser = parse_count, help_heading = LIFECYCLE)]
    pub invite_days_before: u32,

    /// An active member absent from the input, or whose row says they left: `ignore` (only
    /// counted), `report` them (`leaver`), or `disable` them. Never `disable` in an
    /// organization provisioned by SCIM.
    #[arg(long, value_enum, value_name = "MODE", default_value_t = Leavers::Ignore, help_heading = LIFECYCLE)]
    pub leavers: Leavers,

    /// Disable nobody (exit 4) if more leavers than this would be disabled: a number, or a
    /// share of the active members (never fewer than 1). --force does not lift it.
    #[arg(long, value_name = "N|N%", default_value = "5%", help_heading = LIFECYCLE)]
    pub max_leavers: LeaverLimit,

    /// Disable a member only once absent from this many completed runs of the sync in a row.
    #[arg(long, value_name = "K", default_value = "2", value_parser = parse_grace_runs, help_heading = LIFECYCLE)]
    pub leaver_grace_runs: u32,

    /// Remove leavers with their tasks reassigned to this member, instead of only disabling
    /// them.
    #[arg(long, value_name = "EMAIL", value_parser = parse_reassign_to, help_heading = LIFECYCLE)]
    pub reassign_to: Option<String>,

    /// A row whose member is disabled: `report` it (`disabled`), or `enable` the member and
    /// update them.
    #[arg(long, value_enum, value_name = "MODE", default_value_t = Rehires::Report, help_heading = LIFECYCLE)]
    pub rehires: Rehires,
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::{Cli, Command};
    use crate::guard::LeaverLimit;
    use crate::settings::Lifecycle;
    use crate::settings::lifecycle::{InviteRole, Joiners, Leavers, Rehires};

    fn parsed(subcommand: &str, flags: &[&str]) -> Result<Lifecycle, String> {
        let mut argv = vec!["member-sync", subcommand, "people.csv"];
        argv.extend_from_slice(flags);
        let cli = Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
        let args = match cli.command {
            Command::Plan(plan) => plan.lifecycle,
            Command::Apply(apply) => apply.lifecycle,
            _ => unreachable!(),
        };
        Lifecycle::resolve(&args).map_err(|e| e.message)
    }

    fn refused(flags: &[&str]) -> String {
        parsed("apply", flags).unwrap_err()
    }

    #[test]
    fn every_flag_has_its_stated_default_in_plan_and_apply() {
        for subcommand in ["plan", "apply"] {
            let lifecycle = parsed(subcommand, &[]).unwrap();
            assert_eq!(lifecycle, Lifecycle::default());
            assert_eq!(lifecycle.joiners, Joiners::Report);
            assert_eq!(lifecycle.invite_role, InviteRole::Light);
            assert_eq!(lifecycle.max_invites, 10);
            assert_eq!(lifecycle.invite_days_before, 0);
            assert_eq!(lifecycle.leavers, Leavers::Ignore);
            assert_eq!(lifecycle.max_leavers, LeaverLimit::Share(0.05));
            assert_eq!(lifecycle.leaver_grace_runs, 2);
            assert_eq!(lifecycle.reassign_to, None);
            assert_eq!(lifecycle.rehires, Rehires::Report);
            assert!(!lifecycle.invite_message.is_empty());
        }
    }

    #[test]
    fn every_flag_parses_what_it_documents() {
        let lifecycle = parsed(
            "plan",
            &[
                "--joiners",
                "invite",
                "--invite-role",
                "standard",
                "--invite-message",
                "Welcome aboard",
                "--max-invites",
                "25",
                "--invite-days-before",
                "7",
                "--leavers",
                "disable",
                "--max-leavers",
                "3",
                "--leaver-grace-runs",
                "4",
                "--reassign-to",
                "Lead@Acme.example",
                "--rehires",
                "enable",
            ],
        )
        .unwrap();
        assert_eq!(
            lifecycle,
            Lifecycle {
                joiners: Joiners::Invite,
                invite_role: InviteRole::Standard,
                invite_message: "Welcome aboard".into(),
                max_invites: 25,
                invite_days_before: 7,
                leavers: Leavers::Disable,
                max_leavers: LeaverLimit::Members(3),
                leaver_grace_runs: 4,
                reassign_to: Some("lead@acme.example".into()),
                rehires: Rehires::Enable,
            }
        );
        let share = parsed("apply", &["--max-leavers", "10%", "--leavers", "report"]).unwrap();
        assert_eq!(share.max_leavers, LeaverLimit::Share(0.10));
        assert_eq!(share.leavers, Leavers::Report);
        assert_eq!(
            parsed("apply", &["--invite-role", "admin"])
                .unwrap()
                .invite_role,
            InviteRole::Admin
        );
    }

    #[test]
    fn bad_values_are_refused_saying_what_is_accepted() {
        let cases: [(&[&str], &str); 9] = [
            (&["--joiners", "add"], "[possible values: report, invite]"),
            (
                &["--invite-role", "owner"],
                "[possible values: admin, standard, light]",
            ),
            (
                &["--leavers", "delete"],
                "[possible values: ignore, report, disable]",
            ),
            (&["--rehires", "yes"], "[possible values: report, enable]"),
            (
                &["--max-invites=-1"],
                "is not a count: write a whole number, 0 or more",
            ),
            (
                &["--invite-days-before", "a week"],
                "`a week` is not a count",
            ),
            (
                &["--max-leavers", "lots"],
                "`lots` is not a leaver limit: write a number of members (3) or a share of the active members (5%)",
            ),
            (
                &["--leaver-grace-runs", "0"],
                "1 disables at the first absence",
            ),
            (&["--reassign-to", "lead"], "`lead` is not an email address"),
        ];
        for (flags, message) in cases {
            let error = refused(flags);
            assert!(error.contains(message), "{flags:?}: {error}");
        }
        assert_eq!(
            refused(&["--invite-message", " "]),
            "--invite-message is blank: an invite needs a message"
        );
        assert!(
            refused(&["--invite-message", "@/no/such/file"])
                .starts_with("cannot read the --invite-message file /no/such/file")
        );
        assert!(refused(&["--max-leavers", "0%"]).contains("must be above 0% and at most 100%"));
    }
}
