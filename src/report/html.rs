//! The HTML run report: the run as one page people would rather look at than a CSV, beside the
//! report (`--html PATH`, or always in `--report-dir`).
//!
//! Why it is built this way:
//! - **From the report as written.** The page reads the report's lines back from the file at the
//!   end of the run ([`lines`]), so it shows what the audit trail holds and nothing else, and
//!   any line the report gains (a new outcome, an `action`, a line without a row) lands in a
//!   section by the same rules. The headline's counts are the run's own: they include rows a
//!   report cut short by a full disk could not hold.
//! - **Member data is hostile.** Anyone can set their own job title in Tallyfy, and an HR export
//!   carries what people typed. Every value goes into the page through maud, which escapes
//!   whatever is interpolated unless it is wrapped in `PreEscaped` (only the page's own style
//!   and script are), and values go into text only, never into an attribute, a link or a
//!   script. Control and direction-changing characters are shown as escapes (`\u{202e}`), as in
//!   the report's `changes`. A Content-Security-Policy allows the page's one style and one
//!   script by their hash and nothing else, so even a value that did become markup could not
//!   run, load or send anything.
//! - **Self-contained.** No network, fonts, images or scripts from elsewhere: the page opens
//!   from a mail attachment or a file share as it does from disk, and tells nobody it was
//!   opened.
//! - **Bounded.** Each table lists at most [`ROWS_LISTED`] rows (the lowest-numbered) and says
//!   how many more there are: a run of 100,000 rows makes a page of a few megabytes, not
//!   hundreds. The CSV has every row.
//! - **Written like every output** (`crate::output_file`): whole, to a temporary file renamed
//!   into place, `0600`, never over an existing file or through a link.

mod groups;
mod lines;
mod page;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::execute::StatsSnapshot;
use crate::output_file::{IfExists, Output, Refused};

use lines::Sections;

/// The most rows a table of the page lists; the others are counted.
pub const ROWS_LISTED: usize = 1_000;

/// Where the HTML report of a run goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HtmlTarget {
    /// `--html PATH`.
    Path(PathBuf),
    /// Beside a report named by time in `--report-dir`: the same name, ending `.html`.
    BesideReport,
}

impl HtmlTarget {
    /// `--html PATH` when given, else beside the report when reports go to a `--report-dir`.
    pub fn chosen(html: Option<&Path>, report_dir: bool) -> Option<HtmlTarget> {
        match html {
            Some(path) => Some(HtmlTarget::Path(path.to_path_buf())),
            None => report_dir.then_some(HtmlTarget::BesideReport),
        }
    }

    /// The output named on the command line, checked before the run with the others (a page
    /// beside a time-named report is new by construction).
    pub fn named(&self) -> Option<Output<'_>> {
        match self {
            HtmlTarget::Path(path) => Some(html_output(path, "--html")),
            HtmlTarget::BesideReport => None,
        }
    }

    /// The page's path for the report at `report`.
    pub fn path_for(&self, report: &Path) -> PathBuf {
        match self {
            HtmlTarget::Path(path) => path.clone(),
            HtmlTarget::BesideReport => report.with_extension("html"),
        }
    }

    fn flag(&self) -> &'static str {
        match self {
            HtmlTarget::Path(_) => "--html",
            HtmlTarget::BesideReport => "--report-dir",
        }
    }
}

/// The page as an output: never replaced.
fn html_output<'p>(path: &'p Path, flag: &'static str) -> Output<'p> {
    Output {
        path,
        what: "HTML report",
        flag,
        if_exists: IfExists::Refuse,
        overwrite_flag: None,
    }
}

/// What the page's headline says about the run, as the run's end knows it.
#[derive(Debug)]
pub struct RunFacts<'a> {
    /// `plan` or `apply`.
    pub command: &'static str,
    pub org: Option<&'a str>,
    pub started: jiff::ZonedDateTime,
    pub finished: jiff::ZonedDateTime,
    pub duration: Duration,
    /// Rows per outcome as the run counted them; `None` when it counted none (the page then
    /// counts the report's lines).
    pub counts: Option<BTreeMap<String, usize>>,
    /// Of the lines counted, those of members without a row, and of groups
    /// (`--groups-from`): the headline counts them apart from the rows, as the summary line
    /// does.
    pub members: usize,
    pub groups: usize,
    /// Rows counted whose line is not in the report (it could not be written whole).
    pub not_in_report: usize,
    pub stats: StatsSnapshot,
    /// What held the pace back (`pace: ...`), when requests were sent.
    pub pace: Option<String>,
    pub exit_code: u8,
    /// The error the run ended with, and its hint.
    pub error: Option<String>,
    pub hint: Option<String>,
    /// The report, as named on stderr.
    pub report: &'a Path,
}

/// Writes the page for the run described by `facts`, from the report lines in `lines` (the
/// report, or a workbook's journal); the path written.
pub fn write_html(
    target: &HtmlTarget,
    facts: &RunFacts<'_>,
    lines: &Path,
) -> Result<PathBuf, Refused> {
    let path = target.path_for(facts.report);
    let output = html_output(&path, target.flag());
    let sections = Sections::read(lines).and_then(|mut sections| {
        sections.name_members(lines)?;
        Ok(sections)
    });
    let sections = sections.map_err(|e| Refused {
        message: format!(
            "cannot write the HTML report {}: the report {} could not be read: {e}",
            path.display(),
            lines.display()
        ),
        hint: None,
    })?;
    output.write(page::render(facts, &sections).as_bytes())?;
    Ok(path)
}
