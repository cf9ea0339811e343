//! `--decision-log FILE`: every decision that is not a plain allow (an
//! enforced challenge, throttle or denial, or one that rules in monitor
//! mode would have made) as one JSON line, identifiers masked as
//! observations mask them, in the record `tollgate score` replays
//! ([`DecisionRecord`]). `docs/decision-log.md` shows the analyst's
//! workflow: replay a day under an edited policy and diff the outcomes.
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

use std::fmt;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use tollgate::observe::{MaskedPhone, Observation, ObserveWhen, Observer};
use tollgate::{Action, Country, CredentialKind, Decision, Engine, Event, EventKind, EventType};
use tollgate_cli::replay::DecisionRecord;
use tollgate_metrics::{Registry, TollgateMetrics};

use crate::demo::{Args, BoxError};

/// Lines the queue between the deciding threads and the writer holds;
/// past it lines are dropped (and counted), never waited for.
pub const QUEUE_LINES: usize = 4096;

/// How often [`DecisionLog::flush`] looks again for dropped lines.
const FLUSH_LOOK: Duration = Duration::from_millis(10);

/// What the log counted: lines written, dropped (queue full), failed
/// (the write failed) and skipped (an event the log cannot write in
/// `tollgate score`'s form). Prometheus counters, so `--metrics` serves
/// them as they are.
#[derive(Clone, Debug, Default)]
pub struct LogCounts {
    /// Lines appended to the file.
    pub written: Counter,
    /// Lines dropped because the queue was full.
    pub dropped: Counter,
    /// Lines lost to a failed write.
    pub failed: Counter,
    /// Decisions on events the log cannot rebuild (a credential change
    /// of a kind the log was not told).
    pub skipped: Counter,
}

impl LogCounts {
    /// Adds the counters to `registry` as
    /// `tollgate_decision_log_lines_{written,dropped,failed,skipped}_total`.
    pub fn register(&self, registry: &mut Registry) {
        let series = [
            ("written", "appended to the file", &self.written),
            ("dropped", "dropped because the writer's queue was full", &self.dropped),
            ("failed", "lost to a failed write", &self.failed),
            (
                "skipped",
                "not written: the event cannot be rebuilt for a replay",
                &self.skipped,
            ),
        ];
        for (name, help, counter) in series {
            registry.register(
                format!("tollgate_decision_log_lines_{name}"),
                format!("Decision-log lines {help}"),
                counter.clone(),
            );
        }
    }
}

/// One decision on its way to the writer: already masked, serialized
/// off the deciding thread.
struct Pending {
    event: Event,
    decision: Decision,
    phone: Option<MaskedPhone>,
    phone_country: Option<Country>,
}

/// Lines handed to the writer and lines finished with (written, failed or
/// dropped), for [`DecisionLog::flush`]. Atomics, so that deciding takes
/// no lock even while a flood of refusals is logged; the writer wakes
/// flushes through the condition variable after each batch.
#[derive(Debug, Default)]
struct Progress {
    queued: AtomicU64,
    done: AtomicU64,
    written: Mutex<()>,
    batch: Condvar,
}

impl Progress {
    fn finished(&self, lines: u64) {
        self.done.fetch_add(lines, Ordering::Release);
    }
}

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
        while progress.done.load(Ordering::Acquire) < target {
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
/// credential change when `credential` is unknown.
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

/// Appends queued lines to the file, a batch (what the queue holds, up
/// to [`QUEUE_LINES`]) per write.
struct Writer {
    sink: Box<dyn Write + Send>,
    /// The file's path, for the log line about a failing write.
    name: String,
    counts: LogCounts,
    progress: Arc<Progress>,
    /// The last write failed (logged once until one succeeds).
    failing: bool,
}

impl Writer {
    fn run(mut self, lines: Receiver<Box<Pending>>) {
        let mut batch = Vec::new();
        while let Ok(first) = lines.recv() {
            let mut count = 0u64;
            let mut next = Some(first);
            while let Some(pending) = next {
                count += 1;
                self.format(*pending, &mut batch);
                // A batch is at most a queue's worth, so a writer stuck on a
                // slow disk holds a bounded number of lines.
                next = if count < QUEUE_LINES as u64 {
                    lines.try_recv().ok()
                } else {
                    None
                };
            }
            self.write(&batch, count);
            batch.clear();
        }
    }

    fn format(&mut self, pending: Pending, batch: &mut Vec<u8>) {
        let mut record = DecisionRecord::new(pending.event, &pending.decision);
        record.phone = pending.phone.map(|p| p.as_str().to_owned());
        record.phone_country = pending.phone_country;
        let start = batch.len();
        if serde_json::to_writer(&mut *batch, &record).is_ok() {
            batch.push(b'\n');
        } else {
            batch.truncate(start);
        }
    }

    fn write(&mut self, batch: &[u8], count: u64) {
        let lines = batch.iter().filter(|&&b| b == b'\n').count() as u64;
        match self.sink.write_all(batch).and_then(|()| self.sink.flush()) {
            Ok(()) => {
                self.counts.written.inc_by(lines);
                self.counts.failed.inc_by(count - lines);
                if self.failing {
                    self.failing = false;
                    tracing::info!(path = %self.name, "decision log: writing again");
                }
            }
            Err(error) => {
                self.counts.failed.inc_by(count);
                if !self.failing {
                    self.failing = true;
                    tracing::error!(
                        path = %self.name,
                        %error,
                        "decision log: write failed; lines are counted as failed until a write succeeds"
                    );
                }
            }
        }
        self.progress.finished(count);
        let _written = self.progress.written.lock().unwrap_or_else(PoisonError::into_inner);
        self.progress.batch.notify_all();
    }
}

/// Several observers on one engine (it has one slot), each called with
/// the decisions its own [`ObserveWhen`] matches.
#[derive(Debug)]
pub struct Observers {
    observers: Vec<(Arc<dyn Observer>, ObserveWhen)>,
    identifiers: bool,
}

impl Observers {
    /// `observers`, each with when to call it.
    pub fn new(observers: Vec<(Arc<dyn Observer>, ObserveWhen)>) -> Self {
        let identifiers = observers.iter().any(|(o, _)| o.identifiers());
        Observers { observers, identifiers }
    }

    /// When the engine must call the group: for every decision (each
    /// member filters its own).
    pub fn observe_when() -> ObserveWhen {
        ObserveWhen::action(Action::Allow)
    }
}

impl Observer for Observers {
    fn observe(&self, o: &Observation<'_>) {
        // The verdicts only: `ObserveWhen` reads nothing else, and an allow
        // with no reasons allocates nothing.
        let mut verdict = Decision::allow();
        verdict.action = o.action;
        verdict.score = o.score;
        verdict.monitored = o.monitored;
        for (observer, when) in &self.observers {
            if when.matches(&verdict) {
                observer.observe(o);
            }
        }
    }

    fn identifiers(&self) -> bool {
        self.identifiers
    }
}

/// Registers `log` as `engine`'s observer, beside `metrics` when the
/// service has them (the engine has one observer slot; the metrics were
/// attached first and are kept).
pub fn attach<S>(engine: &Engine<S>, log: Arc<DecisionLog>, metrics: Option<&Arc<TollgateMetrics>>) {
    match metrics {
        None => engine.set_observer(log, DecisionLog::observe_when()),
        Some(metrics) => {
            let metrics: Arc<dyn Observer> = Arc::clone(metrics) as Arc<dyn Observer>;
            let both = Observers::new(vec![
                (metrics, TollgateMetrics::observe_when()),
                (log, DecisionLog::observe_when()),
            ]);
            engine.set_observer(Arc::new(both), Observers::observe_when());
        }
    }
}

/// With `--decision-log FILE`: the log, attached to `engine` (beside the
/// metrics of `--metrics`, whose registry then also serves the log's
/// counters); `None` without the flag.
pub fn from_args<S>(
    args: &Args,
    engine: &Engine<S>,
    metrics: Option<&mut (Arc<TollgateMetrics>, Registry)>,
) -> Result<Option<Arc<DecisionLog>>, BoxError> {
    let Some(path) = &args.decision_log else {
        return Ok(None);
    };
    // The example services decide on one kind of credential change, the
    // email change of `POST /account/email`.
    let log = DecisionLog::open(path, Some(CredentialKind::Email))?;
    let metrics = metrics.map(|(metrics, registry)| {
        log.counts().register(registry);
        &*metrics
    });
    attach(engine, Arc::clone(&log), metrics);
    tracing::info!(path = %path.display(), "decision log: appending challenges, throttles and denials");
    Ok(Some(log))
}

/// Runs `service` to its end, then waits for the lines `log` still holds
/// to be written: a graceful shutdown loses none.
pub async fn flushed<T>(log: Option<Arc<DecisionLog>>, service: impl std::future::Future<Output = T>) -> T {
    let result = service.await;
    if let Some(log) = log {
        log.flush();
    }
    result
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use std::path::PathBuf;
    use tollgate::policy::Policy;
    use tollgate::{Channel, Timestamp};

    const POLICY: &str = r#"
        [[zones]]
        name = "blocked"
        cidrs = ["198.51.100.0/24"]
        action = "deny"
    "#;

    fn temp(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("tollgate-decision-log-{}-{name}.jsonl", std::process::id()))
    }

    fn lines(path: &Path) -> Vec<DecisionRecord> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| DecisionRecord::from_json(l).unwrap())
            .collect()
    }

    #[test]
    fn refusals_are_logged_masked_and_allows_are_not() {
        let path = temp("masked");
        let engine = Engine::new(Policy::from_toml(POLICY).unwrap()).unwrap();
        let log = DecisionLog::open(&path, Some(CredentialKind::Email)).unwrap();
        let metrics = TollgateMetrics::new();
        metrics.attach(&engine);
        attach(&engine, Arc::clone(&log), Some(&metrics));
        let at = Timestamp::from_unix_millis(1_700_000_000_000);
        let send = Event::new(EventKind::OtpSend { channel: Channel::Sms }, at)
            .with_ip("198.51.100.7".parse().unwrap())
            .with_user("alice")
            .with_phone("+447700900123".parse().unwrap());
        let allowed = Event::new(EventKind::Login, at)
            .with_ip("203.0.113.9".parse().unwrap())
            .with_user("bob");
        let change = Event::new(
            EventKind::CredentialChange {
                what: CredentialKind::Email,
            },
            at,
        )
        .with_ip("198.51.100.8".parse().unwrap());
        assert_eq!(engine.evaluate(&send).action, Action::Deny);
        assert_eq!(engine.evaluate(&allowed).action, Action::Allow);
        assert_eq!(engine.evaluate(&change).action, Action::Deny);
        log.flush();
        let records = lines(&path);
        assert_eq!(records.len(), 2, "the allow is not logged");
        let first = &records[0];
        assert_eq!(first.action(), Some("deny"));
        assert_eq!(first.event.kind, send.kind);
        assert_eq!(first.event.ip, Some("198.51.100.0".parse().unwrap()));
        assert_eq!(
            first.event.user.as_ref().map(|u| u.as_str().to_owned()),
            Some(engine.user_hash(&"alice".into()).to_string())
        );
        assert_eq!(first.event.phone, None, "a masked number is no number");
        assert_eq!(first.phone.as_deref(), Some("+44********23"));
        assert_eq!(records[1].event.kind, change.kind);
        let text = std::fs::read_to_string(&path).unwrap();
        for clear in ["alice", "7700900", "198.51.100.7", "198.51.100.8"] {
            assert!(!text.contains(clear), "{clear} in {text}");
        }
        assert_eq!(log.counts().written.get(), 2);
        assert_eq!(log.counts().dropped.get(), 0);
        let mut registry = Registry::default();
        metrics.register(&mut registry);
        let scraped = tollgate_metrics::encode(&registry).unwrap();
        assert!(
            scraped.contains(r#"tollgate_decisions_total{event="login",action="allow"} 1"#),
            "the metrics still see every decision: {scraped}"
        );
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn credential_changes_of_an_unknown_kind_are_skipped_and_counted() {
        let path = temp("skipped");
        let engine = Engine::new(Policy::from_toml(POLICY).unwrap()).unwrap();
        let log = DecisionLog::open(&path, None).unwrap();
        engine.set_observer(log.clone(), DecisionLog::observe_when());
        let change = Event::new(
            EventKind::CredentialChange {
                what: CredentialKind::Password,
            },
            Timestamp::EPOCH,
        )
        .with_ip("198.51.100.8".parse().unwrap());
        engine.evaluate(&change);
        log.flush();
        assert_eq!(log.counts().skipped.get(), 1);
        assert!(lines(&path).is_empty());
        std::fs::remove_file(&path).unwrap();
    }

    /// A writer that blocks until the test lets it go, then keeps
    /// everything written.
    struct Stalled {
        gate: std::sync::mpsc::Receiver<()>,
        kept: Arc<Mutex<Vec<u8>>>,
    }

    impl Write for Stalled {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            // Blocks on the first write until the gate opens (or its sender is dropped).
            let _ = self.gate.recv();
            self.kept.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_full_queue_drops_and_counts_instead_of_waiting() {
        let (open, gate) = std::sync::mpsc::channel();
        let kept = Arc::new(Mutex::new(Vec::new()));
        let sink = Stalled {
            gate,
            kept: Arc::clone(&kept),
        };
        let log = DecisionLog::to_sink(Box::new(sink), "stalled".into(), None).unwrap();
        let engine = Engine::new(Policy::from_toml(POLICY).unwrap()).unwrap();
        engine.set_observer(log.clone(), DecisionLog::observe_when());
        let refused = Event::new(EventKind::Login, Timestamp::EPOCH).with_ip("198.51.100.1".parse().unwrap());
        // The writer holds at most one batch (stuck in the write) and the
        // queue QUEUE_LINES more: deciding three times as many must return,
        // dropping the rest.
        let total = 3 * QUEUE_LINES as u64;
        for _ in 0..total {
            assert_eq!(engine.evaluate(&refused).action, Action::Deny);
        }
        let counts = log.counts();
        assert!(counts.dropped.get() >= total - 2 * QUEUE_LINES as u64, "{counts:?}");
        drop(open);
        log.flush();
        assert_eq!(counts.written.get() + counts.dropped.get(), total);
        let text = String::from_utf8(kept.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count() as u64, counts.written.get());
        assert!(text.lines().all(|l| DecisionRecord::from_json(l).is_ok()));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_failing_file_counts_failures_and_never_blocks() {
        // Writes to /dev/full fail with ENOSPC.
        let log = DecisionLog::open(Path::new("/dev/full"), None).unwrap();
        let engine = Engine::new(Policy::from_toml(POLICY).unwrap()).unwrap();
        engine.set_observer(log.clone(), DecisionLog::observe_when());
        let refused = Event::new(EventKind::Login, Timestamp::EPOCH).with_ip("198.51.100.1".parse().unwrap());
        for _ in 0..10 {
            engine.evaluate(&refused);
        }
        log.flush();
        assert_eq!(log.counts().failed.get() + log.counts().dropped.get(), 10);
        assert_eq!(log.counts().written.get(), 0);
    }
}
