//! Reading the organization's members, page by page, through the engine (so the list counts
//! against the same rate limit as the writes).
//!
//! The first page says how many there are; the others are then fetched concurrently, as fast
//! as the pacer lets them leave, so a 10,000-member list costs one round trip plus 99 paced
//! requests rather than 100 round trips. Workers take page numbers from a shared cursor, each
//! page through the engine (pacing, retries, stop), and the first page that fails for good
//! ends the fetch.
//!
//! Pagination is read defensively: the page size the server really uses may be smaller than
//! the one asked for, `total_pages` may be missing (then the page count comes from `total`
//! and the first page's size, and without `total` either the pages are read one after the
//! other until a short one), and members added or removed during the fetch shift pages. Ids
//! are deduplicated, and a count that disagrees with `total` triggers one fresh fetch before
//! the run goes on with a warning.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::api::{ApiError, Member, MemberPage};
use crate::execute::Engine;
use crate::execute::pool::Concurrency;

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

/// Every member of the organization, ordered by id. `concurrency` bounds the pages in flight
/// (automatic: sized from the pace and the first page's latency).
pub async fn fetch_members(
    engine: &Arc<Engine>,
    concurrency: Concurrency,
) -> Result<Vec<Member>, FetchError> {
    let (members, total) = fetch_once(engine, concurrency).await?;
    match total {
        Some(total) if total != members.len() as u64 => {
            tracing::warn!(
                expected = total,
                got = members.len(),
                "the member count changed while reading the list; reading it again"
            );
            let (again, total) = fetch_once(engine, concurrency).await?;
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

/// What has been read so far: members by id, and the `total` of the highest page read.
#[derive(Default)]
struct Collected {
    by_id: BTreeMap<u64, Member>,
    total: Option<(u64, u64)>,
}

impl Collected {
    fn add(&mut self, page: u64, body: MemberPage) {
        if let Some(total) = body.pagination().and_then(|p| p.total)
            && self.total.is_none_or(|(from, _)| from < page)
        {
            self.total = Some((page, total));
        }
        for member in body.data {
            self.by_id.insert(member.id, member);
        }
    }

    fn finish(self) -> (Vec<Member>, Option<u64>) {
        (
            self.by_id.into_values().collect(),
            self.total.map(|(_, total)| total),
        )
    }
}

async fn fetch_once(
    engine: &Arc<Engine>,
    concurrency: Concurrency,
) -> Result<(Vec<Member>, Option<u64>), FetchError> {
    let first = fetch_page(engine, 1).await?;
    let first_len = first.data.len() as u64;
    let pagination = first.pagination();
    let pages = match pagination.and_then(|p| Some((p.current_page?, p.total_pages?))) {
        Some((_, pages)) => Some(pages),
        // No page count: the first page's size is the server's page size.
        None => pagination
            .and_then(|p| p.total)
            .filter(|_| first_len > 0)
            .map(|total| total.div_ceil(first_len)),
    };
    let mut collected = Collected::default();
    collected.add(1, first);
    if first_len == 0 {
        return Ok(collected.finish());
    }
    match pages {
        Some(pages) => {
            let workers = engine.workers(concurrency);
            fetch_pages_concurrently(engine, 2..=pages.min(MAX_PAGES), workers, collected).await
        }
        None => fetch_pages_in_turn(engine, first_len, collected).await,
    }
}

/// Pages `pages`, at most `workers` in flight, each at most once.
async fn fetch_pages_concurrently(
    engine: &Arc<Engine>,
    pages: std::ops::RangeInclusive<u64>,
    workers: usize,
    collected: Collected,
) -> Result<(Vec<Member>, Option<u64>), FetchError> {
    let (first, last) = (*pages.start(), *pages.end());
    let collected = Arc::new(Mutex::new(collected));
    let cursor = Arc::new(AtomicU64::new(first));
    let count = usize::try_from((last + 1).saturating_sub(first)).unwrap_or(usize::MAX);
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..workers.clamp(1, count.max(1)) {
        let (engine, cursor, collected) = (engine.clone(), cursor.clone(), collected.clone());
        set.spawn(async move {
            loop {
                let page = cursor.fetch_add(1, Ordering::SeqCst);
                if page > last {
                    return Ok(());
                }
                let body = fetch_page(&engine, page).await?;
                collected
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .add(page, body);
            }
        });
    }
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(Ok(())) => {}
            // The others would only spend requests on a list that cannot be completed.
            Ok(Err(error)) => return Err(error),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => {}
        }
    }
    let collected = Arc::try_unwrap(collected)
        .ok()
        .expect("every page worker has finished")
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    Ok(collected.finish())
}

/// Without a page count: one page after the other until an empty or short one (or the
/// server's `current_page >= total_pages`).
async fn fetch_pages_in_turn(
    engine: &Arc<Engine>,
    first_len: u64,
    mut collected: Collected,
) -> Result<(Vec<Member>, Option<u64>), FetchError> {
    for page in 2..=MAX_PAGES {
        let body = fetch_page(engine, page).await?;
        let len = body.data.len() as u64;
        let last_page = match body
            .pagination()
            .and_then(|p| Some((p.current_page?, p.total_pages?)))
        {
            Some((current, pages)) => current >= pages,
            None => len < first_len,
        };
        collected.add(page, body);
        if len == 0 || last_page {
            break;
        }
    }
    Ok(collected.finish())
}

async fn fetch_page(engine: &Engine, page: u64) -> Result<MemberPage, FetchError> {
    let attempted = engine
        .call(|| engine.client().list_members(page, PER_PAGE))
        .await;
    let reply = attempted.result.map_err(|error| FetchError {
        page,
        attempts: attempted.attempts,
        error,
    })?;
    tracing::debug!(page, len = reply.value.data.len(), "read a page of members");
    Ok(reply.value)
}
