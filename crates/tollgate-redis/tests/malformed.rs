//! Values under the prefix that this store did not write (another Redis
//! type, another layout or version, a foreign writer): every operation runs
//! as on an absent key, a plan never fails half-way (which would run it
//! again on the fallback and count it twice), the key is left well-formed
//! with a TTL, and the store counts what it replaced.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::net::IpAddr;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use tollgate::limiter::{GcraMode, GcraParams};
use tollgate::policy::Policy;
use tollgate::store::{CapMode, FamiliarityKeys, Lane, MemoryStore, Op, OpResult, Store, StoreKey};
use tollgate::{Channel, Engine, Event, EventKind, Outcome, Timestamp};
use tollgate_redis::{Clock, RedisStore, key_name};

const T0: u64 = 1_700_000_000_000_000_000;

/// What a foreign writer, or another version of the store, may leave
/// under a key: every Redis type, strings of every length a layout has
/// (with and without the format byte), text numbers too large for any
/// counter, fields that are not numbers.
#[derive(Clone, Copy, Debug)]
enum Garbage {
    Text,
    Empty,
    /// 20 and 24 characters: the length of a layout, as text.
    HugeNumber(usize),
    /// `0xff` bytes, the length of a layout with or without the format byte.
    Bytes(usize),
    /// The format byte with a length no layout has.
    ShortTagged,
    /// Another format byte on a window's length.
    OtherVersion,
    List,
    Set,
    Hash,
    HashOfHugeNumbers,
    SortedSet,
    Stream,
}

const GARBAGE: [Garbage; 21] = [
    Garbage::Text,
    Garbage::Empty,
    Garbage::HugeNumber(20),
    Garbage::HugeNumber(24),
    Garbage::Bytes(8),
    Garbage::Bytes(9),
    Garbage::Bytes(20),
    Garbage::Bytes(21),
    Garbage::Bytes(24),
    Garbage::Bytes(25),
    Garbage::Bytes(32),
    Garbage::Bytes(33),
    Garbage::ShortTagged,
    Garbage::OtherVersion,
    Garbage::List,
    Garbage::Set,
    Garbage::Hash,
    Garbage::HashOfHugeNumbers,
    Garbage::SortedSet,
    Garbage::Stream,
    Garbage::Bytes(29),
];

/// Writes `garbage` under `key`, with no TTL (as a foreign writer might).
async fn plant(conn: &mut MultiplexedConnection, key: &str, garbage: Garbage) {
    let _: i64 = redis::cmd("DEL").arg(key).query_async(conn).await.unwrap();
    let mut cmd = redis::Cmd::new();
    match garbage {
        Garbage::Text => cmd.arg("SET").arg(key).arg("garbage"),
        Garbage::Empty => cmd.arg("SET").arg(key).arg(""),
        Garbage::HugeNumber(n) => cmd.arg("SET").arg(key).arg("9".repeat(n)),
        Garbage::Bytes(n) => cmd.arg("SET").arg(key).arg(vec![0xffu8; n]),
        Garbage::ShortTagged => cmd.arg("SET").arg(key).arg(&[1u8, 0, 0, 0][..]),
        Garbage::OtherVersion => {
            let mut value = vec![2u8];
            value.extend_from_slice(&[0; 24]);
            cmd.arg("SET").arg(key).arg(value)
        }
        Garbage::List => cmd.arg("RPUSH").arg(key).arg("1").arg("2"),
        Garbage::Set => cmd.arg("SADD").arg(key).arg("a").arg("b"),
        Garbage::Hash => cmd.arg("HSET").arg(key).arg("tat").arg("abc").arg("count").arg("xyz"),
        Garbage::HashOfHugeNumbers => cmd
            .arg("HSET")
            .arg(key)
            .arg("tat")
            .arg("99999999999999999999999999")
            .arg("count")
            .arg("1e400"),
        Garbage::SortedSet => cmd.arg("ZADD").arg(key).arg(1).arg("a"),
        Garbage::Stream => cmd.arg("XADD").arg(key).arg("*").arg("f").arg("v"),
    };
    let _: redis::Value = cmd.query_async(conn).await.unwrap();
}

/// The Redis keys an operation uses (as `encode.rs` names them), and
/// whether it reads them (a register write and a reset only overwrite or
/// delete).
fn keys_of(prefix: &str, op: &Op) -> (Vec<String>, bool) {
    let one = |key: StoreKey, kind: char| vec![key_name(prefix, key, kind)];
    let fam = |keys: &FamiliarityKeys| {
        vec![
            key_name(prefix, keys.user, 'h'),
            key_name(prefix, keys.global, 'w'),
            key_name(prefix, keys.total, 'w'),
        ]
    };
    match op {
        Op::Gcra { key, .. } => (one(*key, 'g'), true),
        Op::WindowAdd { key, .. } => (one(*key, 'w'), true),
        Op::WindowPair { key, .. } => (one(*key, 'p'), true),
        Op::DistinctAdd { key, .. } | Op::DistinctCount { key, .. } => (one(*key, 'd'), true),
        Op::Familiarity { keys, .. } | Op::Learn { keys, .. } => (fam(keys), true),
        Op::RegisterGet { key } => (one(*key, 'r'), true),
        Op::RegisterSet { key, .. } => (one(*key, 'r'), false),
        Op::ClaimOnce { key, .. } => (one(*key, 'r'), true),
        Op::Cap { key, .. } => (one(*key, 'c'), true),
        Op::Backoff { key, .. } => (one(*key, 'b'), true),
        Op::Series { key, .. } => (one(*key, 's'), true),
        Op::Reset { key } => (
            ['g', 'w', 'd', 'h', 'r', 'c', 'b', 's', 'p']
                .iter()
                .map(|k| key_name(prefix, *key, *k))
                .collect(),
            false,
        ),
        other => panic!("no keys known for {other:?}"),
    }
}

/// One operation of every kind the store supports, on keys from `base` up.
fn every_op(base: u64) -> Vec<Op> {
    let minute = Duration::from_secs(60);
    let params = GcraParams {
        emission_nanos: 10_000_000_000,
        burst: 3,
        cost: 1,
    };
    let fam = FamiliarityKeys {
        user: StoreKey(base),
        global: StoreKey(base + 1),
        total: StoreKey(base + 2),
    };
    let key = StoreKey(base);
    vec![
        Op::Gcra {
            key,
            params,
            mode: GcraMode::Consume,
        },
        Op::Gcra {
            key,
            params,
            mode: GcraMode::Peek,
        },
        Op::Gcra {
            key,
            params,
            mode: GcraMode::Charge,
        },
        Op::WindowAdd {
            key,
            window: minute,
            amount: 3,
        },
        Op::WindowAdd {
            key,
            window: minute,
            amount: 0,
        },
        Op::WindowPair {
            key,
            lanes: [
                Lane {
                    window: minute,
                    amount: 2,
                },
                Lane {
                    window: Duration::from_secs(3_600),
                    amount: 0,
                },
            ],
        },
        Op::WindowPair {
            key,
            lanes: [Lane {
                window: minute,
                amount: 0,
            }; 2],
        },
        Op::DistinctAdd {
            key,
            window: minute,
            member: 77,
        },
        Op::DistinctCount { key, window: minute },
        Op::Familiarity {
            keys: fam,
            member: 5,
            window: minute,
        },
        Op::Learn {
            keys: fam,
            member: 5,
            window: minute,
            capacity: 4,
        },
        Op::RegisterGet { key },
        Op::RegisterSet {
            key,
            value: 0x0123_4567_89ab_cdef_0011_2233_4455_6677,
            ttl: minute,
        },
        Op::Cap {
            key,
            window: minute,
            cap: 2,
            amount: 1,
            lockout: Duration::from_secs(600),
            mode: CapMode::Check,
        },
        Op::Cap {
            key,
            window: minute,
            cap: 2,
            amount: 1,
            lockout: Duration::from_secs(600),
            mode: CapMode::Charge,
        },
        Op::Backoff {
            key,
            first: minute,
            max: Duration::from_secs(3_600),
            reset_after: Duration::from_secs(7_200),
        },
        Op::ClaimOnce {
            key,
            until: tollgate::Timestamp::from_unix_nanos(T0 + 60_000_000_000),
        },
        Op::Series {
            key,
            bucket: Duration::from_secs(86_400),
            lookback: 14,
            amount: 1,
        },
        Op::Reset { key },
    ]
}

/// Each key is gone or a string with a TTL, as every key the store writes.
async fn assert_well_formed(conn: &mut MultiplexedConnection, keys: &[String], case: &str) {
    for key in keys {
        let kind: String = redis::cmd("TYPE").arg(key).query_async(conn).await.unwrap();
        assert!(kind == "none" || kind == "string", "{case}: {key} is a {kind}");
        if kind == "string" {
            let ttl: i64 = redis::cmd("PTTL").arg(key).query_async(conn).await.unwrap();
            assert!(ttl > 0, "{case}: {key} has no TTL");
        }
    }
}

async fn run(store: &RedisStore, at: u64, ops: &[Op]) -> Vec<OpResult> {
    let mut results = vec![OpResult::Done; ops.len()];
    store
        .execute(Timestamp::from_unix_nanos(at), ops, &mut results)
        .await
        .unwrap_or_else(|e| panic!("{ops:?}: {e}"));
    results
}

fn run_memory(store: &MemoryStore, at: u64, ops: &[Op]) -> Vec<OpResult> {
    let mut results = vec![OpResult::Done; ops.len()];
    store
        .execute(Timestamp::from_unix_nanos(at), ops, &mut results)
        .unwrap();
    results
}

#[tokio::test]
async fn every_op_runs_on_a_malformed_key_as_on_an_absent_one() {
    let Some(url) = common::redis_url() else { return };
    let prefix = common::fresh_prefix("malformed");
    let store = common::store(&url, &prefix, Clock::Event).await;
    let mut conn = common::inspect(&url).await;
    let mut base = 0;
    for garbage in GARBAGE {
        for index in 0..every_op(0).len() {
            base += 16;
            let op = every_op(base).swap_remove(index);
            let case = format!("{garbage:?} under {op:?}");
            let (keys, reads) = keys_of(&prefix, &op);
            for key in &keys {
                plant(&mut conn, key, garbage).await;
            }
            let memory = MemoryStore::new(1_000);
            let before = store.malformed_keys();
            let got = run(&store, T0, std::slice::from_ref(&op)).await;
            assert_eq!(got, run_memory(&memory, T0, std::slice::from_ref(&op)), "{case}");
            let counted = store.malformed_keys() - before;
            assert_eq!(counted, if reads { keys.len() as u64 } else { 0 }, "{case}");
            assert_well_formed(&mut conn, &keys, &case).await;
            // The state left behind is the store's own: the same op again
            // goes on from it exactly as on the in-process store, and
            // nothing more is counted as malformed.
            let later = T0 + 1_000_000_000;
            let got = run(&store, later, std::slice::from_ref(&op)).await;
            assert_eq!(
                got,
                run_memory(&memory, later, std::slice::from_ref(&op)),
                "{case}, again"
            );
            assert_eq!(store.malformed_keys() - before, counted, "{case}, again");
        }
    }
}

#[tokio::test]
async fn a_plan_with_a_malformed_key_midway_runs_once_and_whole() {
    let Some(url) = common::redis_url() else { return };
    let prefix = common::fresh_prefix("midway");
    let store = common::store(&url, &prefix, Clock::Event).await;
    let mut conn = common::inspect(&url).await;
    let minute = Duration::from_secs(60);
    let count = Op::WindowAdd {
        key: StoreKey(1),
        window: minute,
        amount: 1,
    };
    let ops = [
        count,
        Op::Gcra {
            key: StoreKey(2),
            params: GcraParams {
                emission_nanos: 1_000_000_000,
                burst: 1,
                cost: 1,
            },
            mode: GcraMode::Consume,
        },
        count,
        Op::Backoff {
            key: StoreKey(3),
            first: minute,
            max: minute,
            reset_after: minute,
        },
        count,
    ];
    plant(&mut conn, &key_name(&prefix, StoreKey(2), 'g'), Garbage::List).await;
    plant(&mut conn, &key_name(&prefix, StoreKey(3), 'b'), Garbage::Hash).await;
    let memory = MemoryStore::new(100);
    assert_eq!(run(&store, T0, &ops).await, run_memory(&memory, T0, &ops));
    assert_eq!(store.malformed_keys(), 2);
    assert_eq!(run(&store, T0, &ops).await, run_memory(&memory, T0, &ops));
    assert_eq!(run(&store, T0, &[count]).await, [OpResult::Count(7)]);
    assert_eq!(store.malformed_keys(), 2);
}

fn event(kind: u8, ms: u64, user: u8, ip: u8) -> Event {
    let kind = match kind {
        0 => EventKind::Login,
        1 => EventKind::Signup,
        2 => EventKind::OtpSend { channel: Channel::Sms },
        _ => EventKind::OtpVerify { channel: None },
    };
    Event::new(kind, Timestamp::from_unix_millis(T0 / 1_000_000 + ms))
        .with_user(format!("user{user}@example.com"))
        .with_ip(IpAddr::from([203, 0, 113, ip]))
        .with_phone(format!("+3712000000{user}").parse().unwrap())
        .with_ja4("t13d1516h2_8daaf6152771_02713d6af862".parse().unwrap())
        .with_asn(tollgate::Asn(64500))
}

/// The default policy with tight limits, so that limits, caps, backoffs,
/// detectors and familiarity all run within a short sequence.
fn tight_policy() -> Policy {
    let mut p = Policy::default();
    for rule in &mut p.limits {
        rule.burst = rule.burst.min(3);
        rule.rate = "2/min".parse().unwrap();
    }
    p
}

#[tokio::test]
async fn engine_traffic_over_garbage_decides_as_over_an_empty_store() {
    let Some(url) = common::redis_url() else { return };
    let prefix = common::fresh_prefix("garbage-engine");
    let store = common::store(&url, &prefix, Clock::Event).await;
    let engine = Engine::builder(tight_policy())
        .store(store)
        .key_seed(5)
        .build()
        .unwrap();
    let memory = Engine::builder(tight_policy()).key_seed(5).build().unwrap();
    let events: Vec<(Event, Outcome)> = (0..80u64)
        .map(|i| {
            let e = event((i % 4) as u8, i * 900, (i % 3) as u8, (i % 5) as u8);
            let outcome = if i % 3 == 0 {
                Outcome::failed(e.clone())
            } else {
                Outcome::succeeded(e.clone())
            };
            (e, outcome)
        })
        .collect();

    // Every key the traffic will use, with garbage of every shape.
    let mut keys: Vec<String> = Vec::new();
    for (e, outcome) in &events {
        let plan = engine.prepare(e);
        for op in plan.ops().iter().chain(engine.record_ops(outcome).iter()) {
            keys.extend(keys_of(&prefix, op).0);
        }
    }
    keys.sort();
    keys.dedup();
    assert!(keys.len() > 30, "{} keys", keys.len());
    let mut conn = common::inspect(&url).await;
    for (key, garbage) in keys.iter().zip(GARBAGE.iter().cycle()) {
        plant(&mut conn, key, *garbage).await;
    }

    for (e, outcome) in &events {
        let decision = engine.evaluate_async(e).await;
        assert!(engine.store_healthy(), "the store failed on {e:?}");
        assert_eq!(decision, memory.evaluate(e), "{e:?}");
        engine.record_async(outcome).await;
        memory.record(outcome);
        assert!(engine.store_healthy(), "the store failed recording {e:?}");
    }
    let counted = engine.store().malformed_keys();
    assert!(
        counted > 0 && counted <= keys.len() as u64,
        "{counted} of {}",
        keys.len()
    );
    assert_well_formed(&mut conn, &keys, "after traffic").await;
}
