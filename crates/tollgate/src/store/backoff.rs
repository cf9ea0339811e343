//! Exponential backoff state: sends in the current streak and the last one.

use std::time::Duration;

use super::BackoffOutcome;
use super::bounded::Slot;

#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Backoff {
    /// Admitted events in the streak.
    sends: u32,
    /// Nanoseconds of the last admitted event.
    last: u64,
    /// The streak ends (state equals none) from this instant.
    expires: u64,
}

/// The fixed parameters of one backoff, in nanoseconds.
#[derive(Clone, Copy, Debug)]
pub(super) struct BackoffSpec {
    pub(super) first: u64,
    pub(super) max: u64,
    pub(super) reset_after: u64,
}

impl BackoffSpec {
    /// The wait after `sends` admitted events: none after zero, then
    /// `first`, doubling, at most `max`.
    pub(super) fn wait(&self, sends: u32) -> u64 {
        let Some(doublings) = sends.checked_sub(1) else {
            return 0;
        };
        let factor = 1u64.checked_shl(doublings.min(63)).unwrap_or(u64::MAX);
        self.first.saturating_mul(factor).min(self.max)
    }
}

impl Backoff {
    /// Admits an event at `now` if the streak's wait has passed.
    pub(super) fn apply(&mut self, now: u64, spec: BackoffSpec) -> BackoffOutcome {
        if now >= self.expires {
            *self = Backoff::default();
        }
        let ready = self.last.saturating_add(spec.wait(self.sends));
        if self.sends > 0 && now < ready {
            return BackoffOutcome {
                allowed: false,
                sends: self.sends,
                retry_after: Duration::from_nanos(ready - now),
            };
        }
        self.sends = self.sends.saturating_add(1);
        self.last = now;
        self.expires = now.saturating_add(spec.reset_after);
        BackoffOutcome {
            allowed: true,
            sends: self.sends,
            retry_after: Duration::ZERO,
        }
    }
}

impl Slot for Backoff {
    fn idle_at(&self) -> u64 {
        self.expires
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: BackoffSpec = BackoffSpec {
        first: 60,
        max: 1920,
        reset_after: 3600,
    };

    #[test]
    fn waits_double_up_to_the_maximum() {
        let waits: Vec<u64> = (0..9).map(|n| SPEC.wait(n)).collect();
        assert_eq!(waits, [0, 60, 120, 240, 480, 960, 1920, 1920, 1920]);
        assert_eq!(SPEC.wait(u32::MAX), 1920);
    }

    #[test]
    fn refusals_leave_the_streak_alone_and_quiet_resets_it() {
        let mut b = Backoff::default();
        assert!(b.apply(1000, SPEC).allowed);
        let early = b.apply(1059, SPEC);
        assert_eq!((early.allowed, early.retry_after), (false, Duration::from_nanos(1)));
        assert!(b.apply(1060, SPEC).allowed);
        assert_eq!(b.apply(1060 + 119, SPEC).retry_after, Duration::from_nanos(1));
        assert_eq!(b.apply(1060 + 120, SPEC).sends, 3);
        // An hour of quiet ends the streak.
        assert_eq!(b.idle_at(), 1180 + 3600);
        let fresh = b.apply(1180 + 3600, SPEC);
        assert_eq!((fresh.allowed, fresh.sends), (true, 1));
    }
}
