//! Refusals are final: a 400, 403, 404, 409 or 422 gets one attempt, and the row fails with
//! the server's own words, flattened to one line.

use member_sync::sandbox::{Faults, SandboxConfig, ValidationErrorShape};

use crate::util::*;

#[test]
fn client_errors_get_one_attempt_and_the_servers_message() {
    for shape in [
        ValidationErrorShape::Laravel,
        ValidationErrorShape::ErrorFlag,
    ] {
        let config = SandboxConfig {
            validation_errors: shape,
            faults: Faults {
                refuse: [(1, 400), (2, 403), (3, 404), (4, 409), (5, 422)].into(),
                ..Faults::default()
            },
            ..SandboxConfig::default()
        };
        let org = TestOrg::start(config, generated_seed(8));
        let row = |id: u64, first: &str, country: &str| {
            vec![
                format!("person{id}@gen.example"),
                first.to_string(),
                format!("Title {id}"),
                country.to_string(),
            ]
        };
        let rows = vec![
            row(1, "", ""),
            row(2, "", ""),
            row(3, "", ""),
            row(4, "", ""),
            row(5, "", ""),
            // Rules only the server knows: its list of disallowed names, its country table.
            row(6, "Admin", ""),
            row(7, "", "4000"),
            row(8, "", ""),
        ];
        let headers = ["email", "first_name", "job_title", "country_id"];
        let input = org.input("refused.csv", &headers, rows);

        let run = org.apply(&input, &[]);

        run.assert_code(3);
        let expected = [
            "HTTP 400: This action is not allowed for this member.",
            "HTTP 403: You are not allowed to edit this member.",
            "HTTP 404: Resource not found (RESOURCE_NOT_FOUND)",
            "HTTP 409: No seats are left in this organization's plan. (SEAT_POOL_EXHAUSTED)",
            "HTTP 422: job_title: The job title may not be greater than 255 characters.",
            "HTTP 422: first_name: The first name is not allowed.",
            "HTTP 422: country_id: The selected country id is invalid.",
        ];
        for (i, message) in expected.iter().enumerate() {
            let line = report_row(&run.report, i + 1);
            assert_eq!(
                (line["outcome"].as_str(), line["attempts"].as_str()),
                ("failed", "1"),
                "{shape:?} row {}",
                i + 1
            );
            assert_eq!(line["error"], *message, "{shape:?}");
            assert!(line["request_id"].starts_with("sbx-"), "{line:?}");
        }
        assert_eq!(report_row(&run.report, 8)["outcome"], "updated");
        let puts: Vec<u64> = org
            .requests()
            .iter()
            .filter(|r| r.is("PUT"))
            .filter_map(|r| r.member_id())
            .collect();
        let mut sorted = puts.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (1..=8).collect::<Vec<_>>(), "one PUT per member");
    }
}
