//! Redis-backed counters for tollgate, for services that run more than one
//! instance: limits, caps, lockouts, distinct counts and per-user histories
//! are shared, so N instances do not give an attacker N budgets.
//!
//! [`RedisStore`] executes the operations of an engine's split path
//! (`Engine::prepare` → [`RedisStore::execute`] → `Engine::conclude`) in
//! **one round trip**: all operations of a plan go to one call of Lua code
//! (a Redis Function, `FCALL`, loaded by the first call that finds it
//! missing; an `EVALSHA` script where functions are refused), which runs
//! them atomically and in order with the in-process store's exact
//! semantics. The arguments travel as one binary string.
//!
//! * **Keys**: `<prefix>:<16 hex digits>:<kind>`. The hex digits are the
//!   core's `StoreKey`, already a keyed hash of the rule and the values it
//!   keys on: phone numbers, user ids and IPs never reach Redis in clear.
//!   Every key carries a TTL (when its state stops mattering, plus one
//!   second), so Redis memory stays bounded.
//! * **Values** are packed binary strings that start with a format byte.
//!   Anything else under a key (another Redis type, another format
//!   version, a foreign writer under the prefix) counts as absent: the
//!   script replaces it and never fails half-way, and
//!   [`RedisStore::malformed_keys`] counts it.
//! * **Clock**: [`Clock::Redis`] (default) or [`Clock::Event`]; see
//!   [`Clock`] and `docs/deployment.md`.
//! * **Distinct counts** are exact sets of 31-bit member hashes, exactly
//!   as the in-process store: exact up to
//!   [`DISTINCT_EXACT_UP_TO`](tollgate::store::DISTINCT_EXACT_UP_TO)
//!   members per window, then a lower bound. Not HyperLogLog: an HLL
//!   estimate can overshoot, which the store contract forbids, and at these
//!   sizes a packed set is smaller than an HLL key.
//! * **Redis Cluster** ([`RedisConfig::cluster`]): keys get a hash tag,
//!   `<prefix>:{<16 hex digits>}:<kind>` ([`cluster_key_name`]), so every
//!   kind of one counter shares a slot; a plan runs as one script call per
//!   slot it touches, all in flight at once, and succeeds only if every call
//!   does (one failed call fails the whole plan, and the failure policy
//!   applies to it). The client follows MOVED/ASK and failovers by itself.
//!   See `docs/deployment.md` for what is atomic on a cluster and what not.
//! * **Failures** (no connection, no answer within the timeout, default
//!   5 ms) return `StoreError::Unavailable`; the policy's `[store]
//!   on_failure` (`local`, `fail_open`, `fail_closed`) decides what that
//!   means for the request. Nothing here panics.
//! * **TLS**: `rediss://` URLs, through rustls (feature `tls`, on by
//!   default), trusting the system's roots or
//!   [`RedisConfig::tls_root_cert`], with an optional client certificate
//!   ([`RedisConfig::tls_client_cert`]).
//! * **Sentinel is not supported**: use a stable address for the primary
//!   (see `docs/deployment.md`).
//! * **Keys agree across instances** only when every engine is built with
//!   the same `EngineBuilder::key_secret`.
//!
//! ```no_run
//! use tollgate::keys::KeySecret;
//! use tollgate::policy::Policy;
//! use tollgate::{Engine, Event, EventKind, Timestamp};
//! use tollgate_redis::{RedisConfig, RedisStore};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let store = RedisStore::connect(RedisConfig::new("redis://127.0.0.1:6379/").prefix("login")).await?;
//! // Every instance sharing the counters uses the same secret.
//! let secret: KeySecret = "000102030405060708090a0b0c0d0e0f".parse()?;
//! let engine = Engine::builder(Policy::default()).store(store).key_secret(secret).build()?;
//!
//! let event = Event::new(EventKind::Login, Timestamp::from_unix_millis(1_700_000_000_000)).with_user("alice");
//! // One round trip; if Redis is down or slow, the policy's
//! // `[store] on_failure` decides (default: in-process counters).
//! let decision = engine.evaluate_async(&event).await;
//! println!("{:?}", decision.action);
//! # Ok(()) }
//! ```

// Only enables rustls' ring provider (see Cargo.toml).
#[cfg(feature = "tls")]
use rustls as _;

mod config;
mod encode;
mod store;

pub use config::{Clock, ConfigError, RedisConfig};
pub use encode::{cluster_key_name, key_name};
pub use store::RedisStore;
