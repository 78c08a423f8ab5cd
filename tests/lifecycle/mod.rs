//! Joiners, leavers and rehires through the binary against the sandbox (#19): invites (the
//! cap, the seat pool, a lost answer), leavers (the grace runs, the limit, who is never
//! disabled, inputs that disable nobody), rehires, what the plan shows, and the requests a
//! lifecycle run sends.

use member_sync::sandbox::{SandboxConfig, Seed};
use serde_json::{Value, json};

use crate::util::*;

mod joiners;
mod leavers;
mod nets;
mod rehires;
mod requests;

/// An organization of `active` active members (ids 1..=active, `person{id}@gen.example`,
/// First{id} Last{id}, Analyst), then these `extra` members as JSON, served with `config`.
pub fn org_of(active: u64, extra: &[Value], config: SandboxConfig) -> TestOrg {
    let mut members: Vec<Value> = (1..=active).map(person).collect();
    members.extend(extra.iter().cloned());
    let seed = json!({ "org_id": "lifecycle-org", "members": members });
    TestOrg::start(
        config,
        Seed::from_json(&seed.to_string()).expect("a valid seed"),
    )
}

/// Member `id` of [`org_of`], as the seed writes it.
pub fn person(id: u64) -> Value {
    json!({
        "id": id,
        "email": format!("person{id}@gen.example"),
        "first_name": format!("First{id}"),
        "last_name": format!("Last{id}"),
        "job_title": "Analyst",
        "timezone": "Europe/London",
        "role": "standard",
        "status": "active",
        "created_at": "2024-01-01T08:00:00Z",
    })
}

/// One input row: email, first and last name, job title, and more cells after them.
pub fn row(email: &str, first: &str, last: &str, title: &str) -> Vec<String> {
    [email, first, last, title].map(str::to_string).to_vec()
}

/// The row of [`person`] `id` as the organization has it: nothing to change.
pub fn same(id: u64) -> Vec<String> {
    row(
        &format!("person{id}@gen.example"),
        &format!("First{id}"),
        &format!("Last{id}"),
        "Analyst",
    )
}

pub const HEADERS: [&str; 4] = ["email", "first_name", "last_name", "job_title"];

/// Writes `rows` under [`HEADERS`] (and `more` header cells after them).
pub fn input(
    org: &TestOrg,
    name: &str,
    more: &[&str],
    rows: Vec<Vec<String>>,
) -> std::path::PathBuf {
    let headers: Vec<&str> = HEADERS
        .iter()
        .copied()
        .chain(more.iter().copied())
        .collect();
    org.input(name, &headers, rows)
}

/// The report line of the member without a row, by id.
pub fn member_line(report: &[ReportRow], id: u64) -> &ReportRow {
    report
        .iter()
        .find(|line| line["row"].is_empty() && line["user_id"] == id.to_string())
        .unwrap_or_else(|| panic!("no line for member {id} in {report:#?}"))
}

/// The requests the sandbox answered that change something (not GETs), as
/// `(method, route)` after the first `skip` requests.
pub fn writes_after(org: &TestOrg, skip: usize) -> Vec<(String, String)> {
    org.requests_after(skip)
        .into_iter()
        .filter(|r| !r.is("GET"))
        .map(|r| (r.method, r.route))
        .collect()
}

/// The requests that change something, since the sandbox started.
pub fn writes(org: &TestOrg) -> Vec<(String, String)> {
    writes_after(org, 0)
}

/// `("POST", "/users/invite")`, as [`writes`] lists it.
pub fn write(method: &str, route: &str) -> (String, String) {
    (method.to_string(), route.to_string())
}

/// A member's `status` in the sandbox.
pub fn status(org: &TestOrg, id: u64) -> String {
    org.member(id)["status"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The member with this email in the sandbox.
pub fn member_by_email(org: &TestOrg, email: &str) -> Option<Value> {
    org.members().into_iter().find(|m| {
        m["email"]
            .as_str()
            .is_some_and(|e| e.eq_ignore_ascii_case(email))
    })
}

/// Waits (at most 20 s) until `done` holds: for what the sandbox records after the binary has
/// exited (an answer written late). Never a timing assertion: it only waits for an event.
pub fn wait_until(done: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "gave up waiting");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
