//! A saved export of the organization's members, read in place of the API
//! (`member-sync plan INPUT --against FILE`).
//!
//! Planning against a file needs no token and sends nothing: an auditor can check an HR export
//! against last night's member list, and the planning cost can be measured without a network.
//! The members go through the same [`Member`] type as the API's answers, so the diff is the
//! one `plan` and `apply` make.
//!
//! Accepted shapes: JSON as the list endpoint answers (`{"data": [...]}`), a bare array of
//! members, or the sandbox's seed (`{"members": [...]}`); or CSV with a header row naming
//! member fields as the API spells them (`id`, `email`, `first_name`, `timezone`, ...), an
//! empty cell meaning null, a cell's spreadsheet escape undone (`crate::cell_safety`). Ids are
//! deduplicated (the last one wins), as the fetch does.

use std::path::Path;

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value as Json};

use crate::api::Member;
use crate::api::wire::MemberInto;

/// Reads the members of a saved export, ordered by id. The error says what is wrong and where.
pub fn load(path: &Path) -> Result<Vec<Member>, String> {
    let bytes = crate::file_bytes::FileBytes::open(path)
        .map_err(|e| format!("cannot read the member export {}: {e}", path.display()))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| format!("the member export {} is not UTF-8", path.display()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let members = if text.trim_start().starts_with(['[', '{']) {
        from_json(text)
    } else {
        from_csv(text)
    }
    .map_err(|e| format!("the member export {}: {e}", path.display()))?;
    Ok(by_id_last_wins(members))
}

/// Ordered by id, one member per id: the last one read, as a later page would win. A list
/// already in order, the usual case, is returned as it is.
fn by_id_last_wins(mut members: Vec<Member>) -> Vec<Member> {
    if members.windows(2).all(|pair| pair[0].id < pair[1].id) {
        return members;
    }
    // A stable sort keeps equal ids in file order; then each run of equal ids keeps its last.
    members.sort_by_key(|m| m.id);
    members.dedup_by(|later, kept| {
        let same = later.id == kept.id;
        if same {
            std::mem::swap(later, kept);
        }
        same
    });
    members
}

fn from_json(text: &str) -> Result<Vec<Member>, String> {
    let list = MemberList {
        room: room_for(text),
    };
    let located = |e: serde_json::Error| format!("{e}");
    let mut json = serde_json::Deserializer::from_str(text);
    let members = if text.trim_start().starts_with('[') {
        serde::Deserializer::deserialize_seq(&mut json, list)
    } else {
        serde::Deserializer::deserialize_map(&mut json, Holder(list))
    }
    .map_err(located)?;
    json.end().map_err(located)?;
    members.ok_or_else(|| "expected an array of members, or an object with a `data` array".into())
}

/// Room for the members of a JSON export of this size, made once: a member's JSON is rarely
/// under 120 bytes, so the list is not doubled 17 times on the way to 100,000 members, moving
/// every member each time. What is not used of it is never touched.
fn room_for(text: &str) -> usize {
    text.len() / 120 + 1
}

/// A JSON array of members, read into a list with room made beforehand. Where the list may be
/// absent (a page's `data`), `null` reads as `None`.
#[derive(Clone, Copy)]
struct MemberList {
    room: usize,
}

impl<'de> DeserializeSeed<'de> for MemberList {
    type Value = Option<Vec<Member>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for MemberList {
    type Value = Option<Vec<Member>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of members")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::with_capacity(self.room);
        // Each member read straight into its slot at the end of the list (`MemberInto`).
        loop {
            members.push(Member::unread());
            let slot = members.last_mut().expect("a member was just pushed");
            if seq.next_element_seed(MemberInto(slot))?.is_none() {
                members.pop();
                return Ok(Some(members));
            }
        }
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

/// An object holding the list: the endpoint's page (`data`) or the sandbox's seed (`members`),
/// the first of the two when both are there (or null); other keys are skipped unread. Read key by
/// key, not as an untagged enum, which would first copy the whole document to try each shape.
struct Holder(MemberList);

impl<'de> Visitor<'de> for Holder {
    type Value = Option<Vec<Member>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of members, or an object with a `data` array")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut data, mut members) = (None, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "data" => data = map.next_value_seed(self.0)?,
                "members" => members = map.next_value_seed(self.0)?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(data.or(members))
    }
}

fn from_csv(text: &str) -> Result<Vec<Member>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format!("unreadable CSV header: {e}"))?
        .iter()
        .map(|h| match h.trim().to_ascii_lowercase().as_str() {
            "user_id" => "id".to_string(),
            other => other.to_string(),
        })
        .collect();
    if !headers.iter().any(|h| h == "id") {
        return Err("the CSV header has no `id` column".into());
    }
    let mut members = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut line = 1;
    while reader
        .read_record(&mut record)
        .map_err(|e| format!("unreadable CSV: {e}"))?
    {
        line += 1;
        let mut object = Map::with_capacity(headers.len());
        for (name, cell) in headers.iter().zip(record.iter()) {
            let value = if cell.trim().is_empty() {
                Json::Null
            } else {
                Json::String(crate::cell_safety::unescape_cell(cell).to_string())
            };
            object.insert(name.clone(), value);
        }
        let member = serde_json::from_value(Json::Object(object))
            .map_err(|e| format!("line {line}: {e}"))?;
        members.push(member);
    }
    Ok(members)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::{Field, Value};

    fn write(text: &str, name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn json_is_read_as_a_page_an_array_or_a_seed() {
        let member = r#"{"id": "7", "email": "a@x.example", "job_title": "Lead"}"#;
        for text in [
            format!(r#"{{"data": [{member}], "meta": {{}}}}"#),
            format!("[{member}]"),
            format!(r#"{{"org_id": "o", "members": [{member}]}}"#),
        ] {
            let (_dir, path) = write(&text, "members.json");
            let members = load(&path).unwrap();
            assert_eq!(members.len(), 1);
            assert_eq!(members[0].id, 7);
            assert_eq!(
                members[0].current(Field::JobTitle),
                Some(Value::Text("Lead".into()))
            );
        }
    }

    #[test]
    fn csv_cells_are_text_empty_is_null_and_ids_are_deduplicated() {
        let text = "\u{feff}ID,email,country_id,step_preferences,team\n\
                    2,b@x.example,826,true,\n\
                    1,a@x.example,,false,Ops\n\
                    2,b@x.example,250,true,Sales\n";
        let (_dir, path) = write(text, "members.csv");
        let members = load(&path).unwrap();
        assert_eq!(members.iter().map(|m| m.id).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(
            members[1].current(Field::CountryId),
            Some(Value::Integer(250))
        );
        assert_eq!(members[0].current(Field::CountryId), None);
        assert_eq!(
            members[0].current(Field::StepPreferences),
            Some(Value::Bool(false))
        );
    }

    #[test]
    fn errors_say_what_and_where() {
        let (_dir, path) = write("email\na@x.example\n", "m.csv");
        assert!(load(&path).unwrap_err().contains("no `id` column"));
        let (_dir, path) = write(r#"[{"id": 1}, {"email": "x"}]"#, "m.json");
        assert!(load(&path).unwrap_err().contains("`id`"));
        let (_dir, path) = write(r#"{"users": []}"#, "m.json");
        assert!(load(&path).unwrap_err().contains("`data` array"));
    }
}
