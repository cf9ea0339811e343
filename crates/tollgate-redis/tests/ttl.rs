//! A window counter written again in the same window keeps the expiry its
//! first write set (it is the window's end either way), and a write in a
//! later window moves it; a window pair likewise, expiring with its longer
//! lane.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::time::Duration;

use redis::aio::MultiplexedConnection;
use tollgate::Timestamp;
use tollgate::store::{Lane, Op, OpResult, StoreKey};
use tollgate_redis::{Clock, RedisStore, key_name};

const MINUTE_MS: u64 = 60_000;

/// Runs `op` at `at_ms`, then reads the TTL of `key` (in ms) right after.
async fn write_and_ttl(
    store: &RedisStore,
    conn: &mut MultiplexedConnection,
    key: &str,
    op: Op,
    at_ms: u64,
) -> (OpResult, u64) {
    let mut results = [OpResult::Done];
    store
        .execute(Timestamp::from_unix_millis(at_ms), &[op], &mut results)
        .await
        .unwrap();
    let ttl: i64 = redis::cmd("PTTL").arg(key).query_async(conn).await.unwrap();
    (results[0], u64::try_from(ttl).unwrap())
}

#[tokio::test]
async fn same_window_writes_keep_the_windows_expiry_and_a_new_window_moves_it() {
    let Some(url) = common::redis_url() else { return };
    let prefix = common::fresh_prefix("ttl-window");
    let store = common::store(&url, &prefix, Clock::Event).await;
    let op = Op::WindowAdd {
        key: StoreKey(5),
        window: Duration::from_secs(3_600),
        amount: 1,
    };
    let key = key_name(&prefix, StoreKey(5), 'w');
    let mut conn = common::inspect(&url).await;
    // An hour-long window starting at `start`; TTLs in ms, read right after
    // each write.
    let start = 1_700_000_000_000 / 3_600_000 * 3_600_000 + 3_600_000;
    let mut write = async |at_ms: u64| write_and_ttl(&store, &mut conn, &key, op, at_ms).await;
    // Until the end of the next window (two hours from the start), plus the margin.
    let (count, first) = write(start).await;
    assert_eq!(count, OpResult::Count(1));
    assert!(
        (2 * 60 * MINUTE_MS..=2 * 60 * MINUTE_MS + 1_000).contains(&first),
        "{first}"
    );
    // 50 minutes later in event time, same window: a full write would set
    // 70 minutes and a second; the kept expiry is the first one's, less
    // the (real) time between the two writes.
    let (count, kept) = write(start + 50 * MINUTE_MS).await;
    assert_eq!(count, OpResult::Count(2));
    assert!(kept <= first && kept > 71 * MINUTE_MS, "{kept} vs {first}");
    // The next window: until the end of the one after it.
    let (_, moved) = write(start + 70 * MINUTE_MS).await;
    assert!((110 * MINUTE_MS..=110 * MINUTE_MS + 1_000).contains(&moved), "{moved}");
}

#[tokio::test]
async fn a_pair_keeps_its_expiry_until_a_lane_moves_and_expires_with_the_longer_lane() {
    let Some(url) = common::redis_url() else { return };
    let prefix = common::fresh_prefix("ttl-pair");
    let store = common::store(&url, &prefix, Clock::Event).await;
    let key = key_name(&prefix, StoreKey(6), 'p');
    let mut conn = common::inspect(&url).await;
    // Ten-minute and hour-long lanes, both starting at `start`.
    let start = 1_700_000_000_000 / 3_600_000 * 3_600_000 + 3_600_000;
    let mut write = async |at_ms: u64, amounts: [u32; 2]| {
        let [short, long] = amounts;
        let op = Op::WindowPair {
            key: StoreKey(6),
            lanes: [
                Lane {
                    window: Duration::from_secs(600),
                    amount: short,
                },
                Lane {
                    window: Duration::from_secs(3_600),
                    amount: long,
                },
            ],
        };
        write_and_ttl(&store, &mut conn, &key, op, at_ms).await
    };
    // Until the end of the hour lane's next window.
    let (counts, first) = write(start, [1, 1]).await;
    assert_eq!(counts, OpResult::Counts([1, 1]));
    assert!((120 * MINUTE_MS..=120 * MINUTE_MS + 1_000).contains(&first), "{first}");
    // Both lanes in their windows, or only read: the expiry stays.
    let (counts, kept) = write(start + 5 * MINUTE_MS, [1, 0]).await;
    assert_eq!(counts, OpResult::Counts([2, 1]));
    assert!(kept <= first && kept > 119 * MINUTE_MS, "{kept} vs {first}");
    // The short lane's next window: set again, from the longer lane (the
    // short one alone would be idle in 18 minutes).
    let (counts, moved) = write(start + 12 * MINUTE_MS, [1, 0]).await;
    // One new, and the previous window's 2 at 8/10 weight, rounded down.
    assert_eq!(counts, OpResult::Counts([2, 1]));
    assert!((108 * MINUTE_MS..=108 * MINUTE_MS + 1_000).contains(&moved), "{moved}");
}
