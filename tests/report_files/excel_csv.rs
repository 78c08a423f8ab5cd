//! A CSV report opened in Excel and saved again as "CSV UTF-8" comes back with a byte-order
//! mark and CRLF line ends: `rollback` still reads it (the report itself is written without a
//! BOM; see docs/report.md, "Opening the report in a spreadsheet").

use member_sync::sandbox::SandboxConfig;

use crate::util::*;

#[test]
fn a_report_saved_again_by_excel_reads_back() {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(3));
    let rows = [
        ["person1@gen.example", "Zoë"],
        ["person2@gen.example", "=1+1"],
    ];
    let input = org.input(
        "in.csv",
        &["email", "job_title"],
        rows.iter().map(|r| r.to_vec()),
    );
    let run = org.apply(&input, &[]);
    run.assert_code(0);
    let text = run.report_text();
    assert!(!text.starts_with('\u{feff}'));
    let resaved = org.path("resaved.csv");
    let excel = format!("\u{feff}{}", text.replace("\n", "\r\n"));
    std::fs::write(&resaved, excel).unwrap();

    let undo = org.run_command("rollback", &resaved, &[]);
    undo.assert_code(0);
    assert_eq!(outcome_counts(&undo.report), counts(&[("updated", 2)]));
    for id in 1..=2 {
        assert_eq!(org.member(id)["job_title"], "Analyst");
    }
}
