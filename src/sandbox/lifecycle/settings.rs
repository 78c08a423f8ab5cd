//! The organization's lifecycle settings: its seat pool, its cap on invitations, the faults
//! scripted at lifecycle calls. Set in [`super::super::SandboxConfig`] and
//! [`super::super::Faults`], or in a seed file, so that `member-sync sandbox --seed FILE`
//! and the integration tests can set them alike.

use std::time::Duration;

use serde_json::{Map, Value};

use super::scripted::ScriptedFault;
use crate::sandbox::SandboxConfig;

/// How many invitations the organization may send in a window: past it an invite is answered
/// 429 with `Retry-After` until the window ends. Tallyfy caps emails to outsiders per hour,
/// and a troubleshooting page lists "send/resend invites: 10 a day".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InviteCap {
    pub invites: u32,
    /// The window opens with the first invitation sent and lasts this long.
    pub window: Duration,
}

impl InviteCap {
    /// `invites` a day.
    pub fn per_day(invites: u32) -> InviteCap {
        InviteCap {
            invites,
            window: Duration::from_secs(24 * 3600),
        }
    }
}

/// The lifecycle part of a seed: `seat_pool`, `invite_cap` and `scripted_faults`. Each one a
/// seed sets wins over the config's, as the seed's `org_id` does; scripted faults add up.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LifecycleSettings {
    /// `"seat_pool": 62`
    pub seat_pool: Option<usize>,
    /// `"invite_cap": {"invites": 10, "window_secs": 86400}`
    pub invite_cap: Option<InviteCap>,
    /// `"scripted_faults": [{"call": "invite", "fault": "timeout_after_applying",
    /// "target": "new.hire@acme.example", "times": 1}]`
    pub scripted_faults: Vec<ScriptedFault>,
}

impl LifecycleSettings {
    /// Reads the seed's lifecycle keys; errors say which key and what is wrong.
    pub fn from_seed(obj: &Map<String, Value>) -> Result<LifecycleSettings, String> {
        let seat_pool = match obj.get("seat_pool") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_u64().map(|n| n as usize).ok_or_else(|| {
                format!("seed `seat_pool` must be a whole number of seats, got {v}")
            })?),
        };
        let invite_cap = match obj.get("invite_cap") {
            None | Some(Value::Null) => None,
            Some(v) => Some(invite_cap(v)?),
        };
        let scripted_faults = match obj.get("scripted_faults") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    ScriptedFault::from_json(item)
                        .map_err(|e| format!("seed `scripted_faults[{i}]`: {e}"))
                })
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(format!(
                    "seed `scripted_faults` must be a list, got {other}"
                ));
            }
        };
        Ok(LifecycleSettings {
            seat_pool,
            invite_cap,
            scripted_faults,
        })
    }

    /// Puts the seed's settings into the config the sandbox runs with.
    pub(crate) fn apply_to(self, config: &mut SandboxConfig) {
        config.seat_pool = self.seat_pool.or(config.seat_pool);
        config.invite_cap = self.invite_cap.or(config.invite_cap);
        config.faults.scripted.extend(self.scripted_faults);
    }
}

fn invite_cap(value: &Value) -> Result<InviteCap, String> {
    let usage = || {
        format!(
            "seed `invite_cap` must be {{\"invites\": N, \"window_secs\": S}} with whole numbers and S > 0, got {value}"
        )
    };
    let number = |key: &str| value.get(key).and_then(Value::as_u64);
    let invites = number("invites")
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(usage)?;
    let window = number("window_secs").filter(|&s| s > 0).ok_or_else(usage)?;
    Ok(InviteCap {
        invites,
        window: Duration::from_secs(window),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::sandbox::lifecycle::{LifecycleCall, ScriptedKind};

    fn read(v: Value) -> Result<LifecycleSettings, String> {
        LifecycleSettings::from_seed(v.as_object().unwrap())
    }

    #[test]
    fn sandbox_seed_lifecycle_settings_read_and_say_what_is_wrong() {
        let settings = read(json!({
            "seat_pool": 62,
            "invite_cap": {"invites": 10, "window_secs": 86400},
            "scripted_faults": [
                {"call": "invite", "fault": "timeout_after_applying", "target": "A@x.example"},
                {"call": "disable", "fault": "server_error_503", "times": 0}
            ]
        }))
        .unwrap();
        assert_eq!(settings.seat_pool, Some(62));
        assert_eq!(settings.invite_cap, Some(InviteCap::per_day(10)));
        assert_eq!(
            settings.scripted_faults,
            [
                ScriptedFault {
                    target: Some("A@x.example".into()),
                    ..ScriptedFault::new(LifecycleCall::Invite, ScriptedKind::TimeoutAfterApplying)
                },
                ScriptedFault {
                    times: 0,
                    ..ScriptedFault::new(LifecycleCall::Disable, ScriptedKind::ServerError(503))
                },
            ]
        );
        assert_eq!(read(json!({})).unwrap(), LifecycleSettings::default());

        let err = read(json!({"seat_pool": -1})).unwrap_err();
        assert!(err.contains("`seat_pool` must be a whole number"), "{err}");
        let err = read(json!({"invite_cap": {"invites": 10}})).unwrap_err();
        assert!(err.contains("\"window_secs\""), "{err}");
        let err =
            read(json!({"scripted_faults": [{"call": "invite", "fault": "explode"}]})).unwrap_err();
        assert!(err.starts_with("seed `scripted_faults[0]`: "), "{err}");
        assert!(err.contains("timeout_after_applying"), "{err}");
    }
}
