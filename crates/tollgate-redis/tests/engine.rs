//! Whole engines over Redis: the same decisions as the in-process store,
//! one limit shared by two instances whose clocks differ, and nothing in
//! Redis that reads as an IP, a user or a phone number.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::net::IpAddr;

use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use tollgate::keys::KeySecret;
use tollgate::policy::{Dimension, LimitRule, Policy, PolicyError};
use tollgate::store::{MemoryStore, OpResult};
use tollgate::{Channel, Decision, Engine, Event, EventKind, EventType, Outcome, Timestamp};
use tollgate_redis::{Clock, RedisStore};

const T0: u64 = 1_700_000_000_000;

/// The default policy with tight limits, so that limits, caps, backoffs,
/// detectors and familiarity all fire within a short run.
fn tight_policy() -> Policy {
    let mut p = Policy::default();
    for rule in &mut p.limits {
        rule.burst = rule.burst.min(3);
        rule.rate = "2/min".parse().unwrap();
    }
    p
}

fn event(kind: u8, ms: u64, user: u8, ip: u8) -> Event {
    let kind = match kind {
        0 => EventKind::Login,
        1 => EventKind::Signup,
        2 => EventKind::OtpSend { channel: Channel::Sms },
        _ => EventKind::OtpVerify { channel: None },
    };
    Event::new(kind, Timestamp::from_unix_millis(T0 + ms))
        .with_user(format!("user{user}@example.com"))
        .with_ip(IpAddr::from([203, 0, 113, ip]))
        .with_phone(format!("+3712000000{user}").parse().unwrap())
        .with_ja4("t13d1516h2_8daaf6152771_02713d6af862".parse().unwrap())
        .with_asn(tollgate::Asn(64500))
}

async fn decide(engine: &Engine, store: &RedisStore, event: &Event) -> Decision {
    let plan = engine.prepare(event);
    let mut results = vec![OpResult::Done; plan.ops().len()];
    store.execute(plan.at(), plan.ops(), &mut results).await.unwrap();
    engine.conclude(plan, &results)
}

async fn record(engine: &Engine, store: &RedisStore, outcome: &Outcome) {
    let ops = engine.record_ops(outcome);
    let mut results = vec![OpResult::Done; ops.len()];
    store.execute(outcome.event.at, &ops, &mut results).await.unwrap();
}

#[derive(Clone, Debug)]
struct Step {
    gap_ms: u64,
    user: u8,
    ip: u8,
    kind: u8,
    outcome: Option<bool>,
}

fn step() -> impl Strategy<Value = Step> {
    (0u64..3_000, 0u8..4, 0u8..4, 0u8..4, prop::option::of(any::<bool>())).prop_map(
        |(gap_ms, user, ip, kind, outcome)| Step {
            gap_ms,
            user,
            ip,
            kind,
            outcome,
        },
    )
}

/// `evaluate` + `record` on the in-process store and `prepare` + Redis +
/// `conclude` (event-time clock) decide identically.
#[test]
fn same_decisions_as_the_memory_store() {
    let Some(url) = common::redis_url() else { return };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 24,
        ..ProptestConfig::default()
    });
    let result = runner.run(&prop::collection::vec(step(), 1..100), |steps| {
        rt.block_on(async {
            let memory = Engine::builder(tight_policy()).key_seed(7).build().unwrap();
            let split = Engine::builder(tight_policy()).key_seed(7).build().unwrap();
            let store = common::store(&url, &common::fresh_prefix("engine"), Clock::Event).await;
            let mut ms = 0;
            for s in &steps {
                ms += s.gap_ms;
                let e = event(s.kind, ms, s.user, s.ip);
                prop_assert_eq!(memory.evaluate(&e), decide(&split, &store, &e).await);
                if let Some(ok) = s.outcome {
                    let outcome = if ok { Outcome::succeeded(e) } else { Outcome::failed(e) };
                    memory.record(&outcome);
                    record(&split, &store, &outcome).await;
                }
            }
            Ok(())
        })
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

fn one_limit(rate: &str, burst: u32) -> Policy {
    let mut p = Policy::default();
    p.limits = vec![LimitRule::new(
        "ip",
        &[EventType::Login],
        &[Dimension::Ip],
        rate.parse().unwrap(),
        burst,
    )];
    p.otp.resend.clear();
    p.stuffing.clear();
    p
}

/// Two instances (same key seed, one Redis) see interleaved logins from
/// one IP; instance B's clock runs two seconds ahead of A's.
async fn admitted_by_two_instances(url: &str, clock: Clock, policy: &Policy, events: u64) -> (u64, u64) {
    let prefix = common::fresh_prefix("shared");
    let engines = [
        Engine::builder(policy.clone()).key_seed(11).build().unwrap(),
        Engine::builder(policy.clone()).key_seed(11).build().unwrap(),
    ];
    let stores = [
        common::store(url, &prefix, clock).await,
        common::store(url, &prefix, clock).await,
    ];
    let alone = Engine::builder(policy.clone()).key_seed(11).build().unwrap();
    let (mut shared, mut single) = (0, 0);
    for i in 0..events {
        let which = (i % 2) as usize;
        let skew = 2_000 * which as u64;
        let e = event(0, i * 10 + skew, 1, 9);
        shared += u64::from(decide(&engines[which], &stores[which], &e).await.is_allow());
        single += u64::from(alone.evaluate(&event(0, i * 10, 1, 9)).is_allow());
    }
    (shared, single)
}

#[tokio::test]
async fn two_instances_with_skewed_clocks_enforce_one_limit_on_redis_time() {
    let Some(url) = common::redis_url() else { return };
    // One unit an hour: nothing refills while the test runs.
    let (shared, single) = admitted_by_two_instances(&url, Clock::Redis, &one_limit("1/hour", 5), 40).await;
    assert_eq!(single, 5);
    assert_eq!(shared, single, "two instances admit what one would");
}

#[tokio::test]
async fn on_event_time_a_skewed_instance_gains_at_most_its_skew() {
    let Some(url) = common::redis_url() else { return };
    // One unit a second: B, two seconds ahead, sees up to two more units.
    let (shared, single) = admitted_by_two_instances(&url, Clock::Event, &one_limit("60/min", 5), 40).await;
    assert_eq!(single, 5);
    assert!(
        (single..=single + 2).contains(&shared),
        "{shared} admitted by two instances"
    );
}

#[tokio::test]
async fn redis_holds_no_clear_text_identifiers_and_every_key_expires() {
    let Some(url) = common::redis_url() else { return };
    let prefix = common::fresh_prefix("cleartext");
    let engine = Engine::builder(tight_policy()).key_seed(3).build().unwrap();
    let store = common::store(&url, &prefix, Clock::Event).await;
    for i in 0..40u64 {
        let e = event((i % 4) as u8, i * 700, (i % 3) as u8, (i % 5) as u8);
        decide(&engine, &store, &e).await;
        let outcome = if i % 3 == 0 {
            Outcome::failed(e)
        } else {
            Outcome::succeeded(e)
        };
        record(&engine, &store, &outcome).await;
    }
    let keys = common::keys(&url, &prefix).await;
    assert!(keys.len() > 20, "{} keys", keys.len());
    let mut conn = common::inspect(&url).await;
    let mut needles: Vec<Vec<u8>> = vec![
        b"example.com".to_vec(),
        b"user".to_vec(),
        b"+371".to_vec(),
        b"3712000000".to_vec(),
        b"203.0.113".to_vec(),
        vec![203, 0, 113],
        b"t13d1516h2".to_vec(),
    ];
    needles.push(64500u32.to_be_bytes().to_vec());
    for key in &keys {
        let value: Vec<u8> = redis::cmd("GET").arg(key).query_async(&mut conn).await.unwrap();
        let rest = key.strip_prefix(&prefix).unwrap();
        assert!(
            rest.len() == 19 && rest.bytes().skip(1).take(16).all(|b| b.is_ascii_hexdigit()),
            "{key}"
        );
        let ttl: i64 = redis::cmd("PTTL").arg(key).query_async(&mut conn).await.unwrap();
        assert!(ttl > 0, "{key} has no TTL");
        for needle in &needles {
            assert!(
                !value.windows(needle.len()).any(|w| w == needle.as_slice()),
                "{key} holds {needle:?}"
            );
        }
    }
}

#[tokio::test]
async fn an_engine_over_redis_needs_an_explicit_key_secret() {
    // No server needed: connecting is lazy and building touches no counter.
    let store = || async {
        RedisStore::connect(tollgate_redis::RedisConfig::new("redis://127.0.0.1:1/"))
            .await
            .unwrap()
    };
    let err = Engine::builder(Policy::default())
        .store(store().await)
        .build()
        .unwrap_err();
    assert!(matches!(err, PolicyError::SharedStoreWithoutSecret), "{err}");
    let message = err.to_string();
    for fix in ["EngineBuilder::key_secret", "--key-secret", "TOLLGATE_KEY_SECRET"] {
        assert!(message.contains(fix), "{message}");
    }
    // `with_store` goes through the same check.
    assert!(Engine::with_store(Policy::default(), store().await).is_err());

    let secret: KeySecret = "000102030405060708090a0b0c0d0e0f".parse().unwrap();
    let engine = Engine::builder(Policy::default())
        .store(store().await)
        .key_secret(secret)
        .build();
    assert!(engine.is_ok());
    // A store of this process alone still gets a random secret.
    assert!(Engine::builder(Policy::default()).build().is_ok());
    assert!(Engine::with_store(Policy::default(), MemoryStore::new(100)).is_ok());
}

/// Browser-fingerprint learning through Redis: two instances each see half
/// of the successful logins with a new browser JA4, and both know it after.
#[tokio::test]
async fn two_instances_learn_a_browser_fingerprint_together() {
    let Some(url) = common::redis_url() else { return };
    let prefix = common::fresh_prefix("learn");
    let mut policy = Policy::default();
    policy.limits.clear();
    let engines = [
        Engine::builder(policy.clone()).key_seed(13).build().unwrap(),
        Engine::builder(policy).key_seed(13).build().unwrap(),
    ];
    let stores = [
        common::store(&url, &prefix, Clock::Event).await,
        common::store(&url, &prefix, Clock::Event).await,
    ];
    let chrome =
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/160.0.0.0 Safari/537.36";
    let login = |i: u64, user: u64| {
        Event::new(EventKind::Login, Timestamp::from_unix_millis(T0 + i * 1_000))
            .with_user(format!("user{user}@example.com"))
            .with_ip(IpAddr::from([198, 51, 100, (user % 5) as u8]))
            .with_asn(tollgate::Asn(64_500 + (user % 5) as u32))
            .with_ja4("t13d1518h2_8daaf6152771_0123456789ab".parse().unwrap())
            .with_user_agent(chrome)
    };
    let flagged = |d: &Decision| {
        d.reasons
            .iter()
            .any(|r| r.code == tollgate::ReasonCode::FingerprintUaMismatch)
    };
    assert!(flagged(&decide(&engines[0], &stores[0], &login(0, 99)).await));
    for user in 0..10 {
        let which = (user % 2) as usize;
        record(&engines[which], &stores[which], &Outcome::succeeded(login(user, user))).await;
    }
    for which in 0..2 {
        let d = decide(&engines[which], &stores[which], &login(20, 99)).await;
        assert!(!flagged(&d), "instance {which}: {:?}", d.reasons);
    }
}
