//! A saved plan's entry read back as the change it records: its line (a row, or a member's
//! own, also as format 2 wrote it: `row` 0), its fields, and its invite, enable or disable,
//! checked as the planner makes them and as Tallyfy takes them, so that an entry edited by
//! hand or written by another version is refused, naming its line, before anything is sent.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::{PlannedMember, PlannedStep, Subject};
use crate::fields::Field;
use crate::plan::{Invite, LineKey};
use crate::replay::{Lifecycle, Recorded, value_from_json};

impl PlannedMember {
    /// The line the entry ends: its row, or its member's (also for an entry of a format 2
    /// plan written with `row` 0).
    fn line(&self) -> Result<LineKey, String> {
        let member = || match self.member_id {
            Some(id) if id > 0 => Ok(LineKey::Member(id)),
            _ => Err(format!(
                "an entry of the plan without a row ({}) has no `member_id`",
                self.email
            )),
        };
        match (self.row, self.subject) {
            (Some(0), None) | (None, Some(Subject::Member)) => member(),
            (Some(row), None) => Ok(LineKey::Row(row)),
            (Some(row), Some(_)) => Err(format!(
                "row {row}: an entry of the plan has both a `row` and a `subject`"
            )),
            (None, None) => Err(format!(
                "an entry of the plan ({}) has neither a `row` nor a `subject`",
                self.email
            )),
        }
    }

    pub(super) fn recorded(&self) -> Result<Recorded, String> {
        let line = self.line()?;
        let mut fields = BTreeMap::new();
        for (name, pair) in &self.fields {
            let field = Field::from_name(name)
                .ok_or_else(|| format!("{line}: unknown field `{name}` in the plan"))?;
            let get = |key: &str| {
                value_from_json(field, pair.get(key).unwrap_or(&Json::Null))
                    .map_err(|e| format!("{line}: {e}"))
            };
            fields.insert(field, (get("before")?, get("after")?));
        }
        let lifecycle = self.lifecycle(line)?;
        // Format 2 wrote an invite's missing member as 0.
        let member_id = self.member_id.filter(|&id| id > 0);
        if member_id.is_none() && !matches!(lifecycle, Some(Lifecycle::Invite(_))) {
            return Err(format!("{line}: the plan names no `member_id` to change"));
        }
        if matches!(lifecycle, Some(Lifecycle::Invite(_))) && !fields.is_empty() {
            return Err(format!(
                "{line}: the plan invites {} and changes fields of the member that does not exist yet: make the plan again",
                self.email
            ));
        }
        Ok(Recorded {
            line,
            member_id,
            email: self.email.clone(),
            fields,
            lifecycle,
        })
    }

    /// The entry's invite, enable or disable: at most one, an invite alone, an enable first
    /// and a disable last, as the planner makes them.
    fn lifecycle(&self, line: LineKey) -> Result<Option<Lifecycle>, String> {
        let steps: &[PlannedStep] = self.steps.as_deref().unwrap_or_default();
        let mut lifecycle = steps
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.is_field_change());
        let Some((at, step)) = lifecycle.next() else {
            return Ok(None);
        };
        let in_order = match step {
            PlannedStep::Invite { .. } => steps.len() == 1,
            PlannedStep::Enable => at == 0,
            _ => at + 1 == steps.len(),
        };
        if lifecycle.next().is_some() || !in_order {
            let names: Vec<&str> = steps.iter().map(|s| s.kind().as_str()).collect();
            return Err(format!(
                "{line}: the plan's steps `{}` are not a chain this version of member-sync runs: make the plan again",
                names.join(", ")
            ));
        }
        Ok(Some(match step {
            PlannedStep::Invite {
                first_name,
                last_name,
                role,
                message,
            } => Lifecycle::Invite(Box::new(
                self.invite(line, first_name, last_name, role, message)?,
            )),
            PlannedStep::Enable => Lifecycle::Enable,
            PlannedStep::Disable { reassign_to } => Lifecycle::Disable {
                reassign_to: *reassign_to,
                seen_updated_at: self.seen_updated_at(line)?,
            },
            PlannedStep::UpdateProfile | PlannedStep::ChangeRole => unreachable!("filtered out"),
        }))
    }

    /// The invite as it will be sent, checked as Tallyfy checks it: an edited plan sends
    /// nothing Tallyfy would refuse field by field.
    fn invite(
        &self,
        line: LineKey,
        first_name: &str,
        last_name: &str,
        role: &str,
        message: &str,
    ) -> Result<Invite, String> {
        let email = self.email.trim();
        let problem = if !email.contains('@') {
            Some(format!("`{email}` is not an email to invite"))
        } else if first_name.trim().is_empty() || last_name.trim().is_empty() {
            Some("an invite needs a first and a last name".to_string())
        } else if !["admin", "standard", "light"].contains(&role) {
            Some(format!(
                "`{role}` is not a role to invite with (admin, standard or light)"
            ))
        } else if message.trim().is_empty()
            || message.chars().count() > crate::settings::lifecycle::INVITE_MESSAGE_MAX
        {
            Some("an invite's message must be 1 to 5000 characters".to_string())
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(format!("{line}: {problem}: make the plan again"));
        }
        Ok(Invite {
            email: email.to_lowercase(),
            first_name: first_name.to_string(),
            last_name: last_name.to_string(),
            role: role.to_string(),
            message: message.to_string(),
        })
    }

    fn seen_updated_at(&self, line: LineKey) -> Result<Option<jiff::Timestamp>, String> {
        let Some(text) = &self.member_updated_at else {
            return Ok(None);
        };
        crate::api::member_state::parse_timestamp(text)
            .map(Some)
            .ok_or_else(|| format!("{line}: `member_updated_at` `{text}` is not a time"))
    }
}
