//! Workbooks: the limits that keep a hostile one from taking the machine's memory, the hint
//! toward the sheet that holds the data, and mutated workbooks run through the binary.

pub mod capped;
mod limits;
pub mod package;
mod sheets;
pub mod xls;
