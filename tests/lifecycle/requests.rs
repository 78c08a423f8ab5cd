//! What a lifecycle run shows and sends: the plan's `+ invite`, `- disable` and `^ enable`
//! lines with their counts, and (P1) exactly the operations planned and the list pages, as the
//! sandbox's journal has them.

use super::*;

/// Members 1..=40 and a disabled 50; the input: 1..=38 as they are, 39 with a new title, 50
/// back with a new title, two joiners. Member 40 is absent.
fn directory(org: &TestOrg) -> std::path::PathBuf {
    let mut rows: Vec<Vec<String>> = (1..=38).map(same).collect();
    rows.push(row("person39@gen.example", "First39", "Last39", "Lead"));
    rows.push(row("back@gen.example", "Back", "Again", "Lead"));
    rows.push(row("new1@gen.example", "New", "One", "Lead"));
    rows.push(row("new2@gen.example", "New", "Two", "Lead"));
    input(org, "directory.csv", &[], rows)
}

fn back() -> Value {
    json!({"id": 50, "email": "back@gen.example", "first_name": "Back", "last_name": "Again",
        "job_title": "Analyst", "timezone": "Europe/London", "role": "standard",
        "status": "disabled"})
}

const EVERYTHING: [&str; 8] = [
    "--joiners",
    "invite",
    "--rehires",
    "enable",
    "--leavers",
    "disable",
    "--leaver-grace-runs",
    "1",
];

#[test]
fn the_plan_shows_invites_disables_and_enables_with_their_counts() {
    let org = org_of(40, &[back()], SandboxConfig::default());
    let path = directory(&org);

    let plan = org.plan(&path, &EVERYTHING);

    plan.assert_code(0)
        .assert_stderr_contains("~ person39@gen.example  job_title: \"Analyst\" -> \"Lead\"\n")
        .assert_stderr_contains("^ enable back@gen.example  job_title: \"Analyst\" -> \"Lead\"\n")
        .assert_stderr_contains("+ invite new1@gen.example\n")
        .assert_stderr_contains("+ invite new2@gen.example\n")
        .assert_stderr_contains("- disable person40@gen.example\n")
        .assert_stderr_contains(
            "plan for lifecycle-org (41 members): 1 to update, 2 to invite, 1 to enable, 1 to \
             disable, 38 unchanged, 0 invalid, 0 not found\n",
        );
    let planned: Vec<(&str, &str)> = plan
        .report
        .iter()
        .filter(|line| line["outcome"] == "planned")
        .map(|line| (line["email"].as_str(), line["action"].as_str()))
        .collect();
    assert_eq!(
        planned,
        [
            ("person39@gen.example", "update"),
            ("back@gen.example", "enable+update"),
            ("new1@gen.example", "invite"),
            ("new2@gen.example", "invite"),
            ("person40@gen.example", "disable"),
        ]
    );
    assert!(writes(&org).is_empty());
}

/// P1 for lifecycle: the requests are the operations planned and the list pages, nothing
/// else (no read before a write, no check after it).
#[test]
fn a_lifecycle_run_sends_the_operations_planned_and_the_list_pages_nothing_else() {
    let org = org_of(40, &[back()], SandboxConfig::default());
    let path = directory(&org);

    let run = org.apply(&path, &EVERYTHING);

    run.assert_code(0);
    let mut sent = writes(&org);
    sent.sort();
    let mut planned = vec![
        write("PUT", "/users/39"),
        write("PUT", "/users/50/enable"),
        write("PUT", "/users/50"),
        write("POST", "/users/invite"),
        write("POST", "/users/invite"),
        write("DELETE", "/users/40/disable"),
    ];
    planned.sort();
    assert_eq!(sent, planned);
    let reads: Vec<_> = org
        .journal()
        .into_iter()
        .filter(|e| e.method == "GET")
        .collect();
    let pages: Vec<u64> = reads
        .iter()
        .map(|e| {
            let query = e.query.as_deref().unwrap_or_default();
            assert!(
                !query.contains("q="),
                "no search without a lost answer: {query}"
            );
            let page = query
                .split('&')
                .find_map(|pair| pair.strip_prefix("page="))
                .expect("a list page");
            page.parse().unwrap()
        })
        .collect();
    let per_page: u64 = reads[0]
        .query
        .as_deref()
        .and_then(|q| q.split('&').find_map(|pair| pair.strip_prefix("per_page=")))
        .and_then(|n| n.parse().ok())
        .expect("per_page");
    let expected: Vec<u64> = (1..=41u64.div_ceil(per_page)).collect();
    let mut sorted = pages.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, expected, "each page once");
    let summary = format!("{} requests (0 retries", planned.len() + pages.len());
    run.assert_stderr_contains(&summary);
    run.assert_stderr_contains("1 updated, 38 unchanged, 2 invited, 1 enabled, 1 disabled");
}
