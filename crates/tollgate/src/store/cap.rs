//! Capped counters: a sliding-window count that trips a lockout when it
//! reaches its cap (org-wide OTP caps per channel, spend ceilings).

use std::time::Duration;

use super::bounded::Slot;
use super::window::Window;
use super::{CapMode, CapOutcome};

#[derive(Clone, Copy, Debug)]
pub(super) struct Capped {
    window: Window,
    /// Nanoseconds; at or before now means not locked.
    locked_until: u64,
}

/// The fixed parameters of one capped counter.
#[derive(Clone, Copy, Debug)]
pub(super) struct CapSpec {
    pub(super) length: u64,
    pub(super) cap: u64,
    pub(super) lockout: u64,
}

impl Capped {
    pub(super) fn new(now: u64, length: u64) -> Self {
        Capped {
            window: Window::new(now, length),
            locked_until: 0,
        }
    }

    /// Checks or charges `amount` at `now`.
    pub(super) fn apply(&mut self, now: u64, spec: CapSpec, amount: u32, mode: CapMode) -> CapOutcome {
        let count = match mode {
            CapMode::Check => self.window.peek(now, spec.length),
            CapMode::Charge => {
                let count = self.window.add(now, spec.length, amount);
                if count >= spec.cap && self.locked_until <= now {
                    self.locked_until = now.saturating_add(spec.lockout);
                }
                count
            }
        };
        let left = self.locked_until.saturating_sub(now);
        CapOutcome {
            allowed: left == 0,
            count,
            retry_after: Duration::from_nanos(left),
        }
    }

    pub(super) fn outcome_without_state() -> CapOutcome {
        CapOutcome {
            allowed: true,
            count: 0,
            retry_after: Duration::ZERO,
        }
    }
}

impl Slot for Capped {
    fn idle_at(&self) -> u64 {
        self.window.idle_at().max(self.locked_until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: CapSpec = CapSpec {
        length: 100,
        cap: 3,
        lockout: 1000,
    };

    #[test]
    fn reaching_the_cap_locks_until_the_lockout_ends() {
        let mut c = Capped::new(0, 100);
        for t in 0..2 {
            assert!(c.apply(t, SPEC, 1, CapMode::Charge).allowed);
        }
        assert!(c.apply(5, SPEC, 0, CapMode::Check).allowed);
        let tripped = c.apply(10, SPEC, 1, CapMode::Charge);
        assert_eq!((tripped.allowed, tripped.count), (false, 3));
        assert_eq!(
            c.apply(400, SPEC, 1, CapMode::Check).retry_after,
            Duration::from_nanos(610)
        );
        // Charges while locked count but do not extend the lockout.
        assert_eq!(
            c.apply(500, SPEC, 5, CapMode::Charge).retry_after,
            Duration::from_nanos(510)
        );
        assert_eq!(c.idle_at(), 1010);
        let reopened = c.apply(1010, SPEC, 1, CapMode::Check);
        assert_eq!((reopened.allowed, reopened.count), (true, 0));
    }

    #[test]
    fn checks_change_nothing() {
        let mut c = Capped::new(0, 100);
        for t in 0..10 {
            assert_eq!(c.apply(t, SPEC, 1, CapMode::Check), Capped::outcome_without_state());
        }
    }
}
