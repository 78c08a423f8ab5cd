//! `member-sync export`: the organization's members as they are, in the canonical columns.
//!
//! Two uses: a backup taken before a big change (it reads back as input, so applying it
//! restores those fields), and a template that already has every member's key. The file is
//! written in exactly the form the ingest stage reads, so `export` then `plan` finds nothing
//! to change. Cells are not formula-escaped as the report's are: this file is input, and an
//! escaping `'` would become part of the value.

use std::io::Write;
use std::path::Path;

use tokio_util::sync::CancellationToken;

use crate::api::Member;
use crate::exit_code::ExitCode;
use crate::fields::{Field, Value};
use crate::progress::Progress;
use crate::settings::RunSettings;
use crate::sync::{Mode, RunError, read_members};

/// The columns, keys first.
pub fn columns() -> Vec<&'static str> {
    let mut columns = vec!["email", "user_id"];
    columns.extend(Field::ALL.iter().map(|f| f.name()));
    columns
}

/// Fetches the members and writes them to `out` (stdout when `None`).
pub async fn run(
    settings: &RunSettings,
    out: Option<&Path>,
    progress: &dyn Progress,
    stop: CancellationToken,
) -> Result<ExitCode, RunError> {
    // The same reading as a `plan`: connection, pacing, retries, a refused token's hint.
    let source = match read_members(settings, Mode::Plan, &stop, progress, None).await {
        Ok(source) => source,
        Err((result, _)) => {
            progress.finish();
            return result;
        }
    };
    progress.finish();
    let members = &source.members;
    let mut buffer = Vec::new();
    write_members(&mut buffer, members).map_err(|e| RunError::new(e.to_string()))?;
    let written = match out {
        Some(path) => std::fs::write(path, &buffer)
            .map_err(|e| RunError::new(format!("cannot write {}: {e}", path.display()))),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(&buffer)
                .and_then(|()| stdout.flush())
                .map_err(|e| RunError::new(format!("cannot write to stdout: {e}")))
        }
    };
    written?;
    if let Some(path) = out {
        progress.note(&format!(
            "{} members written to {}",
            members.len(),
            path.display()
        ));
    }
    Ok(ExitCode::Success)
}

/// One line per member, ordered by id, in the canonical form.
pub fn write_members(out: &mut impl Write, members: &[Member]) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(columns())?;
    let mut sorted: Vec<&Member> = members.iter().collect();
    sorted.sort_by_key(|m| m.id);
    for member in sorted {
        let mut record = vec![
            member.email_key().unwrap_or_default().into_owned(),
            member.id.to_string(),
        ];
        record.extend(Field::ALL.iter().map(|field| cell(member.current(*field))));
        writer.write_record(&record)?;
    }
    writer.flush()?;
    Ok(())
}

fn cell(value: Option<Value>) -> String {
    match value {
        None => String::new(),
        Some(Value::Text(s)) => s.into(),
        Some(Value::Integer(i)) => i.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
    }
}
