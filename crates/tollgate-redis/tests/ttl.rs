//! A window counter written again in the same window keeps the expiry its
//! first write set (it is the window's end either way), and a write in a
//! later window moves it.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::time::Duration;

use tollgate::Timestamp;
use tollgate::store::{Op, OpResult, StoreKey};
use tollgate_redis::{Clock, key_name};

const MINUTE_MS: u64 = 60_000;

#[tokio::test]
async fn same_window_writes_keep_the_windows_expiry_and_a_new_window_moves_it() {
    let Some(url) = common::redis_url() else { return };
    let prefix = common::fresh_prefix("ttl-window");
    let store = common::store(&url, &prefix, Clock::Event).await;
    let op = [Op::WindowAdd {
        key: StoreKey(5),
        window: Duration::from_secs(3_600),
        amount: 1,
    }];
    let key = key_name(&prefix, StoreKey(5), 'w');
    let mut conn = common::inspect(&url).await;
    // An hour-long window starting at `start`; TTLs in ms, read right after
    // each write.
    let start = 1_700_000_000_000 / 3_600_000 * 3_600_000 + 3_600_000;
    let mut write_and_ttl = async |at_ms: u64| {
        let mut results = [OpResult::Done];
        store
            .execute(Timestamp::from_unix_millis(at_ms), &op, &mut results)
            .await
            .unwrap();
        let ttl: i64 = redis::cmd("PTTL").arg(&key).query_async(&mut conn).await.unwrap();
        (results[0], u64::try_from(ttl).unwrap())
    };
    // Until the end of the next window (two hours from the start), plus the margin.
    let (count, first) = write_and_ttl(start).await;
    assert_eq!(count, OpResult::Count(1));
    assert!(
        (2 * 60 * MINUTE_MS..=2 * 60 * MINUTE_MS + 1_000).contains(&first),
        "{first}"
    );
    // 50 minutes later in event time, same window: a full write would set
    // 70 minutes and a second; the kept expiry is the first one's, less
    // the (real) time between the two writes.
    let (count, kept) = write_and_ttl(start + 50 * MINUTE_MS).await;
    assert_eq!(count, OpResult::Count(2));
    assert!(kept <= first && kept > 71 * MINUTE_MS, "{kept} vs {first}");
    // The next window: until the end of the one after it.
    let (_, moved) = write_and_ttl(start + 70 * MINUTE_MS).await;
    assert!((110 * MINUTE_MS..=110 * MINUTE_MS + 1_000).contains(&moved), "{moved}");
}
