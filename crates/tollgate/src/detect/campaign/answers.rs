//! Step-ups attack mode issued, and those answered: the evidence attack
//! mode hides from itself.
//!
//! Attack mode reads recorded outcomes, and a bot that meets its challenge
//! and cannot pass it is never recorded: while the mode is on, the failures
//! and unknown usernames that called it vanish from the shares, and the
//! mode switches off while the attack goes on. Each instance therefore
//! counts, per scope, the step-ups it issued and the challenged logins it
//! saw recorded afterwards (people who passed); a campaign stays on while
//! most of its step-ups go unanswered.
//!
//! The counts are the instance's own, in a sliding window of two fixed ones
//! like the store's counters, kept in atomics without a lock: threads
//! racing over a window boundary lose a count at worst.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Unanswered step-ups a scope needs in a window to keep a campaign on:
/// below this, a handful of people abandoning a challenge would hold it.
pub(super) const MIN_UNANSWERED: f64 = 10.0;

/// A count over a sliding window: the current fixed window's count plus
/// the previous one's, weighted by how much of it the sliding window still
/// covers.
#[derive(Debug, Default)]
pub(super) struct Recent {
    /// `now / length` of the current window, plus one (0: never used).
    index: AtomicU64,
    current: AtomicU64,
    previous: AtomicU64,
}

impl Recent {
    /// Counts one at `now` (ms) in windows of `length` ms.
    pub(super) fn add(&self, now: u64, length: u64) {
        let index = now / length.max(1) + 1;
        let at = self.index.load(Relaxed);
        if index > at && self.index.compare_exchange(at, index, Relaxed, Relaxed).is_ok() {
            let carried = if index == at + 1 { self.current.swap(0, Relaxed) } else { 0 };
            self.current.store(0, Relaxed);
            self.previous.store(carried, Relaxed);
        }
        self.current.fetch_add(1, Relaxed);
    }

    /// The sliding count at `now`.
    pub(super) fn count(&self, now: u64, length: u64) -> f64 {
        let length = length.max(1);
        let index = now / length + 1;
        let (current, previous) = (self.current.load(Relaxed) as f64, self.previous.load(Relaxed) as f64);
        let (current, previous) = match index.checked_sub(self.index.load(Relaxed)) {
            Some(0) => (current, previous),
            Some(1) => (0.0, current),
            _ => return 0.0,
        };
        let left = 1.0 - (now % length) as f64 / length as f64;
        current + previous * left
    }

    pub(super) fn reset(&self) {
        self.index.store(0, Relaxed);
        self.current.store(0, Relaxed);
        self.previous.store(0, Relaxed);
    }
}

/// Whether a campaign that is on stays on for want of answers: at least
/// [`MIN_UNANSWERED`] step-ups unanswered in the window, and more than half
/// of those issued.
pub(super) fn unanswered(stepped: f64, answered: f64) -> bool {
    let open = stepped - answered;
    open >= MIN_UNANSWERED && open * 2.0 > stepped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_slide_over_two_windows() {
        let r = Recent::default();
        assert_eq!(r.count(5_000, 1_000), 0.0);
        for _ in 0..4 {
            r.add(5_000, 1_000);
        }
        assert_eq!(r.count(5_500, 1_000), 4.0);
        // Half into the next window, half of the previous one still counts.
        r.add(6_500, 1_000);
        assert_eq!(r.count(6_500, 1_000), 3.0);
        assert_eq!(r.count(7_250, 1_000), 0.75);
        assert_eq!(r.count(9_000, 1_000), 0.0);
        r.reset();
        assert_eq!(r.count(6_500, 1_000), 0.0);
    }

    #[test]
    fn a_campaign_is_held_while_most_step_ups_go_unanswered() {
        assert!(unanswered(30.0, 5.0));
        assert!(!unanswered(30.0, 20.0), "people passed most of them");
        assert!(!unanswered(8.0, 0.0), "too few to hold");
    }
}
