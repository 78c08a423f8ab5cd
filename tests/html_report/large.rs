//! A large run's page lists the first 1,000 rows of each table (the lowest-numbered), and says
//! how many more there are and that the CSV has them all: 100,000 rows must not make a page no
//! browser opens.

use member_sync::sandbox::SandboxConfig;

use super::*;

#[test]
fn each_table_lists_its_first_thousand_rows_and_counts_the_others() {
    let org = TestOrg::start(SandboxConfig::default(), generated_seed(2_500));
    let rows = (1..=2_500).map(|id| {
        let title = if id <= 1_200 {
            format!("Lead {id}")
        } else {
            "Analyst".to_string()
        };
        vec![format!("person{id}@gen.example"), title]
    });
    let input = org.input("large.csv", &["email", "job_title"], rows);
    let html = org.path("large.html");
    let run = org.plan(&input, &["--html", html.to_str().unwrap()]);
    run.assert_code(0);
    let page = page(&html);

    at(&page, "1200 planned</li>");
    at(&page, "1300 unchanged</li>");
    let listed = |id: u64| page.contains(&format!("<td>person{id}@gen.example</td>"));
    // The job_title table: rows 1..=1000 of its 1,200.
    assert!(listed(1) && listed(1_000) && !listed(1_001) && !listed(1_200));
    at(
        &page,
        "200 more rows are not listed here: the report has every row",
    );
    // The unchanged rows: 1201..=2200 of the 1,300.
    assert!(listed(1_201) && listed(2_200) && !listed(2_201));
    at(
        &page,
        "300 more rows are not listed here: the report has every row",
    );
    assert!(page.len() < 2_000_000, "{} bytes", page.len());
}
