//! Helpers shared by every test: a sandbox org per test ([`TestOrg`]), inputs written and
//! reports read as CSV data, the binary run the way the README runs it, and the shared
//! "twenty changes" scenario.

mod files;
mod org;
mod run;
pub mod scenario;

pub use files::*;
pub use org::*;
pub use run::*;
