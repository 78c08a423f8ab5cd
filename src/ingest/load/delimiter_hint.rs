//! The hint for a text file refused for having no key column, when another delimiter would
//! find one: `--delimiter ,` forced on a `;` file reads its header as one column, and "add a
//! key column" would send the user to fix a file that is fine.

use super::super::csv_reader::{RawRow, TextRows};
use super::super::{LoadOptions, Target, header, sniff};
use super::{Failed, HEADER_SCAN_ROWS, choose_preset, width};

/// Where the delimiter of a text file came from.
#[derive(Clone, Copy)]
pub(super) enum ChosenBy {
    Flag,
    SepLine,
    Guess,
}

/// A file refused for having no key column whose header has one with another delimiter: the
/// hint says which (`--delimiter ,` on a `;` file reads the header as one column).
pub(super) fn other_delimiter_hint(
    mut failed: Failed,
    text: &str,
    used: u8,
    chosen_by: ChosenBy,
    options: &LoadOptions,
) -> Failed {
    if !failed.0.message.starts_with("no key column") {
        return failed;
    }
    let Some((other, key)) = sniff::CANDIDATES
        .into_iter()
        .filter(|&d| d != used)
        .find_map(|d| Some((d, header_with(text, d, options)?.1?)))
    else {
        return failed;
    };
    let columns = match header_with(text, used, options).map_or(1, |(cells, _)| cells) {
        1 => "one column".to_string(),
        n => format!("{n} columns"),
    };
    let (used, other_name, flag) = (
        sniff::delimiter_name(used),
        sniff::delimiter_name(other),
        sniff::delimiter_flag(other),
    );
    let reads = format!(
        "the file reads with --delimiter {other_name} (its key column: `{key}`): run again with \
         --delimiter {flag}"
    );
    failed.0.hint = Some(match chosen_by {
        ChosenBy::Flag => format!(
            "with --delimiter {used} the header is {columns}; {reads}, or without --delimiter \
             to have it guessed"
        ),
        ChosenBy::SepLine => format!(
            "the file's `sep=` line names the delimiter {used}, with which the header is \
             {columns}; {reads}"
        ),
        ChosenBy::Guess => format!(
            "the delimiter was guessed as {used}, with which the header is {columns}; {reads}"
        ),
    });
    failed
}

/// The header row of `text` read with `delimiter`: its cells, and its key column if it has one.
fn header_with(
    text: &str,
    delimiter: u8,
    options: &LoadOptions,
) -> Option<(usize, Option<String>)> {
    let first: Vec<RawRow> = TextRows::new(text, delimiter)
        .map_while(Result::ok)
        .filter(|row| !row.is_blank())
        .take(HEADER_SCAN_ROWS)
        .collect();
    let mapping = options.mapping.as_ref();
    let header = &first[header::find_header(&first, mapping)?];
    let names = header.cells.to_strings();
    let (preset, _) = choose_preset(options, &names);
    let key = header::map_headers_with(&names, preset, mapping)
        .ok()
        .and_then(|map| {
            map.columns
                .into_iter()
                .find(|c| matches!(c.target, Target::Email | Target::UserId) && c.rank == 0)
        })
        .map(|c| c.header);
    Some((width(&header.cells), key))
}

#[cfg(test)]
mod tests {
    use crate::ingest::{LoadOptions, load_bytes_with};
    use std::path::Path;

    fn hint(text: &str, options: &LoadOptions) -> String {
        let refused = load_bytes_with(text.as_bytes(), Path::new("x.csv"), options).unwrap_err();
        refused.hint().unwrap_or_default().to_string()
    }

    #[test]
    fn a_forced_sep_line_or_guessed_delimiter_that_hides_the_key_says_which_finds_it() {
        let semicolons = "Work Email;Job Title\na@x.io;CTO\n";
        let forced = hint(semicolons, &LoadOptions::default().with_delimiter(b','));
        assert!(
            forced.starts_with("with --delimiter `,` the header is one column; "),
            "{forced}"
        );
        let sep = hint(&format!("sep=,\n{semicolons}"), &LoadOptions::default());
        assert!(
            sep.starts_with("the file's `sep=` line names the delimiter `,`"),
            "{sep}"
        );
        // Title rows split by commas win the guess; the header below them is `;`-separated.
        let titled = format!("Report,2024,HR\nMade,by,system\nOn,the,day\n{semicolons}");
        let guessed = hint(&titled, &LoadOptions::default());
        assert_eq!(
            guessed,
            "the delimiter was guessed as `,`, with which the header is 3 columns; the file reads \
             with --delimiter `;` (its key column: `Work Email`): run again with --delimiter ';'"
        );
    }

    #[test]
    fn no_other_delimiter_finding_a_key_keeps_the_usual_hint() {
        let hint = hint("Name;Title\nAnn;CTO\n", &LoadOptions::default());
        assert!(
            hint.starts_with("add a column with each member's email"),
            "{hint}"
        );
    }
}
