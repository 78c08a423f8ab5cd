//! Helpers shared by every test: a sandbox org per test ([`TestOrg`]), inputs written and
//! reports read as CSV data, the binary run the way the README runs it, the shared
//! "twenty changes" scenario, the real-world fixtures with `validate` and derived inputs, and a
//! relay that meddles with a run as a network can ([`Relay`]).

mod files;
mod hostile;
mod inputs;
mod org;
mod relay;
mod run;
mod running;
pub mod scenario;

pub use files::*;
pub use hostile::*;
pub use inputs::*;
pub use org::*;
pub use relay::*;
pub use run::*;
pub use running::*;
