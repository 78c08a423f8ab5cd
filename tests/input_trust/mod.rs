//! Reading the input right or saying why not (issue 16, input items): a quote never closed, a
//! row wider than its header, the export on standard input, and hints that name the real
//! cause (a compressed or binary file, a forced wrong delimiter, a file that cannot be read).

mod extra_cells;
mod hints;
mod quotes;
mod stdin;

use std::path::Path;

use crate::util::*;

/// `member-sync validate - --report - ...EXTRA` with `input` on standard input: the report
/// comes back on stdout, as data.
fn validate_stdin(input: &[u8], extra: &[&str]) -> (i32, String, Vec<ReportRow>) {
    let output = member_sync()
        .args(["validate", "-", "--report", "-"])
        .args(extra)
        .write_stdin(input.to_vec())
        .output()
        .expect("member-sync runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let report = if stdout.is_empty() {
        Vec::new()
    } else {
        parse_validation_report_text(&stdout)
    };
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        report,
    )
}

/// Writes `bytes` as `name` in `dir` and returns the path.
fn file(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write the input");
    path
}

/// Asserts that a run sent no write at all.
#[track_caller]
fn assert_nothing_written(org: &TestOrg) {
    let writes: Vec<Request> = org.requests().into_iter().filter(|r| r.is("PUT")).collect();
    assert!(writes.is_empty(), "writes were sent: {writes:?}");
}
