//! No output may land on an input of its run or on another output: `--report F
//! --summary-json F` would leave a summary where the undo data was, and `--summary-json
//! people.csv` would replace the HR export. Checked before a run reads or sends anything.
//!
//! Two paths are one file when they name the same existing file (the same device and inode on
//! Unix: a hard link or `./x` against `x` is caught), or, for a file not there yet, the same
//! name in the same directory once the directory's path is resolved.

use std::path::{Path, PathBuf};

use super::{Output, Refused, parent_dir};

/// A file the run reads, and what it is for messages ("the input", "the --against file").
#[derive(Debug, Clone, Copy)]
pub struct Input<'p> {
    pub path: &'p Path,
    pub what: &'static str,
}

/// Refuses two outputs naming one file, or an output naming an input. Standard input (`-`)
/// is no file.
pub fn check_apart(outputs: &[Output<'_>], inputs: &[Input<'_>]) -> Result<(), Refused> {
    for (i, output) in outputs.iter().enumerate() {
        if let Some(other) = outputs[..i].iter().find(|o| same_file(o.path, output.path)) {
            return Err(Refused::with_hint(
                format!(
                    "{} and {} name the same file {}",
                    other.flag,
                    output.flag,
                    output.path.display()
                ),
                "give each output its own path",
            ));
        }
        let inputs = inputs.iter().filter(|i| i.path != Path::new("-"));
        if let Some(input) = inputs.into_iter().find(|i| same_file(i.path, output.path)) {
            return Err(Refused::with_hint(
                format!(
                    "{} names {} {}",
                    output.flag,
                    input.what,
                    output.path.display()
                ),
                &format!(
                    "an output never replaces a file the run reads: give {} another path",
                    output.flag
                ),
            ));
        }
    }
    Ok(())
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a_meta), Ok(b_meta)) => same_inode(&a_meta, &b_meta, a, b),
        _ => resolved(a) == resolved(b),
    }
}

#[cfg(unix)]
fn same_inode(a: &std::fs::Metadata, b: &std::fs::Metadata, _: &Path, _: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_inode(_: &std::fs::Metadata, _: &std::fs::Metadata, a: &Path, b: &Path) -> bool {
    resolved(a) == resolved(b)
}

/// The path with its directory resolved (links, `..`, relative to the current directory).
fn resolved(path: &Path) -> PathBuf {
    let directory = parent_dir(path)
        .canonicalize()
        .or_else(|_| std::path::absolute(parent_dir(path)))
        .unwrap_or_else(|_| parent_dir(path).to_path_buf());
    match path.file_name() {
        Some(name) => directory.join(name),
        None => directory,
    }
}
