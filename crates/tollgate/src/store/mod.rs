//! Where counters live: the [`Store`] trait, its operations, and the
//! bounded in-process [`MemoryStore`].
//!
//! The engine never touches counters directly. It turns an event into a list
//! of [`Op`]s (a [`Plan`](crate::Plan)); a store executes them and returns
//! one [`OpResult`] each. The in-process store does that with no I/O; a
//! networked store (Redis) can run the whole list in one round trip. Each
//! operation's semantics are specified here precisely enough to reimplement.
//!
//! ```
//! use std::time::Duration;
//! use tollgate::Timestamp;
//! use tollgate::store::{MemoryStore, Op, OpResult, Store, StoreKey};
//!
//! let store = MemoryStore::new(1_000);
//! let op = Op::WindowAdd { key: StoreKey(7), window: Duration::from_secs(60), amount: 1 };
//! let mut results = [OpResult::Done; 1];
//! for _ in 0..3 {
//!     store.execute(Timestamp::from_unix_millis(1_000), &[op], &mut results)?;
//! }
//! assert_eq!(results[0], OpResult::Count(3));
//! # Ok::<(), tollgate::store::StoreError>(())
//! ```

mod asynchronous;
mod backoff;
mod bounded;
mod cap;
mod distinct;
mod history;
mod memory;
mod series;
mod window;

use std::time::Duration;

pub use asynchronous::AsyncStore;
pub use distinct::DISTINCT_EXACT_UP_TO;
pub use history::HISTORY_MAX;
pub use memory::MemoryStore;
pub use series::SERIES_LOOKBACK_MAX;

use crate::Timestamp;
use crate::limiter::{GcraMode, GcraOutcome, GcraParams};

pub use crate::keys::StoreKey;

/// One counter operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Op {
    /// A GCRA check on the bucket at `key` (see [`gcra`](crate::limiter::gcra)).
    /// Result: [`OpResult::Gcra`].
    Gcra {
        /// The bucket.
        key: StoreKey,
        /// Rate, burst and cost.
        params: GcraParams,
        /// Consume, peek or charge.
        mode: GcraMode,
    },
    /// Adds `amount` to a sliding-window counter and returns its estimate:
    /// the count of the current fixed window plus the previous window's count
    /// weighted by how much of it still overlaps the sliding window.
    /// Result: [`OpResult::Count`].
    WindowAdd {
        /// The counter.
        key: StoreKey,
        /// Window length.
        window: Duration,
        /// Amount to add (0 reads the counter).
        amount: u32,
    },
    /// Two independent sliding-window counters (lanes) under one key, each
    /// with its own window length and amount: one operation where two
    /// [`Op::WindowAdd`]s on two keys would do, for detectors that always
    /// count a pair together (attempts and failures, a short window and its
    /// baseline). Each lane counts and reads exactly as a `WindowAdd` on a
    /// counter of its own: a lane's amount of 0 reads it without changing
    /// it, and a pair whose amounts are both 0 is not created. The state is
    /// idle once both lanes are. Result: [`OpResult::Counts`], the lanes'
    /// estimates in order.
    WindowPair {
        /// The pair.
        key: StoreKey,
        /// The two counters.
        lanes: [Lane; 2],
    },
    /// Adds `member` (a hash) to a distinct-count set and returns how many
    /// distinct members were seen in the current and the previous window;
    /// exact up to at least [`DISTINCT_EXACT_UP_TO`], then a lower bound.
    /// Result: [`OpResult::Count`].
    DistinctAdd {
        /// The set.
        key: StoreKey,
        /// Window length.
        window: Duration,
        /// The member's hash.
        member: u64,
    },
    /// Reads a distinct-count set as [`Op::DistinctAdd`] would count it,
    /// adding nothing; a set nobody added to reads 0 and is not created.
    /// Result: [`OpResult::Count`].
    DistinctCount {
        /// The set.
        key: StoreKey,
        /// Window length.
        window: Duration,
    },
    /// Reads how familiar `member` is: its count in the bounded history at
    /// `keys.user` and that history's total, plus the sliding-window counts
    /// (over `window`) of the member at `keys.global` and of every member at
    /// `keys.total`. Changes nothing. Result: [`OpResult::Familiarity`].
    Familiarity {
        /// Where the history and the global counters live.
        keys: FamiliarityKeys,
        /// The value's hash.
        member: u64,
        /// Window of the global counters.
        window: Duration,
    },
    /// Records one use of `member`: in the history at `keys.user` (at most
    /// `capacity` members; when full, the least recently seen one goes), and
    /// +1 on both global counters. Result: [`OpResult::Done`].
    Learn {
        /// Where the history and the global counters live.
        keys: FamiliarityKeys,
        /// The value's hash.
        member: u64,
        /// Window of the global counters.
        window: Duration,
        /// Most members the history keeps (1 to [`HISTORY_MAX`]).
        capacity: u8,
    },
    /// Reads the 128-bit value at `key`, if set and not expired.
    /// Result: [`OpResult::Register`].
    RegisterGet {
        /// The register.
        key: StoreKey,
    },
    /// Sets the 128-bit value at `key`, to expire `ttl` from now.
    /// Result: [`OpResult::Done`].
    RegisterSet {
        /// The register.
        key: StoreKey,
        /// The value.
        value: u128,
        /// Time to live.
        ttl: Duration,
    },
    /// Checks or charges a capped counter: a sliding-window count (as
    /// [`Op::WindowAdd`]) with a lockout. `Check` reads; `Charge` adds
    /// `amount` and, when the count then reaches `cap` and no lockout is
    /// running, starts one that ends `lockout` from now. Either way the
    /// result refuses while a lockout runs, with the time left. The state
    /// is idle once the window has passed and the lockout has ended.
    /// Result: [`OpResult::Cap`].
    Cap {
        /// The counter.
        key: StoreKey,
        /// Window length.
        window: Duration,
        /// Count at which a charge starts the lockout.
        cap: u64,
        /// Amount a charge adds (a check ignores it).
        amount: u32,
        /// How long a lockout lasts.
        lockout: Duration,
        /// Check or charge.
        mode: CapMode,
    },
    /// Exponential backoff: admits the event unless the wait after the
    /// streak's last admitted event has not passed. The wait after `n`
    /// admitted events is 0 for `n = 0`, else `first · 2ⁿ⁻¹`, at most
    /// `max`. An admitted event counts and restarts the clock; a refused one
    /// changes nothing. A streak with no admitted event for `reset_after`
    /// ends (its state is idle from then). Result: [`OpResult::Backoff`].
    Backoff {
        /// The streak.
        key: StoreKey,
        /// Wait after the first event.
        first: Duration,
        /// Longest wait.
        max: Duration,
        /// Quiet time that ends the streak.
        reset_after: Duration,
    },
    /// Claims `key` until `until`: sets it unless it is set and its own
    /// `until` is still ahead. The result is whether this call set it, so
    /// of concurrent claims of one key exactly one wins, on every instance
    /// sharing the store; a claim whose `until` has passed holds nothing.
    /// It marks a proof-of-work solution used until its challenge expires.
    /// The end is absolute, not a TTL, so that two evaluations of one
    /// request (an adapter's layer and its handler) make the same op and the
    /// second reuses the first's result. Result: [`OpResult::Claimed`].
    ClaimOnce {
        /// The claim.
        key: StoreKey,
        /// When the claim ends.
        until: Timestamp,
    },
    /// Adds `amount` to the current bucket of a series of fixed buckets
    /// of length `bucket` (aligned to the Unix epoch, like the windows) and
    /// returns that bucket's count and the largest count and the sum of the
    /// `lookback` buckets before it (at most [`SERIES_LOOKBACK_MAX`]; buckets nothing
    /// was counted in count 0). It judges today against the busiest recent
    /// day: a day's unverified codes against the 14-day peak of verified
    /// ones. An event older than the current bucket counts in its own
    /// bucket while the series still keeps it. An amount of 0 reads and
    /// creates nothing. Result: [`OpResult::Series`].
    Series {
        /// The series.
        key: StoreKey,
        /// Length of one bucket.
        bucket: Duration,
        /// Buckets before the current one the peak covers.
        lookback: u8,
        /// Amount to add (0 reads the series).
        amount: u32,
    },
    /// Forgets all state at `key`. Result: [`OpResult::Done`].
    Reset {
        /// The key to clear.
        key: StoreKey,
    },
}

impl Op {
    /// Whether running the op may change what the store holds, so that
    /// running it twice is not running it once: a consumed or charged
    /// bucket, a counted window, an added member, an admitted backoff, a
    /// charged cap, a learnt value, a written register, a reset.
    ///
    /// A driver that has run an op already (an adapter's pre-authentication
    /// evaluation of the same request) reuses such a result instead of
    /// counting the request twice; read-only ops may simply run again.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tollgate::keys::StoreKey;
    /// use tollgate::store::{Lane, Op};
    ///
    /// let window = Duration::from_secs(60);
    /// assert!(Op::WindowAdd { key: StoreKey(1), window, amount: 1 }.changes_state());
    /// assert!(!Op::WindowAdd { key: StoreKey(1), window, amount: 0 }.changes_state());
    /// assert!(!Op::RegisterGet { key: StoreKey(1) }.changes_state());
    /// let lane = |amount| Lane { window, amount };
    /// assert!(Op::WindowPair { key: StoreKey(1), lanes: [lane(0), lane(1)] }.changes_state());
    /// assert!(!Op::WindowPair { key: StoreKey(1), lanes: [lane(0), lane(0)] }.changes_state());
    /// ```
    pub fn changes_state(&self) -> bool {
        match self {
            Op::Gcra { mode, .. } => *mode != GcraMode::Peek,
            Op::WindowAdd { amount, .. } | Op::Series { amount, .. } => *amount > 0,
            Op::WindowPair { lanes, .. } => lanes.iter().any(|lane| lane.amount > 0),
            Op::Cap { mode, .. } => *mode == CapMode::Charge,
            Op::DistinctAdd { .. }
            | Op::Backoff { .. }
            | Op::Learn { .. }
            | Op::RegisterSet { .. }
            | Op::ClaimOnce { .. }
            | Op::Reset { .. } => true,
            Op::DistinctCount { .. } | Op::Familiarity { .. } | Op::RegisterGet { .. } => false,
        }
    }
}

/// One lane of an [`Op::WindowPair`]: a sliding window and what to add.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lane {
    /// Window length.
    pub window: Duration,
    /// Amount to add (0 reads the lane).
    pub amount: u32,
}

/// The three keys of one familiarity feature (e.g. a user's countries).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FamiliarityKeys {
    /// The user's bounded history of this feature.
    pub user: StoreKey,
    /// The global counter of this value of the feature.
    pub global: StoreKey,
    /// The global counter of all values of the feature.
    pub total: StoreKey,
}

/// Counts behind a familiarity score (see [`Op::Familiarity`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FamiliarityCounts {
    /// Times the user was seen with this value (within the history).
    pub user_count: u32,
    /// Times the user was seen with any value in the history.
    pub user_total: u32,
    /// Uses of this value by everyone, in the window.
    pub global_count: u64,
    /// Uses of any value by everyone, in the window.
    pub global_total: u64,
}

/// What an [`Op::Cap`] does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapMode {
    /// Reads the counter and the lockout.
    Check,
    /// Adds to the counter, starting the lockout at the cap.
    Charge,
}

/// The result of an [`Op::Cap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapOutcome {
    /// No lockout is running.
    pub allowed: bool,
    /// The window's count after the operation.
    pub count: u64,
    /// Time until the lockout ends (zero when allowed).
    pub retry_after: Duration,
}

/// The result of an [`Op::Backoff`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackoffOutcome {
    /// The wait had passed: the event was admitted and counted.
    pub allowed: bool,
    /// Admitted events in the streak, this one included if admitted.
    pub sends: u32,
    /// Time until an event would be admitted (zero when allowed).
    pub retry_after: Duration,
}

/// The result of an [`Op::Series`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeriesOutcome {
    /// The current bucket's count, after the operation.
    pub current: u64,
    /// The largest count of the buckets before it, within the lookback.
    pub peak: u64,
    /// The sum of those buckets' counts.
    pub total: u64,
}

/// The result of one [`Op`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpResult {
    /// Of [`Op::Gcra`].
    Gcra(GcraOutcome),
    /// Of [`Op::WindowAdd`], [`Op::DistinctAdd`] and [`Op::DistinctCount`].
    Count(u64),
    /// Of [`Op::WindowPair`]: each lane's estimate, in the lanes' order.
    Counts([u64; 2]),
    /// Of [`Op::Familiarity`].
    Familiarity(FamiliarityCounts),
    /// Of [`Op::RegisterGet`].
    Register(Option<u128>),
    /// Of [`Op::Cap`].
    Cap(CapOutcome),
    /// Of [`Op::Backoff`].
    Backoff(BackoffOutcome),
    /// Of [`Op::Series`].
    Series(SeriesOutcome),
    /// Of [`Op::ClaimOnce`]: whether this operation made the claim.
    Claimed(bool),
    /// Of [`Op::Learn`], [`Op::RegisterSet`] and [`Op::Reset`].
    Done,
}

/// A store could not execute the operations.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The results buffer does not have one slot per operation.
    #[error("results buffer holds {got} slots for {expected} operations")]
    ResultCount {
        /// Operations given.
        expected: usize,
        /// Slots given.
        got: usize,
    },
    /// The store's backend failed or timed out.
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

/// Counter storage the engine runs its plans against.
///
/// Implementations must execute the operations in order, as if atomically
/// per operation, with `at` as the current time, and write exactly one
/// result per operation into `results` (which has one slot per operation).
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Executes `ops` at time `at`.
    fn execute(&self, at: Timestamp, ops: &[Op], results: &mut [OpResult]) -> Result<(), StoreError>;

    /// Whether other processes share these counters, as
    /// [`AsyncStore::is_shared`]. `false` unless overridden.
    fn is_shared(&self) -> bool {
        false
    }
}
