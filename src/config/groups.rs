//! The group keys of a profile, beside their flags (`cli::GroupArgs`).

use clap::ValueEnum;

use super::{Filler, Resolved};
use crate::cli::GroupArgs;
use crate::settings::groups::GroupMode;

/// The group settings: flag, else profile, else default (no environment variables, as for the
/// lifecycle keys: which groups a sync may empty is chosen where it can be read).
pub(super) fn fill_groups(
    filler: &Filler<'_>,
    args: &mut GroupArgs,
    resolved: &mut Resolved,
) -> Result<(), String> {
    let p = filler.profile.map(|(_, p)| p);
    let list = |key: fn(&super::Profile) -> &Vec<String>| {
        p.map(|p| key(p).clone()).filter(|list| !list.is_empty())
    };
    let columns = &mut args.columns;
    let origin = filler.fill("groups_from", None, list(|p| &p.groups_from), |list| {
        columns.groups_from = list;
        Ok(())
    })?;
    let shown = match &columns.groups_from[..] {
        [] => "(none: no group is read or written)".into(),
        list => format!("{list:?}"),
    };
    resolved.push(("groups_from", shown, origin));
    let separator = p.and_then(|p| p.groups_separator.clone());
    let origin = filler.fill("groups_separator", None, separator, |text| {
        columns.groups_separator = Some(text);
        Ok(())
    })?;
    let shown = match columns.groups_separator.as_deref() {
        None => "`;` and `,`".into(),
        Some("") => "(none: each cell is one name)".into(),
        Some(text) => format!("{text:?}"),
    };
    resolved.push(("groups_separator", shown, origin));
    let origin = filler.fill("manage_groups", None, list(|p| &p.manage_groups), |list| {
        args.manage_groups = list;
        Ok(())
    })?;
    let shown = match &args.manage_groups[..] {
        [] => "(the groups the export names)".into(),
        list => format!("{list:?}"),
    };
    resolved.push(("manage_groups", shown, origin));
    let mode = p.and_then(|p| p.groups.clone());
    let origin = filler.fill("groups", None, mode, |text| {
        args.mode = GroupMode::from_str(text.trim(), true)
            .map_err(|_| format!("`{text}` is not one of sync, additive"))?;
        Ok(())
    })?;
    let word = args
        .mode
        .to_possible_value()
        .map(|v| v.get_name().to_string());
    resolved.push(("groups", word.unwrap_or_default(), origin));
    let create = p.and_then(|p| p.create_groups);
    let origin = filler.fill("create_groups", None, create, |create| {
        args.create_groups = create;
        Ok(())
    })?;
    resolved.push(("create_groups", args.create_groups.to_string(), origin));
    let limit = p.and_then(|p| p.max_group_removals.as_deref());
    let origin = filler.fill_parsed("max_group_removals", &mut args.max_group_removals, limit)?;
    let shown = args.max_group_removals.to_string();
    resolved.push(("max_group_removals", shown, origin));
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, FromArgMatches};

    use crate::cli::{Cli, Command};
    use crate::config::{Origin, Resolved, apply};
    use crate::guard::groups::RemovalLimit;
    use crate::settings::GroupSync;
    use crate::settings::groups::{GroupMode, GroupPattern, resolve};

    /// `plan people.csv --profile p` with `profile` as the profile, then `flags`: the group
    /// settings, the columns named, and where each came from.
    fn resolved(
        profile: &str,
        flags: &[&str],
    ) -> Result<(Option<GroupSync>, Vec<String>, Resolved), String> {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("member-sync.toml");
        std::fs::write(&config, format!("[profile.p]\n{profile}")).unwrap();
        let config = config.display().to_string();
        let mut argv = vec!["member-sync", "plan", "people.csv", "--profile", "p"];
        argv.extend(["--config", &config]);
        argv.extend_from_slice(flags);
        let matches = Cli::command().try_get_matches_from(argv).unwrap();
        let mut cli = Cli::from_arg_matches(&matches).unwrap();
        let shown = apply(&mut cli, &matches)?;
        let Command::Plan(args) = cli.command else {
            unreachable!()
        };
        let groups = resolve(&args.groups, None).map_err(|e| e.message)?;
        Ok((groups, args.groups.columns.groups_from, shown))
    }

    fn line(shown: &Resolved, name: &str) -> (String, Origin) {
        let (_, value, origin) = shown.iter().find(|(n, _, _)| *n == name).unwrap();
        (value.clone(), origin.clone())
    }

    #[test]
    fn every_key_of_a_profile_fills_its_flag_and_the_flag_wins() {
        let (groups, columns, shown) = resolved(
            "groups_from = [\"Department\", \"Team\"]\ngroups_separator = \"|\"\n\
             manage_groups = [\"Dept: *\"]\ngroups = \"additive\"\ncreate_groups = true\n\
             max_group_removals = \"4\"\n",
            &["--max-group-removals", "10%"],
        )
        .unwrap();
        assert_eq!(columns, ["Department", "Team"]);
        assert_eq!(
            groups,
            Some(GroupSync {
                manage: vec![GroupPattern::new("Dept: *")],
                mode: GroupMode::Additive,
                create: true,
                max_removals: RemovalLimit::Share(0.1),
            })
        );
        let profile = Origin::Profile("p".into());
        assert_eq!(
            line(&shown, "groups_from"),
            ("[\"Department\", \"Team\"]".into(), profile.clone())
        );
        assert_eq!(
            line(&shown, "groups_separator"),
            ("\"|\"".into(), profile.clone())
        );
        assert_eq!(line(&shown, "groups"), ("additive".into(), profile.clone()));
        assert_eq!(line(&shown, "create_groups"), ("true".into(), profile));
        assert_eq!(
            line(&shown, "max_group_removals"),
            ("10%".into(), Origin::Flag)
        );
    }

    #[test]
    fn without_flag_or_key_the_defaults_are_shown_as_such() {
        let (groups, _, shown) = resolved("", &[]).unwrap();
        assert_eq!(groups, None);
        assert_eq!(
            line(&shown, "groups_from"),
            (
                "(none: no group is read or written)".into(),
                Origin::Default
            )
        );
        assert_eq!(
            line(&shown, "groups_separator"),
            ("`;` and `,`".into(), Origin::Default)
        );
        assert_eq!(line(&shown, "groups"), ("sync".into(), Origin::Default));
        assert_eq!(
            line(&shown, "max_group_removals"),
            ("20%".into(), Origin::Default)
        );
        let (_, _, shown) =
            resolved("groups_from = [\"Team\"]\ngroups_separator = \"\"\n", &[]).unwrap();
        assert_eq!(
            line(&shown, "groups_separator"),
            (
                "(none: each cell is one name)".into(),
                Origin::Profile("p".into())
            )
        );
    }

    #[test]
    fn a_bad_key_names_the_profile_the_key_and_what_is_accepted() {
        let refused = |profile: &str| resolved(profile, &[]).unwrap_err();
        assert_eq!(
            refused("groups = \"replace\"\n"),
            "[profile.p] groups: `replace` is not one of sync, additive"
        );
        assert_eq!(
            refused("max_group_removals = \"lots\"\n"),
            "[profile.p] max_group_removals: `lots` is not a number of members (5) or a share (20%)"
        );
        assert!(refused("groups_from = \"Team\"\n").contains("invalid type"));
        assert_eq!(
            refused("create_groups = true\n"),
            "--create-groups is given, but no column names groups"
        );
    }
}
