//! The report as a file: whole lines on a full disk, a torn last line read back, the XLSX
//! report, and values shown as text (cut when long) in `changes` and on stderr.

mod excel_csv;
mod full_disk;
mod shown;
mod torn;
mod xlsx;
