//! The Tallyfy member API client: one method per call the tool makes, nothing more.
//!
//! The client sends exactly one HTTP request per method call and reports what happened as an
//! [`ApiError`] with enough detail (status, `Retry-After`, request id, a short message) for the
//! execute stage to decide what to do. It never retries and never sleeps: pacing and retries
//! are policies, decided once in `execute`.

pub mod answer;
mod client;
pub mod error_body;
pub mod groups;
#[cfg(test)]
mod groups_tests;
mod lifecycle;
#[cfg(test)]
mod lifecycle_tests;
pub mod member_state;
pub mod rate_headers;
pub mod wire;

pub use answer::{RETRY_AFTER_CEILING, parse_retry_after};
pub(crate) use client::error_chain;
pub use client::{ApiError, Client, Connection, Reply};
pub use groups::{Group, GroupPage, GroupWrite};
pub use member_state::MemberStatus;
pub use rate_headers::Quota;
pub use wire::{Member, MemberPage};
