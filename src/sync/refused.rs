//! What a run says when the server side refuses it as a whole: the token (a 401) or the
//! server's certificate. It can happen while the member list is read or part-way through the
//! writes; one wording, one hint per refusal, for both.

use std::path::Path;

use crate::api::ApiError;
use crate::execute::retry_policy::Refusal;
use crate::settings::Target;

use super::RunError;
use super::members::Unreached;

const TOKEN_HINT: &str = "get a new token in Tallyfy (Settings > Integrations > REST API); personal tokens expire after about 6 months and when their owner logs out of the web app";

/// The run never got the member list: nothing was written, and every row not invalid is
/// `cancelled` with the reason given here.
pub(super) fn reading_members(
    why: Refusal,
    error: &ApiError,
    org: &str,
    target: &Target,
) -> Unreached {
    let (message, reason) = match why {
        Refusal::Token => (
            format!(
                "the access token was refused (HTTP 401) while reading the member list of {org}"
            ),
            "the access token was refused",
        ),
        Refusal::Certificate => (
            format!("reading the member list of {org} failed: {error}"),
            "the server's certificate was refused",
        ),
    };
    let error = RunError::new(message).hint(hint(why, target));
    (Err(error), Some(reason))
}

/// The run stopped part-way: rows already written are `updated` in the report, the rest
/// `cancelled`, ready for `--only-rows-from`.
pub(super) fn mid_run(why: Refusal, error: &ApiError, report: &Path, target: &Target) -> RunError {
    let what = match why {
        Refusal::Token => "the access token was refused (HTTP 401)".to_string(),
        Refusal::Certificate => error.to_string(),
    };
    RunError::new(format!(
        "{what}; the run stopped and every row not done is `cancelled` in {}",
        report.display()
    ))
    .hint(hint(why, target))
}

fn hint(why: Refusal, target: &Target) -> &'static str {
    let ca_given = matches!(target, Target::Api(connection) if !connection.ca_certs.is_empty());
    match (why, ca_given) {
        (Refusal::Token, _) => TOKEN_HINT,
        (Refusal::Certificate, false) => {
            "if this network's proxy inspects TLS, give its certificate authority with --ca-cert (a PEM file from your IT team)"
        }
        (Refusal::Certificate, true) => {
            "the certificate authorities given (--ca-cert, MEMBER_SYNC_CA_CERT or the profile's ca_cert) do not vouch for this server: ask IT for the proxy's root certificate"
        }
    }
}
