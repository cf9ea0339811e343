//! A whole engine over Redis when Redis stops mid-run: each `[store]
//! on_failure` mode decides as documented, calls come back instead of
//! hanging, and a restarted Redis is used again without rebuilding the
//! engine or the store.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tollgate::policy::{Dimension, LimitRule, OnStoreFailure, Policy};
use tollgate::{Action, Decision, Engine, Event, EventKind, EventType, StoreTransition, Timestamp};
use tollgate_redis::{Clock, RedisStore};

const T0: u64 = 1_700_000_000_000;

fn policy(on_failure: OnStoreFailure) -> Policy {
    let mut p = Policy::default();
    p.limits = vec![LimitRule::new(
        "login-user",
        &[EventType::Login],
        &[Dimension::User],
        "3/min".parse().unwrap(),
        3,
    )];
    p.store.on_failure = on_failure;
    p.store.retry_secs = 5;
    p
}

fn login(ms: u64) -> Event {
    Event::new(EventKind::Login, Timestamp::from_unix_millis(T0 + ms)).with_user("alice@example.com")
}

fn unavailable(d: &Decision) -> bool {
    d.reasons.iter().any(|r| r.code.as_str() == "store.unavailable")
}

/// Decides, failing the test if the call hangs (a liveness guard, not a
/// latency threshold: the store's own timeout is 500 ms here). Returns the
/// decision and how long it took.
async fn decide(engine: &Engine<RedisStore>, ms: u64) -> (Decision, Duration) {
    let started = Instant::now();
    let decision = tokio::time::timeout(Duration::from_secs(30), engine.evaluate_async(&login(ms)))
        .await
        .expect("an evaluation hung while Redis was down");
    (decision, started.elapsed())
}

/// Runs one mode: three admitted logins and a throttled fourth on Redis,
/// Redis stopped, `while_down` checks the decisions, Redis restarted, and
/// after `retry_secs` the engine is back on (fresh) Redis counters.
async fn run(mode: OnStoreFailure, while_down: impl Fn(&[Decision])) {
    let Some(_) = common::redis_url() else { return };
    let port = common::free_port();
    let Some(mut server) = common::Server::start(port) else {
        println!("skipping: redis-server not found");
        return;
    };
    server.ready().await;
    let store = common::store(&server.url(), &common::fresh_prefix("failover"), Clock::Event).await;
    let engine = Engine::builder(policy(mode)).store(store).key_seed(7).build().unwrap();
    let transitions = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&transitions);
    engine.on_store_transition(move |t| {
        let name = match t {
            StoreTransition::Failing { .. } => "failing",
            StoreTransition::Recovered { .. } => "recovered",
            _ => "other",
        };
        seen.lock().unwrap().push(name);
    });

    let mut actions = Vec::new();
    for i in 0..4 {
        actions.push(decide(&engine, i).await.0.action);
    }
    assert_eq!(actions[..3], [Action::Allow; 3]);
    assert!(matches!(actions[3], Action::Throttle { .. }), "{actions:?}");

    server.stop();
    let mut down = Vec::new();
    let mut slowest = Duration::ZERO;
    for i in 0..4 {
        let (decision, took) = decide(&engine, 1_000 + i).await;
        slowest = slowest.max(took);
        down.push(decision);
    }
    println!("{mode:?}: slowest decision while Redis was down took {slowest:?} (store timeout 500 ms)");
    assert!(!engine.store_healthy());
    while_down(&down);

    server = common::Server::start(port).unwrap();
    server.ready().await;
    // Event time past retry_secs (5 s): the next event tries Redis again;
    // the manager may need a call or two to reconnect.
    let mut back = None;
    for i in 0..50 {
        let (decision, _) = decide(&engine, 10_000 + i * 6_000).await;
        if engine.store_healthy() {
            back = Some(decision);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let back = back.expect("the engine never went back to Redis");
    assert!(!unavailable(&back), "{back:?}");
    assert_eq!(back.action, Action::Allow);
    assert_eq!(*transitions.lock().unwrap(), ["failing", "recovered"]);
    drop(server);
}

#[tokio::test]
async fn fail_open_allows_with_the_reason() {
    run(OnStoreFailure::FailOpen, |down| {
        for d in down {
            assert_eq!(d.action, Action::Allow, "{d:?}");
            assert!(unavailable(d), "{d:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn fail_closed_throttles_with_the_reason() {
    run(OnStoreFailure::FailClosed, |down| {
        for d in down {
            assert!(matches!(d.action, Action::Throttle { .. }), "{d:?}");
            assert!(unavailable(d), "{d:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn local_keeps_limiting_on_the_fallback() {
    run(OnStoreFailure::Local, |down| {
        // The fallback starts empty: the user's burst of 3 again, then the limit.
        let actions: Vec<_> = down.iter().map(|d| d.action).collect();
        assert_eq!(actions[..3], [Action::Allow; 3], "{down:?}");
        assert!(matches!(actions[3], Action::Throttle { .. }), "{down:?}");
    })
    .await;
}
