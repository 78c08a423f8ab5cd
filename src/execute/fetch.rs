//! Reading the organization's members, page by page, through the engine (so the list counts
//! against the same rate limit as the writes). Its groups are read in `fetch/groups.rs`.
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
//!
//! It is also read distrustfully: a server (or a stand-in, or a proxy) that repeats a page,
//! adds new members for ever, or claims ten billion pages would otherwise keep the run, and the
//! organization's lock, going for hours. So the pages are bounded by the first page's own
//! `total` with some slack (`pages_allowed`), a page holding only members already read ends
//! the fetch, and nothing past [`MAX_MEMBERS`] is read; each is a clear error, not a guess.
//! Members repeated with different emails are kept, both copies: the lookup then refuses the
//! rows that would match them (`plan::member_index`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::api::{ApiError, Member, MemberPage};
use crate::execute::Engine;
use crate::execute::pool::Concurrency;

mod groups;

pub use groups::{MAX_GROUPS, fetch_groups};

/// Page size asked for. Tallyfy caps pages at 100 whatever is asked.
pub const PER_PAGE: u64 = 100;

/// The most members read from one organization: far above any Tallyfy organization, and a
/// bound on what a server that never says "last page" can make the run read.
pub const MAX_MEMBERS: u64 = 1_000_000;

/// Why the member list could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("reading the member list failed on page {page} after {attempts} attempt(s): {error}")]
    Request {
        page: u64,
        attempts: u32,
        error: ApiError,
    },
    /// The pages do not add up: read no further than this.
    #[error("reading the member list stopped at page {page}: {problem}")]
    Pagination { page: u64, problem: String },
    #[error("reading the groups failed on page {page} after {attempts} attempt(s): {error}")]
    GroupRequest {
        page: u64,
        attempts: u32,
        error: ApiError,
    },
    /// The group pages do not add up: read no further than this.
    #[error("reading the groups stopped at page {page}: {problem}")]
    GroupPagination { page: u64, problem: String },
}

/// The most pages a list of `total` members in pages of `page_len` may take: its own count,
/// plus a tenth (at least two) for members added while it is read.
fn pages_allowed(total: u64, page_len: u64) -> u64 {
    let pages = total.div_ceil(page_len.max(1));
    pages + (pages / 10).max(2)
}

/// The first page's `total` and `total_pages`, checked against each other and the ceiling:
/// the number of pages that may be read.
fn checked_page_count(
    total: Option<u64>,
    total_pages: Option<u64>,
    first_len: u64,
) -> Result<u64, FetchError> {
    let problem = |problem: String| FetchError::Pagination { page: 1, problem };
    let ceiling = MAX_MEMBERS.div_ceil(first_len.max(1));
    if let Some(total) = total.filter(|t| *t > MAX_MEMBERS) {
        return Err(problem(format!(
            "the server claims {total} members; member-sync reads at most {MAX_MEMBERS}"
        )));
    }
    let allowed = total.map_or(ceiling, |total| pages_allowed(total, first_len));
    match (total_pages, total) {
        (Some(pages), Some(total)) if pages > allowed => Err(problem(format!(
            "the server claims {pages} pages for {total} members in pages of {first_len}"
        ))),
        (Some(pages), None) if pages > ceiling => Err(problem(format!(
            "the server claims {pages} pages of {first_len} members, more than the {MAX_MEMBERS} members member-sync reads"
        ))),
        _ => Ok(allowed),
    }
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
    /// The same id read again with another email: kept too, for the lookup to refuse both.
    conflicting: Vec<Member>,
    total: Option<(u64, u64)>,
}

impl Collected {
    /// Adds a page's members; a page with members but none new is an error (the server is
    /// not moving through its list).
    fn add(&mut self, page: u64, body: MemberPage) -> Result<(), FetchError> {
        if let Some(total) = body.pagination().and_then(|p| p.total)
            && self.total.is_none_or(|(from, _)| from < page)
        {
            self.total = Some((page, total));
        }
        let len = body.data.len();
        let mut new = 0;
        for member in body.data {
            match self.by_id.get(&member.id) {
                None => new += 1,
                Some(known) if known.email_key() != member.email_key() => {
                    self.conflicting.push(known.clone());
                }
                Some(_) => {}
            }
            self.by_id.insert(member.id, member);
        }
        if len > 0 && new == 0 && page > 1 {
            return Err(FetchError::Pagination {
                page,
                problem: format!(
                    "page {page} holds only members already read: the server's pages are not moving through the list"
                ),
            });
        }
        if self.by_id.len() as u64 > MAX_MEMBERS {
            return Err(FetchError::Pagination {
                page,
                problem: format!("more than {MAX_MEMBERS} members read; member-sync reads no more"),
            });
        }
        Ok(())
    }

    fn finish(self) -> (Vec<Member>, Option<u64>) {
        let mut members: Vec<Member> = self.by_id.into_values().collect();
        if !self.conflicting.is_empty() {
            members.extend(self.conflicting);
            members.sort_by_key(|m| m.id);
        }
        (members, self.total.map(|(_, total)| total))
    }
}

async fn fetch_once(
    engine: &Arc<Engine>,
    concurrency: Concurrency,
) -> Result<(Vec<Member>, Option<u64>), FetchError> {
    let first = fetch_page(engine, 1).await?;
    let first_len = first.data.len() as u64;
    let pagination = first.pagination();
    let total = pagination.and_then(|p| p.total);
    let total_pages =
        pagination.and_then(|p| Some((p.current_page?, p.total_pages?)).map(|(_, n)| n));
    let pages = match total_pages {
        Some(pages) => Some(pages),
        // No page count: the first page's size is the server's page size.
        None => total
            .filter(|_| first_len > 0)
            .map(|total| total.div_ceil(first_len)),
    };
    let mut collected = Collected::default();
    collected.add(1, first)?;
    if first_len == 0 {
        return Ok(collected.finish());
    }
    let allowed = checked_page_count(total, total_pages, first_len)?;
    match pages {
        Some(pages) => {
            let workers = engine.workers(concurrency);
            fetch_pages_concurrently(engine, 2..=pages.min(allowed), workers, collected).await
        }
        None => fetch_pages_in_turn(engine, first_len, allowed, collected).await,
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
                    .add(page, body)?;
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
/// server's `current_page >= total_pages`), and no more than `allowed` pages.
async fn fetch_pages_in_turn(
    engine: &Arc<Engine>,
    first_len: u64,
    allowed: u64,
    mut collected: Collected,
) -> Result<(Vec<Member>, Option<u64>), FetchError> {
    for page in 2.. {
        let read = collected.by_id.len() as u64;
        let past_total = collected
            .total
            .map(|(_, total)| total)
            .filter(|total| read > total + (2 * first_len).max(total / 10));
        if let Some(total) = past_total {
            let problem = format!(
                "the server keeps sending pages: {read} members read, more than its own total of {total}"
            );
            return Err(FetchError::Pagination { page, problem });
        }
        if page > allowed {
            let problem = format!("the server keeps sending pages past {MAX_MEMBERS} members");
            return Err(FetchError::Pagination { page, problem });
        }
        let body = fetch_page(engine, page).await?;
        let len = body.data.len() as u64;
        let last_page = match body
            .pagination()
            .and_then(|p| Some((p.current_page?, p.total_pages?)))
        {
            Some((current, pages)) => current >= pages,
            None => len < first_len,
        };
        collected.add(page, body)?;
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
    let reply = attempted.result.map_err(|error| FetchError::Request {
        page,
        attempts: attempted.attempts,
        error,
    })?;
    tracing::debug!(page, len = reply.value.data.len(), "read a page of members");
    Ok(reply.value)
}
