//! The generic cell rate algorithm (GCRA), as pure arithmetic.
//!
//! A key's whole state is one number, its theoretical arrival time (TAT):
//! the instant at which its quota would be full again. An event of cost `c`
//! conforms when `max(TAT, now) + c·T − now ≤ τ`, with `T` the emission
//! interval (period / count) and `τ = burst·T`. From a full quota, at most
//! `burst + elapsed / T` units are ever admitted in `elapsed`.
//!
//! A TAT at or before `now` means a full quota, the same as no state at all.
//! That is what makes eviction cheap: such keys can be dropped without
//! changing any future decision. Stores (the in-process one, Redis scripts)
//! apply this function; keeping it pure keeps them in agreement.
//!
//! ```
//! use tollgate::limiter::{gcra, GcraMode, GcraParams};
//!
//! let p = GcraParams { emission_nanos: 1_000_000_000, burst: 2, cost: 1 };
//! let (tat, first) = gcra(None, 0, &p, GcraMode::Consume);
//! let (tat, second) = gcra(tat, 0, &p, GcraMode::Consume);
//! let (_, third) = gcra(tat, 0, &p, GcraMode::Consume);
//! assert!(first.allowed && second.allowed && !third.allowed);
//! assert_eq!(third.retry_after.as_secs(), 1);
//! ```

use std::time::Duration;

/// Parameters of one GCRA check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GcraParams {
    /// Nanoseconds per quota unit at the sustained rate (`T`).
    pub emission_nanos: u64,
    /// Units admitted at once from a full quota.
    pub burst: u32,
    /// Units this event takes.
    pub cost: u32,
}

impl GcraParams {
    fn tolerance(&self) -> u64 {
        self.emission_nanos.saturating_mul(u64::from(self.burst))
    }

    fn increment(&self) -> u64 {
        self.emission_nanos.saturating_mul(u64::from(self.cost))
    }
}

/// How a GCRA check treats the quota.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GcraMode {
    /// Take `cost` if it conforms; leave the quota alone if not.
    Consume,
    /// Report whether `cost` would conform; never change the quota.
    Peek,
    /// Take `cost` whether or not it conforms (a failure that already
    /// happened). The quota is never driven more than one unit below empty,
    /// so a flood of failures cannot extend a block indefinitely.
    Charge,
}

/// Result of one GCRA check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GcraOutcome {
    /// The event conforms.
    pub allowed: bool,
    /// Whole units left after the check.
    pub remaining: u32,
    /// Time until the quota is full again.
    pub reset: Duration,
    /// Time until an event of this cost would conform (zero if it does).
    pub retry_after: Duration,
}

/// Applies one check to a key whose TAT is `tat` (`None`: no state).
///
/// Returns the TAT to store (`None`: leave the state as it was) and the outcome.
/// `now` and TATs are nanoseconds on the same clock.
pub fn gcra(tat: Option<u64>, now: u64, p: &GcraParams, mode: GcraMode) -> (Option<u64>, GcraOutcome) {
    let tolerance = p.tolerance();
    let emission = p.emission_nanos.max(1);
    let start = tat.map_or(now, |t| t.max(now));
    let next = start.saturating_add(p.increment());
    let allowed = next - now <= tolerance;
    let stored = match mode {
        GcraMode::Consume if allowed => Some(next),
        GcraMode::Consume | GcraMode::Peek => None,
        GcraMode::Charge => Some(next.min(now.saturating_add(tolerance).saturating_add(emission))),
    };
    let after = stored.unwrap_or(start);
    let used = after.saturating_sub(now);
    let remaining = tolerance.saturating_sub(used) / emission;
    let outcome = GcraOutcome {
        allowed,
        remaining: u32::try_from(remaining).unwrap_or(u32::MAX),
        reset: Duration::from_nanos(used),
        retry_after: Duration::from_nanos(if allowed { 0 } else { next - now - tolerance }),
    };
    (stored, outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: u64 = 1_000_000_000;

    fn params(burst: u32) -> GcraParams {
        GcraParams {
            emission_nanos: SEC,
            burst,
            cost: 1,
        }
    }

    #[test]
    fn burst_then_steady_rate() {
        let p = params(3);
        let mut tat = None;
        for i in 0..3 {
            let (t, o) = gcra(tat, 0, &p, GcraMode::Consume);
            assert!(o.allowed, "event {i}");
            assert_eq!(o.remaining, 2 - i);
            tat = t.or(tat);
        }
        let (t, o) = gcra(tat, 0, &p, GcraMode::Consume);
        assert!(!o.allowed);
        assert_eq!(t, None);
        assert_eq!(o.retry_after, Duration::from_secs(1));
        assert_eq!(o.reset, Duration::from_secs(3));
        let (_, o) = gcra(tat, SEC, &p, GcraMode::Consume);
        assert!(o.allowed);
        assert_eq!(o.remaining, 0);
    }

    #[test]
    fn peek_never_changes_state() {
        let p = params(1);
        let (t, o) = gcra(None, 0, &p, GcraMode::Peek);
        assert!(o.allowed);
        assert_eq!(t, None);
        assert_eq!(o.remaining, 1);
    }

    #[test]
    fn charge_caps_debt_at_one_unit_past_empty() {
        let p = params(2);
        let mut tat = None;
        for _ in 0..100 {
            tat = gcra(tat, 0, &p, GcraMode::Charge).0;
        }
        assert_eq!(tat, Some(3 * SEC));
        let (_, o) = gcra(tat, 0, &p, GcraMode::Peek);
        assert!(!o.allowed);
        assert_eq!(o.retry_after, Duration::from_secs(2));
    }

    #[test]
    fn idle_key_is_as_good_as_new() {
        let p = params(5);
        let (tat, _) = gcra(None, 0, &p, GcraMode::Consume);
        let later = tat.map(|t| t + 1).unwrap_or_default();
        assert_eq!(
            gcra(tat, later, &p, GcraMode::Consume).1,
            gcra(None, later, &p, GcraMode::Consume).1
        );
    }
}
