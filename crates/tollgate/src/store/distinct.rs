//! Bounded distinct-count state: two small exact sets of member hashes.

use super::bounded::Slot;
use super::window::{Advance, Generation};

/// Distinct counts are exact up to this many members per window; past it a
/// set stops growing and the count is a lower bound. Thresholds that detect
/// stuffing or number rotation sit well below it.
pub const DISTINCT_EXACT_UP_TO: usize = 64;

/// Members of the current and the previous window in one vector: the low
/// 31 bits are the member's hash, the top bit says it was seen in the
/// current window. One vector instead of two keeps the inline state at 40
/// bytes.
#[derive(Clone, Debug)]
pub(super) struct Distinct {
    generation: Generation,
    members: Vec<u32>,
}

const CURRENT: u32 = 1 << 31;
const HASH: u32 = CURRENT - 1;

impl Distinct {
    pub(super) fn new(now: u64, length: u64) -> Self {
        Distinct {
            generation: Generation::new(now, length),
            members: Vec::new(),
        }
    }

    /// Adds `member` at `now`; returns distinct members in both windows.
    pub(super) fn add(&mut self, now: u64, length: u64, member: u64) -> u64 {
        match self.generation.advance(now, length) {
            Advance::Same => {}
            Advance::Next => {
                self.members.retain(|m| m & CURRENT != 0);
                self.members.iter_mut().for_each(|m| *m &= HASH);
            }
            Advance::Restart => self.members.clear(),
        }
        // Fold to 31 bits: collisions only matter within one key's few members.
        let hash = ((member ^ (member >> 32)) as u32) & HASH;
        let current = self.members.iter().filter(|m| *m & CURRENT != 0).count();
        match self.members.iter_mut().find(|m| **m & HASH == hash) {
            Some(m) => *m |= CURRENT,
            None if current < DISTINCT_EXACT_UP_TO => self.members.push(hash | CURRENT),
            None => {}
        }
        self.members.len() as u64
    }

    /// Distinct members in both windows as of `now`, changing nothing: what
    /// [`add`](Self::add) would count before adding.
    pub(super) fn count(&self, now: u64, length: u64) -> u64 {
        let mut generation = self.generation;
        let members = match generation.advance(now, length) {
            Advance::Same => self.members.len(),
            Advance::Next => self.members.iter().filter(|m| *m & CURRENT != 0).count(),
            Advance::Restart => 0,
        };
        members as u64
    }
}

impl Slot for Distinct {
    fn idle_at(&self) -> u64 {
        self.generation.idle_at()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_union_of_two_windows_and_saturates() {
        let mut d = Distinct::new(0, 100);
        assert_eq!(d.add(0, 100, 1), 1);
        assert_eq!(d.add(10, 100, 1), 1);
        assert_eq!(d.add(20, 100, 2), 2);
        assert_eq!(d.add(120, 100, 3), 3);
        assert_eq!(d.add(130, 100, 1), 3);
        assert_eq!(d.add(250, 100, 4), 3);
        assert_eq!(d.add(900, 100, 5), 1);
        for m in 0..1000 {
            d.add(900, 100, m << 40);
        }
        assert_eq!(d.add(900, 100, 7), DISTINCT_EXACT_UP_TO as u64);
    }

    #[test]
    fn count_reads_what_add_would_see_and_changes_nothing() {
        let mut d = Distinct::new(0, 100);
        d.add(0, 100, 1);
        d.add(10, 100, 2);
        assert_eq!(d.count(20, 100), 2);
        assert_eq!(d.count(20, 100), 2);
        d.add(120, 100, 3);
        // Next window: members of the current window stay, the rest go.
        assert_eq!(d.count(230, 100), 1);
        assert_eq!(d.count(990, 100), 0);
        assert_eq!(d.add(130, 100, 4), 4, "reads did not advance the window");
    }
}
