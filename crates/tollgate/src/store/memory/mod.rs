//! The in-process store: dashmap + ahash, bounded by a hard key cap.

use super::backoff::{Backoff, BackoffSpec};
use super::bounded::{BoundedMap, Budget};
use super::cap::{CapSpec, Capped};
use super::distinct::Distinct;
use super::history::{History, Register};
use super::series::Series;
use super::window::{Pair, Window};
use super::{CapMode, FamiliarityCounts, FamiliarityKeys, Op, OpResult, SeriesOutcome, Store, StoreError, StoreKey};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::Timestamp;
use crate::limiter::{GcraMode, gcra};
use crate::time::duration_nanos;

/// Counters in process memory, for single-instance services.
///
/// Holds at most `max_keys` keys across all counter kinds (default
/// 1,000,000); see `docs/limiter.md` for bytes per key and how eviction
/// works. A GCRA bucket costs one `u64` of state per key.
///
/// ```
/// use tollgate::store::MemoryStore;
///
/// let store = MemoryStore::new(10_000);
/// assert_eq!(store.max_keys(), 10_000);
/// assert_eq!(store.len(), 0);
/// ```
#[derive(Debug)]
pub struct MemoryStore {
    budget: Budget,
    buckets: BoundedMap<StoreKey, u64>,
    windows: BoundedMap<StoreKey, Window>,
    pairs: BoundedMap<StoreKey, Pair>,
    distinct: BoundedMap<StoreKey, Distinct>,
    histories: BoundedMap<StoreKey, History>,
    registers: BoundedMap<StoreKey, Register>,
    caps: BoundedMap<StoreKey, Capped>,
    backoffs: BoundedMap<StoreKey, Backoff>,
    series: BoundedMap<StoreKey, Series>,
    evictions: Evictions,
}

/// What sweeps have dropped since the store was made, kept apart by
/// whether dropping changed anything: idle state equals no state, while
/// live state dropped under the key cap is counting a client forgot.
#[derive(Debug, Default)]
struct Evictions {
    sweeps: AtomicU64,
    idle: AtomicU64,
    live: AtomicU64,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new(MemoryStore::DEFAULT_MAX_KEYS)
    }
}

impl MemoryStore {
    /// The default cap on tracked keys.
    pub const DEFAULT_MAX_KEYS: usize = 1_000_000;

    /// A store tracking at most `max_keys` keys (at least 1).
    pub fn new(max_keys: usize) -> Self {
        MemoryStore {
            budget: Budget::new(max_keys),
            buckets: BoundedMap::new(),
            windows: BoundedMap::new(),
            pairs: BoundedMap::new(),
            distinct: BoundedMap::new(),
            histories: BoundedMap::new(),
            registers: BoundedMap::new(),
            caps: BoundedMap::new(),
            backoffs: BoundedMap::new(),
            series: BoundedMap::new(),
            evictions: Evictions::default(),
        }
    }

    /// The cap on tracked keys.
    pub fn max_keys(&self) -> usize {
        self.budget.cap()
    }

    /// Keys tracked now, all counter kinds together.
    pub fn len(&self) -> usize {
        self.buckets.len()
            + self.windows.len()
            + self.pairs.len()
            + self.distinct.len()
            + self.histories.len()
            + self.registers.len()
            + self.caps.len()
            + self.backoffs.len()
            + self.series.len()
    }

    /// Whether no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many times the store reached its key cap and swept, since it
    /// was made. Operators read it (with [`evicted_idle`](Self::evicted_idle)
    /// and [`evicted_live`](Self::evicted_live)) to size `max_keys`.
    pub fn sweeps(&self) -> u64 {
        self.evictions.sweeps.load(Ordering::Relaxed)
    }

    /// Keys sweeps dropped whose state had gone idle: equal to no state,
    /// so dropping them changed no decision.
    pub fn evicted_idle(&self) -> u64 {
        self.evictions.idle.load(Ordering::Relaxed)
    }

    /// Keys sweeps dropped while their state still mattered (a bucket not
    /// yet full again, a window still counting): the cap made the store
    /// forget them, so a client behind one of them starts afresh. More
    /// than a trickle means `max_keys` is too small for the traffic, or a
    /// flood of distinct keys is pushing real clients out.
    pub fn evicted_live(&self) -> u64 {
        self.evictions.live.load(Ordering::Relaxed)
    }

    fn sweep(&self, now: u64) {
        self.evict(now);
        self.buckets.compact();
        self.windows.compact();
        self.pairs.compact();
        self.distinct.compact();
        self.histories.compact();
        self.registers.compact();
        self.caps.compact();
        self.backoffs.compact();
        self.series.compact();
    }

    fn evict(&self, now: u64) {
        let budget = &self.budget;
        self.evictions.sweeps.fetch_add(1, Ordering::Relaxed);
        // Idle state equals no state: dropping it changes no decision.
        let idle = self.evict_until(now, 0);
        self.evictions.idle.fetch_add(idle, Ordering::Relaxed);
        if budget.used() <= budget.target() {
            return;
        }
        // Still too full: drop what would turn idle soonest, estimated from
        // a sample, then anything, until at target.
        let mut sample = Vec::with_capacity(9 * 256);
        self.buckets.sample(256, &mut sample);
        self.windows.sample(256, &mut sample);
        self.pairs.sample(256, &mut sample);
        self.distinct.sample(256, &mut sample);
        self.histories.sample(256, &mut sample);
        self.registers.sample(256, &mut sample);
        self.caps.sample(256, &mut sample);
        self.backoffs.sample(256, &mut sample);
        self.series.sample(256, &mut sample);
        sample.sort_unstable();
        let excess = budget.used().saturating_sub(budget.target());
        let index = sample.len() * excess / budget.used().max(1);
        let mut live = 0;
        if let Some(&threshold) = sample.get(index) {
            live += self.evict_until(threshold, budget.target());
        }
        if budget.used() > budget.target() {
            live += self.evict_until(u64::MAX, budget.target());
        }
        self.evictions.live.fetch_add(live, Ordering::Relaxed);
    }

    /// Evicts across every counter kind, returning how many keys went.
    fn evict_until(&self, until: u64, target: usize) -> u64 {
        self.buckets.evict_until(until, &self.budget, target)
            + self.windows.evict_until(until, &self.budget, target)
            + self.pairs.evict_until(until, &self.budget, target)
            + self.distinct.evict_until(until, &self.budget, target)
            + self.histories.evict_until(until, &self.budget, target)
            + self.registers.evict_until(until, &self.budget, target)
            + self.caps.evict_until(until, &self.budget, target)
            + self.backoffs.evict_until(until, &self.budget, target)
            + self.series.evict_until(until, &self.budget, target)
    }

    /// Reads a sliding-window counter without creating it.
    fn window_count(&self, key: StoreKey, now: u64, len: u64) -> u64 {
        self.windows.get(&key, |w| w.peek(now, len)).unwrap_or(0)
    }

    fn familiarity(&self, now: u64, keys: &FamiliarityKeys, member: u64, len: u64) -> FamiliarityCounts {
        let (user_count, user_total) = self.histories.get(&keys.user, |h| h.counts(member)).unwrap_or((0, 0));
        FamiliarityCounts {
            user_count,
            user_total,
            global_count: self.window_count(keys.global, now, len),
            global_total: self.window_count(keys.total, now, len),
        }
    }

    fn learn(&self, now: u64, keys: &FamiliarityKeys, member: u64, len: u64, capacity: u8) {
        let sweep = || self.sweep(now);
        self.histories
            .upsert(keys.user, &self.budget, sweep, History::default, |h| {
                h.learn(member, now, capacity)
            });
        for key in [keys.global, keys.total] {
            self.windows.upsert(
                key,
                &self.budget,
                sweep,
                || Window::new(now, len),
                |w| w.add(now, len, 1),
            );
        }
    }

    fn run(&self, now: u64, op: &Op) -> OpResult {
        let sweep = || self.sweep(now);
        match *op {
            Op::Gcra {
                key,
                params,
                mode: GcraMode::Peek,
            } => {
                let tat = self.buckets.get(&key, |t| *t);
                OpResult::Gcra(gcra(tat, now, &params, GcraMode::Peek).1)
            }
            Op::Gcra { key, params, mode } => {
                let outcome = self.buckets.upsert(
                    key,
                    &self.budget,
                    sweep,
                    || now,
                    |tat| {
                        let (stored, outcome) = gcra(Some(*tat), now, &params, mode);
                        if let Some(t) = stored {
                            *tat = t;
                        }
                        outcome
                    },
                );
                OpResult::Gcra(outcome)
            }
            // A read of a counter nobody has counted on must not create
            // it: a flood of fresh keys read by detectors would otherwise
            // fill the key budget with empty counters.
            Op::WindowAdd { key, window, amount: 0 } => {
                OpResult::Count(self.window_count(key, now, duration_nanos(window)))
            }
            Op::WindowAdd { key, window, amount } => {
                let len = duration_nanos(window);
                let count = self.windows.upsert(
                    key,
                    &self.budget,
                    sweep,
                    || Window::new(now, len),
                    |w| w.add(now, len, amount),
                );
                OpResult::Count(count)
            }
            // As a window read: a pair both of whose lanes only read is
            // not created.
            Op::WindowPair { key, lanes } if lanes.iter().all(|lane| lane.amount == 0) => {
                OpResult::Counts(self.pairs.get(&key, |p| p.peek(now, &lanes)).unwrap_or([0; 2]))
            }
            Op::WindowPair { key, lanes } => {
                let counts = self
                    .pairs
                    .upsert(key, &self.budget, sweep, Pair::default, |p| p.add(now, &lanes));
                OpResult::Counts(counts)
            }
            Op::DistinctAdd { key, window, member } => {
                let len = duration_nanos(window);
                let count = self.distinct.upsert(
                    key,
                    &self.budget,
                    sweep,
                    || Distinct::new(now, len),
                    |d| d.add(now, len, member),
                );
                OpResult::Count(count)
            }
            // Like a window read: a set nobody added to is not created.
            Op::DistinctCount { key, window } => {
                let count = self.distinct.get(&key, |d| d.peek(now, duration_nanos(window)));
                OpResult::Count(count.unwrap_or(0))
            }
            Op::Series {
                key,
                bucket,
                lookback,
                amount: 0,
            } => {
                let len = duration_nanos(bucket);
                let (current, peak, total) = self
                    .series
                    .get(&key, |s| s.peek(now, len, lookback))
                    .unwrap_or((0, 0, 0));
                OpResult::Series(SeriesOutcome { current, peak, total })
            }
            Op::Series {
                key,
                bucket,
                lookback,
                amount,
            } => {
                let len = duration_nanos(bucket);
                let (current, peak, total) = self.series.upsert(
                    key,
                    &self.budget,
                    sweep,
                    || Series::new(now, len),
                    |s| s.add(now, len, amount, lookback),
                );
                OpResult::Series(SeriesOutcome { current, peak, total })
            }
            Op::Familiarity { keys, member, window } => {
                OpResult::Familiarity(self.familiarity(now, &keys, member, duration_nanos(window)))
            }
            Op::Learn {
                keys,
                member,
                window,
                capacity,
            } => {
                self.learn(now, &keys, member, duration_nanos(window), capacity);
                OpResult::Done
            }
            Op::RegisterGet { key } => {
                let value = self.registers.get(&key, |r| (r.expires > now).then_some(r.value));
                OpResult::Register(value.flatten())
            }
            Op::RegisterSet { key, value, ttl } => {
                let expires = now.saturating_add(duration_nanos(ttl));
                self.registers.upsert(
                    key,
                    &self.budget,
                    sweep,
                    || Register { value, expires },
                    |r| *r = Register { value, expires },
                );
                OpResult::Done
            }
            // A claim lives in the registers (value 0): a register holds a
            // value until it expires, which is all a claim needs, and it
            // counts against the same key budget.
            Op::ClaimOnce { key, until } => {
                let expires = until.as_unix_nanos();
                let claimed = self.registers.upsert(
                    key,
                    &self.budget,
                    sweep,
                    || Register { value: 0, expires: 0 },
                    |r| {
                        if r.expires > now {
                            return false;
                        }
                        *r = Register { value: 0, expires };
                        true
                    },
                );
                OpResult::Claimed(claimed)
            }
            Op::Cap {
                key,
                window,
                cap,
                amount,
                lockout,
                mode,
            } => {
                let spec = CapSpec {
                    length: duration_nanos(window),
                    cap,
                    lockout: duration_nanos(lockout),
                };
                let outcome = match mode {
                    // A check never creates a key: no state means no lockout.
                    CapMode::Check => self
                        .caps
                        .get(&key, |c| {
                            let mut copy = *c;
                            copy.apply(now, spec, amount, mode)
                        })
                        .unwrap_or_else(Capped::outcome_without_state),
                    CapMode::Charge => self.caps.upsert(
                        key,
                        &self.budget,
                        sweep,
                        || Capped::new(now, spec.length),
                        |c| c.apply(now, spec, amount, mode),
                    ),
                };
                OpResult::Cap(outcome)
            }
            Op::Backoff {
                key,
                first,
                max,
                reset_after,
            } => {
                let spec = BackoffSpec {
                    first: duration_nanos(first),
                    max: duration_nanos(max),
                    reset_after: duration_nanos(reset_after),
                };
                let outcome = self
                    .backoffs
                    .upsert(key, &self.budget, sweep, Backoff::default, |b| b.apply(now, spec));
                OpResult::Backoff(outcome)
            }
            Op::Reset { key } => {
                self.buckets.remove(&key, &self.budget);
                self.windows.remove(&key, &self.budget);
                self.pairs.remove(&key, &self.budget);
                self.distinct.remove(&key, &self.budget);
                self.histories.remove(&key, &self.budget);
                self.registers.remove(&key, &self.budget);
                self.caps.remove(&key, &self.budget);
                self.backoffs.remove(&key, &self.budget);
                self.series.remove(&key, &self.budget);
                OpResult::Done
            }
        }
    }
}

impl Store for MemoryStore {
    fn execute(&self, at: Timestamp, ops: &[Op], results: &mut [OpResult]) -> Result<(), StoreError> {
        if ops.len() != results.len() {
            return Err(StoreError::ResultCount {
                expected: ops.len(),
                got: results.len(),
            });
        }
        let now = at.as_unix_nanos();
        for (op, slot) in ops.iter().zip(results.iter_mut()) {
            *slot = self.run(now, op);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
