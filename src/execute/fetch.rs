//! Reading the organization's members, page by page, through the engine (so the list counts
//! against the same rate limit as the writes).
//!
//! Pagination is read defensively: the page size the server really uses may be smaller than
//! the one asked for, `total_pages` may be missing, and members added or removed during the
//! fetch shift pages. Ids are deduplicated, and a count that disagrees with `total` triggers
//! one fresh fetch before the run goes on with a warning.

use std::collections::BTreeMap;

use crate::api::{ApiError, Member};
use crate::execute::Engine;

/// Page size asked for. Tallyfy caps pages at 100 whatever is asked.
pub const PER_PAGE: u64 = 100;

/// A guard against a server that never says "last page".
const MAX_PAGES: u64 = 100_000;

/// Why the member list could not be read.
#[derive(Debug, thiserror::Error)]
#[error("reading the member list failed on page {page} after {attempts} attempt(s): {error}")]
pub struct FetchError {
    pub page: u64,
    pub attempts: u32,
    pub error: ApiError,
}

/// Every member of the organization, ordered by id.
pub async fn fetch_members(engine: &Engine) -> Result<Vec<Member>, FetchError> {
    let (members, total) = fetch_once(engine).await?;
    match total {
        Some(total) if total != members.len() as u64 => {
            tracing::warn!(
                expected = total,
                got = members.len(),
                "the member count changed while reading the list; reading it again"
            );
            let (again, total) = fetch_once(engine).await?;
            if let Some(total) = total.filter(|t| *t != again.len() as u64) {
                tracing::warn!(
                    expected = total,
                    got = again.len(),
                    "the member list still disagrees with its own total; going on with what was read (rows for members not read end as not_found and are not written)"
                );
            }
            Ok(again)
        }
        _ => Ok(members),
    }
}

async fn fetch_once(engine: &Engine) -> Result<(Vec<Member>, Option<u64>), FetchError> {
    let mut by_id = BTreeMap::new();
    let mut total = None;
    let mut first_page_len = None;
    for page in 1..=MAX_PAGES {
        let attempted = engine
            .call(|| engine.client().list_members(page, PER_PAGE))
            .await;
        let reply = attempted.result.map_err(|error| FetchError {
            page,
            attempts: attempted.attempts,
            error,
        })?;
        let body = reply.value;
        let pagination = body.pagination();
        total = pagination.and_then(|p| p.total).or(total);
        let len = body.data.len() as u64;
        let last_page = match pagination.and_then(|p| Some((p.current_page?, p.total_pages?))) {
            Some((current, pages)) => current >= pages,
            // No page count: a page shorter than the first one is the last.
            None => first_page_len.is_some_and(|first| len < first),
        };
        first_page_len.get_or_insert(len);
        for member in body.data {
            by_id.insert(member.id, member);
        }
        tracing::debug!(page, len, "read a page of members");
        if len == 0 || last_page {
            break;
        }
    }
    Ok((by_id.into_values().collect(), total))
}
