//! A window pair on Redis: its lanes count as two window counters would,
//! on the in-process store too, and reads create nothing.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::time::Duration;

use tollgate::Timestamp;
use tollgate::store::{Lane, MemoryStore, Op, OpResult, Store, StoreKey};
use tollgate_redis::Clock;

const T0_MS: u64 = 1_700_000_000_000;

fn pair(amounts: [u32; 2]) -> Op {
    let [short, long] = amounts;
    Op::WindowPair {
        key: StoreKey(13),
        lanes: [
            Lane {
                window: Duration::from_secs(60),
                amount: short,
            },
            Lane {
                window: Duration::from_secs(600),
                amount: long,
            },
        ],
    }
}

#[tokio::test]
async fn a_pair_read_creates_no_key() {
    let Some(url) = common::redis_url() else { return };
    let prefix = common::fresh_prefix("pair-read");
    let store = common::store(&url, &prefix, Clock::Event).await;
    let mut results = [OpResult::Done];
    let at = Timestamp::from_unix_millis(T0_MS);
    store.execute(at, &[pair([0, 0])], &mut results).await.unwrap();
    assert_eq!(results[0], OpResult::Counts([0, 0]));
    assert!(common::keys(&url, &prefix).await.is_empty());
    store.execute(at, &[pair([2, 0])], &mut results).await.unwrap();
    store.execute(at, &[pair([0, 0])], &mut results).await.unwrap();
    assert_eq!(results[0], OpResult::Counts([2, 0]));
    assert_eq!(common::keys(&url, &prefix).await.len(), 1);
}

#[tokio::test]
async fn lanes_count_as_on_the_memory_store_out_of_order_too() {
    let Some(url) = common::redis_url() else { return };
    let store = common::store(&url, &common::fresh_prefix("pair-order"), Clock::Event).await;
    let memory = MemoryStore::new(100);
    // An add to the short lane leaves the long one in its window, so the
    // older event after it counts there and fades from there.
    let steps = [
        (20_000, [2, 1]),
        (700_000, [0, 2]),
        (1_250_000, [1, 0]),
        (1_190_000, [0, 3]),
        (1_500_000, [0, 0]),
        (1_520_000, [3, 0]),
    ];
    for (ms, amounts) in steps {
        let at = Timestamp::from_unix_millis(T0_MS / 600_000 * 600_000 + ms);
        let (mut want, mut got) = ([OpResult::Done], [OpResult::Done]);
        memory.execute(at, &[pair(amounts)], &mut want).unwrap();
        store.execute(at, &[pair(amounts)], &mut got).await.unwrap();
        assert_eq!(got, want, "at {ms} ms");
    }
}
