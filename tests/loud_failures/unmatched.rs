//! Item 7: a run whose rows match (almost) no member is a wrong key column, organization or
//! file, not a quiet night: a warning naming the likely causes, and `apply` exits 5 unless
//! `--allow-unmatched` (or the profile's `allow_unmatched`) says it is expected.

use member_sync::sandbox::SandboxConfig;

use super::partly_matching;
use crate::util::*;

fn org(members: u64) -> TestOrg {
    TestOrg::start(SandboxConfig::default(), generated_seed(members))
}

const CAUSES: &str = "wrong key column, wrong organization or wrong file?";

#[test]
fn an_apply_that_matched_nobody_warns_and_exits_5() {
    let org = org(10);
    let input = partly_matching(&org, "personal.csv", 5, 0);

    let run = org.apply(&input, &["-q"]);

    run.assert_code(5);
    run.assert_stderr_contains(
        "warning: none of the 5 valid rows matched a member of generated-org (10 members)",
    );
    run.assert_stderr_contains("rows are matched by column 1 `email`");
    run.assert_stderr_contains(CAUSES);
    run.assert_stderr_contains("--allow-unmatched");
    assert_eq!(outcome_counts(&run.report), counts(&[("not_found", 5)]));
}

#[test]
fn plan_warns_too_and_keeps_its_exit_code() {
    let org = org(10);
    let input = partly_matching(&org, "personal.csv", 5, 0);

    let run = org.plan(&input, &[]);

    run.assert_code(0);
    run.assert_stderr_contains("warning: none of the 5 valid rows matched a member");
    run.assert_stderr_contains(CAUSES);
}

#[test]
fn under_half_of_ten_or_more_rows_is_too_few() {
    let org = org(20);
    let few = partly_matching(&org, "few.csv", 20, 9);
    let run = org.apply(&few, &[]);
    run.assert_code(5);
    run.assert_stderr_contains(
        "warning: only 9 of the 20 valid rows (45%) matched a member of generated-org (20 members)",
    );
    // The rows that matched were applied all the same.
    assert_eq!(
        outcome_counts(&run.report),
        counts(&[("updated", 9), ("not_found", 11)])
    );

    // Half is enough.
    let half = partly_matching(&org, "half.csv", 20, 10);
    let run = org.apply(&half, &[]);
    run.assert_code(0);
    assert!(!run.stderr.contains("matched a member"), "{}", run.stderr);

    // Under ten rows, only a run that matched nobody is suspicious. (Another org: this one's
    // source-shrink guard remembers 20 rows.)
    let other = self::org(20);
    let small = partly_matching(&other, "small.csv", 9, 1);
    other.apply(&small, &[]).assert_code(0);
}

#[test]
fn allow_unmatched_says_it_is_expected_on_the_command_line_or_in_a_profile() {
    let org = org(10);
    let input = partly_matching(&org, "personal.csv", 5, 0);

    let run = org.apply(&input, &["--allow-unmatched"]);
    run.assert_code(0);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);

    let config = org.path("member-sync.toml");
    std::fs::write(&config, "[profile.partial]\nallow_unmatched = true\n").unwrap();
    let run = org.apply(
        &input,
        &["--config", config.to_str().unwrap(), "--profile", "partial"],
    );
    run.assert_code(0);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
}

#[test]
fn invalid_rows_are_not_counted_as_unmatched() {
    // Every row invalid: the list of invalid rows says it all; no claim about matching.
    let org = org(10);
    let rows = (1..=10).map(|n| vec![format!("person{n}@gen.example"), "Mars/Olympus".into()]);
    let input = org.input("zones.csv", &["email", "timezone"], rows);

    let run = org.apply(&input, &[]);

    run.assert_code(3);
    assert!(!run.stderr.contains("matched a member"), "{}", run.stderr);
}

#[test]
fn a_run_that_matched_too_few_is_not_the_next_runs_baseline() {
    // A wrong file five times the size of the organization...
    let org = org(20);
    let wrong = partly_matching(&org, "wrong.csv", 100, 0);
    org.apply(&wrong, &[]).assert_code(5);

    // ...does not make the right file look shrunken to the source-shrink guard.
    let right = partly_matching(&org, "right.csv", 20, 20);
    let run = org.apply(&right, &[]);
    run.assert_code(0);
    assert_eq!(outcome_counts(&run.report), counts(&[("updated", 20)]));
}
