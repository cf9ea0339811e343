//! Whether the site is settled: what share of the successful logins
//! recorded the UTC day before came from strangers (a client the account
//! never used, on a network prefix it never signed in from). Where that
//! share is small, stepping up every stranger costs the site's members
//! little, and `familiarity.stranger` then covers every account, not only
//! established ones. See `docs/familiarity.md#a-settled-site`.
//!
//! Recorded successful logins with their decision count per UTC day (two
//! series: all of them, and those whose decision carries
//! [`RiskSignal::Stranger`](crate::RiskSignal::Stranger)). Each instance
//! reads yesterday's two counts once per day of event time and keeps the
//! verdict in one atomic word, so a login pays the two reads once a day.
//!
//! ```
//! use tollgate::policy::Policy;
//!
//! let policy = Policy::from_toml("[familiarity.settled]\nmax_percent = 5\nmin_logins = 500\n")?;
//! assert!(policy.familiarity.settled.enabled);
//! assert_eq!(policy.familiarity.settled.max_percent, 5);
//! # Ok::<(), tollgate::policy::PolicyError>(())
//! ```

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::keys::{EventKeys, KeyHasher};
use crate::policy::PolicyError;
use crate::store::{Op, SeriesOutcome, StoreKey};

/// When the site counts as settled (`[familiarity.settled]`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Settled {
    /// Turns the test on (default): while the site is settled, a stranger
    /// to any account gets `familiarity.stranger`. Off: only
    /// `stranger_after` says who does.
    pub enabled: bool,
    /// The site is settled while strangers were at most this percentage of
    /// the successful logins recorded the UTC day before (1 to 50; default
    /// 2): the share of its members' logins the step-up costs.
    pub max_percent: u8,
    /// Successful logins recorded the day before the test needs (at least
    /// 1; default 200). A quieter day says nothing, and the site is not
    /// settled.
    pub min_logins: u32,
}

impl Default for Settled {
    fn default() -> Self {
        Settled {
            enabled: true,
            max_percent: 2,
            min_logins: 200,
        }
    }
}

impl Settled {
    pub(super) fn validate(&self) -> Result<(), PolicyError> {
        if !(1..=50).contains(&self.max_percent) {
            return Err(PolicyError::invalid("familiarity.settled.max_percent", "must be 1 to 50"));
        }
        if self.min_logins == 0 {
            return Err(PolicyError::invalid("familiarity.settled.min_logins", "must be at least 1"));
        }
        Ok(())
    }
}

/// Which daily series an op reads or adds to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Series {
    Logins,
    Strangers,
}

/// Yesterday's counts: successful logins and strangers among them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Day {
    pub(crate) logins: u64,
    pub(crate) strangers: u64,
}

impl Day {
    /// Strangers' share of the day's logins, in basis points.
    fn basis_points(self) -> u64 {
        self.strangers.saturating_mul(10_000).checked_div(self.logins).unwrap_or(10_000).min(10_000)
    }
}

/// The settled test, compiled: the series' seeds and this instance's
/// verdict for one day.
#[derive(Debug)]
pub(super) struct Gate {
    settings: Settled,
    logins: u64,
    strangers: u64,
    /// The day the verdict is for (days since the epoch, plus one, so that 0
    /// means none yet) in the high 32 bits; yesterday's logins (capped) and
    /// strangers' share in basis points below.
    verdict: AtomicU64,
}

/// Bits of the packed verdict: the day, the logins, the share.
const DAY_SHIFT: u32 = 32;
const LOGINS_SHIFT: u32 = 14;
const LOGINS_MAX: u64 = (1 << (DAY_SHIFT - LOGINS_SHIFT)) - 1;
const SHARE_MASK: u64 = (1 << LOGINS_SHIFT) - 1;

/// What the gate says about today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Verdict {
    /// Yesterday's successful logins (capped at 262,143).
    pub(super) logins: u64,
    /// Strangers' share of them, in basis points.
    pub(super) basis_points: u64,
    pub(super) settled: bool,
}

impl Gate {
    pub(super) fn new(settings: &Settled, keys: &KeyHasher) -> Gate {
        let seed = keys.rule_seed("familiarity.settled");
        Gate {
            settings: settings.clone(),
            logins: keys.hash_of(seed, "logins"),
            strangers: keys.hash_of(seed, "strangers"),
            verdict: AtomicU64::new(0),
        }
    }

    pub(super) fn enabled(&self) -> bool {
        self.settings.enabled
    }

    /// Whether the instance has no verdict for the day of `at_millis` yet.
    pub(super) fn stale(&self, at_millis: u64) -> bool {
        self.enabled() && self.verdict.load(Relaxed) >> DAY_SHIFT != day_tag(at_millis)
    }

    /// The op reading (amount 0) or counting into one series for the day of
    /// the event.
    pub(super) fn op(&self, keys: &EventKeys<'_>, series: Series, amount: u32) -> Op {
        let seed = match series {
            Series::Logins => self.logins,
            Series::Strangers => self.strangers,
        };
        Op::Series {
            key: StoreKey(keys.hash_of(seed, ())),
            bucket: super::days(1),
            lookback: 1,
            amount,
        }
    }

    /// Keeps the verdict on yesterday's counts for the day of `at_millis`.
    pub(super) fn observe(&self, at_millis: u64, logins: &SeriesOutcome, strangers: &SeriesOutcome) {
        let day = Day {
            logins: logins.total,
            strangers: strangers.total,
        };
        let packed = day_tag(at_millis) << DAY_SHIFT | day.logins.min(LOGINS_MAX) << LOGINS_SHIFT | day.basis_points();
        self.verdict.store(packed, Relaxed);
    }

    /// The verdict for the day of `at_millis`, if this instance has one.
    pub(super) fn verdict(&self, at_millis: u64) -> Option<Verdict> {
        let packed = self.verdict.load(Relaxed);
        if !self.enabled() || packed >> DAY_SHIFT != day_tag(at_millis) {
            return None;
        }
        let logins = packed >> LOGINS_SHIFT & LOGINS_MAX;
        let basis_points = packed & SHARE_MASK;
        let s = &self.settings;
        Some(Verdict {
            logins,
            basis_points,
            settled: logins >= u64::from(s.min_logins) && basis_points <= u64::from(s.max_percent) * 100,
        })
    }
}

/// The day of `at_millis` as the verdict stores it: days since the epoch
/// plus one, in 32 bits.
fn day_tag(at_millis: u64) -> u64 {
    (at_millis / 86_400_000 + 1) & u64::from(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(settings: Settled) -> Gate {
        Gate::new(&settings, &KeyHasher::with_secret(&crate::keys::KeySecret::from_seed(7)))
    }

    fn series(total: u64) -> SeriesOutcome {
        SeriesOutcome {
            current: 0,
            peak: total,
            total,
        }
    }

    #[test]
    fn a_verdict_holds_for_its_day_only() {
        let g = gate(Settled::default());
        let day = 20_000 * 86_400_000;
        assert!(g.stale(day) && g.verdict(day).is_none());
        g.observe(day + 5, &series(1_000), &series(20));
        assert!(!g.stale(day + 86_399_999));
        let v = g.verdict(day + 86_399_999);
        assert_eq!(v, Some(Verdict { logins: 1_000, basis_points: 200, settled: true }));
        assert!(g.stale(day + 86_400_000) && g.verdict(day + 86_400_000).is_none());
    }

    #[test]
    fn settled_needs_both_volume_and_a_small_share() {
        let g = gate(Settled::default());
        let settled = |logins, strangers| {
            g.observe(0, &series(logins), &series(strangers));
            g.verdict(0).is_some_and(|v| v.settled)
        };
        assert!(settled(1_000, 20));
        assert!(!settled(1_000, 21));
        assert!(!settled(199, 0));
        assert!(settled(200, 0));
        assert!(!settled(0, 0));
        // Counts beyond the packing's range still judge on the share.
        assert!(settled(10_000_000, 200_000));
        assert!(!settled(10_000_000, 201_000));
    }

    #[test]
    fn off_means_no_verdict_and_no_reads() {
        let g = gate(Settled {
            enabled: false,
            ..Settled::default()
        });
        assert!(!g.stale(0));
        g.observe(0, &series(1_000), &series(0));
        assert!(g.verdict(0).is_none());
    }
}
