//! A bounded per-user history: which values (countries, networks, devices)
//! a user was seen with, how often and how recently.

use super::bounded::Slot;
pub use crate::policy::HISTORY_MAX;

/// A history is dropped this long after its last update: a user who has
/// not logged in for half a year starts afresh.
const RETENTION_NANOS: u64 = 180 * 86_400 * 1_000_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    /// The member's hash, folded to 32 bits.
    member: u32,
    count: u32,
    /// Seconds since the epoch of the last sighting.
    last_seen: u32,
}

#[derive(Clone, Debug, Default)]
pub(super) struct History {
    entries: Vec<Entry>,
    /// Nanoseconds since the epoch of the last update.
    updated: u64,
}

fn fold(member: u64) -> u32 {
    (member ^ (member >> 32)) as u32
}

impl History {
    /// (times seen with `member`, times seen with anything), saturating.
    pub(super) fn counts(&self, member: u64) -> (u32, u32) {
        let m = fold(member);
        let count = self.entries.iter().find(|e| e.member == m).map_or(0, |e| e.count);
        let total = self.entries.iter().fold(0u32, |t, e| t.saturating_add(e.count));
        (count, total)
    }

    /// One more sighting of `member` at `now`; keeps at most `capacity`
    /// members by dropping the least recently seen.
    pub(super) fn learn(&mut self, member: u64, now: u64, capacity: u8) {
        let m = fold(member);
        let secs = u32::try_from(now / 1_000_000_000).unwrap_or(u32::MAX);
        self.updated = self.updated.max(now);
        if let Some(e) = self.entries.iter_mut().find(|e| e.member == m) {
            e.count = e.count.saturating_add(1);
            e.last_seen = e.last_seen.max(secs);
            return;
        }
        let capacity = usize::from(capacity).clamp(1, HISTORY_MAX);
        while self.entries.len() >= capacity {
            let oldest = self
                .entries
                .iter()
                .enumerate()
                .min_by_key(|(_, e)| (e.last_seen, e.count))
                .map(|(i, _)| i);
            match oldest {
                Some(i) => {
                    self.entries.swap_remove(i);
                }
                None => break,
            }
        }
        self.entries.push(Entry {
            member: m,
            count: 1,
            last_seen: secs,
        });
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

impl Slot for History {
    fn idle_at(&self) -> u64 {
        self.updated.saturating_add(RETENTION_NANOS)
    }
}

/// A 128-bit value with an expiry.
#[derive(Clone, Copy, Debug)]
pub(super) struct Register {
    pub(super) value: u128,
    pub(super) expires: u64,
}

impl Slot for Register {
    fn idle_at(&self) -> u64 {
        self.expires
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: u64 = 1_000_000_000;

    #[test]
    fn counts_and_bounds() {
        let mut h = History::default();
        for i in 0..30u64 {
            h.learn(i % 3, i * SEC, 4);
        }
        assert_eq!(h.counts(2), (10, 30));
        assert_eq!(h.counts(7), (0, 30));
        // Cycling through more members than fit: never past the bound, and
        // the most recent ones survive.
        for i in 0..100u64 {
            h.learn(100 + i % 10, (30 + i) * SEC, 4);
            assert!(h.len() <= 4);
        }
        assert_eq!(h.counts(109), (1, 4));
        assert_eq!(h.counts(0).0, 0);
    }

    #[test]
    fn least_recently_seen_goes_first() {
        let mut h = History::default();
        for _ in 0..50 {
            h.learn(1, SEC, 2);
        }
        h.learn(2, 2 * SEC, 2);
        h.learn(3, 3 * SEC, 2);
        assert_eq!(
            h.counts(1).0,
            0,
            "a member not seen lately goes, however often it was seen"
        );
        assert_eq!(h.counts(3), (1, 2));
    }
}
