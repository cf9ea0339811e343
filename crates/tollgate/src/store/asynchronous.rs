//! Stores that need I/O: the [`AsyncStore`] trait.
//!
//! A networked store (Redis) cannot answer without waiting on a socket, so
//! its [`execute`](AsyncStore::execute) returns a future. Every [`Store`]
//! is an `AsyncStore` whose future is ready at once, which lets the
//! engine's async path ([`Engine::evaluate_async`](crate::Engine::evaluate_async))
//! and the adapters run on the in-process [`MemoryStore`] unchanged. The
//! core runs no executor: the caller polls the future on its own runtime.
//!
//! ```
//! use std::future::Future;
//! use std::pin::pin;
//! use std::task::{Context, Poll, Waker};
//! use std::time::Duration;
//! use tollgate::Timestamp;
//! use tollgate::store::{AsyncStore, MemoryStore, Op, OpResult, StoreKey};
//!
//! let store = MemoryStore::new(1_000);
//! let ops = [Op::WindowAdd { key: StoreKey(7), window: Duration::from_secs(60), amount: 1 }];
//! let mut results = [OpResult::Done; 1];
//! {
//!     let future = pin!(AsyncStore::execute(&store, Timestamp::EPOCH, &ops, &mut results));
//!     // A `Store`'s future is ready on the first poll.
//!     let polled = future.poll(&mut Context::from_waker(Waker::noop()));
//!     assert!(matches!(polled, Poll::Ready(Ok(()))));
//! }
//! assert_eq!(results[0], OpResult::Count(1));
//! ```
//!
//! [`MemoryStore`]: super::MemoryStore

use std::future::{Future, ready};

use super::{Op, OpResult, Store, StoreError};
use crate::Timestamp;

/// Counter storage reached through I/O.
///
/// The contract is [`Store`]'s: execute `ops` in order, as if atomically
/// per operation, at time `at`, writing one result per operation into
/// `results`. An implementation bounds its own latency (a per-call
/// timeout) and reports a backend that failed or timed out as
/// [`StoreError::Unavailable`]; what the engine then decides is the
/// policy's `[store] on_failure`.
///
/// Every [`Store`] implements it (with a ready future). A crate
/// implements it for its own networked type:
///
/// ```
/// use tollgate::Timestamp;
/// use tollgate::store::{AsyncStore, Op, OpResult, StoreError};
///
/// #[derive(Debug)]
/// struct Down;
///
/// impl AsyncStore for Down {
///     async fn execute(&self, _at: Timestamp, _ops: &[Op], _results: &mut [OpResult]) -> Result<(), StoreError> {
///         Err(StoreError::Unavailable("connection refused".into()))
///     }
/// }
/// ```
pub trait AsyncStore: Send + Sync + std::fmt::Debug {
    /// Executes `ops` at time `at`.
    fn execute<'a>(
        &'a self,
        at: Timestamp,
        ops: &'a [Op],
        results: &'a mut [OpResult],
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a;

    /// Whether other processes share these counters (a networked store
    /// such as Redis). `false` unless overridden.
    ///
    /// Instances find each other's counters only when they hash keys under
    /// the same secret; with a random secret each (the builder's default)
    /// every instance would count apart, so limits would loosen with the
    /// number of instances and restart with each process. The engine
    /// builder therefore refuses a shared store without an explicit
    /// [`key_secret`](crate::EngineBuilder::key_secret):
    ///
    /// ```
    /// use tollgate::store::{AsyncStore, Op, OpResult, StoreError};
    /// use tollgate::policy::{Policy, PolicyError};
    /// use tollgate::{Engine, Timestamp};
    ///
    /// #[derive(Debug)]
    /// struct Shared;
    ///
    /// impl AsyncStore for Shared {
    ///     async fn execute(&self, _at: Timestamp, _ops: &[Op], _results: &mut [OpResult]) -> Result<(), StoreError> {
    ///         Err(StoreError::Unavailable("not connected".into()))
    ///     }
    ///
    ///     fn is_shared(&self) -> bool {
    ///         true
    ///     }
    /// }
    ///
    /// let err = Engine::builder(Policy::default()).store(Shared).build().unwrap_err();
    /// assert!(matches!(err, PolicyError::SharedStoreWithoutSecret));
    /// let secret = "000102030405060708090a0b0c0d0e0f".parse()?;
    /// assert!(Engine::builder(Policy::default()).store(Shared).key_secret(secret).build().is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn is_shared(&self) -> bool {
        false
    }
}

impl<S: Store> AsyncStore for S {
    fn execute<'a>(
        &'a self,
        at: Timestamp,
        ops: &'a [Op],
        results: &'a mut [OpResult],
    ) -> impl Future<Output = Result<(), StoreError>> + Send + 'a {
        ready(Store::execute(self, at, ops, results))
    }

    fn is_shared(&self) -> bool {
        Store::is_shared(self)
    }
}
