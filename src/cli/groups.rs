//! The group membership flags, as typed: which columns name groups and how their cells are cut
//! ([`GroupColumnArgs`], also read by `validate`), and what a run does with them ([`GroupArgs`],
//! `plan` and `apply` of an export). Resolved into `settings::GroupSync` once the mapping file
//! (which may name group columns too) is read.

use clap::Args;

use crate::guard::groups::RemovalLimit;
use crate::settings::groups::GroupMode;

/// The `--help` heading of these options.
const GROUPS: &str = "Groups (see docs/groups.md)";

/// Which columns name the person's groups, and how a cell is cut into names.
#[derive(Debug, Clone, Default, Args)]
pub struct GroupColumnArgs {
    /// A column whose cells name the groups the person belongs to (one name, or several).
    /// Repeatable: every column named contributes. Matched as headers are (case, spaces, `_`
    /// and `-` aside); wins over the mapping file's `groups`.
    #[arg(long, value_name = "COLUMN", help_heading = GROUPS)]
    pub groups_from: Vec<String>,

    /// What separates group names in a cell; "" keeps each cell whole [default: `;` and `,`]
    #[arg(long, value_name = "SEP", help_heading = GROUPS)]
    pub groups_separator: Option<String>,
}

/// What a run does with the groups the export names.
#[derive(Debug, Clone, Args)]
pub struct GroupArgs {
    #[command(flatten)]
    pub columns: GroupColumnArgs,

    /// The groups whose members member-sync may change: a name, or a pattern with `*` and `?`
    /// (case and spaces aside). Repeatable [default: the groups the export names]
    #[arg(long, value_name = "NAME|GLOB", help_heading = GROUPS)]
    pub manage_groups: Vec<String>,

    /// `sync`: a managed group holds exactly the members the export places there (the others
    /// are removed); `additive`: members are only added.
    #[arg(id = "groups", long = "groups", value_enum, value_name = "MODE", default_value_t = GroupMode::Sync, help_heading = GROUPS)]
    pub mode: GroupMode,

    /// Create a group the export names that does not exist (otherwise its rows say so and
    /// nothing is created).
    #[arg(long, help_heading = GROUPS)]
    pub create_groups: bool,

    /// Write no group (exit 4) if one would lose more members than this: a number, or a share
    /// of its members (never fewer than 1).
    #[arg(long, value_name = "N|P%", default_value = "20%", help_heading = GROUPS)]
    pub max_group_removals: RemovalLimit,
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::{Cli, Command};
    use crate::guard::groups::RemovalLimit;
    use crate::settings::GroupSync;
    use crate::settings::groups::{GroupMode, GroupPattern, resolve};
    use crate::validate::groups::GroupSeparator;

    /// The group settings of `SUBCOMMAND people.csv FLAGS` (no mapping file), and the separator.
    fn parsed(subcommand: &str, flags: &[&str]) -> Result<Option<GroupSync>, String> {
        let mut argv = vec!["member-sync", subcommand, "people.csv"];
        argv.extend_from_slice(flags);
        let cli = Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
        let args = match cli.command {
            Command::Plan(plan) => plan.groups,
            Command::Apply(apply) => apply.groups,
            _ => unreachable!(),
        };
        resolve(&args, None).map_err(|e| e.message)
    }

    #[test]
    fn without_a_group_column_no_group_is_read_or_written() {
        for subcommand in ["plan", "apply"] {
            assert_eq!(parsed(subcommand, &[]), Ok(None));
        }
    }

    #[test]
    fn every_flag_parses_what_it_documents_and_defaults_as_stated() {
        let defaults = parsed("plan", &["--groups-from", "Department"]).unwrap();
        assert_eq!(
            defaults,
            Some(GroupSync {
                manage: Vec::new(),
                mode: GroupMode::Sync,
                create: false,
                max_removals: RemovalLimit::DEFAULT,
            })
        );
        let given = parsed(
            "apply",
            &[
                "--groups-from",
                "Department",
                "--groups-from",
                "Team",
                "--groups-separator",
                "|",
                "--manage-groups",
                "Dept: *",
                "--manage-groups",
                "Sales",
                "--groups",
                "additive",
                "--create-groups",
                "--max-group-removals",
                "3",
            ],
        )
        .unwrap();
        assert_eq!(
            given,
            Some(GroupSync {
                manage: vec![GroupPattern::new("Dept: *"), GroupPattern::new("Sales")],
                mode: GroupMode::Additive,
                create: true,
                max_removals: RemovalLimit::Members(3),
            })
        );
        let share = parsed("apply", &["--groups-from=Team", "--max-group-removals=50%"]);
        assert_eq!(
            share.unwrap().unwrap().max_removals,
            RemovalLimit::Share(0.5)
        );
        assert_eq!(GroupSeparator::from_flag(""), GroupSeparator::Whole);
    }

    #[test]
    fn bad_values_are_refused_saying_what_is_accepted() {
        let cases: [(&[&str], &str); 3] = [
            (
                &["--groups", "replace"],
                "[possible values: sync, additive]",
            ),
            (
                &["--max-group-removals", "lots"],
                "`lots` is not a number of members (5) or a share (20%)",
            ),
            (
                &["--max-group-removals", "150%"],
                "`150%` is not a share between 0% and 100%",
            ),
        ];
        for (flags, message) in cases {
            let error = parsed("apply", flags).unwrap_err();
            assert!(error.contains(message), "{flags:?}: {error}");
        }
    }

    #[test]
    fn a_group_flag_without_a_group_column_is_refused_naming_groups_from() {
        let cases: [(&[&str], &str); 5] = [
            (&["--manage-groups", "Sales"], "--manage-groups"),
            (&["--groups", "additive"], "--groups additive"),
            (&["--create-groups"], "--create-groups"),
            (&["--max-group-removals", "5"], "--max-group-removals"),
            (&["--groups-separator", "|"], "--groups-separator"),
        ];
        for (flags, flag) in cases {
            let error = parsed("plan", flags).unwrap_err();
            assert_eq!(
                error,
                format!("{flag} is given, but no column names groups")
            );
        }
        let cli = Cli::try_parse_from(["member-sync", "plan", "p.csv", "--create-groups"]).unwrap();
        let Command::Plan(plan) = cli.command else {
            unreachable!()
        };
        let hint = resolve(&plan.groups, None).unwrap_err().hint.unwrap();
        assert!(hint.contains("--groups-from COLUMN"), "{hint}");
        let blank = parsed("plan", &["--groups-from", " "]).unwrap_err();
        assert_eq!(
            blank,
            "--groups-from is blank: name the column whose cells name groups"
        );
    }

    #[test]
    fn group_flags_are_refused_with_a_saved_plan_and_unknown_to_rollback() {
        let refused = |argv: &[&str]| Cli::try_parse_from(argv).unwrap_err().to_string();
        let with_plan = refused(&[
            "member-sync",
            "apply",
            "--plan",
            "plan.json",
            "--groups-from",
            "Team",
        ]);
        assert!(
            with_plan.contains("the argument '--plan <PLAN>' cannot be used with"),
            "{with_plan}"
        );
        let with_plan = refused(&[
            "member-sync",
            "apply",
            "--plan",
            "plan.json",
            "--create-groups",
        ]);
        assert!(with_plan.contains("'--create-groups'"), "{with_plan}");
        let rollback = refused(&["member-sync", "rollback", "r.csv", "--groups-from", "Team"]);
        assert!(
            rollback.contains("unexpected argument '--groups-from'"),
            "{rollback}"
        );
        // A saved plan with no group flag still parses.
        assert!(Cli::try_parse_from(["member-sync", "apply", "--plan", "p.json"]).is_ok());
    }
}
