//! The async path over a store that can be switched off: each
//! `[store] on_failure` mode, the retry interval, the local fallback and
//! the transition reports. Time is an input; nothing sleeps.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::future::Future;
use std::net::IpAddr;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tollgate::policy::Policy;
use tollgate::store::{AsyncStore, MemoryStore, Op, OpResult, Store, StoreError};
use tollgate::{Action, Decision, Engine, Event, EventKind, Outcome, StoreTransition, Timestamp};

const T0: u64 = 1_700_000_000_000;

/// A store of this crate's own (not a `Store`: implementing `AsyncStore`
/// for it is what a Redis crate does) that answers from memory, or fails
/// while switched off, counting the calls that reach it.
#[derive(Debug, Default)]
struct Switchable {
    counters: MemoryStore,
    down: AtomicBool,
    calls: AtomicUsize,
}

impl AsyncStore for Switchable {
    async fn execute(&self, at: Timestamp, ops: &[Op], results: &mut [OpResult]) -> Result<(), StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("connection refused".into()));
        }
        Store::execute(&self.counters, at, ops, results)
    }
}

/// The shape of a networked store crate: an inherent `async fn execute`
/// (with its own timeout) and the trait implemented by delegating to it.
#[derive(Debug, Default)]
struct Delegating {
    counters: MemoryStore,
}

impl Delegating {
    async fn execute(&self, at: Timestamp, ops: &[Op], results: &mut [OpResult]) -> Result<(), StoreError> {
        Store::execute(&self.counters, at, ops, results)
    }
}

impl AsyncStore for Delegating {
    fn execute<'a>(
        &'a self,
        at: Timestamp,
        ops: &'a [Op],
        results: &'a mut [OpResult],
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a {
        Delegating::execute(self, at, ops, results)
    }
}

/// Polls a future that never waits (the fake store's are ready at once).
fn now<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("the fake store never waits"),
    }
}

fn at(ms: u64) -> Timestamp {
    Timestamp::from_unix_millis(T0 + ms)
}

fn login(ms: u64, ip: &str) -> Event {
    Event::new(EventKind::Login, at(ms))
        .with_user("alice")
        .with_ip(ip.parse::<IpAddr>().unwrap())
}

/// Two logins per minute per IP, a deny zone, and `store_section`.
fn engine(store_section: &str) -> Engine<Switchable> {
    let policy = Policy::from_toml(&format!(
        r#"
        [[limits]]
        name = "login-ip"
        events = ["login"]
        key = ["ip"]
        rate = "2/min"
        burst = 2

        [[limits]]
        name = "login-failures-user"
        events = ["login"]
        key = ["user"]
        rate = "1/hour"
        burst = 1
        counts = "failures"

        [[zones]]
        name = "drop"
        cidrs = ["192.0.2.0/24"]
        action = "deny"

        [store]
        {store_section}
        "#
    ))
    .unwrap();
    Engine::builder(policy).store(Switchable::default()).build().unwrap()
}

fn down(engine: &Engine<Switchable>, down: bool) {
    engine.store().down.store(down, Ordering::SeqCst);
}

fn calls(engine: &Engine<Switchable>) -> usize {
    engine.store().calls.load(Ordering::SeqCst)
}

fn codes(d: &Decision) -> Vec<&'static str> {
    d.reasons.iter().map(|r| r.code.as_str()).collect()
}

#[test]
fn fail_open_allows_with_the_reason_and_counts_nothing() {
    let engine = engine(r#"on_failure = "fail_open""#);
    down(&engine, true);
    for i in 0..5 {
        let d = now(engine.evaluate_async(&login(i, "198.51.100.1")));
        assert_eq!(d.action, Action::Allow, "event {i}");
        assert_eq!(codes(&d), ["store.unavailable"]);
    }
    assert!(!engine.store_healthy());
}

#[test]
fn fail_open_keeps_static_denials() {
    let engine = engine(r#"on_failure = "fail_open""#);
    down(&engine, true);
    let d = now(engine.evaluate_async(&login(0, "192.0.2.9")));
    assert_eq!(d.action, Action::Deny);
    assert_eq!(codes(&d), ["zone.match", "store.unavailable"]);
}

#[test]
fn fail_closed_throttles_for_the_retry_interval_and_a_denial_still_wins() {
    let engine = engine("on_failure = \"fail_closed\"\nretry_secs = 7");
    down(&engine, true);
    let d = now(engine.evaluate_async(&login(0, "198.51.100.1")));
    assert_eq!(
        d.action,
        Action::Throttle {
            retry_after: Duration::from_secs(7)
        }
    );
    assert_eq!(codes(&d), ["store.unavailable"]);
    let d = now(engine.evaluate_async(&login(1, "192.0.2.9")));
    assert_eq!(d.action, Action::Deny);
}

#[test]
fn a_healthy_store_decides_as_the_sync_path_does() {
    let engine = engine(r#"on_failure = "fail_closed""#);
    let sync = Engine::builder(engine.policy().as_ref().clone())
        .store(MemoryStore::default())
        .build()
        .unwrap();
    for i in 0..4 {
        let event = login(i, "198.51.100.1");
        let (a, b) = (now(engine.evaluate_async(&event)), sync.evaluate(&event));
        assert_eq!((a.action, codes(&a)), (b.action, codes(&b)), "event {i}");
    }
    assert!(engine.store_healthy());
}

#[test]
fn memory_store_runs_on_the_async_path() {
    let engine = Engine::new(Policy::default()).unwrap();
    let d = now(engine.evaluate_async(&login(0, "198.51.100.1")));
    assert_eq!(d.action, Action::Allow);
    now(engine.record_async(&Outcome::failed(login(1, "198.51.100.1"))));
    assert!(engine.store_healthy());
}

#[test]
fn local_enforces_limits_on_the_fallback_and_switches_back() {
    let engine = engine(r#"on_failure = "local""#);
    let ip = "198.51.100.1";
    assert!(now(engine.evaluate_async(&login(0, ip))).is_allow());
    down(&engine, true);
    // The fallback starts empty: two more logins pass, the third is over.
    assert!(now(engine.evaluate_async(&login(10, ip))).is_allow());
    assert!(now(engine.evaluate_async(&login(20, ip))).is_allow());
    let third = now(engine.evaluate_async(&login(30, ip)));
    assert!(matches!(third.action, Action::Throttle { .. }));
    assert_eq!(codes(&third), ["limit.exceeded"]);
    down(&engine, false);
    // Not retried before the interval (1 s) has passed: still the fallback.
    let before = calls(&engine);
    assert!(!now(engine.evaluate_async(&login(500, ip))).is_allow());
    assert_eq!(calls(&engine), before);
    // The retry reaches the store, whose bucket holds one login.
    let back = now(engine.evaluate_async(&login(1_100, ip)));
    assert_eq!(calls(&engine), before + 1);
    assert!(back.is_allow(), "{back:?}");
    assert!(engine.store_healthy());
}

#[test]
fn local_records_on_the_fallback_while_failing() {
    let engine = engine(r#"on_failure = "local""#);
    down(&engine, true);
    now(engine.record_async(&Outcome::failed(login(0, "198.51.100.1"))));
    let d = now(engine.evaluate_async(&login(10, "198.51.100.2")));
    assert_eq!(codes(&d), ["limit.failures"]);
    // The store itself never learnt it.
    down(&engine, false);
    let d = now(engine.evaluate_async(&login(2_000, "198.51.100.3")));
    assert!(d.is_allow() && d.reasons.is_empty(), "{d:?}");
}

#[test]
fn fail_open_drops_records_while_failing() {
    let engine = engine(r#"on_failure = "fail_open""#);
    down(&engine, true);
    now(engine.record_async(&Outcome::failed(login(0, "198.51.100.1"))));
    down(&engine, false);
    let d = now(engine.evaluate_async(&login(2_000, "198.51.100.2")));
    assert!(d.is_allow() && d.reasons.is_empty(), "{d:?}");
}

#[test]
fn while_failing_the_store_is_tried_once_per_interval() {
    let engine = engine("on_failure = \"fail_open\"\nretry_secs = 2");
    down(&engine, true);
    now(engine.evaluate_async(&login(0, "198.51.100.1")));
    assert_eq!(calls(&engine), 1);
    for ms in [1, 500, 1_999] {
        now(engine.evaluate_async(&login(ms, "198.51.100.1")));
    }
    assert_eq!(calls(&engine), 1, "no call before the retry is due");
    now(engine.evaluate_async(&login(2_000, "198.51.100.1")));
    now(engine.evaluate_async(&login(2_001, "198.51.100.1")));
    assert_eq!(calls(&engine), 2, "one retry, and the interval starts over");
    // A clock that went back by more than the interval (retry due at
    // 4000 ms, event at 1000 ms) retries at once instead of waiting.
    now(engine.evaluate_async(&login(1_000, "198.51.100.1")));
    assert_eq!(calls(&engine), 3);
    now(engine.evaluate_async(&login(1_500, "198.51.100.1")));
    assert_eq!(calls(&engine), 3);
}

#[test]
fn each_transition_is_reported_once() {
    let engine = engine("on_failure = \"fail_closed\"\nretry_secs = 1");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    engine.on_store_transition(move |t| sink.lock().unwrap().push(t.clone()));
    now(engine.evaluate_async(&login(0, "198.51.100.1")));
    down(&engine, true);
    // Many failing events, several retries among them.
    for ms in (100..5_000).step_by(100) {
        now(engine.evaluate_async(&login(ms, "198.51.100.1")));
        now(engine.record_async(&Outcome::failed(login(ms, "198.51.100.1"))));
    }
    down(&engine, false);
    for ms in (6_000..9_000).step_by(100) {
        now(engine.evaluate_async(&login(ms, "198.51.100.2")));
    }
    assert_eq!(
        *seen.lock().unwrap(),
        [
            StoreTransition::Failing {
                at: at(100),
                error: "store unavailable: connection refused".into()
            },
            StoreTransition::Recovered { at: at(6_000) },
        ]
    );
    assert!(engine.store_healthy());
}

#[test]
fn store_policy_is_validated() {
    let err = Policy::from_toml("[store]\nretry_secs = 0").unwrap_err();
    assert_eq!(err.field(), Some("store.retry_secs"));
    assert!(Policy::from_toml("[store]\nretry_secs = 3601").is_err());
    assert!(Policy::from_toml("[store]\non_failure = \"ignore\"").is_err());
    let round = Policy::default().to_toml().unwrap();
    assert!(round.contains("on_failure = \"local\""), "{round}");
    assert_eq!(Policy::from_toml(&round).unwrap(), Policy::default());
}

#[test]
fn events_without_counter_ops_never_touch_the_store() {
    let engine = engine(r#"on_failure = "fail_closed""#);
    down(&engine, true);
    let mut p = engine.policy().as_ref().clone();
    p.limits.clear();
    p.stuffing.clear();
    p.familiarity.events.clear();
    p.travel.events.clear();
    p.spike.events.clear();
    p.campaign.enabled = false;
    engine.set_policy(p).unwrap();
    let d = now(engine.evaluate_async(&login(0, "198.51.100.1")));
    assert!(d.is_allow(), "{d:?}");
    assert_eq!(calls(&engine), 0);
    assert!(engine.store_healthy());
}

#[test]
fn concurrent_failures_and_recoveries_report_one_transition_each() {
    let engine = engine(r#"on_failure = "local""#);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    engine.on_store_transition(move |t| sink.lock().unwrap().push(t.clone()));
    let burst = |from: u64| {
        std::thread::scope(|scope| {
            for thread in 0..8u64 {
                let engine = &engine;
                scope.spawn(move || {
                    for i in 0..200 {
                        let ip = format!("203.0.113.{}", thread * 10 + i % 10);
                        now(engine.evaluate_async(&login(from + i, &ip)));
                    }
                });
            }
        });
    };
    down(&engine, true);
    burst(0);
    down(&engine, false);
    burst(10_000);
    let seen = seen.lock().unwrap();
    let failing = seen
        .iter()
        .filter(|t| matches!(t, StoreTransition::Failing { .. }))
        .count();
    let recovered = seen
        .iter()
        .filter(|t| matches!(t, StoreTransition::Recovered { .. }))
        .count();
    assert_eq!((failing, recovered), (1, 1), "{seen:?}");
    assert!(engine.store_healthy());
}

#[test]
fn a_store_delegating_to_its_inherent_execute_counts() {
    let policy = engine("").policy().as_ref().clone();
    let engine = Engine::builder(policy).store(Delegating::default()).build().unwrap();
    let ip = "198.51.100.1";
    assert!(now(engine.evaluate_async(&login(0, ip))).is_allow());
    assert!(now(engine.evaluate_async(&login(1, ip))).is_allow());
    assert_eq!(codes(&now(engine.evaluate_async(&login(2, ip)))), ["limit.exceeded"]);
    assert!(!engine.store().counters.is_empty());
}
