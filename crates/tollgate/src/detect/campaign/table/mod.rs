//! What one instance read of each scope's counts, and the baselines it
//! follows: a fixed two-way set-associative table of atomics, so reading it
//! on every login takes no lock and no allocation.
//!
//! Races between threads refreshing one scope at once lose an update of a
//! moving average at worst; the next refresh corrects it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

use super::Campaign;
use super::answers;
use crate::policy::MatchAction;
use crate::keys::encode::{KeyPart, KeySink};
use crate::status::{AttackModeScope, CampaignScope};
use crate::{Asn, Country};

/// Where a campaign is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Scope {
    Site,
    Country(Country),
    Asn(Asn),
}

impl Scope {
    /// A non-zero tag naming the scope in the table.
    fn tag(self) -> u64 {
        match self {
            Scope::Site => 1,
            Scope::Country(c) => {
                let [a, b] = c.as_str().as_bytes() else { return 2 << 32 };
                2 << 32 | u64::from(*a) << 8 | u64::from(*b)
            }
            Scope::Asn(a) => 3 << 32 | u64::from(a.0),
        }
    }

    /// The scope a non-zero tag names.
    fn from_tag(tag: u64) -> Option<Scope> {
        let low = tag & u64::from(u32::MAX);
        match tag >> 32 {
            0 if tag == 1 => Some(Scope::Site),
            2 => {
                let code = [(low >> 8) as u8, low as u8];
                std::str::from_utf8(&code).ok()?.parse().ok().map(Scope::Country)
            }
            3 => Some(Scope::Asn(Asn(u32::try_from(low).ok()?))),
            _ => None,
        }
    }
}

impl From<Scope> for CampaignScope {
    fn from(scope: Scope) -> CampaignScope {
        match scope {
            Scope::Site => CampaignScope::Site,
            Scope::Country(c) => CampaignScope::Country(c),
            Scope::Asn(a) => CampaignScope::Network(a),
        }
    }
}

impl KeyPart for Scope {
    fn encode<K: KeySink>(&self, out: &mut K) {
        match self {
            Scope::Site => 0u8.encode(out),
            Scope::Country(c) => (1u8, c).encode(out),
            Scope::Asn(a) => (2u8, a).encode(out),
        }
    }
}

/// One read of a scope's short-window counts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Observed {
    pub(crate) attempts: u64,
    pub(crate) failures: u64,
    pub(crate) unknown: u64,
    /// The scope's step-ups issued and answered in the window, all
    /// instances together (see `answers.rs`); `None` when not read.
    pub(crate) answers: Option<[u64; 2]>,
    /// The baseline the fleet shares through the store, when this
    /// instance had none and read it ([`Table::baseline`]).
    pub(crate) shared: Option<u128>,
}

#[derive(Debug, Default)]
struct Slot {
    tag: AtomicU64,
    /// Event time (ms, at least 1) of the last read; 0: never.
    refreshed: AtomicU64,
    /// Event time of the first read with enough attempts; 0: none yet.
    since: AtomicU64,
    /// Reads the baseline has averaged while warming up.
    learned: AtomicU64,
    /// Baseline shares, as `f64` bits.
    base_failure: AtomicU64,
    base_unknown: AtomicU64,
    /// The last read's shares, as `f64` bits, once a read had enough
    /// attempts to judge (`judged`).
    failure: AtomicU64,
    unknown: AtomicU64,
    judged: AtomicBool,
    on: AtomicBool,
    /// Step-ups this instance issued on logins of the scope, and recorded
    /// logins it saw pass one, since it last added them to the store's
    /// counts (see `answers.rs`).
    stepped: AtomicU64,
    answered: AtomicU64,
}

fn load(a: &AtomicU64) -> f64 {
    f64::from_bits(a.load(Relaxed))
}

fn store(a: &AtomicU64, v: f64) {
    a.store(v.to_bits(), Relaxed);
}

/// Sets of two slots; 1,024 of them hold the site, every country and the
/// few hundred networks a service sees logins from without evicting each
/// other.
const SETS: usize = 1024;
/// The least baseline share the significance test assumes: a site whose
/// users never mistype still varies a little, and a zero share would make
/// any single unknown username infinitely significant.
const MIN_BASE_SHARE: f64 = 0.002;
/// Standard deviations above its baseline from which a share learns slowly.
const SUSPECT_Z: f64 = 2.0;

/// Whether `slot`'s baseline is past its warm-up of `warmup` ms at `now`.
fn warm(slot: &Slot, now: u64, warmup: u64) -> bool {
    let since = slot.since.load(Relaxed);
    since != 0 && now.saturating_sub(since) >= warmup
}

/// The failure and unknown-username baseline shares of a shared
/// baseline, if both are shares.
fn unpack(value: u128) -> Option<[f64; 2]> {
    let share = |bits: u128| Some(f64::from_bits(u64::try_from(bits).ok()?)).filter(|v| (0.0..=1.0).contains(v));
    Some([share(value >> 64)?, share(value & u128::from(u64::MAX))?])
}

/// How far `count` of `n` attempts lies above what the baseline share
/// predicts, in binomial standard deviations.
fn excess(count: u64, n: f64, base: f64) -> f64 {
    crate::detect::binomial::excess(count, n, base, MIN_BASE_SHARE)
}

#[derive(Debug)]
pub(crate) struct Table {
    sets: Box<[[Slot; 2]]>,
    /// The host records outcomes with their decisions (see `answers.rs`).
    reports_decisions: AtomicBool,
}

impl Table {
    pub(crate) fn new() -> Table {
        Table {
            sets: (0..SETS).map(|_| Default::default()).collect(),
            reports_decisions: AtomicBool::new(false),
        }
    }

    fn set(&self, tag: u64) -> Option<&[Slot; 2]> {
        self.sets.get((tag.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 54) as usize % SETS)
    }

    fn find(&self, scope: Scope) -> Option<&Slot> {
        let tag = scope.tag();
        self.set(tag)?.iter().find(|s| s.tag.load(Relaxed) == tag)
    }

    /// Whether `scope` was not read in the last `refresh_ms`.
    pub(crate) fn stale(&self, scope: Scope, now: u64, refresh_ms: u64) -> bool {
        self.find(scope).is_none_or(|s| {
            let at = s.refreshed.load(Relaxed);
            at == 0 || now.saturating_sub(at) >= refresh_ms
        })
    }

    /// Takes a read of `scope`'s counts at `now`: decides whether a
    /// campaign is on, and moves the baseline towards the read when not.
    pub(crate) fn observe(&self, scope: Scope, now: u64, seen: Observed, s: &Campaign) {
        let Some(slot) = self.find(scope).or_else(|| self.claim(scope)) else {
            return;
        };
        let last = slot.refreshed.swap(now.max(1), Relaxed);
        let warmup = u64::from(s.warmup_hours) * 3_600_000;
        // Read only while this instance is not warm ([`Table::baseline`]):
        // the fleet's baseline is past its warm-up, so this one is too.
        if let Some([failure, unknown]) = seen.shared.and_then(unpack) {
            slot.since.store(now.saturating_sub(warmup).max(1), Relaxed);
            slot.learned.store(1, Relaxed);
            store(&slot.base_failure, failure);
            store(&slot.base_unknown, unknown);
        }
        let held = self.held(slot, seen.answers, s);
        if seen.attempts < u64::from(s.min_attempts) || seen.attempts == 0 {
            // Too few to judge, and too few to learn from.
            slot.on.store(held, Relaxed);
            return;
        }
        let failure = seen.failures as f64 / seen.attempts as f64;
        let unknown = seen.unknown as f64 / seen.attempts as f64;
        store(&slot.failure, failure);
        store(&slot.unknown, unknown);
        slot.judged.store(true, Relaxed);
        if slot.since.load(Relaxed) == 0 {
            slot.since.store(now.max(1), Relaxed);
            slot.learned.store(1, Relaxed);
            store(&slot.base_failure, failure);
            store(&slot.base_unknown, unknown);
            slot.on.store(false, Relaxed);
            return;
        }
        let warm = warm(slot, now, warmup);
        let n = seen.attempts as f64;
        let shares = [
            (&slot.base_failure, failure, excess(seen.failures, n, load(&slot.base_failure)), s.failure_percent),
            (&slot.base_unknown, unknown, excess(seen.unknown, n, load(&slot.base_unknown)), s.unknown_percent),
        ];
        let high = |&(base, share, z, floor): &(&AtomicU64, f64, f64, u8)| {
            share * 100.0 >= f64::from(floor) && share >= f64::from(s.factor) * load(base) && z >= f64::from(s.significance)
        };
        let on = warm && (shares.iter().any(high) || held);
        slot.on.store(on, Relaxed);
        if !on {
            // An exponential moving average in event time: a read after
            // `dt` weighs dt / baseline, so the baseline's memory is
            // `baseline_hours` however often it is read. A share already
            // well above its baseline (a slow campaign below the bar) learns
            // at a tenth of that rate, so an attack cannot teach the
            // baseline that it is normal within the day, while a lasting
            // change of the site's own is still learnt, over days.
            //
            // While warming up, the baseline is the plain mean of the reads
            // so far: the first read alone (a quiet ten minutes in which
            // nobody mistyped a username) would otherwise set a baseline
            // near zero that slow learning then kept for days, and a new
            // deployment would call its own users' typos a campaign.
            let dt = now.saturating_sub(last) as f64;
            let alpha = (dt / (f64::from(s.baseline_hours) * 3_600_000.0)).min(1.0);
            let mean = if warm { 0.0 } else { 1.0 / (slot.learned.fetch_add(1, Relaxed) + 1) as f64 };
            for (base, share, z, _) in shares {
                let rate = match (warm, z >= SUSPECT_Z) {
                    (false, _) => mean,
                    (true, true) => alpha / 10.0,
                    (true, false) => alpha,
                };
                let b = load(base);
                store(base, b + rate * (share - b));
            }
        }
    }

    /// A baseline of the two shares as the store holds it.
    pub(crate) fn pack(failure: f64, unknown: f64) -> u128 {
        u128::from(failure.to_bits()) << 64 | u128::from(unknown.to_bits())
    }

    /// The baseline of `scope` to share through the store, once this
    /// instance's is past its warm-up; `None` while it has none to share
    /// (read the fleet's instead).
    pub(crate) fn baseline(&self, scope: Scope, now: u64, s: &Campaign) -> Option<u128> {
        let slot = self.find(scope)?;
        let warm = warm(slot, now, u64::from(s.warmup_hours) * 3_600_000);
        warm.then(|| Table::pack(load(&slot.base_failure), load(&slot.base_unknown)))
    }

    /// What makes `scope` a campaign now, if it is one (read within the
    /// last window).
    pub(crate) fn campaign(&self, scope: Scope, now: u64, s: &Campaign) -> Option<String> {
        let slot = self.find(scope)?;
        let fresh = now.saturating_sub(slot.refreshed.load(Relaxed)) < u64::from(s.window_secs) * 1000;
        if !(fresh && slot.on.load(Relaxed)) {
            return None;
        }
        let pct = |a: &AtomicU64| load(a) * 100.0;
        let place = match scope {
            Scope::Site => String::from("logins"),
            Scope::Country(c) => format!("logins from country {c}"),
            Scope::Asn(a) => format!("logins from network {a}"),
        };
        Some(format!(
            "{place}: {:.0} % failed (baseline {:.0} %), {:.0} % named no account (baseline {:.0} %) in {} s",
            pct(&slot.failure),
            pct(&slot.base_failure),
            pct(&slot.unknown),
            pct(&slot.base_unknown),
            s.window_secs
        ))
    }

    /// Whether a campaign on at `slot` stays on whatever its shares: its
    /// step-ups (challenges; a refusal cannot be answered) go unanswered.
    /// Needs a host that reports decisions with outcomes, or every step-up
    /// would look unanswered.
    fn held(&self, slot: &Slot, answers: Option<[u64; 2]>, s: &Campaign) -> bool {
        let Some([stepped, answered]) = answers else {
            return false;
        };
        slot.on.load(Relaxed)
            && s.action == MatchAction::Challenge
            && self.reports_decisions.load(Relaxed)
            && answers::unanswered(stepped, answered)
    }

    /// Counts a step-up attack mode issued on a login of `scope`.
    pub(crate) fn stepped_up(&self, scope: Scope) {
        if let Some(slot) = self.find(scope) {
            slot.stepped.fetch_add(1, Relaxed);
        }
    }

    /// Counts a recorded login of `scope` that passed a step-up.
    pub(crate) fn answered(&self, scope: Scope) {
        if let Some(slot) = self.find(scope) {
            slot.answered.fetch_add(1, Relaxed);
        }
    }

    /// Takes the step-ups issued and answered at `scope` since the last
    /// take, to add to the store's counts with the scope's next read.
    pub(crate) fn take_answers(&self, scope: Scope) -> [u32; 2] {
        let take = |a: &AtomicU64| u32::try_from(a.swap(0, Relaxed)).unwrap_or(u32::MAX);
        self.find(scope).map_or([0, 0], |slot| [take(&slot.stepped), take(&slot.answered)])
    }

    /// Notes that the host reports decisions with outcomes.
    pub(crate) fn decisions_reported(&self) {
        if !self.reports_decisions.load(Relaxed) {
            self.reports_decisions.store(true, Relaxed);
        }
    }

    /// Every scope this instance reads, as of `now`: the site, countries,
    /// then networks.
    pub(crate) fn status(&self, now: u64, s: &Campaign) -> Vec<AttackModeScope> {
        let warmup = u64::from(s.warmup_hours) * 3_600_000;
        let window = u64::from(s.window_secs) * 1000;
        let mut out: Vec<AttackModeScope> = self
            .sets
            .iter()
            .flatten()
            .filter_map(|slot| {
                let read = slot.refreshed.load(Relaxed);
                let scope = Scope::from_tag(slot.tag.load(Relaxed)).filter(|_| read != 0)?;
                let judged = slot.judged.load(Relaxed);
                let pct = |a: &AtomicU64| load(a) * 100.0;
                Some(AttackModeScope {
                    scope: scope.into(),
                    on: slot.on.load(Relaxed) && now.saturating_sub(read) < window,
                    warm: warm(slot, now, warmup),
                    read_at: crate::Timestamp::from_unix_millis(read),
                    failure_percent: judged.then(|| pct(&slot.failure)),
                    baseline_failure_percent: pct(&slot.base_failure),
                    unknown_percent: judged.then(|| pct(&slot.unknown)),
                    baseline_unknown_percent: pct(&slot.base_unknown),
                })
            })
            .collect();
        out.sort_by_key(|s| s.scope);
        out
    }

    /// A slot for `scope`: the set's empty one, or the one read least
    /// recently, reset.
    fn claim(&self, scope: Scope) -> Option<&Slot> {
        let tag = scope.tag();
        let [a, b] = self.set(tag)?;
        let slot = if a.refreshed.load(Relaxed) <= b.refreshed.load(Relaxed) { a } else { b };
        slot.tag.store(tag, Relaxed);
        slot.refreshed.store(0, Relaxed);
        slot.since.store(0, Relaxed);
        slot.learned.store(0, Relaxed);
        slot.on.store(false, Relaxed);
        slot.stepped.store(0, Relaxed);
        slot.answered.store(0, Relaxed);
        // The status reports these: none of the scope evicted may show as
        // this one's.
        slot.judged.store(false, Relaxed);
        for share in [&slot.failure, &slot.unknown, &slot.base_failure, &slot.base_unknown] {
            store(share, 0.0);
        }
        Some(slot)
    }
}

#[cfg(test)]
mod tests;
