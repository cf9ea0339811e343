//! `--decision-log FILE`: every decision that is not a plain allow (an
//! enforced challenge, throttle or denial, or one that rules in monitor
//! mode would have made) as one JSON line, identifiers masked as
//! observations mask them, in the record `tollgate score` replays
//! ([`DecisionRecord`](tollgate_cli::replay::DecisionRecord)).
//! `docs/decision-log.md` shows the analyst's workflow: replay a day under
//! an edited policy and diff the outcomes.
//!
//! The log is an engine [`Observer`]: it sees the layer's decisions and the
//! handlers' alike. Deciding never waits on the disk: the observer hands
//! each line to a bounded queue ([`QUEUE_LINES`]) and a writer thread
//! appends what it finds there to the file; when the queue is full the
//! line is dropped and counted. A write error is logged once (and once
//! more when writes succeed again), never per request.
//!
//! ```
//! use std::sync::Arc;
//! use tollgate::policy::Policy;
//! use tollgate::{Engine, Event, EventKind, Timestamp};
//! use tollgate_examples::decision_log::DecisionLog;
//!
//! let policy = Policy::from_toml("[[zones]]\nname = \"z\"\ncidrs = [\"198.51.100.0/24\"]\naction = \"deny\"")?;
//! let engine = Engine::new(policy)?;
//! let path = std::env::temp_dir().join(format!("decision-log-doc-{}.jsonl", std::process::id()));
//! let log = DecisionLog::open(&path, None)?;
//! engine.set_observer(log.clone(), DecisionLog::observe_when());
//! let login = Event::new(EventKind::Login, Timestamp::from_unix_millis(1_700_000_000_000))
//!     .with_ip("198.51.100.7".parse()?)
//!     .with_user("alice");
//! engine.evaluate(&login);
//! log.flush();
//! let text = std::fs::read_to_string(&path)?;
//! assert!(text.starts_with(r#"{"event":{"kind":"login","at":1700000000000,"ip":"198.51.100.0","user":""#));
//! assert!(text.contains(r#""decision":{"action":"deny""#) && !text.contains("alice"));
//! # std::fs::remove_file(&path)?;
//! # Ok::<(), tollgate_examples::demo::BoxError>(())
//! ```

mod counts;
mod observers;
mod service;
#[cfg(test)]
mod tests;
mod writer;

pub use counts::LogCounts;
pub use observers::{Observers, attach};
pub use service::{flushed, from_args};

use std::fmt;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use tollgate::observe::{Observation, ObserveWhen, Observer};
use tollgate::{Action, CredentialKind, Decision, Event, EventKind, EventType};

use crate::demo::BoxError;
use writer::{Pending, Progress, Writer};

/// Lines the queue between the deciding threads and the writer holds;
/// past it lines are dropped (and counted), never waited for.
pub const QUEUE_LINES: usize = 4096;

/// How often [`DecisionLog::flush`] looks again for dropped lines.
const FLUSH_LOOK: Duration = Duration::from_millis(10);

/// The decision log: an [`Observer`] to register with
/// [`observe_when`](DecisionLog::observe_when) (or through [`attach`]).
pub struct DecisionLog {
    queue: SyncSender<Box<Pending>>,
    /// The kind of the credential changes the service decides on, when it
    /// has one kind only: observations do not carry it, and `tollgate
    /// score` needs it.
    credential: Option<CredentialKind>,
    counts: LogCounts,
    progress: Arc<Progress>,
}

impl fmt::Debug for DecisionLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecisionLog")
            .field("credential", &self.credential)
            .field("counts", &self.counts)
            .finish_non_exhaustive()
    }
}

impl DecisionLog {
    /// Opens `path` for appending (creating it) and starts the writer
    /// thread. `credential` is the kind of every credential change the
    /// service decides on (`None`: their decisions are skipped and counted).
    pub fn open(path: &Path, credential: Option<CredentialKind>) -> Result<Arc<Self>, BoxError> {
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        // Masked, but still about people: not for every local user to read.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o640);
        let file = options
            .open(path)
            .map_err(|e| format!("--decision-log {}: {e}", path.display()))?;
        DecisionLog::to_sink(Box::new(file), path.display().to_string(), credential)
    }

    /// A log writing to `sink` (named `name` in error messages) instead of
    /// a file: a pipe, a socket, or a test's writer.
    pub fn to_sink(
        sink: Box<dyn Write + Send>,
        name: String,
        credential: Option<CredentialKind>,
    ) -> Result<Arc<Self>, BoxError> {
        let (queue, lines) = std::sync::mpsc::sync_channel(QUEUE_LINES);
        let counts = LogCounts::default();
        let progress = Arc::new(Progress::default());
        let writer = Writer {
            sink,
            name,
            counts: counts.clone(),
            progress: Arc::clone(&progress),
            failing: false,
        };
        std::thread::Builder::new()
            .name("decision-log".into())
            .spawn(move || writer.run(lines))
            .map_err(|e| format!("--decision-log: cannot start the writer: {e}"))?;
        Ok(Arc::new(DecisionLog {
            queue,
            credential,
            counts,
            progress,
        }))
    }

    /// What the log observes: challenges, throttles and denials, and
    /// decisions monitored rules would have made one of them.
    pub fn observe_when() -> ObserveWhen {
        ObserveWhen::action(Action::Challenge)
    }

    /// The log's counters.
    pub fn counts(&self) -> &LogCounts {
        &self.counts
    }

    /// Waits until every line queued so far is written (or has failed):
    /// for tests and for an orderly shutdown.
    pub fn flush(&self) {
        let progress = &*self.progress;
        let target = progress.queued.load(Ordering::Acquire);
        let mut written = progress.written.lock().unwrap_or_else(PoisonError::into_inner);
        while progress.done.load(Ordering::Acquire) < target && !progress.stopped.load(Ordering::Acquire) {
            // Dropped lines are finished without a wake-up (the deciding
            // thread takes no lock): look again now and then.
            written = progress
                .batch
                .wait_timeout(written, FLUSH_LOOK)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

impl Observer for DecisionLog {
    fn observe(&self, o: &Observation<'_>) {
        let Some(event) = replay_event(o, self.credential) else {
            self.counts.skipped.inc();
            return;
        };
        let mut decision = Decision::allow();
        decision.action = o.action;
        decision.score = o.score;
        decision.reasons = o.reasons.to_vec();
        decision.monitored = o.monitored;
        let pending = Box::new(Pending {
            event,
            decision,
            phone: o.phone,
            phone_country: o.phone_country,
        });
        // Counted as queued before it is sent, so `flush` cannot miss it.
        self.progress.queued.fetch_add(1, Ordering::AcqRel);
        match self.queue.try_send(pending) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.counts.dropped.inc();
                self.progress.finished(1);
            }
        }
    }
}

/// The event of an observation in `tollgate score`'s input form, with the
/// observation's masked identifiers: the IP's network, the user's keyed
/// hash, the country and network the decision used, the JA4. `None` for a
/// credential change when `credential` is unknown, an OTP send without a
/// channel, and an event type this log does not know.
pub fn replay_event(o: &Observation<'_>, credential: Option<CredentialKind>) -> Option<Event> {
    let kind = match o.event_type {
        EventType::Login => EventKind::Login,
        EventType::Signup => EventKind::Signup,
        EventType::OtpSend => EventKind::OtpSend { channel: o.channel? },
        EventType::OtpVerify => EventKind::OtpVerify { channel: o.channel },
        EventType::CredentialChange => EventKind::CredentialChange { what: credential? },
        _ => return None,
    };
    let mut event = Event::new(kind, o.at);
    event.ip = o.ip_prefix.map(|net| net.network());
    event.user = o.user.map(|hash| hash.to_string().into());
    event.country = o.country;
    event.asn = o.asn;
    event.ja4 = o.ja4;
    Some(event)
}
