//! Concurrent maps under one hard cap on tracked keys.
//!
//! Every new key first reserves a slot in the shared [`Budget`]; when the
//! budget is full the store sweeps. A sweep first drops idle keys (whose
//! state is indistinguishable from no state, so no decision changes), then,
//! if that frees too little, the keys that would become idle soonest, until
//! the store is at 3/4 of the cap. Sweeps are O(keys) but each frees a
//! quarter of the cap, so their cost per insert stays constant; a flood of
//! distinct keys costs time, never memory.

use std::hash::Hash;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use dashmap::DashMap;
use dashmap::mapref::entry::Entry;

/// A stored value that knows when it stops mattering.
pub(super) trait Slot {
    /// The instant (nanoseconds) from which this state is equivalent to no
    /// state at all. Sweeps evict the smallest first.
    fn idle_at(&self) -> u64;
}

impl Slot for u64 {
    /// A GCRA theoretical arrival time: the bucket is full from then on.
    fn idle_at(&self) -> u64 {
        *self
    }
}

/// The shared count of tracked keys and the cap on it.
#[derive(Debug)]
pub(super) struct Budget {
    cap: usize,
    used: AtomicUsize,
    sweeping: Mutex<()>,
}

impl Budget {
    pub(super) fn new(cap: usize) -> Self {
        Budget {
            cap: cap.max(1),
            used: AtomicUsize::new(0),
            sweeping: Mutex::new(()),
        }
    }

    pub(super) fn cap(&self) -> usize {
        self.cap
    }

    pub(super) fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// Takes one slot, calling `sweep` (one caller at a time) while full.
    pub(super) fn reserve(&self, sweep: impl Fn()) {
        loop {
            let used = self.used.load(Ordering::Relaxed);
            if used < self.cap {
                if self
                    .used
                    .compare_exchange_weak(used, used + 1, Ordering::AcqRel, Ordering::Relaxed)
                    .is_ok()
                {
                    return;
                }
                continue;
            }
            // A poisoned lock only means another sweeper panicked; the
            // guarded data is `()`, so sweeping on is sound.
            let _guard = self.sweeping.lock().unwrap_or_else(|p| p.into_inner());
            if self.used.load(Ordering::Relaxed) >= self.cap {
                sweep();
            }
        }
    }

    pub(super) fn release(&self, n: usize) {
        self.used.fetch_sub(n, Ordering::AcqRel);
    }

    /// How many keys a sweep should leave at most.
    pub(super) fn target(&self) -> usize {
        self.cap - self.cap / 4
    }
}

/// One concurrent map whose keys count against a [`Budget`].
#[derive(Debug)]
pub(super) struct BoundedMap<K: Eq + Hash, V> {
    map: DashMap<K, V, KeyMix>,
}

impl<K: Eq + Hash + Clone, V: Slot> BoundedMap<K, V> {
    pub(super) fn new() -> Self {
        BoundedMap {
            map: DashMap::with_hasher(KeyMix),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.map.len()
    }

    /// Applies `f` to the value at `key`, creating it with `new` first if
    /// absent. A new key reserves a slot in `budget` (sweeping through
    /// `sweep` if full) before any lock on this map is taken.
    pub(super) fn upsert<R>(
        &self,
        key: K,
        budget: &Budget,
        sweep: impl Fn(),
        new: impl FnOnce() -> V,
        f: impl FnOnce(&mut V) -> R,
    ) -> R {
        if let Some(mut v) = self.map.get_mut(&key) {
            return f(&mut v);
        }
        budget.reserve(sweep);
        match self.map.entry(key) {
            Entry::Occupied(mut o) => {
                budget.release(1);
                f(o.get_mut())
            }
            Entry::Vacant(v) => f(&mut v.insert(new())),
        }
    }

    /// Reads the value at `key` without creating it.
    pub(super) fn get<R>(&self, key: &K, f: impl FnOnce(&V) -> R) -> Option<R> {
        self.map.get(key).map(|v| f(&v))
    }

    /// Removes `key`, returning its slot to `budget`.
    pub(super) fn remove(&self, key: &K, budget: &Budget) {
        if self.map.remove(key).is_some() {
            budget.release(1);
        }
    }

    /// Up to `n` `idle_at` values, as a sample of the map's distribution.
    pub(super) fn sample(&self, n: usize, out: &mut Vec<u64>) {
        out.extend(self.map.iter().take(n).map(|e| e.value().idle_at()));
    }

    /// Rebuilds the table at its current size. Eviction leaves tombstones
    /// that the hash table only clears by doubling once it is over half
    /// full; rebuilding after a sweep keeps a store that churns at its cap
    /// at the size of one that filled once.
    pub(super) fn compact(&self) {
        self.map.shrink_to_fit();
    }

    /// Removes entries with `idle_at <= until` while `budget` is above
    /// `target`, returning how many went.
    pub(super) fn evict_until(&self, until: u64, budget: &Budget, target: usize) -> u64 {
        let mut evicted = 0;
        self.map.retain(|_, v| {
            let evict = v.idle_at() <= until && budget.used() > target;
            if evict {
                budget.release(1);
                evicted += 1;
            }
            !evict
        });
        evicted
    }
}

/// Store keys are already keyed hashes, so hashing them again with a
/// keyed hasher buys nothing. One folded multiply (the 128-bit product's
/// halves xor-ed) still spreads every input bit into both the high bits
/// (dashmap's shard, hashbrown's tag) and the low bits (hashbrown's bucket),
/// so structured keys handed to the store directly spread too.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct KeyMix;

impl std::hash::BuildHasher for KeyMix {
    type Hasher = KeyMixHasher;

    fn build_hasher(&self) -> KeyMixHasher {
        KeyMixHasher(0)
    }
}

#[derive(Debug)]
pub(super) struct KeyMixHasher(u64);

impl std::hash::Hasher for KeyMixHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        let product = u128::from(self.0 ^ n) * 0x9e37_79b9_7f4a_7c15;
        self.0 = (product as u64) ^ ((product >> 64) as u64);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::hash::BuildHasher;

    use super::*;

    /// Buckets (low bits) and shards and tags (high bits) must spread for
    /// keys that differ only in their high bits, or only in their low bits.
    #[test]
    fn key_mix_spreads_structured_keys() {
        for shift in [0, 20, 40, 54] {
            let hashes: Vec<u64> = (0..1024u64).map(|k| KeyMix.hash_one(k << shift)).collect();
            let low: HashSet<u64> = hashes.iter().map(|h| h & 1023).collect();
            let high: HashSet<u64> = hashes.iter().map(|h| h >> 54).collect();
            // 1024 random values in 1024 slots fill about 647.
            assert!(low.len() > 550, "shift {shift}: {} low-bit buckets", low.len());
            assert!(high.len() > 550, "shift {shift}: {} high-bit buckets", high.len());
        }
    }
}
