//! Reading every group of the organization, page by page, through the engine: the one read a
//! group sync makes before it plans (`GET /groups?per_page=100`, pages).
//!
//! One page after the other rather than concurrently as members are: an organization has tens
//! of groups, rarely more than a page, and the next page is asked for only when the one before
//! says there is one. Each page goes through [`Engine::call`], so the run's one pacer and its
//! retry policy apply to it as to every other request.
//!
//! The pages are read as distrustfully as the member list's: the last page is the one the
//! pagination says is last (or, without it, a short or empty one); a page holding only groups
//! already read ends the read with an error, as does a list past [`MAX_GROUPS`] or past what
//! the first page's own `total` allows. A whole-list write planned from a partial list would
//! take members out of groups, so nothing here guesses.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{FetchError, PER_PAGE, pages_allowed};
use crate::api::{Group, GroupPage};
use crate::execute::Engine;

/// The most groups read from one organization: far above any real one, and a bound on what a
/// server that never says "last page" can make the run read.
pub const MAX_GROUPS: u64 = 100_000;

/// Every group of the organization, ordered by id.
pub async fn fetch_groups(engine: &Arc<Engine>) -> Result<Vec<Group>, FetchError> {
    let mut by_id: BTreeMap<String, Group> = BTreeMap::new();
    let mut allowed = MAX_GROUPS.div_ceil(PER_PAGE);
    for page in 1.. {
        if page > allowed {
            let problem = format!(
                "the server keeps sending pages: {} groups read in {} pages",
                by_id.len(),
                page - 1
            );
            return Err(FetchError::GroupPagination { page, problem });
        }
        let body = fetch_page(engine, page).await?;
        let len = body.data.len() as u64;
        let pagination = body.pagination();
        let page_size = pagination.and_then(|p| p.per_page).unwrap_or(PER_PAGE);
        if page == 1
            && let Some(total) = pagination.and_then(|p| p.total)
        {
            allowed = allowed.min(pages_allowed(total, len.max(page_size)));
        }
        let last_page = match pagination.and_then(|p| Some((p.current_page?, p.total_pages?))) {
            Some((current, pages)) => current >= pages,
            None => len < page_size,
        };
        let mut new = 0;
        for group in body.data {
            new += u64::from(by_id.insert(group.id.clone(), group).is_none());
        }
        if len > 0 && new == 0 && page > 1 {
            let problem = format!(
                "page {page} holds only groups already read: the server's pages are not moving through the list"
            );
            return Err(FetchError::GroupPagination { page, problem });
        }
        if by_id.len() as u64 > MAX_GROUPS {
            let problem = format!("more than {MAX_GROUPS} groups read; member-sync reads no more");
            return Err(FetchError::GroupPagination { page, problem });
        }
        if len == 0 || last_page {
            break;
        }
    }
    Ok(by_id.into_values().collect())
}

async fn fetch_page(engine: &Engine, page: u64) -> Result<GroupPage, FetchError> {
    let attempted = engine
        .call(|| engine.client().list_groups(page, PER_PAGE))
        .await;
    let reply = attempted.result.map_err(|error| FetchError::GroupRequest {
        page,
        attempts: attempted.attempts,
        error,
    })?;
    tracing::debug!(page, len = reply.value.data.len(), "read a page of groups");
    Ok(reply.value)
}

#[cfg(test)]
#[path = "groups_tests.rs"]
mod tests;
