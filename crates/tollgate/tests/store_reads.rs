//! Reading a counter (a window add of 0) neither creates it nor changes
//! what later adds see.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use tollgate::Timestamp;
use tollgate::store::{MemoryStore, Op, OpResult, Store, StoreKey};

fn add(store: &MemoryStore, ms: u64, amount: u32) -> OpResult {
    let op = Op::WindowAdd {
        key: StoreKey(5),
        window: Duration::from_secs(60),
        amount,
    };
    let mut results = [OpResult::Done];
    store
        .execute(Timestamp::from_unix_millis(ms), &[op], &mut results)
        .unwrap();
    results[0]
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
