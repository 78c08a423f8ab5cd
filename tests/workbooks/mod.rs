//! Workbooks: the limits that keep a hostile one from taking the machine's memory (each case
//! run through the binary under a memory cap), the hint toward the sheet that holds the data,
//! and the hand-built packages (XLSX, ODS, XLS) these tests and the fuzz make.

pub mod capped;
mod limits;
pub mod package;
mod sheets;
pub mod xls;
