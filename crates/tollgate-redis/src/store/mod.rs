//! [`RedisStore`]: runs a plan's operations in one Lua script call.
//!
//! ```no_run
//! use tollgate::Timestamp;
//! use tollgate::store::{Op, OpResult, StoreKey};
//! use tollgate_redis::{RedisConfig, RedisStore};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let store = RedisStore::connect(RedisConfig::new("redis://127.0.0.1:6379/")).await?;
//! let ops = [Op::RegisterGet { key: StoreKey(7) }];
//! let mut results = [OpResult::Done];
//! store.execute(Timestamp::from_unix_millis(1_000), &ops, &mut results).await?;
//! assert_eq!(results[0], OpResult::Register(None));
//! # Ok(()) }
//! ```

mod backend;
mod call;
mod clock;
mod cluster;
mod single;

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use redis::{RedisError, Script};
use tollgate::Timestamp;
use tollgate::store::{AsyncStore, Op, OpResult, StoreError};

use crate::config::{Clock, ConfigError, RedisConfig};
use backend::{Backend, Cluster};
use call::{SCRIPT, library};

/// Counters in Redis, shared by every instance that uses the same server
/// and prefix.
///
/// Cheap to share: `execute` takes `&self` and runs calls concurrently
/// over one multiplexed connection (on a cluster, one per node), which
/// reconnects by itself after the server goes away.
pub struct RedisStore {
    backend: Backend,
    script: Script,
    /// The Functions library's code and its function's name.
    library: String,
    function: String,
    /// Calls go through `FCALL` until the server refuses to load the
    /// library (Redis before 7.0, ACLs without `FUNCTION`); then `EVALSHA`.
    use_functions: AtomicBool,
    prefix: String,
    timeout: Duration,
    clock: Clock,
    /// Redis `TIME` minus the host clock, in nanoseconds (see [`Clock::Redis`]).
    offset: AtomicI64,
    offset_known: AtomicBool,
    /// See [`RedisStore::malformed_keys`].
    malformed: AtomicU64,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("clock", &self.clock)
            .field("cluster", &self.is_cluster())
            .field("functions", &self.use_functions.load(Ordering::Relaxed))
            .field("offset_nanos", &self.offset.load(Ordering::Relaxed))
            .field("malformed_keys", &self.malformed_keys())
            .finish_non_exhaustive()
    }
}

fn unavailable(err: &RedisError) -> StoreError {
    // The kind and the server's own detail only: never the URL.
    let what = if err.is_timeout() {
        "timed out".to_owned()
    } else if err.is_connection_refusal() {
        "connection refused".to_owned()
    } else if err.is_io_error() {
        "connection lost".to_owned()
    } else {
        format!("{:?} {}", err.kind(), err.detail().unwrap_or_default())
    };
    StoreError::Unavailable(format!("redis: {}", what.trim_end()))
}

impl RedisStore {
    /// A store for `config`. Connects lazily: this succeeds while Redis is
    /// down, and calls fail with `StoreError::Unavailable` until it is up.
    /// Must run inside a tokio runtime.
    pub async fn connect(config: RedisConfig) -> Result<Self, ConfigError> {
        config.check()?;
        let backend = Backend::new(&config)?;
        let script = Script::new(SCRIPT);
        let function = format!("tollgate_{}", script.get_hash().get(..16).unwrap_or_default());
        Ok(RedisStore {
            backend,
            library: library(&function),
            function,
            use_functions: AtomicBool::new(true),
            script,
            prefix: config.prefix,
            timeout: config.timeout,
            clock: config.clock,
            offset: AtomicI64::new(0),
            offset_known: AtomicBool::new(false),
            malformed: AtomicU64::new(0),
        })
    }

    /// Whether this store runs against a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        matches!(self.backend, Backend::Cluster(_))
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The clock operations run on.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// How many values under the prefix this store has found that it could
    /// not have written, since it was created: another Redis type, another
    /// layout or format version (instances of different versions sharing
    /// a prefix), a foreign writer. Each was deleted and its operation ran
    /// as on an absent key, so its counter restarted; the first one is
    /// also logged at warn level. Worth exporting as a metric: anything
    /// above zero means something else writes under the prefix.
    pub fn malformed_keys(&self) -> u64 {
        self.malformed.load(Ordering::Relaxed)
    }

    /// Runs `ops` at `at` (or at Redis's time, see [`Clock`]) in one script
    /// call, writing one result per operation into `results`.
    ///
    /// Fails with `StoreError::ResultCount` when `results` does not have one
    /// slot per operation, and with `StoreError::Unavailable` when Redis
    /// cannot be reached or does not answer within the timeout; `results`
    /// is then unspecified. No operation runs twice: a call that timed out
    /// may or may not have been applied.
    pub async fn execute(&self, at: Timestamp, ops: &[Op], results: &mut [OpResult]) -> Result<(), StoreError> {
        if ops.len() != results.len() {
            return Err(StoreError::ResultCount {
                expected: ops.len(),
                got: results.len(),
            });
        }
        if ops.is_empty() {
            return Ok(());
        }
        match tokio::time::timeout(self.timeout, self.run(at, ops, results)).await {
            Ok(done) => done,
            Err(_) => Err(StoreError::Unavailable(format!(
                "redis: no answer within {} ms",
                self.timeout.as_millis()
            ))),
        }
    }

    async fn run(&self, at: Timestamp, ops: &[Op], results: &mut [OpResult]) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Single(conn) => {
                let mut conn = conn.clone();
                let now = self.now(at, &mut conn).await?;
                self.run_single(conn, now, ops, results).await
            }
            Backend::Cluster(cluster) => {
                let Cluster { client, conn } = &**cluster;
                let mut conn = conn
                    .get_or_try_init(|| async { client.get_async_connection().await.map_err(|e| unavailable(&e)) })
                    .await?
                    .clone();
                let now = self.now(at, &mut conn).await?;
                self.run_cluster(&conn, now, ops, results).await
            }
        }
    }

    fn count_malformed(&self, found: u64) {
        if found == 0 {
            return;
        }
        if self.malformed.fetch_add(found, Ordering::Relaxed) == 0 {
            tracing::warn!(
                prefix = %self.prefix,
                "tollgate-redis: a value under the key prefix was not one this store writes (another \
                 Redis type, format version or writer): replaced, its counter restarted; \
                 RedisStore::malformed_keys counts them"
            );
        }
    }
}

/// The engine's async path runs plans through [`RedisStore::execute`]:
/// `Engine::builder(policy).store(redis_store).key_secret(secret).build()`
/// and then `evaluate_async` / `record_async`, with the policy's `[store]
/// on_failure` deciding what an unavailable Redis means for a request.
impl AsyncStore for RedisStore {
    fn execute<'a>(
        &'a self,
        at: Timestamp,
        ops: &'a [Op],
        results: &'a mut [OpResult],
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a {
        RedisStore::execute(self, at, ops, results)
    }

    /// Always: the point of Redis is counters every instance shares, so an
    /// engine over it must be built with an explicit key secret.
    fn is_shared(&self) -> bool {
        true
    }
}
