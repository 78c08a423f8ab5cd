//! Values as a person reads them in the report's `changes` and in the plan on stderr: the text
//! itself (not escapes such as `\u{200d}`), cut with `…` when long; `after` keeps it whole.

use member_sync::sandbox::SandboxConfig;

use crate::util::*;

/// A title with an emoji built with zero-width joiners (U+200D): "Dev 👩‍💻 Lead".
const JOINED: &str = "Dev \u{1f469}\u{200d}\u{1f4bb} Lead";

fn long_title() -> String {
    format!("Head of {}", "Research and Development ".repeat(8))
        .trim_end()
        .to_string()
}

#[test]
fn changes_show_text_as_text_and_cut_long_values() {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(2));
    let long = long_title();
    assert!(long.chars().count() > 150 && long.len() < 255);
    let input = org.input(
        "titles.csv",
        &["email", "job_title"],
        [
            vec!["person1@gen.example".to_string(), JOINED.to_string()],
            vec!["person2@gen.example".to_string(), long.clone()],
            vec![
                format!("not-an-email-{}", "x".repeat(3000)),
                "X".to_string(),
            ],
        ],
    );
    let run = org.plan(&input, &[]);
    run.assert_code(3);

    let joined = report_row(&run.report, 1);
    assert_eq!(
        joined["changes"],
        format!("job_title: \"Analyst\" -> \"{JOINED}\"")
    );
    assert!(!run.stderr.contains("\\u{"), "{}", run.stderr);
    run.assert_stderr_contains(&format!("job_title: \"Analyst\" -> \"{JOINED}\""));

    let cut: String = long.chars().take(79).collect::<String>() + "…";
    let row = report_row(&run.report, 2);
    assert_eq!(
        row["changes"],
        format!("job_title: \"Analyst\" -> \"{cut}\"")
    );
    assert_eq!(json_cell(row, "after")["job_title"], long.as_str());
    run.assert_stderr_contains(&format!(
        "~ person2@gen.example  job_title: \"Analyst\" -> \"{cut}\"\n"
    ));
    assert!(!run.stderr.contains(&long), "{}", run.stderr);

    // An invalid row's problems are cut too; the report has them whole.
    let invalid = run
        .stderr
        .lines()
        .find(|l| l.starts_with("! row 3 invalid: "))
        .expect("the invalid row on stderr");
    assert!(invalid.ends_with('…'), "{invalid}");
    assert!(invalid.chars().count() < 300, "{invalid}");
    assert!(report_row(&run.report, 3)["error"].contains(&"x".repeat(3000)));
}
