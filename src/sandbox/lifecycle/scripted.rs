//! Faults aimed at lifecycle calls, not left to the dice.
//!
//! The failures that matter for a lifecycle call are specific: an invite that landed but whose
//! answer never came (the email went out; a second invite must not), a disable refused by a
//! 5xx, a re-read of a member that fails too. A share of random faults cannot promise a test
//! that *this* invite times out after landing, so these are scripted: which call, about whom,
//! how many times. They fire where the dice do (`middleware.rs`: after the rate limit and
//! authentication), so the journal records them like any other fault.

use std::sync::Mutex;

use serde_json::Value;

use crate::sandbox::faults::{Roll, lock};

/// The calls a scripted fault can aim at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifecycleCall {
    /// `POST .../users/invite`
    Invite,
    /// `DELETE .../users/{id}/disable`
    Disable,
    /// `PUT .../users/{id}/enable`
    Enable,
    /// `DELETE .../users/{id}` (removal, with or without reassignment)
    Remove,
    /// `GET .../users?q=...`, the re-read of a member by email
    Search,
    /// `POST .../groups`, about the group's name
    CreateGroup,
    /// `GET .../groups/{id}`, the re-read of a group before its write
    GetGroup,
    /// `PUT .../groups/{id}`, the whole-list write
    UpdateGroup,
}

impl LifecycleCall {
    const ALL: [LifecycleCall; 8] = [
        LifecycleCall::Invite,
        LifecycleCall::Disable,
        LifecycleCall::Enable,
        LifecycleCall::Remove,
        LifecycleCall::Search,
        LifecycleCall::CreateGroup,
        LifecycleCall::GetGroup,
        LifecycleCall::UpdateGroup,
    ];

    /// The name a seed file uses.
    pub fn name(self) -> &'static str {
        match self {
            LifecycleCall::Invite => "invite",
            LifecycleCall::Disable => "disable",
            LifecycleCall::Enable => "enable",
            LifecycleCall::Remove => "remove",
            LifecycleCall::Search => "search",
            LifecycleCall::CreateGroup => "create_group",
            LifecycleCall::GetGroup => "get_group",
            LifecycleCall::UpdateGroup => "update_group",
        }
    }
}

/// What a scripted fault does to the call it hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScriptedKind {
    /// The change is made, and the answer comes only after [`crate::sandbox::Faults::slow_by`]:
    /// the client gives up on a change that landed.
    TimeoutAfterApplying,
    /// Answered with this 5xx, in the body the dice's would have: 500, 502 and 503 before
    /// anything happens, 504 after the change was made (a gateway stopped waiting).
    ServerError(u16),
    /// The connection is reset before anything happens.
    Reset,
    /// The change is made, then the connection is reset without an answer.
    ResetAfterApplying,
}

impl ScriptedKind {
    /// `timeout_after_applying`, `server_error_503`, `reset`, `reset_after_applying`.
    fn parse(text: &str) -> Option<ScriptedKind> {
        Some(match text {
            "timeout_after_applying" => ScriptedKind::TimeoutAfterApplying,
            "reset" => ScriptedKind::Reset,
            "reset_after_applying" => ScriptedKind::ResetAfterApplying,
            other => {
                let status: u16 = other.strip_prefix("server_error_")?.parse().ok()?;
                ScriptedKind::ServerError(status).valid()?
            }
        })
    }

    fn valid(self) -> Option<ScriptedKind> {
        match self {
            ScriptedKind::ServerError(status) if !(500..=599).contains(&status) => None,
            other => Some(other),
        }
    }

    fn roll(self) -> Roll {
        match self {
            ScriptedKind::TimeoutAfterApplying => Roll::Slow,
            ScriptedKind::ServerError(status) => Roll::ServerError(status),
            ScriptedKind::Reset => Roll::Reset,
            ScriptedKind::ResetAfterApplying => Roll::ResetAfterApplying,
        }
    }
}

/// A fault aimed at a lifecycle call: "the first invite of new.hire@acme.example times out
/// after it landed", "every disable answers 503".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptedFault {
    pub call: LifecycleCall,
    pub kind: ScriptedKind,
    /// Only the calls about this member or group: an email for an invite or a search (any
    /// casing), a group's name for a group's creation, a group id for its read and update, a
    /// member id for the others. `None`: any.
    pub target: Option<String>,
    /// How many matching calls it hits, the first ones; 0: every one.
    pub times: u32,
}

impl ScriptedFault {
    /// Hits the first matching call, whoever it is about.
    pub fn new(call: LifecycleCall, kind: ScriptedKind) -> ScriptedFault {
        ScriptedFault {
            call,
            kind,
            target: None,
            times: 1,
        }
    }

    /// `{"call": "invite", "fault": "timeout_after_applying", "target": "a@x.example",
    /// "times": 1}`; `target` and `times` may be left out.
    pub fn from_json(value: &Value) -> Result<ScriptedFault, String> {
        let text = |key: &str| value.get(key).and_then(Value::as_str);
        let calls = LifecycleCall::ALL.map(LifecycleCall::name).join(", ");
        let call = text("call")
            .and_then(|name| LifecycleCall::ALL.into_iter().find(|c| c.name() == name))
            .ok_or_else(|| {
                format!(
                    "`call` must be one of {calls}, got {}",
                    show(value.get("call"))
                )
            })?;
        let kind = text("fault").and_then(ScriptedKind::parse).ok_or_else(|| {
            format!(
                "`fault` must be timeout_after_applying, reset, reset_after_applying or server_error_5XX, got {}",
                show(value.get("fault"))
            )
        })?;
        let target = match value.get("target") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.trim().to_string()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(other) => {
                return Err(format!(
                    "`target` must be an email or a member id, got {other}"
                ));
            }
        };
        let times = match value.get("times") {
            None | Some(Value::Null) => 1,
            Some(v) => v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| {
                    format!("`times` must be a whole number (0: every call), got {v}")
                })?,
        };
        Ok(ScriptedFault {
            call,
            kind,
            target,
            times,
        })
    }

    fn aims_at(&self, call: LifecycleCall, target: Option<&str>) -> bool {
        self.call == call
            && self
                .target
                .as_deref()
                .is_none_or(|wanted| target.is_some_and(|t| t.trim().eq_ignore_ascii_case(wanted)))
    }
}

fn show(value: Option<&Value>) -> String {
    value.map_or_else(|| "nothing".into(), Value::to_string)
}

/// The scripted faults and how many hits each has had.
pub(crate) struct Armed(Mutex<Vec<(ScriptedFault, u32)>>);

impl Armed {
    pub fn new(faults: &[ScriptedFault]) -> Armed {
        Armed(Mutex::new(faults.iter().map(|f| (f.clone(), 0)).collect()))
    }

    /// The roll for this request, when a scripted fault with hits left aims at it: the first
    /// such fault, in the order given.
    pub fn fire(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
        body: Option<&Value>,
    ) -> Option<Roll> {
        let mut armed = lock(&self.0);
        if armed.is_empty() {
            return None;
        }
        let (call, target) = aim(method, path, query, body)?;
        let (fault, hits) = armed.iter_mut().find(|(fault, hits)| {
            (fault.times == 0 || *hits < fault.times) && fault.aims_at(call, target.as_deref())
        })?;
        *hits += 1;
        Some(fault.kind.roll())
    }
}

/// Which lifecycle call a request is, and about whom (the invite's email, the search's `q`,
/// the member id in the path).
fn aim(
    method: &str,
    path: &str,
    query: Option<&str>,
    body: Option<&Value>,
) -> Option<(LifecycleCall, Option<String>)> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let org = segments.iter().position(|s| *s == "organizations")? + 1;
    if segments.get(org + 1) == Some(&"groups") {
        return aim_at_group(method, &segments[org + 2..], body);
    }
    if segments.get(org + 1) != Some(&"users") {
        return None;
    }
    let member = |id: &str| Some(id.to_string());
    Some(match (method, &segments[org + 2..]) {
        ("POST", ["invite"]) => {
            let email = body.and_then(|b| b.get("email")).and_then(Value::as_str);
            (LifecycleCall::Invite, email.map(str::to_string))
        }
        ("DELETE", [id, "disable"]) => (LifecycleCall::Disable, member(id)),
        ("PUT", [id, "enable"]) => (LifecycleCall::Enable, member(id)),
        ("DELETE", [id]) => (LifecycleCall::Remove, member(id)),
        ("GET", []) => {
            let q = url::form_urlencoded::parse(query?.as_bytes())
                .find(|(key, _)| key == "q")
                .map(|(_, value)| value.into_owned())?;
            (LifecycleCall::Search, Some(q))
        }
        _ => return None,
    })
}

/// Which group call a request under `.../groups` is, and about which group.
fn aim_at_group(
    method: &str,
    rest: &[&str],
    body: Option<&Value>,
) -> Option<(LifecycleCall, Option<String>)> {
    Some(match (method, rest) {
        ("POST", []) => {
            let name = body.and_then(|b| b.get("name")).and_then(Value::as_str);
            (LifecycleCall::CreateGroup, name.map(str::to_string))
        }
        ("GET", [id]) => (LifecycleCall::GetGroup, Some(id.to_string())),
        ("PUT", [id]) => (LifecycleCall::UpdateGroup, Some(id.to_string())),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const USERS: &str = "/api/organizations/o/users";

    #[test]
    fn sandbox_requests_are_told_apart_by_call_and_target() {
        let invite = json!({"email": "A@x.example"});
        let at = |method, path: &str, query, body| aim(method, path, query, body);
        assert_eq!(
            at("POST", &format!("{USERS}/invite"), None, Some(&invite)),
            Some((LifecycleCall::Invite, Some("A@x.example".into())))
        );
        assert_eq!(
            at("DELETE", &format!("{USERS}/7/disable"), None, None),
            Some((LifecycleCall::Disable, Some("7".into())))
        );
        assert_eq!(
            at("PUT", &format!("{USERS}/7/enable"), None, None),
            Some((LifecycleCall::Enable, Some("7".into())))
        );
        assert_eq!(
            at(
                "DELETE",
                &format!("{USERS}/7"),
                Some("with_reassignment=true&to=8"),
                None
            ),
            Some((LifecycleCall::Remove, Some("7".into())))
        );
        assert_eq!(
            at("GET", USERS, Some("q=a%40x.example&per_page=100"), None),
            Some((LifecycleCall::Search, Some("a@x.example".into())))
        );
        assert_eq!(at("GET", USERS, Some("page=2"), None), None);
        assert_eq!(at("PUT", &format!("{USERS}/7"), None, None), None);
        assert_eq!(at("PUT", &format!("{USERS}/7/role"), None, None), None);
        const GROUPS: &str = "/api/organizations/o/groups";
        let group = json!({"name": "Sales", "description": "d"});
        assert_eq!(
            at("POST", GROUPS, None, Some(&group)),
            Some((LifecycleCall::CreateGroup, Some("Sales".into())))
        );
        assert_eq!(
            at("PUT", &format!("{GROUPS}/ab12"), None, Some(&group)),
            Some((LifecycleCall::UpdateGroup, Some("ab12".into())))
        );
        assert_eq!(
            at("GET", &format!("{GROUPS}/ab12"), None, None),
            Some((LifecycleCall::GetGroup, Some("ab12".into())))
        );
        assert_eq!(at("GET", GROUPS, Some("page=2"), None), None);
    }

    #[test]
    fn sandbox_scripted_faults_hit_their_target_as_often_as_told() {
        let armed = Armed::new(&[
            ScriptedFault {
                target: Some("b@x.example".into()),
                ..ScriptedFault::new(LifecycleCall::Invite, ScriptedKind::ResetAfterApplying)
            },
            ScriptedFault {
                times: 0,
                ..ScriptedFault::new(LifecycleCall::Disable, ScriptedKind::ServerError(503))
            },
        ]);
        let invite = |email: &str| {
            armed.fire(
                "POST",
                &format!("{USERS}/invite"),
                None,
                Some(&json!({"email": email})),
            )
        };
        assert_eq!(invite("a@x.example"), None);
        assert_eq!(invite(" B@X.example "), Some(Roll::ResetAfterApplying));
        assert_eq!(invite("b@x.example"), None, "once only");
        for _ in 0..3 {
            let disable = armed.fire("DELETE", &format!("{USERS}/9/disable"), None, None);
            assert_eq!(disable, Some(Roll::ServerError(503)), "every time");
        }
        assert_eq!(
            armed.fire("PUT", &format!("{USERS}/9/enable"), None, None),
            None
        );
    }

    #[test]
    fn sandbox_scripted_fault_names_read_and_nothing_else_does() {
        for (name, kind) in [
            ("timeout_after_applying", ScriptedKind::TimeoutAfterApplying),
            ("reset", ScriptedKind::Reset),
            ("reset_after_applying", ScriptedKind::ResetAfterApplying),
            ("server_error_504", ScriptedKind::ServerError(504)),
        ] {
            assert_eq!(ScriptedKind::parse(name), Some(kind));
        }
        for name in ["server_error_404", "server_error_", "timeout", "Reset"] {
            assert_eq!(ScriptedKind::parse(name), None, "{name}");
        }
        let err =
            ScriptedFault::from_json(&json!({"call": "delete", "fault": "reset"})).unwrap_err();
        assert!(
            err.contains("invite, disable, enable, remove, search"),
            "{err}"
        );
        let err =
            ScriptedFault::from_json(&json!({"call": "remove", "fault": "reset", "times": -1}))
                .unwrap_err();
        assert!(err.contains("`times`"), "{err}");
    }
}
