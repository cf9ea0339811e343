//! The log end to end: what it writes and masks, what it skips, and that
//! a full queue, a failing file or a broken sink never holds up a
//! decision or a flush.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tollgate::policy::Policy;
use tollgate::{Action, Channel, CredentialKind, Engine, Event, EventKind, Timestamp};
use tollgate_cli::replay::DecisionRecord;
use tollgate_metrics::{Registry, TollgateMetrics};

use super::{DecisionLog, QUEUE_LINES, attach};

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

/// A sink that panics on its first write, as a broken custom sink might.
struct Panicking;

impl Write for Panicking {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        panic!("the sink broke");
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Ten refused logins decided by an engine that logs to `log`.
fn refuse_ten(log: &Arc<DecisionLog>) {
    let engine = Engine::new(Policy::from_toml(POLICY).unwrap()).unwrap();
    engine.set_observer(log.clone(), DecisionLog::observe_when());
    let refused = Event::new(EventKind::Login, Timestamp::EPOCH).with_ip("198.51.100.1".parse().unwrap());
    for _ in 0..10 {
        engine.evaluate(&refused);
    }
}

#[test]
fn a_writer_that_died_does_not_hang_a_flush() {
    let log = DecisionLog::to_sink(Box::new(Panicking), "panicking".into(), None).unwrap();
    refuse_ten(&log);
    // Returns although the lines the writer held were never written.
    log.flush();
    assert_eq!(log.counts().written.get(), 0);
}

#[cfg(target_os = "linux")]
#[test]
fn a_failing_file_counts_failures_and_never_blocks() {
    // Writes to /dev/full fail with ENOSPC.
    let log = DecisionLog::open(Path::new("/dev/full"), None).unwrap();
    refuse_ten(&log);
    log.flush();
    assert_eq!(log.counts().failed.get() + log.counts().dropped.get(), 10);
    assert_eq!(log.counts().written.get(), 0);
}
