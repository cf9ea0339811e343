//! Shared by the Redis tests: the server from `TOLLGATE_REDIS_URL`, a fresh
//! prefix per store so tests running in parallel never share keys, and
//! helpers to read what the store left in Redis.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicU32, Ordering};

use tollgate_redis::{Clock, RedisConfig, RedisStore};

/// The test server, or `None` after printing the skip notice.
pub fn redis_url() -> Option<String> {
    match std::env::var("TOLLGATE_REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            println!("skipping: TOLLGATE_REDIS_URL unset");
            None
        }
    }
}

/// A prefix no other store in this run uses.
pub fn fresh_prefix(test: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "tgtest:{test}:{}:{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Generous timeout: tests run on a busy machine; failures still come fast.
pub fn config(url: &str, prefix: &str, clock: Clock) -> RedisConfig {
    RedisConfig::new(url)
        .prefix(prefix)
        .clock(clock)
        .timeout(std::time::Duration::from_millis(500))
}

pub async fn store(url: &str, prefix: &str, clock: Clock) -> RedisStore {
    RedisStore::connect(config(url, prefix, clock)).await.unwrap()
}

/// A plain connection for inspecting keys.
pub async fn inspect(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// Every key under `prefix`.
pub async fn keys(url: &str, prefix: &str) -> Vec<String> {
    let mut conn = inspect(url).await;
    let mut keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    keys.sort();
    keys
}
