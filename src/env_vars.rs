//! Every environment variable the tool reads, in one place.

/// The access token (a personal access token or an app token). Never logged.
pub const ACCESS_TOKEN: &str = "TALLYFY_ACCESS_TOKEN";

/// The organization id, when `--org` is not given.
pub const ORG_ID: &str = "TALLYFY_ORG_ID";

/// The API base URL, when `--base-url` is not given.
pub const BASE_URL: &str = "TALLYFY_BASE_URL";

/// A PEM file of certificate authorities to trust besides the built-in ones, when `--ca-cert`
/// is not given.
pub const CA_CERT: &str = "MEMBER_SYNC_CA_CERT";

/// A tracing filter that replaces the one `-v`/`-q` choose (e.g. `member_sync=debug`).
pub const LOG: &str = "MEMBER_SYNC_LOG";

/// Where runs remember state between them (each sync's size, locks), when `--state-dir` is not
/// given.
pub const STATE_DIR: &str = "MEMBER_SYNC_STATE_DIR";

/// The configuration profile to use, when `--profile` is not given.
pub const PROFILE: &str = "MEMBER_SYNC_PROFILE";

/// Every variable above: what a test or benchmark clears so the caller's own never leak in.
pub const ALL: [&str; 7] = [
    ACCESS_TOKEN,
    ORG_ID,
    BASE_URL,
    CA_CERT,
    LOG,
    STATE_DIR,
    PROFILE,
];
