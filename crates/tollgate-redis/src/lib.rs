//! Redis-backed counters for tollgate, for services that run more than one
//! instance: limits, caps, lockouts, distinct counts and per-user histories
//! are shared, so N instances do not give an attacker N budgets.
//!
//! [`RedisStore`] executes the operations of an engine's split path
//! (`Engine::prepare` → [`RedisStore::execute`] → `Engine::conclude`) in
//! **one round trip**: all operations of a plan go to one Lua script
//! (`EVALSHA`, reloaded automatically after `NOSCRIPT`), which runs them
//! atomically and in order with the in-process store's exact semantics.
//!
//! * **Keys**: `<prefix>:<16 hex digits>:<kind>`. The hex digits are the
//!   core's `StoreKey`, already a keyed hash of the rule and the values it
//!   keys on: phone numbers, user ids and IPs never reach Redis in clear.
//!   Every key carries a TTL (when its state stops mattering, plus one
//!   second), so Redis memory stays bounded.
//! * **Clock**: [`Clock::Redis`] (default) or [`Clock::Event`]; see
//!   [`Clock`] and `docs/deployment.md`.
//! * **Distinct counts** are exact sets of 31-bit member hashes, exactly
//!   as the in-process store: exact up to
//!   [`DISTINCT_EXACT_UP_TO`](tollgate::store::DISTINCT_EXACT_UP_TO)
//!   members per window, then a lower bound. Not HyperLogLog: an HLL
//!   estimate can overshoot, which the store contract forbids, and at these
//!   sizes a packed set is smaller than an HLL key.
//! * **Redis Cluster is not supported yet**: one plan's keys hash to many
//!   slots and one script may only touch one slot. See `docs/deployment.md`.
//! * **Failures** (no connection, no answer within the timeout, default
//!   5 ms) return `StoreError::Unavailable`; the engine's failure policy
//!   decides what that means for the request. Nothing here panics.
//!
//! ```no_run
//! use tollgate::policy::Policy;
//! use tollgate::{Engine, Event, EventKind, Timestamp};
//! use tollgate_redis::{RedisConfig, RedisStore};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let engine = Engine::new(Policy::default())?;
//! let store = RedisStore::connect(RedisConfig::new("redis://127.0.0.1:6379/").prefix("login")).await?;
//!
//! let mut event = Event::new(EventKind::Login, Timestamp::from_unix_millis(1_700_000_000_000));
//! event.user = Some("alice".into());
//! let plan = engine.prepare(&event);
//! let mut results = vec![tollgate::store::OpResult::Done; plan.ops().len()];
//! let decision = match store.execute(plan.at(), plan.ops(), &mut results).await {
//!     Ok(()) => engine.conclude(plan, &results),
//!     // Redis is down or slow: here, decide without counters.
//!     Err(_) => engine.conclude(plan, &[]),
//! };
//! println!("{:?}", decision.action);
//! # Ok(()) }
//! ```

mod config;
mod encode;
mod store;

pub use config::{Clock, ConfigError, RedisConfig};
pub use encode::key_name;
pub use store::RedisStore;
