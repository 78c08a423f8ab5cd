//! The member lifecycle calls: invite a joiner, disable a leaver, enable a rehire, remove a
//! member with their work reassigned, and find one member by email.
//!
//! Apart from the profile calls because they are not alike: an invite sends an email, so it is
//! never idempotent, and after an ambiguous failure (timeout, reset, 5xx) the only safe next
//! step is [`Client::find_member_by_email`], never a second invite. Each method still sends
//! exactly one request and reports what happened; what to do next is the caller's policy.
//! The permanent delete (`DELETE .../users/{id}/delete`) is deliberately absent: it is
//! irreversible and renames the email, and no sync should ever send it.

use super::answer::{LIST_PAGE_LIMIT, MEMBER_LIMIT};
use super::client::{ApiError, Client, Reply, unwrap_envelope};
use super::wire::{Envelope, Member, MemberPage};

/// Members asked for in one email search: the page cap Tallyfy's own CLI reports.
const SEARCH_PAGE: u64 = 100;

impl Client {
    /// `POST /organizations/{org}/users/invite` with all five fields the API requires. The
    /// answer is the invited member (`status: "invited"`). Sends an email: never repeat it
    /// after a failure that may have landed.
    pub async fn invite(
        &self,
        email: &str,
        first_name: &str,
        last_name: &str,
        role: &str,
        message: &str,
    ) -> Result<Reply<Member>, ApiError> {
        let url = format!("{}/users/invite", self.org_url);
        let body = serde_json::json!({
            "email": email,
            "first_name": first_name,
            "last_name": last_name,
            "role": role,
            "message": message,
        });
        self.member_call(self.http.post(url).json(&body)).await
    }

    /// `DELETE /organizations/{org}/users/{id}/disable` (a DELETE, though nothing is deleted:
    /// the member stays listed, `status: "disabled"`, and an enable undoes it).
    pub async fn disable(&self, member_id: u64) -> Result<Reply<Member>, ApiError> {
        let url = format!("{}/users/{member_id}/disable", self.org_url);
        self.member_call(self.http.delete(url)).await
    }

    /// `PUT /organizations/{org}/users/{id}/enable`. Tallyfy emails the member, and a full seat
    /// pool refuses it (409 `SEAT_POOL_EXHAUSTED`).
    pub async fn enable(&self, member_id: u64) -> Result<Reply<Member>, ApiError> {
        let url = format!("{}/users/{member_id}/enable", self.org_url);
        self.member_call(self.http.put(url)).await
    }

    /// `DELETE /organizations/{org}/users/{id}?with_reassignment=true&to={to}`: the member
    /// leaves the organization and their open work goes to member `to`.
    pub async fn remove_with_reassignment(
        &self,
        member_id: u64,
        to: u64,
    ) -> Result<Reply<Member>, ApiError> {
        let url = format!(
            "{}/users/{member_id}?with_reassignment=true&to={to}",
            self.org_url
        );
        self.member_call(self.http.delete(url)).await
    }

    /// `GET /organizations/{org}/users?q=EMAIL`: the member whose email is `email` (compared
    /// trimmed and case-insensitively), or `None`. The search also matches names and parts of
    /// other emails, so only an exact match counts. An answer of several pages without the
    /// email on this one cannot say it is absent, and is an error rather than a `None`.
    pub async fn find_member_by_email(
        &self,
        email: &str,
    ) -> Result<Reply<Option<Member>>, ApiError> {
        let query: String = url::form_urlencoded::byte_serialize(email.trim().as_bytes()).collect();
        let url = format!(
            "{}/users?q={query}&page=1&per_page={SEARCH_PAGE}",
            self.org_url
        );
        let reply: Reply<MemberPage> = self.send(self.http.get(url), LIST_PAGE_LIMIT).await?;
        let found = pick_by_email(reply.value, email).map_err(|message| ApiError::Malformed {
            status: reply.status,
            message,
            request_id: reply.request_id.clone(),
        })?;
        Ok(Reply {
            value: found,
            status: reply.status,
            request_id: reply.request_id,
            quota: reply.quota,
        })
    }

    async fn member_call(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<Reply<Member>, ApiError> {
        let reply: Reply<Envelope<Member>> = self.send(request, MEMBER_LIMIT).await?;
        Ok(unwrap_envelope(reply))
    }
}

/// The one member of a search answer whose email is `email`; an error when the answer cannot
/// tell (the email on no page read, more pages to come) or names two members.
fn pick_by_email(page: MemberPage, email: &str) -> Result<Option<Member>, String> {
    let key = crate::fields::trim_cell(email).to_lowercase();
    let more_pages = page
        .pagination()
        .and_then(|p| Some(p.current_page.unwrap_or(1) < p.total_pages?))
        .unwrap_or(false);
    let mut matches = page.data.into_iter().filter(|m| m.has_email_key(&key));
    let found = matches.next();
    if let (Some(first), Some(second)) = (&found, matches.next()) {
        return Err(format!(
            "two members answer to {key} (ids {} and {})",
            first.id, second.id
        ));
    }
    if found.is_none() && more_pages {
        return Err(format!(
            "the search for {key} answered more than one page, and the first does not hold it: \
             it cannot say the email is absent"
        ));
    }
    Ok(found)
}
