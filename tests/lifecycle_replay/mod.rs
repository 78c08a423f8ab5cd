//! Saved plans and rollback of joiners, leavers and rehires (#19), through the binary: a
//! leaver's disable applied a day later, or left alone when the member came back since; a
//! rollback that enables those a run disabled, disables those it enabled, and names the
//! invitations it cannot withdraw; plans of an older format still applied.

use std::path::PathBuf;

use member_sync::sandbox::SandboxConfig;
use serde_json::{Value, json};

use crate::util::*;

mod planned;
mod rollback;
mod saved_plans;

/// When the seeded members last changed, as the plan saw them.
const SEEN: &str = "2026-03-02T09:00:00Z";

/// Six members (ids 1 to 6, `person{id}@gen.example`, all `standard`), those in `disabled`
/// disabled, every one last changed at [`SEEN`], with a seat pool when given.
fn org(disabled: &[u64], seat_pool: Option<usize>) -> TestOrg {
    org_where(seat_pool, |id, member| {
        if disabled.contains(&id) {
            member["status"] = "disabled".into();
        }
    })
}

/// The same six members, each as `edit` leaves them.
fn org_where(seat_pool: Option<usize>, edit: impl Fn(u64, &mut Value)) -> TestOrg {
    let mut seed = generated_seed(6);
    for member in &mut seed.members {
        let id = member["id"].as_u64().unwrap();
        member["updated_at"] = SEEN.into();
        edit(id, member);
    }
    seed.lifecycle.seat_pool = seat_pool;
    TestOrg::start(SandboxConfig::default(), seed)
}

fn email(id: u64) -> String {
    format!("person{id}@gen.example")
}

/// A member's `status` as the organization shows it now.
fn status(org: &TestOrg, id: u64) -> String {
    org.member(id)["status"].as_str().unwrap().to_string()
}

/// A saved plan of `changes` for this org, as `plan --out` writes one, in `format`.
fn plan_file(org: &TestOrg, format: u32, changes: Value) -> PathBuf {
    let plan = json!({
        "format": "member-sync plan",
        "format_version": format,
        "tool_version": env!("CARGO_PKG_VERSION"),
        "org": org.org_id(),
        "base_url": org.base_url(),
        "created_at": "2026-03-02T10:00:00Z",
        "input": {"path": "people.csv", "sha256": "0".repeat(64)},
        "counts": {},
        "changes": changes,
    });
    let path = org.path("plan.json");
    std::fs::write(&path, serde_json::to_string_pretty(&plan).unwrap()).unwrap();
    path
}

/// A leaver's entry: member `id`'s own line, disabled, as the plan saw them at [`SEEN`].
fn leaver(id: u64) -> Value {
    json!({
        "subject": "member",
        "member_id": id,
        "email": email(id),
        "fields": {},
        "steps": [{"op": "disable"}],
        "member_updated_at": SEEN,
    })
}

/// A rehire's entry: row `row`'s member `id` enabled, then given `job_title`.
fn rehire(row: usize, id: u64, job_title: &str) -> Value {
    json!({
        "row": row,
        "member_id": id,
        "email": email(id),
        "fields": {"job_title": {"before": "Analyst", "after": job_title}},
        "steps": [{"op": "enable"}, {"op": "update_profile"}],
    })
}

/// A joiner's entry: row `row` invites `email`.
fn joiner(row: usize, email: &str) -> Value {
    json!({
        "row": row,
        "email": email,
        "fields": {},
        "steps": [{"op": "invite", "first_name": "New", "last_name": "Hire", "role": "light",
                   "message": "Welcome to the team."}],
    })
}

/// `member-sync apply --plan PLAN --yes` against this org.
fn apply_plan(org: &TestOrg, plan: &std::path::Path) -> Run {
    apply_plan_with(org, plan, &[])
}

/// The same, with `extra` flags.
fn apply_plan_with(org: &TestOrg, plan: &std::path::Path, extra: &[&str]) -> Run {
    let report = org.fresh_report_path();
    let plan = plan.to_str().unwrap();
    let mut command = org.connected(&["apply", "--plan", plan, "--yes", "--rate", "1000/s"]);
    command.arg("--report").arg(&report).args(extra);
    Run::of(&mut command, report)
}

/// `member-sync rollback REPORT --yes` against this org.
fn rollback(org: &TestOrg, report: &std::path::Path) -> Run {
    org.run_command("rollback", report, &[])
}

/// Requests sent after the first `skip` ones, as `METHOD /route` (reads left out).
fn writes_after(org: &TestOrg, skip: usize) -> Vec<String> {
    org.requests_after(skip)
        .iter()
        .filter(|r| !r.is("GET"))
        .map(|r| format!("{} {}", r.method, r.route))
        .collect()
}

/// The report's line of member `id`.
fn line_of(run: &Run, id: u64) -> &ReportRow {
    run.report
        .iter()
        .find(|line| line["user_id"] == id.to_string())
        .unwrap_or_else(|| panic!("no line of member {id} in {:#?}", run.report))
}

/// Changes a member's status by hand, as an administrator would in Tallyfy, between runs.
fn by_hand(org: &TestOrg, method: &str, route: &str) {
    let url = format!("{}/organizations/{}{route}", org.base_url(), org.org_id());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = runtime.block_on(async {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let answer = reqwest::Client::new()
            .request(method, &url)
            .bearer_auth(org.token())
            .header("X-Tallyfy-Client", "APIClient")
            .send()
            .await
            .unwrap();
        answer.status()
    });
    assert!(status.is_success(), "{method} {url}: {status}");
}
