//! Reading a counter (a window add of 0) neither creates it nor changes
//! what later adds see; the lanes of a window pair count as two such
//! counters.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use tollgate::Timestamp;
use tollgate::store::{Lane, MemoryStore, Op, OpResult, Store, StoreKey};

fn run(store: &MemoryStore, ms: u64, op: Op) -> OpResult {
    let mut results = [OpResult::Done];
    store
        .execute(Timestamp::from_unix_millis(ms), &[op], &mut results)
        .unwrap();
    results[0]
}

fn add(store: &MemoryStore, ms: u64, amount: u32) -> OpResult {
    let op = Op::WindowAdd {
        key: StoreKey(5),
        window: Duration::from_secs(60),
        amount,
    };
    run(store, ms, op)
}

#[test]
fn reads_of_absent_counters_create_nothing() {
    let store = MemoryStore::new(100);
    assert_eq!(add(&store, 1_000, 0), OpResult::Count(0));
    assert!(store.is_empty());
}

#[test]
fn reads_follow_the_sliding_window_without_storing_it() {
    let store = MemoryStore::new(100);
    assert_eq!(add(&store, 0, 6), OpResult::Count(6));
    // 6 in the window that started at 0; the next window weighs them by
    // how much of it is still inside the last 60 s.
    let expected = [(30_000, 6), (61_000, 5), (90_000, 3), (119_000, 0)];
    for (ms, count) in expected {
        assert_eq!(add(&store, ms, 0), OpResult::Count(count), "at {ms}");
    }
    // The reads stored no rollover: a later add still finds the counts
    // where the window arithmetic puts them.
    assert_eq!(add(&store, 119_500, 1), OpResult::Count(1));
    assert_eq!(store.len(), 1);
}

fn pair(store: &MemoryStore, ms: u64, amounts: [u32; 2]) -> OpResult {
    let [a, b] = amounts;
    let op = Op::WindowPair {
        key: StoreKey(6),
        lanes: [
            Lane {
                window: Duration::from_secs(60),
                amount: a,
            },
            Lane {
                window: Duration::from_secs(600),
                amount: b,
            },
        ],
    };
    run(store, ms, op)
}

#[test]
fn pair_reads_of_an_absent_pair_create_nothing() {
    let store = MemoryStore::new(100);
    assert_eq!(pair(&store, 1_000, [0, 0]), OpResult::Counts([0, 0]));
    assert!(store.is_empty());
}

#[test]
fn pair_lanes_count_as_two_window_adds() {
    let windows = MemoryStore::new(100);
    let pairs = MemoryStore::new(100);
    let window = |key, secs, ms, amount| {
        let op = Op::WindowAdd {
            key: StoreKey(key),
            window: Duration::from_secs(secs),
            amount,
        };
        match run(&windows, ms, op) {
            OpResult::Count(n) => n,
            other => panic!("{other:?}"),
        }
    };
    // A lane added 0 while the other counts must stay as untouched as a
    // counter of its own would (an attempt that did not fail); one event
    // comes out of order.
    let steps = [
        (0, [1, 0]),
        (20_000, [2, 1]),
        (59_000, [0, 0]),
        (75_000, [1, 0]),
        (55_000, [2, 4]),
        (130_000, [1, 1]),
        (700_000, [0, 2]),
        // The long lane is left in its window by an add to the short one,
        // so an older event still counts there, and fades from there.
        (1_250_000, [1, 0]),
        (1_190_000, [0, 3]),
        (1_500_000, [0, 0]),
        (1_520_000, [3, 0]),
    ];
    for (ms, amounts) in steps {
        let expected = [window(1, 60, ms, amounts[0]), window(2, 600, ms, amounts[1])];
        assert_eq!(pair(&pairs, ms, amounts), OpResult::Counts(expected), "at {ms} ms");
    }
    assert_eq!(pairs.len(), 1);
}
