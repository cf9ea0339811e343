//! The in-process store: bounds, sweeping and what each operation returns.

use std::time::Duration;

use super::*;
use crate::limiter::GcraParams;

fn consume(key: u64) -> Op {
    Op::Gcra {
        key: StoreKey(key),
        params: GcraParams {
            emission_nanos: 60_000_000_000,
            burst: 5,
            cost: 1,
        },
        mode: GcraMode::Consume,
    }
}

fn run(store: &MemoryStore, at_ms: u64, op: Op) -> OpResult {
    let mut out = [OpResult::Done];
    store
        .execute(Timestamp::from_unix_millis(at_ms), &[op], &mut out)
        .unwrap();
    out[0]
}

#[test]
fn cap_holds_under_a_flood_of_distinct_keys() {
    let store = MemoryStore::new(1000);
    for k in 0..50_000u64 {
        run(&store, 1_000, consume(k));
        assert!(store.len() <= 1000, "{} keys after {k}", store.len());
    }
    assert!(store.len() >= 750);
}

#[test]
fn idle_keys_go_first_and_busy_keys_survive() {
    let store = MemoryStore::new(100);
    // 10 busy keys, drained just before the flood.
    for k in 0..10 {
        for _ in 0..5 {
            run(&store, 90_000, consume(k));
        }
    }
    // A flood of new keys: the busy keys are far from refilled.
    for k in 1000..1500 {
        run(&store, 100_000, consume(k));
    }
    for k in 0..10 {
        let OpResult::Gcra(o) = run(&store, 100_000, consume(k)) else {
            panic!()
        };
        assert!(!o.allowed, "busy key {k} was evicted");
    }
}

#[test]
fn sweeps_count_idle_and_live_evictions_apart() {
    let store = MemoryStore::new(100);
    for k in 0..100 {
        run(&store, 0, consume(k));
    }
    assert_eq!((store.sweeps(), store.evicted_idle(), store.evicted_live()), (0, 0, 0));
    // Every bucket has refilled by then: the sweep drops idle state only.
    run(&store, 1_000_000, consume(100));
    assert_eq!(
        (store.sweeps(), store.evicted_idle(), store.evicted_live()),
        (1, 100, 0)
    );
    for k in 101..200 {
        run(&store, 1_000_000, consume(k));
    }
    // Nothing is idle now: the sweep drops live state down to 3/4 of the cap.
    run(&store, 1_000_000, consume(200));
    assert_eq!(
        (store.sweeps(), store.evicted_idle(), store.evicted_live()),
        (2, 100, 25)
    );
    assert!(store.len() <= 100);
}

#[test]
fn reset_forgets_and_frees_the_slot() {
    let store = MemoryStore::new(10);
    run(&store, 0, consume(1));
    run(
        &store,
        0,
        Op::WindowAdd {
            key: StoreKey(1),
            window: Duration::from_secs(1),
            amount: 1,
        },
    );
    let lane = crate::store::Lane {
        window: Duration::from_secs(1),
        amount: 1,
    };
    run(
        &store,
        0,
        Op::WindowPair {
            key: StoreKey(1),
            lanes: [lane; 2],
        },
    );
    assert_eq!(store.len(), 3);
    assert_eq!(run(&store, 0, Op::Reset { key: StoreKey(1) }), OpResult::Done);
    assert!(store.is_empty());
    assert_eq!(store.budget.used(), 0);
}

#[test]
fn result_buffer_must_match() {
    let store = MemoryStore::new(10);
    let err = store.execute(Timestamp::EPOCH, &[consume(1)], &mut []).unwrap_err();
    assert!(matches!(err, StoreError::ResultCount { expected: 1, got: 0 }));
}
