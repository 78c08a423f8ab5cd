//! The report as a file: whole lines on a full disk, a torn last line read back, the XLSX
//! report, values shown as text (cut when long) in `changes` and on stderr, and the `action`
//! each line names.

mod action;
mod excel_csv;
mod full_disk;
mod shown;
mod torn;
mod xlsx;
