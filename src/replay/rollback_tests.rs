use super::*;
use crate::fields::Value;

#[test]
fn a_report_without_landed_is_read_by_its_outcome_and_error() {
    assert_eq!(Landed::read("updated", "", ""), Ok(Landed::All));
    let partial = format!("{PROFILE_ONLY}not sent: the run was stopped");
    assert_eq!(
        Landed::read("cancelled", &partial, ""),
        Ok(Landed::AllButRole)
    );
    assert_eq!(Landed::read("failed", &partial, ""), Ok(Landed::AllButRole));
    let cut = "the run was stopped while this request was in flight";
    assert_eq!(Landed::read("cancelled", cut, ""), Ok(Landed::Nothing));
    assert_eq!(Landed::read("planned", "", ""), Ok(Landed::Nothing));
}

#[test]
fn landed_says_which_fields_whatever_the_outcome() {
    let landed = Landed::read("cancelled", "", r#"["job_title","team"]"#).unwrap();
    assert!(landed.holds(Field::JobTitle) && landed.holds(Field::Team));
    assert!(!landed.holds(Field::Role));
    assert_eq!(Landed::read("failed", "", "[]"), Ok(Landed::Nothing));
    assert!(Landed::read("updated", "", "job_title").is_err());
}

const HEADER: &str = "row,email,user_id,outcome,before,after,error,landed,action,attempts";

fn undo_of_lines(lines: &[&str]) -> Result<Undo, String> {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.csv");
    std::fs::write(&report, format!("{HEADER}\n{}\n", lines.join("\n"))).unwrap();
    from_report(&report, &crate::progress::Quiet).map_err(|e| {
        e.strip_prefix(&format!("{} ", report.display()))
            .unwrap_or(&e)
            .to_string()
    })
}

#[test]
fn a_disable_is_undone_by_an_enable_and_an_enable_by_a_disable() {
    let undo = undo_of_lines(&[
        // A leaver disabled: its line is its member's.
        ",l@x.example,1042,disabled,{},{},,[],disable,1",
        // A rehire enabled and updated.
        r#"4,r@x.example,1004,enabled,"{""team"":""A""}","{""team"":""B""}",,"[""team""]",enable+update,2"#,
        // A disable refused: nothing to undo.
        ",b@x.example,1050,failed,{},{},HTTP 422: Bot users cannot be disabled.,[],disable,1",
        // A disable whose answer was lost: the member's status will tell.
        ",t@x.example,1051,failed,{},{},the run was stopped while this request was in flight; it may or may not have been applied (a re-run will tell),[],disable,1",
        // Planned, never sent.
        "5,p@x.example,1005,planned,{},{},,,disable,0",
    ])
    .unwrap();
    let summary: Vec<(LineKey, Option<Lifecycle>, usize)> = undo
        .changes
        .iter()
        .map(|c| (c.line, c.lifecycle.clone(), c.fields.len()))
        .collect();
    let disable = Lifecycle::Disable {
        reassign_to: None,
        seen_updated_at: None,
    };
    assert_eq!(
        summary,
        [
            (LineKey::Member(1042), Some(Lifecycle::Enable), 0),
            (LineKey::Row(4), Some(disable), 1),
            (LineKey::Member(1051), Some(Lifecycle::Enable), 0),
        ]
    );
    let team = |s: &str| Some(Value::Text(s.into()));
    assert_eq!(undo.changes[1].fields[&Field::Team], (team("B"), team("A")));
    assert_eq!(undo.partly_applied, 1);
    assert!(undo.invitations.is_empty());
}

#[test]
fn an_invitation_is_named_and_left_not_undone() {
    let undo = undo_of_lines(&[
        "3,new@x.example,2001,invited,{},{},,[],invite,1",
        "6,never@x.example,,failed,{},{},HTTP 422: The email has already been taken.,[],invite,1",
        "7,lost@x.example,,failed,{},{},the run was stopped while this request was in flight; it may or may not have been applied (a re-run will tell),[],invite,1",
    ])
    .unwrap();
    assert!(undo.changes.is_empty());
    let named: Vec<&str> = undo
        .invitations
        .iter()
        .map(|s| s.split_once(" line ").unwrap().1)
        .collect();
    assert_eq!(
        named,
        [
            "2, row 3: the invitation of new@x.example stays: Tallyfy's API cannot withdraw an invitation",
            "4, row 7: the invitation of lost@x.example stays: Tallyfy's API cannot withdraw an invitation",
        ]
    );
}

#[test]
fn a_subjects_fields_are_restored_on_its_member() {
    let subject =
        r#",l@x.example,1042,updated,"{""team"":""A""}","{""team"":""B""}",,"[""team""]",update,1"#;
    let undo = undo_of_lines(&[subject]).unwrap();
    assert_eq!(undo.changes[0].line, LineKey::Member(1042));
    assert_eq!(undo.changes[0].lifecycle, None);
}

#[test]
fn an_action_this_version_does_not_know_is_refused_by_its_line() {
    let error = undo_of_lines(&[
        "5,p@x.example,1005,planned,{},{},,,disable,0",
        ",g@x.example,1042,updated,{},{},,[],join_group,1",
    ])
    .unwrap_err();
    assert_eq!(
        error,
        "line 3: its action `join_group` cannot be undone by this version of member-sync"
    );
}
