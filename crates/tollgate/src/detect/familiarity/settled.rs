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
//! reads both for the day before and the seven days before, once per day
//! of event time, and keeps the verdict in an atomic word, so a login pays
//! the four reads once a day. The site is settled when yesterday was or the
//! week was: the week keeps it settled through one day of sign-ups, or of
//! an attacker's own strangers passing their own step-ups.
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
    /// the successful logins recorded the UTC day before, or over the seven
    /// days before (1 to 50; default 2): the share of its members' logins
    /// the step-up costs.
    pub max_percent: u8,
    /// Successful logins recorded the day before (or the seven days before)
    /// the test needs (at least 1; default 200). Fewer say nothing, and the
    /// site is not settled.
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

/// Which days a read covers: the day before, or the seven before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Span {
    Yesterday,
    Week,
}

impl Span {
    const ALL: [Span; 2] = [Span::Yesterday, Span::Week];

    fn lookback(self) -> u8 {
        match self {
            Span::Yesterday => 1,
            Span::Week => 7,
        }
    }
}

/// What one login read of the series: logins and strangers, yesterday and
/// over the week.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Reads {
    yesterday: [Option<u64>; 2],
    week: [Option<u64>; 2],
}

impl Reads {
    pub(super) fn set(&mut self, (series, span): (Series, Span), read: &SeriesOutcome) {
        let [logins, strangers] = match span {
            Span::Yesterday => &mut self.yesterday,
            Span::Week => &mut self.week,
        };
        let slot = match series {
            Series::Logins => logins,
            Series::Strangers => strangers,
        };
        *slot = Some(read.total);
    }

    fn days(self) -> Option<(Days, Days)> {
        let [Some(logins), Some(strangers)] = self.yesterday else {
            return None;
        };
        let [Some(week_logins), Some(week_strangers)] = self.week else {
            return None;
        };
        Some((
            Days { logins, strangers },
            Days {
                logins: week_logins,
                strangers: week_strangers,
            },
        ))
    }
}

/// Successful logins and strangers among them over some days.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Days {
    logins: u64,
    strangers: u64,
}

impl Days {
    /// Strangers' share, in basis points (rounded down; for the detail).
    fn basis_points(self) -> u64 {
        self.strangers.saturating_mul(10_000).checked_div(self.logins).unwrap_or(10_000).min(10_000)
    }

    /// Enough logins, and strangers at most `max_percent` of them (exact).
    fn settled(self, s: &Settled) -> bool {
        self.logins >= u64::from(s.min_logins)
            && u128::from(self.strangers) * 100 <= u128::from(s.max_percent) * u128::from(self.logins)
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
    /// means none yet) in the high 32 bits, then whether it is settled, the
    /// week's share and yesterday's share in basis points.
    verdict: AtomicU64,
    /// Yesterday's successful logins, for the detail.
    yesterday_logins: AtomicU64,
    /// The seven days' successful logins, for the status.
    week_logins: AtomicU64,
}

/// Bits of the packed verdict.
const DAY_SHIFT: u32 = 32;
const SETTLED_BIT: u64 = 1 << 31;
const WEEK_SHIFT: u32 = 14;
const SHARE_MASK: u64 = (1 << WEEK_SHIFT) - 1;

/// What the gate says about today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Verdict {
    /// Yesterday's successful logins.
    pub(super) logins: u64,
    /// Strangers' share of them, in basis points.
    pub(super) basis_points: u64,
    /// Strangers' share over the seven days before, in basis points.
    pub(super) week_basis_points: u64,
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
            yesterday_logins: AtomicU64::new(0),
            week_logins: AtomicU64::new(0),
        }
    }

    pub(super) fn enabled(&self) -> bool {
        self.settings.enabled
    }

    /// Whether the instance has no verdict for the day of `at_millis` yet.
    pub(super) fn stale(&self, at_millis: u64) -> bool {
        self.enabled() && self.verdict.load(Relaxed) >> DAY_SHIFT != day_tag(at_millis)
    }

    /// The four reads of a day's verdict.
    pub(super) fn reads<'a>(&'a self, keys: &'a EventKeys<'_>) -> impl Iterator<Item = ((Series, Span), Op)> + 'a {
        [Series::Logins, Series::Strangers].into_iter().flat_map(move |series| {
            Span::ALL.map(|span| ((series, span), self.op(keys, series, span.lookback(), 0)))
        })
    }

    /// Counts a recorded successful login (a stranger's in `Strangers` too).
    pub(super) fn count(&self, keys: &EventKeys<'_>, series: Series) -> Op {
        self.op(keys, series, 0, 1)
    }

    fn op(&self, keys: &EventKeys<'_>, series: Series, lookback: u8, amount: u32) -> Op {
        let seed = match series {
            Series::Logins => self.logins,
            Series::Strangers => self.strangers,
        };
        Op::Series {
            key: StoreKey(keys.hash_of(seed, ())),
            bucket: super::days(1),
            lookback,
            amount,
        }
    }

    /// Keeps the verdict for the day of `at_millis` on what it read, once
    /// every read is in: settled when yesterday was, or the week before
    /// was. The week keeps a settled site settled through a day of
    /// sign-ups or of an attacker's own strangers.
    pub(super) fn observe(&self, at_millis: u64, reads: Reads) {
        let Some((yesterday, week)) = reads.days() else {
            return;
        };
        let settled = yesterday.settled(&self.settings) || week.settled(&self.settings);
        let packed = day_tag(at_millis) << DAY_SHIFT
            | if settled { SETTLED_BIT } else { 0 }
            | week.basis_points() << WEEK_SHIFT
            | yesterday.basis_points();
        self.yesterday_logins.store(yesterday.logins, Relaxed);
        self.week_logins.store(week.logins, Relaxed);
        self.verdict.store(packed, Relaxed);
    }

    /// The latest verdict, whatever its day; shares only over days with
    /// logins.
    pub(super) fn latest(&self) -> Option<crate::status::SettledStatus> {
        let packed = self.verdict.load(Relaxed);
        let day = packed >> DAY_SHIFT;
        let (yesterday_logins, week_logins) = (self.yesterday_logins.load(Relaxed), self.week_logins.load(Relaxed));
        let share = |logins: u64, bp: u64| (logins > 0).then_some(bp);
        (self.enabled() && day != 0).then(|| crate::status::SettledStatus {
            day: crate::Timestamp::from_unix_millis((day - 1).saturating_mul(86_400_000)),
            settled: packed & SETTLED_BIT != 0,
            yesterday_logins,
            yesterday_basis_points: share(yesterday_logins, packed & SHARE_MASK),
            week_logins,
            week_basis_points: share(week_logins, packed >> WEEK_SHIFT & SHARE_MASK),
        })
    }

    /// The verdict for the day of `at_millis`, if this instance has one.
    pub(super) fn verdict(&self, at_millis: u64) -> Option<Verdict> {
        let packed = self.verdict.load(Relaxed);
        if !self.enabled() || packed >> DAY_SHIFT != day_tag(at_millis) {
            return None;
        }
        Some(Verdict {
            logins: self.yesterday_logins.load(Relaxed),
            basis_points: packed & SHARE_MASK,
            week_basis_points: packed >> WEEK_SHIFT & SHARE_MASK,
            settled: packed & SETTLED_BIT != 0,
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

    fn reads(yesterday: (u64, u64), week: (u64, u64)) -> Reads {
        let read = |total| SeriesOutcome {
            current: 0,
            peak: total,
            total,
        };
        let mut r = Reads::default();
        r.set((Series::Logins, Span::Yesterday), &read(yesterday.0));
        r.set((Series::Strangers, Span::Yesterday), &read(yesterday.1));
        r.set((Series::Logins, Span::Week), &read(week.0));
        r.set((Series::Strangers, Span::Week), &read(week.1));
        r
    }

    #[test]
    fn a_verdict_holds_for_its_day_only() {
        let g = gate(Settled::default());
        let day = 20_000 * 86_400_000;
        assert!(g.stale(day) && g.verdict(day).is_none());
        g.observe(day + 5, reads((1_000, 20), (7_000, 700)));
        assert!(!g.stale(day + 86_399_999));
        let v = g.verdict(day + 86_399_999);
        let expected = Verdict {
            logins: 1_000,
            basis_points: 200,
            week_basis_points: 1_000,
            settled: true,
        };
        assert_eq!(v, Some(expected));
        assert!(g.stale(day + 86_400_000) && g.verdict(day + 86_400_000).is_none());
    }

    #[test]
    fn settled_needs_volume_and_a_small_share_yesterday_or_over_the_week() {
        let g = gate(Settled::default());
        let settled = |yesterday, week| {
            g.observe(0, reads(yesterday, week));
            g.verdict(0).is_some_and(|v| v.settled)
        };
        let unsettled_week = (7_000, 7_000);
        assert!(settled((1_000, 20), unsettled_week));
        assert!(!settled((1_000, 21), unsettled_week));
        // Exact, not rounded to a basis point: 201 of 10,001 is 2.0098 %.
        assert!(!settled((10_001, 201), unsettled_week));
        assert!(!settled((199, 0), unsettled_week));
        assert!(settled((200, 0), unsettled_week));
        assert!(!settled((0, 0), unsettled_week));
        // Counts far beyond any day's still judge exactly.
        assert!(settled((u64::MAX / 100, u64::MAX / 5_000), unsettled_week));
        // A bad day within a settled week stays settled; a bad week does not.
        assert!(settled((1_000, 300), (7_000, 140)));
        assert!(!settled((1_000, 300), (7_000, 141)));
        // An incomplete read changes nothing.
        g.observe(86_400_000, Reads::default());
        assert!(g.verdict(86_400_000).is_none());
    }

    #[test]
    fn off_means_no_verdict_and_no_reads() {
        let g = gate(Settled {
            enabled: false,
            ..Settled::default()
        });
        assert!(!g.stale(0));
        g.observe(0, reads((1_000, 0), (7_000, 0)));
        assert!(g.verdict(0).is_none());
    }
}
