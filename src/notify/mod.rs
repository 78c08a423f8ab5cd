//! Telling people how a run ended, where they already look: a chat channel, an alerting
//! system (`--notify URL`).
//!
//! A nightly sync that fails at 02:15 tells nobody but cron's mail, which nobody reads. So at
//! the end of `plan`, `apply` and `rollback` (every run that writes a summary), the summary
//! JSON that `--summary-json` writes goes to each webhook, with the first rows that did not
//! go through: the same figures monitoring reads, in the shape the receiver takes
//! (`message.rs`). By default only a run that did not end 0 notifies: a guard, too few
//! matched, rows to fix, a stop, an error.
//!
//! A notification is the last thing a run does, after its report and summary are on disk,
//! and it never changes the exit code: a chat service that is down is not the sync failing,
//! and a cron job must not be held long by one (`post.rs`). What fails is a warning. The
//! token is never in a message (it is replaced wherever it appears), the webhook URL is never
//! printed whole (it is the channel's key), and the summary goes out over HTTPS only, or in
//! clear to this machine (`webhook.rs`), checked before the run starts.

mod message;
mod post;
mod webhook;

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use tokio::task::JoinSet;

pub use webhook::Webhook;

use crate::cli::NotifyArgs;
use crate::progress::Progress;
use crate::report::Summary;
use crate::settings::{SettingsError, Target};
use message::RunEnded;

/// `--notify-on`: which runs notify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum NotifyOn {
    /// A run that did not exit 0.
    #[default]
    Failure,
    /// Every run.
    Always,
}

impl NotifyOn {
    fn wants(self, exit_code: u64) -> bool {
        match self {
            NotifyOn::Failure => exit_code != 0,
            NotifyOn::Always => true,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NotifyOn::Failure => "failure",
            NotifyOn::Always => "always",
        }
    }
}

/// `--notify-format`: the shape of the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum NotifyFormat {
    /// The summary JSON, with `rows_to_check` and `rows_not_listed`.
    #[default]
    Json,
    /// A Slack incoming webhook's `text` and `blocks`.
    Slack,
    /// A Teams message with an Adaptive Card (incoming webhooks, Workflows).
    Teams,
}

impl NotifyFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyFormat::Json => "json",
            NotifyFormat::Slack => "slack",
            NotifyFormat::Teams => "teams",
        }
    }
}

/// Where and when a run's end is told, resolved before the run starts.
#[derive(Default)]
pub struct Notify {
    webhooks: Vec<Webhook>,
    on: NotifyOn,
    format: NotifyFormat,
    /// `--ca-cert`: a proxy that inspects TLS inspects the webhook's too.
    roots: Vec<reqwest::Certificate>,
    /// The run's token, replaced wherever a message would carry it.
    secret: Option<SecretString>,
}

impl std::fmt::Debug for Notify {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notify")
            .field("webhooks", &self.webhooks)
            .field("on", &self.on)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl Notify {
    /// `--notify` (each URL checked now, so a bad one stops the run before anything is
    /// read or sent), `--notify-on`, `--notify-format`, and what the run's connection adds.
    pub fn resolve(args: &NotifyArgs, target: &Target) -> Result<Notify, SettingsError> {
        let mut webhooks: Vec<Webhook> = Vec::new();
        for raw in &args.notify {
            let hook = Webhook::parse(raw)?;
            if !webhooks.contains(&hook) {
                webhooks.push(hook);
            }
        }
        let (roots, secret) = match target {
            Target::Api(connection) => {
                (connection.ca_certs.clone(), Some(connection.token.clone()))
            }
            Target::Sandbox | Target::Export(_) => (Vec::new(), None),
        };
        Ok(Notify {
            webhooks,
            on: args.notify_on,
            format: args.notify_format,
            roots,
            secret,
        })
    }

    /// Tells every webhook how the run ended, if `--notify-on` wants this end told:
    /// `summary` is the run's summary JSON, `run` its totals once it had rows. Waits for
    /// the answers (a few seconds at most); a failure is a warning and nothing more.
    pub async fn send(&self, summary: &Value, run: Option<&Summary>, progress: &dyn Progress) {
        if self.webhooks.is_empty() {
            return;
        }
        let code = summary["exit_code"].as_u64().unwrap_or(1);
        if !self.on.wants(code) {
            tracing::info!("the run exited {code}: no notification (--notify-on failure)");
            return;
        }
        let secret = self.secret.as_ref().map(|s| s.expose_secret());
        let body = RunEnded::new(summary, run, secret).body(self.format);
        let body = body.to_string().into_bytes();
        let mut sending = JoinSet::new();
        for hook in &self.webhooks {
            let (hook, body, roots) = (hook.clone(), body.clone(), self.roots.clone());
            sending.spawn(async move {
                let sent = post::post(&hook, body, &roots).await;
                (hook, sent)
            });
        }
        while let Some(done) = sending.join_next().await {
            match done {
                Ok((hook, Ok(status))) => {
                    tracing::info!("notified {} (HTTP {status})", hook.shown());
                }
                Ok((hook, Err(why))) => progress.warn(
                    &format!("could not notify {}: {why}", hook.shown()),
                    Some(&format!(
                        "the run's exit code ({code}) is its own, whatever a notification does; check the --notify URL and that the service takes {} messages",
                        self.format.as_str()
                    )),
                ),
                Err(e) => progress.warn(&format!("a notification was not sent: {e}"), None),
            }
        }
    }
}
