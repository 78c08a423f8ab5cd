//! The joiner, leaver and rehire keys of a profile, beside their flags (`cli::LifecycleArgs`).

use super::{Filler, Profile, Resolved};
use crate::cli::LifecycleArgs;
use crate::settings::lifecycle;

/// A count key: its id, the flag's slot, the profile's value, and the flag's own check.
type CountKey<'a> = (
    &'static str,
    &'a mut u32,
    Option<u32>,
    fn(&str) -> Result<u32, String>,
);

/// The joiner, leaver and rehire settings: flag, else profile, else default (no environment
/// variables: a lifecycle action is chosen where it can be read, not inherited).
pub(super) fn fill_lifecycle(
    filler: &Filler<'_>,
    args: &mut LifecycleArgs,
    resolved: &mut Resolved,
) -> Result<(), String> {
    let p = filler.profile.map(|(_, p)| p);
    let text = |key: fn(&Profile) -> &Option<String>| p.and_then(|p| key(p).as_deref());
    let origin = filler.fill_parsed("joiners", &mut args.joiners, text(|p| &p.joiners))?;
    resolved.push(("joiners", args.joiners.to_string(), origin));
    let role = text(|p| &p.invite_role);
    let origin = filler.fill_parsed("invite_role", &mut args.invite_role, role)?;
    resolved.push(("invite_role", args.invite_role.to_string(), origin));
    let message = p.and_then(|p| p.invite_message.clone());
    let origin = filler.fill("invite_message", None, message, |text| {
        args.invite_message = Some(text);
        Ok(())
    })?;
    let shown = args
        .invite_message
        .as_deref()
        .map_or("(the default welcome)".into(), |m| {
            crate::report::shown_text(m, 60)
        });
    resolved.push(("invite_message", shown, origin));
    let counts: [CountKey<'_>; 3] = [
        (
            "max_invites",
            &mut args.max_invites,
            p.and_then(|p| p.max_invites),
            lifecycle::parse_count,
        ),
        (
            "invite_days_before",
            &mut args.invite_days_before,
            p.and_then(|p| p.invite_days_before),
            lifecycle::parse_count,
        ),
        (
            "leaver_grace_runs",
            &mut args.leaver_grace_runs,
            p.and_then(|p| p.leaver_grace_runs),
            lifecycle::parse_grace_runs,
        ),
    ];
    for (id, slot, value, check) in counts {
        let origin = filler.fill(id, None, value, |n| {
            *slot = check(&n.to_string())?;
            Ok(())
        })?;
        resolved.push((id, slot.to_string(), origin));
    }
    let origin = filler.fill_parsed("leavers", &mut args.leavers, text(|p| &p.leavers))?;
    resolved.push(("leavers", args.leavers.to_string(), origin));
    let limit = text(|p| &p.max_leavers);
    let origin = filler.fill_parsed("max_leavers", &mut args.max_leavers, limit)?;
    resolved.push(("max_leavers", args.max_leavers.to_string(), origin));
    let reassign = p.and_then(|p| p.reassign_to.clone());
    let origin = filler.fill("reassign_to", None, reassign, |email| {
        args.reassign_to = Some(lifecycle::parse_reassign_to(&email)?);
        Ok(())
    })?;
    let shown = args.reassign_to.clone().unwrap_or_else(|| "(none)".into());
    resolved.push(("reassign_to", shown, origin));
    let origin = filler.fill_parsed("rehires", &mut args.rehires, text(|p| &p.rehires))?;
    resolved.push(("rehires", args.rehires.to_string(), origin));
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, FromArgMatches};

    use crate::cli::{Cli, Command};
    use crate::config::{Origin, Resolved, apply};
    use crate::guard::LeaverLimit;
    use crate::settings::Lifecycle;
    use crate::settings::lifecycle::{InviteRole, Joiners, Leavers, Rehires};

    /// `apply people.csv --profile p` with `profile` as the profile, then `flags`: the
    /// lifecycle settings and where each came from.
    fn resolved(profile: &str, flags: &[&str]) -> Result<(Lifecycle, Resolved), String> {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("member-sync.toml");
        std::fs::write(&config, format!("[profile.p]\n{profile}")).unwrap();
        let config = config.display().to_string();
        let mut argv = vec!["member-sync", "apply", "people.csv", "--profile", "p"];
        argv.extend(["--config", &config]);
        argv.extend_from_slice(flags);
        let matches = Cli::command().try_get_matches_from(argv).unwrap();
        let mut cli = Cli::from_arg_matches(&matches).unwrap();
        let shown = apply(&mut cli, &matches)?;
        let Command::Apply(args) = cli.command else {
            unreachable!()
        };
        Ok((Lifecycle::resolve(&args.lifecycle).unwrap(), shown))
    }

    #[test]
    fn every_key_of_a_profile_fills_its_flag_and_the_flag_wins() {
        let (lifecycle, shown) = resolved(
            "joiners = \"invite\"\ninvite_role = \"standard\"\ninvite_message = \"Hello\"\n\
             max_invites = 5\ninvite_days_before = 3\nleavers = \"disable\"\n\
             max_leavers = \"2\"\nleaver_grace_runs = 3\nreassign_to = \"Lead@Acme.example\"\n\
             rehires = \"enable\"\n",
            &["--max-invites", "7"],
        )
        .unwrap();
        assert_eq!(
            lifecycle,
            Lifecycle {
                joiners: Joiners::Invite,
                invite_role: InviteRole::Standard,
                invite_message: "Hello".into(),
                max_invites: 7,
                invite_days_before: 3,
                leavers: Leavers::Disable,
                max_leavers: LeaverLimit::Members(2),
                leaver_grace_runs: 3,
                reassign_to: Some("lead@acme.example".into()),
                rehires: Rehires::Enable,
            }
        );
        let origin = |name: &str| {
            shown
                .iter()
                .find(|(n, _, _)| *n == name)
                .map(|(_, value, origin)| (value.clone(), origin.clone()))
                .unwrap()
        };
        assert_eq!(origin("max_invites"), ("7".into(), Origin::Flag));
        assert_eq!(
            origin("leavers"),
            ("disable".into(), Origin::Profile("p".into()))
        );
        assert_eq!(
            origin("max_leavers"),
            ("2".into(), Origin::Profile("p".into()))
        );
    }

    #[test]
    fn without_flag_or_key_the_defaults_are_shown_as_such() {
        let (lifecycle, shown) = resolved("", &[]).unwrap();
        assert_eq!(lifecycle, Lifecycle::default());
        let line = |name: &str| shown.iter().find(|(n, _, _)| *n == name).unwrap().clone();
        assert_eq!(
            line("joiners"),
            ("joiners", "report".into(), Origin::Default)
        );
        assert_eq!(
            line("max_leavers"),
            ("max_leavers", "5%".into(), Origin::Default)
        );
        assert_eq!(
            line("leaver_grace_runs"),
            ("leaver_grace_runs", "2".into(), Origin::Default)
        );
    }

    #[test]
    fn a_bad_key_names_the_profile_the_key_and_what_is_accepted() {
        let refused = |profile: &str| resolved(profile, &[]).unwrap_err();
        assert_eq!(
            refused("leavers = \"delete\"\n"),
            "[profile.p] leavers: `delete` is not one of ignore, report, disable"
        );
        assert_eq!(
            refused("invite_role = \"owner\"\n"),
            "[profile.p] invite_role: `owner` is not one of admin, standard, light"
        );
        assert!(
            refused("leaver_grace_runs = 0\n")
                .starts_with("[profile.p] leaver_grace_runs: 0 is not a number of runs")
        );
        assert!(
            refused("max_leavers = \"many\"\n")
                .starts_with("[profile.p] max_leavers: `many` is not a leaver limit")
        );
        assert!(
            refused("reassign_to = \"lead\"\n")
                .starts_with("[profile.p] reassign_to: `lead` is not an email address")
        );
        assert!(refused("rehire = \"enable\"\n").contains("unknown field `rehire`"));
    }
}
