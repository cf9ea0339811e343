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

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::cluster_async::ClusterConnection;
use redis::{ErrorKind, RedisError, Script, ServerErrorKind};
use tokio::sync::OnceCell;
use tollgate::Timestamp;
use tollgate::store::{AsyncStore, Op, OpResult, StoreError};

use crate::config::{Clock, ConfigError, RedisConfig};
use crate::encode::{Encoded, Layout, Piece, PieceResult, decode, decode_pieces, join, slot};

/// The operations' code: u64 pair arithmetic, then the operations and
/// `run` (see `ops.lua` for the wire format).
const CODE: &str = concat!(include_str!("pairs.lua"), include_str!("ops.lua"));

/// The same code as an `EVALSHA` script, for servers without Redis Functions.
const SCRIPT: &str = concat!(
    include_str!("pairs.lua"),
    include_str!("ops.lua"),
    include_str!("script.lua")
);

/// The Redis Functions library holding [`CODE`] as function `name`; the
/// library has the same name. The name carries a hash of the code, so
/// instances of different versions sharing a server each call their own.
fn library(name: &str) -> String {
    format!(
        "#!lua name={name}\n{CODE}\nredis.register_function('{name}', function(keys, args) return run(keys, args[1]) end)\n"
    )
}

/// Whether `err` says the function is not loaded (a new server, a restart
/// without persistence, `FUNCTION FLUSH`).
fn function_missing(err: &RedisError) -> bool {
    err.detail().is_some_and(|d| d.contains("Function not found"))
}

/// Whether the server does not offer `FCALL` to this client: a server
/// before 7.0 (unknown command) or an ACL without it.
fn functions_unsupported(err: &RedisError) -> bool {
    err.kind() == ErrorKind::Server(ServerErrorKind::NoPerm)
        || err
            .detail()
            .is_some_and(|d| d.contains("unknown command") || d.contains("unknown subcommand"))
}

/// Whether the server refused to load the library for good (not a lost
/// connection, not a state that passes: loading, failover, cluster down).
fn load_refused(err: &RedisError) -> bool {
    match err.kind() {
        ErrorKind::Server(
            ServerErrorKind::BusyLoading
            | ServerErrorKind::TryAgain
            | ServerErrorKind::ClusterDown
            | ServerErrorKind::MasterDown
            | ServerErrorKind::ReadOnly
            | ServerErrorKind::Moved
            | ServerErrorKind::Ask,
        ) => false,
        ErrorKind::Server(_) | ErrorKind::Extension => true,
        _ => false,
    }
}

/// Shortest time a connection attempt is given, whatever the call timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

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

/// Where the script calls go.
enum Backend {
    /// One server: the whole plan in one call.
    Single(ConnectionManager),
    /// A cluster: one call per slot, all in flight together. The client
    /// follows MOVED/ASK and refreshes its slot map after a failover by
    /// itself; the connection is made by the first call that needs it (and
    /// again by the next call if that one failed), so a store can be built
    /// while the cluster is unreachable.
    Cluster(Box<Cluster>),
}

/// A cluster client and its connection, once made.
struct Cluster {
    client: ClusterClient,
    conn: OnceCell<ClusterConnection>,
}

fn malformed_reply() -> StoreError {
    StoreError::Unavailable("malformed reply from the Redis script".to_owned())
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

fn host_nanos() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_nanos()).unwrap_or(i64::MAX)
}

fn time_nanos(secs: u64, micros: u64) -> i64 {
    let nanos = secs
        .saturating_mul(1_000_000_000)
        .saturating_add(micros.saturating_mul(1_000));
    i64::try_from(nanos).unwrap_or(i64::MAX)
}

impl RedisStore {
    /// A store for `config`. Connects lazily: this succeeds while Redis is
    /// down, and calls fail with `StoreError::Unavailable` until it is up.
    /// Must run inside a tokio runtime.
    pub async fn connect(config: RedisConfig) -> Result<Self, ConfigError> {
        config.check()?;
        let backend = if config.cluster {
            Self::cluster_backend(&config)?
        } else {
            Self::single_backend(&config)?
        };
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

    fn single_backend(config: &RedisConfig) -> Result<Backend, ConfigError> {
        let url = config.urls.first().ok_or(ConfigError::NoNodes)?;
        let client = if config.tls.is_set() {
            Self::tls_client(url, config)
        } else {
            redis::Client::open(url.as_str())
        }
        .map_err(|e| ConfigError::Url(format!("{:?}", e.kind())))?;
        // Calls give up after the timeout, but a connection attempt goes on
        // (reconnects run in the background) for up to a second: a server
        // that takes longer than one call's timeout to accept (TLS, a far
        // network) is still reached. The caller's timeout and failure policy
        // decide what a failed call means; the next call after a failure
        // starts a reconnect.
        let manager = ConnectionManagerConfig::new()
            .set_number_of_retries(1)
            .set_connection_timeout(Some(config.timeout.max(CONNECT_TIMEOUT)))
            .set_response_timeout(None);
        let conn = ConnectionManager::new_lazy_with_config(client, manager)
            .map_err(|e| ConfigError::Url(format!("{:?}", e.kind())))?;
        Ok(Backend::Single(conn))
    }

    #[cfg(feature = "tls")]
    fn certificates(config: &RedisConfig) -> redis::TlsCertificates {
        redis::TlsCertificates {
            client_tls: config.tls.client.as_ref().map(|(cert, key)| redis::ClientTlsConfig {
                client_cert: cert.clone(),
                client_key: key.clone(),
            }),
            root_cert: config.tls.root_cert.clone(),
        }
    }

    #[cfg(feature = "tls")]
    fn tls_client(url: &str, config: &RedisConfig) -> redis::RedisResult<redis::Client> {
        redis::Client::build_with_tls(url, Self::certificates(config))
    }

    /// Certificates can only be set with the `tls` feature.
    #[cfg(not(feature = "tls"))]
    fn tls_client(url: &str, _config: &RedisConfig) -> redis::RedisResult<redis::Client> {
        redis::Client::open(url)
    }

    fn cluster_backend(config: &RedisConfig) -> Result<Backend, ConfigError> {
        // As for one server, connection attempts may take longer than one
        // call. Retries (after MOVED/ASK, or while a failover settles) wait
        // a few milliseconds, not the library's default second and more:
        // a call that cannot finish within its timeout fails anyway and
        // the failure policy decides, and the next call starts afresh.
        let builder = ClusterClientBuilder::new(config.urls.iter().map(String::as_str))
            .connection_timeout(config.timeout.max(CONNECT_TIMEOUT))
            .retries(3)
            .min_retry_wait(2)
            .max_retry_wait(100);
        #[cfg(feature = "tls")]
        let builder = if config.tls.is_set() {
            builder.certs(Self::certificates(config))
        } else {
            builder
        };
        let client = builder
            .build()
            .map_err(|e| ConfigError::Url(format!("{:?}", e.kind())))?;
        Ok(Backend::Cluster(Box::new(Cluster {
            client,
            conn: OnceCell::new(),
        })))
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

    async fn now(&self, at: Timestamp, conn: &mut impl ConnectionLike) -> Result<u64, StoreError> {
        match self.clock {
            Clock::Event => Ok(at.as_unix_nanos()),
            Clock::Redis => self.redis_now(conn).await,
        }
    }

    /// One call of the code with `encoded`'s keys and arguments: `FCALL`,
    /// loading the library first when the server does not have it, or
    /// `EVALSHA` (loading the script on `NOSCRIPT`) where functions are
    /// refused.
    async fn call(&self, conn: &mut impl ConnectionLike, encoded: &Encoded) -> Result<Vec<i64>, RedisError> {
        let blob = encoded.blob();
        if self.use_functions.load(Ordering::Relaxed) {
            let mut fcall = redis::cmd("FCALL");
            fcall
                .arg(&self.function)
                .arg(encoded.keys.len())
                .arg(&encoded.keys)
                .arg(&blob);
            let err = match fcall.query_async(conn).await {
                Ok(reply) => return Ok(reply),
                Err(err) => err,
            };
            let refusal = if function_missing(&err) {
                let loaded: Result<String, RedisError> = redis::cmd("FUNCTION")
                    .arg("LOAD")
                    .arg("REPLACE")
                    .arg(&self.library)
                    .query_async(conn)
                    .await;
                match loaded {
                    Ok(_) => return fcall.query_async(conn).await,
                    Err(err) if !load_refused(&err) => return Err(err),
                    Err(err) => err,
                }
            } else if functions_unsupported(&err) {
                err
            } else {
                return Err(err);
            };
            // Refused for good: FCALL or FUNCTION LOAD unknown or not
            // permitted. Said once (the flag flips once per store), with
            // the server's reason: it may be worth fixing (an ACL).
            tracing::warn!(
                reason = %format!("{:?} {}", refusal.kind(), refusal.detail().unwrap_or_default()),
                "tollgate-redis: Redis Functions refused, using EVALSHA scripts instead"
            );
            self.use_functions.store(false, Ordering::Relaxed);
        }
        let mut invocation = self.script.prepare_invoke();
        for key in &encoded.keys {
            invocation.key(key);
        }
        invocation.arg(&blob);
        invocation.invoke_async(conn).await
    }

    async fn run_single(
        &self,
        mut conn: ConnectionManager,
        now: u64,
        ops: &[Op],
        results: &mut [OpResult],
    ) -> Result<(), StoreError> {
        let encoded = Encoded::new(&self.prefix, now, self.clock == Clock::Redis, ops)?;
        let sent = host_nanos();
        let reply = self.call(&mut conn, &encoded).await.map_err(|e| unavailable(&e))?;
        let received = host_nanos();
        let rest = decode(ops, &reply, results)?;
        self.after_reply(rest, sent, received)
    }

    /// One script call per slot the plan touches, all sent at once (the
    /// client pipelines the calls that go to one node on its connection).
    /// The plan succeeds only if every call does: one failed call fails
    /// the whole plan, and the failure policy applies to it as a whole.
    async fn run_cluster(
        &self,
        conn: &ClusterConnection,
        now: u64,
        ops: &[Op],
        results: &mut [OpResult],
    ) -> Result<(), StoreError> {
        let mut pieces = Vec::with_capacity(ops.len() + 4);
        let mut spans = Vec::with_capacity(ops.len());
        for op in ops {
            let start = pieces.len();
            Piece::split(op, &mut pieces);
            spans.push(start..pieces.len());
        }
        // Slots in order of first use; a plan has a few dozen pieces at
        // most, so a linear search beats a map.
        let mut groups: Vec<(u16, Vec<usize>)> = Vec::new();
        for (i, piece) in pieces.iter().enumerate() {
            let slot = slot(piece.counter());
            match groups.iter_mut().find(|(s, _)| *s == slot) {
                Some((_, members)) => members.push(i),
                None => groups.push((slot, vec![i])),
            }
        }
        let mut calls = Vec::with_capacity(groups.len());
        for (g, (_, members)) in groups.iter().enumerate() {
            // The server's TIME is asked of the first call only.
            let mut encoded = Encoded::start(Layout::Cluster, now, g == 0 && self.clock == Clock::Redis);
            for &i in members {
                let piece = pieces.get(i).ok_or_else(malformed_reply)?;
                encoded.piece(&self.prefix, now, piece)?;
            }
            calls.push(encoded);
        }
        let sent = host_nanos();
        let replies = futures_util::future::join_all(calls.iter().map(|encoded| {
            let mut conn = conn.clone();
            async move { self.call(&mut conn, encoded).await }
        }))
        .await;
        let received = host_nanos();
        let mut done = vec![PieceResult::Op(OpResult::Done); pieces.len()];
        let mut malformed = 0u64;
        let mut time = None;
        for (g, ((_, members), reply)) in groups.iter().zip(&replies).enumerate() {
            let reply = reply.as_ref().map_err(unavailable)?;
            let rest = decode_pieces(&pieces, members, reply, &mut done)?;
            let (found, rest) = rest.split_first().ok_or_else(malformed_reply)?;
            malformed = malformed.saturating_add(u64::try_from(*found).unwrap_or(0));
            if g == 0 {
                time = Some(rest);
            }
        }
        for ((op, span), slot) in ops.iter().zip(spans).zip(results.iter_mut()) {
            *slot = join(op, done.get(span).ok_or_else(malformed_reply)?)?;
        }
        self.count_malformed(malformed);
        if let Some([secs, micros]) = time {
            let server = time_nanos(u64::try_from(*secs).unwrap_or(0), u64::try_from(*micros).unwrap_or(0));
            self.learn_offset(server, sent, received);
        }
        Ok(())
    }

    /// Handles what follows the results of a single-server call: the
    /// malformed-key count, then TIME when asked for.
    fn after_reply(&self, rest: &[i64], sent: i64, received: i64) -> Result<(), StoreError> {
        let (malformed, rest) = rest.split_first().ok_or_else(malformed_reply)?;
        self.count_malformed(u64::try_from(*malformed).unwrap_or(0));
        if let [secs, micros] = rest {
            let server = time_nanos(u64::try_from(*secs).unwrap_or(0), u64::try_from(*micros).unwrap_or(0));
            self.learn_offset(server, sent, received);
        }
        Ok(())
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

    /// Host time plus the last measured offset to Redis; measures it first
    /// (one extra round trip, once) if it was never measured.
    async fn redis_now(&self, conn: &mut impl ConnectionLike) -> Result<u64, StoreError> {
        if !self.offset_known.load(Ordering::Acquire) {
            let sent = host_nanos();
            let (secs, micros): (u64, u64) = redis::cmd("TIME")
                .query_async(conn)
                .await
                .map_err(|e| unavailable(&e))?;
            self.learn_offset(time_nanos(secs, micros), sent, host_nanos());
        }
        let now = host_nanos().saturating_add(self.offset.load(Ordering::Relaxed));
        Ok(u64::try_from(now).unwrap_or(0))
    }

    /// The script read TIME between `sent` and `received`: assume midway.
    fn learn_offset(&self, server: i64, sent: i64, received: i64) {
        let midway = sent.saturating_add(received.saturating_sub(sent) / 2);
        self.offset.store(server.saturating_sub(midway), Ordering::Relaxed);
        self.offset_known.store(true, Ordering::Release);
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
