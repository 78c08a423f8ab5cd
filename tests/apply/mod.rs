//! `member-sync apply`, end to end against the sandbox: what the report says, what the
//! organization looks like afterwards, and which requests were sent.

mod stopping;

use std::collections::BTreeMap;

use member_sync::sandbox::{PaginationLinks, SandboxConfig, Seed};

use crate::util::scenario::{comparable, twenty_changes};
use crate::util::*;

#[test]
fn sandbox_flag_runs_the_sample() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.csv");
    let run = Run::of(
        member_sync()
            .arg("apply")
            .arg(sample_export())
            .args(["--sandbox", "--yes", "--rate", "1000/s", "--report"])
            .arg(&report),
        report,
    );

    // The sample includes a bot (1059) and a multi-org member (1060): both refused with 403.
    run.assert_code(3);
    assert_eq!(row_numbers(&run.report), (1..=44).collect::<Vec<_>>());
    assert_eq!(
        outcome_counts(&run.report),
        counts(&[
            ("updated", 12),
            ("unchanged", 22),
            ("invalid", 6),
            ("not_found", 2),
            ("failed", 2),
        ])
    );
    let failed: BTreeMap<&str, &str> = run
        .report
        .iter()
        .filter(|r| r["outcome"] == "failed")
        .map(|r| (r["user_id"].as_str(), r["http_status"].as_str()))
        .collect();
    assert_eq!(failed, BTreeMap::from([("1059", "403"), ("1060", "403")]));
}

#[test]
fn end_state_equals_desired_state() {
    let org = TestOrg::embedded();
    let scenario = twenty_changes(&org, &[]);

    let run = org.apply(&scenario.input, &[]);

    run.assert_code(0);
    for member in org.members() {
        let id = member["id"].as_u64().unwrap();
        match scenario.expected.get(&id) {
            Some(want) => assert_eq!(comparable(&member), comparable(want), "member {id}"),
            None => assert_eq!(
                member, scenario.before[&id],
                "member {id} is not in the input"
            ),
        }
    }
}

#[test]
fn puts_equal_changed_members() {
    let org = TestOrg::embedded();
    let scenario = twenty_changes(&org, &[]);

    org.apply(&scenario.input, &[]).assert_code(0);

    let requests = org.requests();
    let mut profile_puts: Vec<u64> = requests
        .iter()
        .filter(|r| r.is_profile_update())
        .map(|r| r.member_id().unwrap())
        .collect();
    let mut role_puts: Vec<u64> = requests
        .iter()
        .filter(|r| r.is_role_change())
        .map(|r| r.member_id().unwrap())
        .collect();
    profile_puts.sort_unstable();
    role_puts.sort_unstable();
    assert_eq!(
        profile_puts,
        scenario.profile_changes().into_iter().collect::<Vec<_>>()
    );
    assert_eq!(
        role_puts,
        scenario.role_changes().into_iter().collect::<Vec<_>>()
    );
    assert!(!role_puts.is_empty(), "the scenario changes some roles");
    let others: Vec<&Request> = requests
        .iter()
        .filter(|r| !r.is_profile_update() && !r.is_role_change())
        .collect();
    assert!(
        others.iter().all(|r| r.is("GET") && r.route == "/users"),
        "only list pages are read: {others:?}"
    );
    assert!(requests.iter().all(|r| r.status == 200), "{requests:?}");
}

#[test]
fn second_run_sends_nothing() {
    let org = TestOrg::embedded();
    let scenario = twenty_changes(&org, &[]);
    org.apply(&scenario.input, &[]).assert_code(0);
    let first_run = org.journal().len();

    let again = org.apply(&scenario.input, &[]);

    again.assert_code(0);
    let sent = org.requests_after(first_run);
    assert!(sent.iter().all(|r| r.is("GET")), "{sent:?}");
    assert_eq!(outcome_counts(&again.report), counts(&[("unchanged", 20)]));
}

#[test]
fn invalid_and_duplicate_rows_are_never_sent() {
    let org = TestOrg::embedded();
    let headers = ["email", "first_name", "job_title", "timezone", "role"];
    let rows = vec![
        // 1: valid, so the run does send something.
        vec!["amelia.hart@acme.example", "", "Head of DevOps", "", ""],
        // 2: a time zone that does not exist.
        vec![
            "jose.garcia@acme.example",
            "",
            "Sales Lead",
            "Mars/Olympus",
            "",
        ],
        // 3: a first name of 34 characters (at most 32).
        vec![
            "zoe.fischer@acme.example",
            "Maximiliane-Alexandra-Friederike-X",
            "",
            "",
            "",
        ],
        // 4: no such role.
        vec!["lukasz.nowak@acme.example", "", "Analyst", "", "superuser"],
        // 5 and 6: the same member twice, in different casing, both with changes.
        vec!["nguyen.thilan@acme.example", "", "Recruiter", "", ""],
        vec!["NGUYEN.THILAN@ACME.EXAMPLE", "", "Senior Recruiter", "", ""],
    ];
    let input = org.input("invalid.csv", &headers, rows);

    let run = org.apply(&input, &[]);

    run.assert_code(3);
    assert_eq!(
        outcome_counts(&run.report),
        counts(&[("updated", 1), ("invalid", 5)])
    );
    for row in 2..=6 {
        let line = report_row(&run.report, row);
        assert_eq!(line["outcome"], "invalid", "row {row}: {line:?}");
        assert!(!line["error"].is_empty(), "row {row} says why");
    }
    assert!(report_row(&run.report, 5)["error"].contains("row 6"));
    assert!(report_row(&run.report, 6)["error"].contains("row 5"));
    let puts: Vec<u64> = org
        .requests()
        .iter()
        .filter(|r| r.is("PUT"))
        .filter_map(Request::member_id)
        .collect();
    assert_eq!(puts, [1001], "only the valid row is sent");
}

#[test]
fn pagination_with_a_small_page_cap() {
    let config = SandboxConfig {
        per_page_cap: 7,
        ..SandboxConfig::default()
    };
    let org = TestOrg::start(config, Seed::embedded());
    let members = org.members();
    let rows = members.iter().map(|m| {
        let email = m["email"].as_str().unwrap();
        vec![email.to_uppercase(), "Synced".to_string()]
    });
    let input = org.input("everyone.csv", &["email", "team"], rows);

    let run = org.plan(&input, &[]);

    run.assert_code(0);
    assert_eq!(run.report.len(), members.len());
    // The two invited members are `pending` and the disabled one `disabled`: found all the
    // same, never updated until they join or come back (docs/lifecycle.md).
    let found = [("planned", 57), ("pending", 2), ("disabled", 1)];
    assert_eq!(outcome_counts(&run.report), counts(&found));
    let mut matched: Vec<u64> = run
        .report
        .iter()
        .map(|r| r["user_id"].parse().unwrap())
        .collect();
    matched.sort_unstable();
    let ids: Vec<u64> = members.iter().map(|m| m["id"].as_u64().unwrap()).collect();
    assert_eq!(matched, ids, "every member is found, each once");
    let pages = org.requests().iter().filter(|r| r.is("GET")).count();
    assert_eq!(pages, 60usize.div_ceil(7), "one request per page of 7");
}

#[test]
fn every_pagination_links_shape_reads_the_whole_list() {
    for links in [
        PaginationLinks::Object,
        PaginationLinks::EmptyArray,
        PaginationLinks::Null,
    ] {
        let config = SandboxConfig {
            per_page_cap: 25,
            pagination_links: links,
            ..SandboxConfig::default()
        };
        let org = TestOrg::start(config, Seed::embedded());
        let rows = org.members().into_iter().map(|m| {
            vec![
                m["email"].as_str().unwrap().to_string(),
                "Synced".to_string(),
            ]
        });
        let input = org.input("everyone.csv", &["email", "team"], rows);

        let run = org.plan(&input, &[]);

        run.assert_code(0);
        // Invited members are `pending`, the disabled one `disabled`: found, not updated.
        assert_eq!(
            outcome_counts(&run.report),
            counts(&[("planned", 57), ("pending", 2), ("disabled", 1)]),
            "{links:?}"
        );
    }
}

#[test]
fn a_token_refused_on_the_member_list_still_reports_every_row() {
    let org = TestOrg::embedded();
    let report = org.fresh_report_path();
    let mut command = org.command("apply", &sample_export(), &report);
    command.env("TALLYFY_ACCESS_TOKEN", "tok-not-this-one");

    let run = Run::of(&mut command, report);

    run.assert_code(1);
    run.assert_stderr_contains("the access token was refused");
    assert_eq!(row_numbers(&run.report), (1..=44).collect::<Vec<_>>());
    assert_eq!(
        outcome_counts(&run.report),
        counts(&[("cancelled", 38), ("invalid", 6)])
    );
    assert!(
        org.requests().iter().all(|r| r.is("GET")),
        "nothing written"
    );
}

#[test]
fn an_untrusted_certificate_stops_at_the_first_handshake_and_points_to_ca_cert() {
    let config = SandboxConfig {
        tls: Some(test_tls()),
        ..SandboxConfig::default()
    };
    let org = TestOrg::start(config, Seed::embedded());

    let run = org.apply(&sample_export(), &[]);

    run.assert_code(1);
    run.assert_stderr_contains("the server's certificate was refused");
    run.assert_stderr_contains("UnknownIssuer");
    run.assert_stderr_contains("give its certificate authority with --ca-cert");
    // One handshake, not one per retry: a certificate does not become trusted by waiting.
    assert_eq!(org.connections(), 1);
    assert!(org.journal().is_empty());
    assert_eq!(
        outcome_counts(&run.report),
        counts(&[("cancelled", 38), ("invalid", 6)])
    );

    // A CA given (here by the environment) that does not vouch for the server: said so.
    let server_itself = tls_fixture("server.pem");
    let report = org.fresh_report_path();
    let mut command = org.command("apply", &sample_export(), &report);
    command.env("MEMBER_SYNC_CA_CERT", &server_itself);
    let run = Run::of(&mut command, report);
    run.assert_code(1);
    run.assert_stderr_contains("the server's certificate was refused");
    run.assert_stderr_contains("do not vouch for this server");
}

#[test]
fn plain_http_behind_an_https_url_is_not_called_a_certificate_problem() {
    let org = TestOrg::embedded();
    let https = org.base_url().replace("http://", "https://");
    let dir = tempfile::tempdir().unwrap();
    let mut command = member_sync();
    command
        .arg("plan")
        .arg(sample_export())
        .args([
            "--base-url",
            &https,
            "--org",
            org.org_id(),
            "--max-retries",
            "0",
        ])
        .env("TALLYFY_ACCESS_TOKEN", org.token())
        .current_dir(dir.path());

    let run = Run::of(&mut command, dir.path().join("report.csv"));

    run.assert_code(1);
    run.assert_stderr_contains("connection failed");
    assert!(!run.stderr.contains("certificate"), "{}", run.stderr);
    assert!(!run.stderr.contains("--ca-cert"), "{}", run.stderr);
}

#[test]
fn sandbox_ignores_a_real_connection_in_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.csv");
    let mut command = member_sync();
    command
        .args(["plan", "--sandbox", "--rate", "1000/s"])
        .arg(sample_export())
        .arg("--report")
        .arg(&report)
        .env("TALLYFY_ORG_ID", "a-real-org")
        .env("TALLYFY_BASE_URL", "https://go.tallyfy.com/api")
        .env("TALLYFY_ACCESS_TOKEN", "a-real-token");

    let run = Run::of(&mut command, report);

    run.assert_code(3);
    assert_eq!(run.report.len(), 44);
}
