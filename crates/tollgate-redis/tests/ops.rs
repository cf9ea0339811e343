//! Operation by operation, the Redis store gives the in-process store's
//! results (event-time clock), including past 2^53 nanoseconds where the
//! script's doubles need its pair arithmetic; every key it writes has a TTL.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use tollgate::Timestamp;
use tollgate::limiter::{GcraMode, GcraParams};
use tollgate::store::{CapMode, FamiliarityKeys, Lane, MemoryStore, Op, OpResult, Store, StoreKey};
use tollgate_redis::Clock;

const T0: u64 = 1_700_000_000_000_000_000;
const DAY: u64 = 86_400_000_000_000;

/// Window and duration lengths: round, odd to the nanosecond, and longer
/// than 2^53 ns (104 days).
fn length() -> impl Strategy<Value = Duration> {
    prop_oneof![
        Just(Duration::from_secs(60)),
        Just(Duration::from_nanos(61_234_567_891)),
        Just(Duration::from_secs(3_600)),
        Just(Duration::from_nanos(30 * DAY + 7)),
        Just(Duration::from_nanos(200 * DAY)),
        Just(Duration::from_nanos(1)),
    ]
}

fn lane() -> impl Strategy<Value = Lane> {
    (length(), prop_oneof![Just(0u32), 0u32..40, Just(u32::MAX)]).prop_map(|(window, amount)| Lane { window, amount })
}

fn gcra_params() -> impl Strategy<Value = GcraParams> {
    (
        prop_oneof![
            Just(1u64),
            Just(1_000_000_000),
            Just(8_571_428_571),
            Just(3 * DAY),
            Just(u64::MAX / 3)
        ],
        0u32..6,
        0u32..4,
    )
        .prop_map(|(emission_nanos, burst, cost)| GcraParams {
            emission_nanos,
            burst,
            cost,
        })
}

fn op() -> impl Strategy<Value = Op> {
    let key = (0u64..3).prop_map(|k| StoreKey(k.wrapping_mul(0x9e37_79b9_7f4a_7c15)));
    let member = prop_oneof![0u64..6, Just(u64::MAX), Just(1 << 32 | 5)];
    let fam = key.clone().prop_map(|k| FamiliarityKeys {
        user: k,
        global: StoreKey(k.0 ^ 1),
        total: StoreKey(99),
    });
    prop_oneof![
        (key.clone(), gcra_params(), 0u8..3).prop_map(|(key, params, m)| Op::Gcra {
            key,
            params,
            mode: [GcraMode::Consume, GcraMode::Peek, GcraMode::Charge][m as usize],
        }),
        (key.clone(), length(), prop_oneof![0u32..40, Just(u32::MAX)])
            .prop_map(|(key, window, amount)| Op::WindowAdd { key, window, amount }),
        // Lanes of lengths apart or equal; often one lane only reads.
        (key.clone(), [lane(), lane()]).prop_map(|(key, lanes)| Op::WindowPair { key, lanes }),
        (
            key.clone(),
            length(),
            prop_oneof![member.clone(), (0u64..200).prop_map(|m| m << 33)]
        )
            .prop_map(|(key, window, member)| Op::DistinctAdd { key, window, member }),
        (key.clone(), length()).prop_map(|(key, window)| Op::DistinctCount { key, window }),
        (fam.clone(), member.clone(), length()).prop_map(|(keys, member, window)| Op::Familiarity {
            keys,
            member,
            window
        }),
        (fam, member, length(), 0u8..5).prop_map(|(keys, member, window, capacity)| Op::Learn {
            keys,
            member,
            window,
            capacity
        }),
        key.clone().prop_map(|key| Op::RegisterGet { key }),
        (
            key.clone(),
            any::<u128>(),
            prop_oneof![Just(Duration::from_secs(5)), length()]
        )
            .prop_map(|(key, value, ttl)| Op::RegisterSet { key, value, ttl }),
        (key.clone(), length(), 0u64..6, 0u32..3, length(), any::<bool>()).prop_map(
            |(key, window, cap, amount, lockout, charge)| Op::Cap {
                key,
                window,
                cap,
                amount,
                lockout,
                mode: if charge { CapMode::Charge } else { CapMode::Check },
            }
        ),
        (key.clone(), length(), length(), length()).prop_map(|(key, first, max, reset_after)| Op::Backoff {
            key,
            first,
            max,
            reset_after
        }),
        // Ends around the batches' times: ahead, just passed, far ahead.
        (
            key.clone(),
            prop_oneof![Just(300_000_000_000u64), 0u64..(2 * DAY), Just(200 * DAY)]
        )
            .prop_map(|(key, ahead)| Op::ClaimOnce {
                key,
                until: Timestamp::from_unix_nanos(T0 + ahead)
            }),
        // Buckets from a minute to a day, so the batches' steps cross
        // them, skip a few and leave the series behind.
        (
            key.clone(),
            prop_oneof![Just(60u64), Just(3_600), Just(86_400)],
            0u8..40,
            prop_oneof![Just(0u32), 1u32..5]
        )
            .prop_map(|(key, secs, lookback, amount)| Op::Series {
                key,
                bucket: Duration::from_secs(secs),
                lookback,
                amount
            }),
        key.prop_map(|key| Op::Reset { key }),
    ]
}

/// A batch of operations at one time: steps forward by nanoseconds to
/// months, sometimes back (events arrive out of order).
fn batches() -> impl Strategy<Value = Vec<(i64, Vec<Op>)>> {
    let step = prop_oneof![
        Just(0i64),
        1i64..1_000,
        1_000_000i64..60_000_000_000,
        Just(DAY as i64),
        Just(150 * DAY as i64),
        -30_000_000_000i64..0,
    ];
    prop::collection::vec((step, prop::collection::vec(op(), 1..6)), 1..24)
}

#[test]
fn same_results_as_the_memory_store() {
    let Some(url) = common::redis_url() else { return };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 256,
        ..ProptestConfig::default()
    });
    let result = runner.run(&batches(), |batches| {
        rt.block_on(async {
            let redis = common::store(&url, &common::fresh_prefix("ops"), Clock::Event).await;
            let memory = MemoryStore::new(10_000);
            let mut now = T0;
            for (step, ops) in &batches {
                now = now.saturating_add_signed(*step);
                let at = Timestamp::from_unix_nanos(now);
                let mut want = vec![OpResult::Done; ops.len()];
                let mut got = vec![OpResult::Done; ops.len()];
                memory.execute(at, ops, &mut want).unwrap();
                redis.execute(at, ops, &mut got).await.unwrap();
                prop_assert_eq!(&got, &want, "ops {:?} at {}", ops, now);
            }
            Ok(())
        })
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

#[tokio::test]
async fn every_key_has_a_ttl_near_when_its_state_goes_idle() {
    let Some(url) = common::redis_url() else { return };
    let prefix = common::fresh_prefix("ttl");
    let store = common::store(&url, &prefix, Clock::Event).await;
    let minute = Duration::from_secs(60);
    let keys = FamiliarityKeys {
        user: StoreKey(1),
        global: StoreKey(2),
        total: StoreKey(3),
    };
    let ops = [
        Op::Gcra {
            key: StoreKey(4),
            params: GcraParams {
                emission_nanos: 60_000_000_000,
                burst: 5,
                cost: 1,
            },
            mode: GcraMode::Consume,
        },
        Op::WindowAdd {
            key: StoreKey(5),
            window: minute,
            amount: 1,
        },
        Op::DistinctAdd {
            key: StoreKey(6),
            window: minute,
            member: 9,
        },
        Op::Learn {
            keys,
            member: 1,
            window: minute,
            capacity: 8,
        },
        Op::RegisterSet {
            key: StoreKey(7),
            value: 1,
            ttl: minute,
        },
        Op::Cap {
            key: StoreKey(8),
            window: minute,
            cap: 1,
            amount: 1,
            lockout: Duration::from_secs(3_600),
            mode: CapMode::Charge,
        },
        Op::Backoff {
            key: StoreKey(9),
            first: minute,
            max: minute,
            reset_after: Duration::from_secs(600),
        },
        Op::WindowPair {
            key: StoreKey(10),
            lanes: [
                Lane {
                    window: minute,
                    amount: 1,
                },
                Lane {
                    window: Duration::from_secs(600),
                    amount: 0,
                },
            ],
        },
    ];
    let mut results = [OpResult::Done; 8];
    // 30 s into a minute window: a window is idle 90 s from now.
    let at = Timestamp::from_unix_millis(1_700_000_010_000);
    store.execute(at, &ops, &mut results).await.unwrap();
    let found = common::keys(&url, &prefix).await;
    assert_eq!(found.len(), 10, "{found:?}");
    let mut conn = common::inspect(&url).await;
    for key in &found {
        let ttl: i64 = redis::cmd("PTTL").arg(key).query_async(&mut conn).await.unwrap();
        let kind = key.rsplit(':').next().unwrap();
        // Idle time plus the one-second margin, minus what elapsed since.
        let expected: i64 = match kind {
            "g" => 60_000 + 1_000,
            "w" | "d" => 90_000 + 1_000,
            "h" => 180 * 86_400_000 + 1_000,
            "r" => 60_000 + 1_000,
            "c" => 3_600_000 + 1_000,
            "b" => 600_000 + 1_000,
            // The longer lane's (ten minutes, 210 s into its window), though
            // only the minute lane counted: the key outlives both.
            "p" => 990_000 + 1_000,
            other => panic!("unexpected kind {other}"),
        };
        assert!(ttl > 0 && ttl <= expected && ttl > expected - 5_000, "{key}: {ttl} ms");
    }
}

#[tokio::test]
async fn distinct_counts_saturate_like_the_memory_store() {
    let Some(url) = common::redis_url() else { return };
    let store = common::store(&url, &common::fresh_prefix("distinct"), Clock::Event).await;
    let memory = MemoryStore::new(100);
    let at = Timestamp::from_unix_millis(1_700_000_000_000);
    let ops: Vec<Op> = (0..300u64)
        .map(|m| Op::DistinctAdd {
            key: StoreKey(1),
            window: Duration::from_secs(3_600),
            member: m.wrapping_mul(0x9e37_79b9_7f4a_7c15),
        })
        .collect();
    let mut want = vec![OpResult::Done; ops.len()];
    let mut got = vec![OpResult::Done; ops.len()];
    memory.execute(at, &ops, &mut want).unwrap();
    store.execute(at, &ops, &mut got).await.unwrap();
    assert_eq!(got, want);
    assert_eq!(got[299], OpResult::Count(tollgate::store::DISTINCT_EXACT_UP_TO as u64));
}

#[tokio::test]
async fn a_window_read_creates_no_key() {
    let Some(url) = common::redis_url() else { return };
    let prefix = common::fresh_prefix("read");
    let store = common::store(&url, &prefix, Clock::Event).await;
    let read = |amount| Op::WindowAdd {
        key: StoreKey(11),
        window: Duration::from_secs(60),
        amount,
    };
    let mut results = [OpResult::Done];
    let at = Timestamp::from_unix_millis(1_700_000_000_000);
    store.execute(at, &[read(0)], &mut results).await.unwrap();
    assert_eq!(results[0], OpResult::Count(0));
    assert!(common::keys(&url, &prefix).await.is_empty());
    store.execute(at, &[read(2)], &mut results).await.unwrap();
    store.execute(at, &[read(0)], &mut results).await.unwrap();
    assert_eq!(results[0], OpResult::Count(2));
    assert_eq!(common::keys(&url, &prefix).await.len(), 1);
}

#[tokio::test]
async fn a_distinct_count_creates_no_key_and_changes_nothing() {
    let Some(url) = common::redis_url() else { return };
    let prefix = common::fresh_prefix("distinct-read");
    let store = common::store(&url, &prefix, Clock::Event).await;
    let window = Duration::from_secs(60);
    let key = StoreKey(12);
    let count = Op::DistinctCount { key, window };
    let mut results = [OpResult::Done];
    let at = Timestamp::from_unix_millis(1_700_000_000_000);
    store.execute(at, &[count], &mut results).await.unwrap();
    assert_eq!(results[0], OpResult::Count(0));
    assert!(common::keys(&url, &prefix).await.is_empty());
    let adds: Vec<Op> = (1..=3).map(|member| Op::DistinctAdd { key, window, member }).collect();
    let mut added = vec![OpResult::Done; adds.len()];
    store.execute(at, &adds, &mut added).await.unwrap();
    for _ in 0..2 {
        store.execute(at, &[count], &mut results).await.unwrap();
        assert_eq!(results[0], OpResult::Count(3));
    }
    // Two windows on, the read sees both windows over.
    let later = Timestamp::from_unix_millis(1_700_000_000_000 + 121_000);
    store.execute(later, &[count], &mut results).await.unwrap();
    assert_eq!(results[0], OpResult::Count(0));
}
