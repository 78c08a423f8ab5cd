//! `member-sync export`: the organization's members as they are, in the canonical columns.
//!
//! Two uses: a backup taken before a big change (it reads back as input, so applying it
//! restores those fields), and a template that already has every member's key. The file is
//! written in exactly the form the ingest stage reads, so `export` then `plan` finds nothing
//! to change.
//!
//! Members set their own job titles, so a title can be `=HYPERLINK(...)`: cells are escaped
//! as the report's are (`crate::cell_safety`), and reading the file back (as input, or as
//! `plan --against`) undoes the escape, so the round trip still changes nothing. The file is
//! written as every output is (`crate::output_file`): private, never over an existing file
//! without `--overwrite`, never through a link.

use std::io::Write;

use tokio_util::sync::CancellationToken;

use crate::api::Member;
use crate::cell_safety::escape_cell;
use crate::exit_code::ExitCode;
use crate::fields::{Field, Value};
use crate::output_file::Output;
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
    out: Option<Output<'_>>,
    progress: &dyn Progress,
    stop: CancellationToken,
) -> Result<ExitCode, RunError> {
    // A file that would be refused is refused before the members are read.
    if let Some(out) = &out {
        out.check()?;
    }
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
    let written = match &out {
        Some(out) => out.write(&buffer).map_err(RunError::from),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(&buffer)
                .and_then(|()| stdout.flush())
                .map_err(|e| RunError::new(format!("cannot write to stdout: {e}")))
        }
    };
    written?;
    if let Some(out) = out {
        progress.note(&format!(
            "{} members written to {}",
            members.len(),
            out.path.display()
        ));
    }
    Ok(ExitCode::Success)
}

/// One line per member, ordered by id, in the canonical form, each cell made safe to open in
/// a spreadsheet.
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
        for cell in &record {
            writer.write_field(escape_cell(cell).as_bytes())?;
        }
        writer.write_record(None::<&[u8]>)?;
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
