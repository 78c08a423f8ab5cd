//! Joiners: reported or invited, at most `--max-invites` a run, held back by a start date,
//! never invited twice (an invitation pending, an answer lost), and what the invite cap and a
//! full seat pool do to the rest of the run.

use std::time::Duration;

use member_sync::sandbox::{
    Faults, InviteCap, LifecycleCall, SandboxConfig, ScriptedFault, ScriptedKind,
};

use super::*;

fn joiners(org: &TestOrg, emails: &[&str]) -> std::path::PathBuf {
    let mut rows = vec![same(1), same(2)];
    rows.extend(emails.iter().map(|email| row(email, "New", "Hire", "Lead")));
    input(org, "joiners.csv", &[], rows)
}

#[test]
fn a_joiner_is_reported_by_default_and_invited_with_joiners_invite() {
    let org = org_of(2, &[], SandboxConfig::default());
    let path = joiners(&org, &["new.hire@gen.example"]);

    let reported = org.apply(&path, &[]);
    reported.assert_code(0);
    let line = report_row(&reported.report, 3);
    assert_eq!(line["outcome"], "not_found");
    assert!(writes(&org).is_empty(), "nothing sent by default");

    let message = org.path("welcome.txt");
    std::fs::write(&message, "Welcome to the team!\n").unwrap();
    let invited = org.apply(
        &path,
        &[
            "--joiners",
            "invite",
            "--invite-role",
            "standard",
            "--invite-message",
            &format!("@{}", message.display()),
        ],
    );

    invited.assert_code(0);
    let line = report_row(&invited.report, 3);
    assert_eq!(
        (line["outcome"].as_str(), line["action"].as_str()),
        ("invited", "invite")
    );
    let member = member_by_email(&org, "new.hire@gen.example").expect("the invitee is listed");
    assert_eq!(line["user_id"], member["id"].to_string());
    assert_eq!(member["status"], "invited");
    assert_eq!(
        (&member["first_name"], &member["last_name"]),
        (&json!("New"), &json!("Hire"))
    );
    let sent = org
        .journal()
        .into_iter()
        .find(|e| e.method == "POST")
        .expect("the invite");
    let body = sent.body.expect("a body");
    assert_eq!(body["role"], "standard");
    assert_eq!(body["message"], "Welcome to the team!");
    assert_eq!(writes(&org), [write("POST", "/users/invite")]);
}

#[test]
fn an_invited_member_is_pending_and_never_invited_again() {
    let org = org_of(2, &[], SandboxConfig::default());
    let path = joiners(&org, &["new.hire@gen.example"]);
    org.apply(&path, &["--joiners", "invite"]).assert_code(0);

    let again = org.apply(&path, &["--joiners", "invite"]);

    again.assert_code(0);
    let line = report_row(&again.report, 3);
    assert_eq!(line["outcome"], "pending");
    assert!(
        line["error"].starts_with("invited 20") && line["error"].contains("days ago")
            || line["error"].contains(", today;"),
        "{}",
        line["error"]
    );
    assert!(
        line["error"]
            .ends_with("not joined yet: never invited again, the profile is synced once they join"),
        "{}",
        line["error"]
    );
    assert_eq!(writes(&org).len(), 1, "one invite in all");
}

#[test]
fn past_max_invites_the_rest_are_deferred_and_the_run_succeeds() {
    let org = org_of(2, &[], SandboxConfig::default());
    let emails = [
        "a@gen.example",
        "b@gen.example",
        "c@gen.example",
        "d@gen.example",
    ];
    let path = joiners(&org, &emails);

    let run = org.apply(&path, &["--joiners", "invite", "--max-invites", "2"]);

    run.assert_code(0);
    let outcomes: Vec<&str> = (3..=6)
        .map(|r| report_row(&run.report, r)["outcome"].as_str())
        .collect();
    assert_eq!(outcomes, ["invited", "invited", "deferred", "deferred"]);
    assert_eq!(
        report_row(&run.report, 5)["error"],
        "past --max-invites 2 for one run: a later run invites the person"
    );
    assert_eq!(writes(&org).len(), 2);
    run.assert_stderr_contains("6 rows: 2 unchanged, 2 invited, 2 deferred ·");
}

#[test]
fn a_start_date_to_come_holds_the_invite_back_until_days_before_it() {
    let org = org_of(2, &[], SandboxConfig::default());
    let rows = vec![
        [same(1), vec![String::new()]].concat(),
        [
            row("later@gen.example", "Lat", "Er", "Lead"),
            vec!["2099-04-15".into()],
        ]
        .concat(),
        [
            row("now@gen.example", "No", "W", "Lead"),
            vec!["2020-01-06".into()],
        ]
        .concat(),
    ];
    let path = input(&org, "starts.csv", &["start_date"], rows);

    let run = org.apply(&path, &["--joiners", "invite", "--invite-days-before", "3"]);

    run.assert_code(0);
    let later = report_row(&run.report, 2);
    assert_eq!(
        (later["outcome"].as_str(), later["error"].as_str()),
        (
            "deferred",
            "starts 2099-04-15: invited from 2099-04-12 (--invite-days-before 3)"
        )
    );
    assert_eq!(report_row(&run.report, 3)["outcome"], "invited");
    assert!(member_by_email(&org, "later@gen.example").is_none());
    assert_eq!(writes(&org).len(), 1);
}

/// The invite landed, and its answer came only after the client gave up: the member is read by
/// email and found, nothing is sent twice, and the row is `invited`; the next run finds them
/// pending.
#[test]
fn an_invite_that_timed_out_after_it_landed_is_not_sent_again() {
    let config = SandboxConfig {
        faults: Faults {
            scripted: vec![ScriptedFault {
                target: Some("new.hire@gen.example".into()),
                ..ScriptedFault::new(LifecycleCall::Invite, ScriptedKind::TimeoutAfterApplying)
            }],
            slow_by: Duration::from_millis(2500),
            ..Faults::default()
        },
        ..SandboxConfig::default()
    };
    let org = org_of(2, &[], config);
    let path = joiners(&org, &["new.hire@gen.example"]);

    let run = org.apply(&path, &["--joiners", "invite", "--timeout", "1"]);

    run.assert_code(0);
    let line = report_row(&run.report, 3);
    assert_eq!(line["outcome"], "invited", "{line:#?}");
    assert!(
        line["error"].starts_with("the invite's answer was lost (timed out"),
        "{}",
        line["error"]
    );
    assert!(
        line["error"].ends_with(
            "reading the member by email finds them invited: the invite had landed, it is not sent again"
        ),
        "{}",
        line["error"]
    );
    let member = member_by_email(&org, "new.hire@gen.example").expect("it landed");
    assert_eq!(line["user_id"], member["id"].to_string());
    // The late answer is journaled when it is written, after the run gave up on it.
    wait_until(|| org.requests().iter().any(|r| r.is("POST")));
    let posts = org.requests().iter().filter(|r| r.is("POST")).count();
    let searches = org
        .journal()
        .iter()
        .filter(|e| e.query.as_deref().is_some_and(|q| q.starts_with("q=")))
        .count();
    assert_eq!((posts, searches), (1, 1), "one invite, read back once");
    assert_eq!(org.requests().len(), 3, "and the list page: nothing else");
    assert_eq!(line["attempts"], "2", "one invite, one search");

    let again = org.apply(&path, &["--joiners", "invite", "--timeout", "1"]);
    assert_eq!(report_row(&again.report, 3)["outcome"], "pending");
}

/// The seat pool fills on the second invite: that one and every invite or enable after it is
/// `deferred`, the run says why once (a warning `-q` keeps), and the other writes go on.
#[test]
fn the_seat_pool_filling_mid_run_defers_the_rest_with_the_message() {
    let disabled = json!({"id": 50, "email": "back@gen.example", "first_name": "Back",
        "last_name": "Again", "timezone": "Europe/London", "role": "standard",
        "status": "disabled"});
    let config = SandboxConfig {
        seat_pool: Some(3),
        ..SandboxConfig::default()
    };
    let org = org_of(2, &[disabled], config);
    let rows = vec![
        same(1),
        row("person2@gen.example", "First2", "Last2", "Lead"),
        row("a@gen.example", "New", "A", "Lead"),
        row("b@gen.example", "New", "B", "Lead"),
        row("back@gen.example", "Back", "Again", "Lead"),
        row("c@gen.example", "New", "C", "Lead"),
    ];
    let path = input(&org, "pool.csv", &[], rows);

    let run = org.apply(
        &path,
        &[
            "--joiners",
            "invite",
            "--rehires",
            "enable",
            "--concurrency",
            "1",
        ],
    );

    run.assert_code(0);
    let outcomes: Vec<&str> = (1..=6)
        .map(|r| report_row(&run.report, r)["outcome"].as_str())
        .collect();
    assert_eq!(
        outcomes,
        [
            "unchanged",
            "updated",
            "invited",
            "deferred",
            "deferred",
            "deferred"
        ]
    );
    let reason = &report_row(&run.report, 4)["error"];
    assert_eq!(
        reason.as_str(),
        "the seat pool is full (HTTP 409: Your organization has reached its committed full seat limit. (SEAT_POOL_EXHAUSTED)); no more invites or enables in this run: free or add seats, then run again"
    );
    assert_eq!(&report_row(&run.report, 5)["error"], reason);
    assert_eq!(report_row(&run.report, 5)["action"], "enable+update");
    run.assert_stderr_contains(&format!(
        "warning: {reason}; the rows not sent are `deferred`"
    ));
    assert_eq!(
        writes(&org),
        [
            write("PUT", "/users/2"),
            write("POST", "/users/invite"),
            write("POST", "/users/invite"),
        ]
    );
    assert_eq!(status(&org, 50), "disabled");
}

/// The invite cap answers 429 for the rest of its day: inviting stops for the run, at once,
/// without a pause nor a stop on `--max-wait`; the profile updates go on.
#[test]
fn the_invite_caps_429_stops_inviting_without_pausing_or_stopping_the_run() {
    let config = SandboxConfig {
        invite_cap: Some(InviteCap::per_day(1)),
        ..SandboxConfig::default()
    };
    let org = org_of(3, &[], config);
    let rows = vec![
        row("a@gen.example", "New", "A", "Lead"),
        row("b@gen.example", "New", "B", "Lead"),
        row("c@gen.example", "New", "C", "Lead"),
        row("person1@gen.example", "First1", "Last1", "Lead"),
        row("person2@gen.example", "First2", "Last2", "Lead"),
    ];
    let path = input(&org, "capped.csv", &[], rows);

    let run = org.apply(
        &path,
        &[
            "--joiners",
            "invite",
            "--max-wait",
            "10s",
            "--concurrency",
            "1",
        ],
    );

    run.assert_code(0);
    let outcomes: Vec<&str> = (1..=5)
        .map(|r| report_row(&run.report, r)["outcome"].as_str())
        .collect();
    assert_eq!(
        outcomes,
        ["invited", "deferred", "deferred", "updated", "updated"]
    );
    let reason = &report_row(&run.report, 2)["error"];
    assert!(
        reason.starts_with("the invite cap was reached: Tallyfy answered 429 (Retry-After 2"),
        "{reason}"
    );
    assert!(
        reason
            .ends_with("to an invite; no more invites in this run, a later run invites the person"),
        "{reason}"
    );
    assert_eq!(report_row(&run.report, 3)["attempts"], "0", "never sent");
    run.assert_stderr_contains("1 answered 429");
    assert!(!run.stderr.contains("--max-wait"), "{}", run.stderr);
    assert!(org.pacing_violations().is_empty());
}

/// A file whose rows mostly match no member may be the wrong one: nobody is invited from it,
/// and `--exclude` keeps its matches from being invited as from being changed.
#[test]
fn a_file_that_matches_too_few_members_invites_nobody_and_exclusions_are_never_invited() {
    let org = org_of(2, &[], SandboxConfig::default());
    let path = input(
        &org,
        "personal.csv",
        &[],
        vec![
            row("ann@home.example", "Ann", "Home", "Lead"),
            row("bo@home.example", "Bo", "Home", "Lead"),
        ],
    );

    let run = org.apply(&path, &["--joiners", "invite"]);

    run.assert_code(5);
    let line = report_row(&run.report, 1);
    assert_eq!(
        (line["outcome"].as_str(), line["error"].as_str()),
        (
            "deferred",
            "too few rows matched a member (see the warning above): no invite is sent from what may be the wrong file"
        )
    );
    assert!(writes(&org).is_empty());

    let path = joiners(&org, &["temp@contractors.example", "new.hire@gen.example"]);
    let run = org.apply(
        &path,
        &["--joiners", "invite", "--exclude", "*@contractors.example"],
    );
    run.assert_code(0);
    let excluded = report_row(&run.report, 3);
    assert_eq!(
        (excluded["outcome"].as_str(), excluded["error"].as_str()),
        (
            "excluded",
            "not changed: the member matches --exclude *@contractors.example"
        )
    );
    assert_eq!(report_row(&run.report, 4)["outcome"], "invited");
    assert_eq!(writes(&org), [write("POST", "/users/invite")]);
}
