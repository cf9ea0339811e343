//! Shared by the Redis tests: the server from `TOLLGATE_REDIS_URL`, a fresh
//! prefix per store so tests running in parallel never share keys, and
//! helpers to read what the store left in Redis.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

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

/// A private redis-server with no persistence, killed on drop.
pub struct Server {
    child: Child,
    port: u16,
}

impl Server {
    pub fn start(port: u16) -> Option<Server> {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .ok()?;
        Some(Server { child, port })
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    pub async fn ready(&self) {
        for _ in 0..200 {
            if let Ok(client) = redis::Client::open(self.url())
                && let Ok(mut conn) = client.get_multiplexed_async_connection().await
                && redis::cmd("PING").query_async::<String>(&mut conn).await.is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("redis-server on port {} did not start", self.port);
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    socket.local_addr().unwrap().port()
}

/// One hour-long window counter's addition of `amount`.
pub fn count(amount: u32) -> [tollgate::store::Op; 1] {
    [tollgate::store::Op::WindowAdd {
        key: tollgate::store::StoreKey(42),
        window: Duration::from_secs(3_600),
        amount,
    }]
}

/// Runs [`count`] on `store` at a fixed time: the window's count after it.
pub async fn add(store: &RedisStore, amount: u32) -> Result<tollgate::store::OpResult, tollgate::store::StoreError> {
    let mut results = [tollgate::store::OpResult::Done];
    store
        .execute(
            tollgate::Timestamp::from_unix_millis(1_700_000_000_000),
            &count(amount),
            &mut results,
        )
        .await?;
    Ok(results[0])
}
