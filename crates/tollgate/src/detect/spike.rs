//! Event-rate spikes: a short sliding window against a long one, per event
//! type, type and country, type and ASN; charged on evaluation. See
//! `docs/spike.md`.
//!
//! ```
//! use tollgate::policy::{Policy, SpikeLevel};
//! use tollgate::{Engine, Event, EventKind, Timestamp};
//!
//! let mut policy = Policy::default();
//! policy.spike.warmup_hours = 1;
//! policy.spike.kind = SpikeLevel::new(20, 10);
//! let engine = Engine::new(policy)?;
//! // A quiet day: one login every ten minutes.
//! for minute in (0..24 * 60).step_by(10) {
//!     engine.evaluate(&Event::new(EventKind::Login, Timestamp::from_unix_millis(minute * 60_000)));
//! }
//! // Then 30 in one minute.
//! let burst = Event::new(EventKind::Login, Timestamp::from_unix_millis(24 * 3_600_000));
//! let last = (0..30).map(|_| engine.evaluate(&burst)).last().unwrap();
//! assert_eq!(last.reasons[0].code.as_str(), "spike.event_rate");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Event-rate spikes (`[spike]`): the rate of one event type, overall and
//! per client country and per network (ASN), against its own baseline.
//!
//! ```
//! use tollgate::policy::Policy;
//!
//! let policy = Policy::from_toml("[spike]\nfactor = 8\ncountry = { min_events = 30, points = 20 }")?;
//! assert_eq!(policy.spike.country.min_events, 30);
//! assert_eq!(policy.spike.asn.points, 10);
//! let err = Policy::from_toml("[spike]\nwindow_secs = 3600\nbaseline_hours = 4\nwarmup_hours = 1").unwrap_err();
//! assert_eq!(err.field(), Some("spike.factor"));
//! # Ok::<(), tollgate::policy::PolicyError>(())
//! ```

use std::sync::Arc;
use std::time::Duration;
use super::{Detector, Events, Findings, Reading, Scene};
use crate::facts::Facts;
use crate::keys::{EventKeys, KeyHasher};
use crate::policy::{Dimension, Policy};
use crate::store::{Lane, Op, OpResult, StoreKey};
use crate::{EventType, Reason, ReasonCode, Timestamp};
use crate::policy::PolicyError;

/// Spike detection on event rates. See `docs/spike.md`.
///
/// Every evaluated event of a type in `events` counts (attempts, not
/// recorded outcomes: a spike of attack traffic is a spike of attempts,
/// refused ones included) in a short window of `window_secs` and in a
/// baseline of `baseline_hours`, once for its type, once for its type and
/// client country, once for its type and ASN. A level fires
/// `spike.event_rate` when the short window holds at least its
/// `min_events` and its rate is more than `factor` times the baseline's.
/// Nothing fires until the type's baseline has seen events in at least
/// `warmup_hours` distinct hours, so a fresh store (a restart of an
/// in-process one) does not take its first busy minutes for a spike.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Spike {
    /// Event types watched (default login, sign-up and OTP send; empty
    /// turns spike detection off).
    pub events: Vec<EventType>,
    /// The short window, in seconds (default 600; 60 to 3600).
    pub window_secs: u32,
    /// The baseline's sliding window, in hours (default 24; 1 to 720).
    pub baseline_hours: u32,
    /// Distinct hours with events the baseline needs before spikes are
    /// reported (default 6; 0 to 64 and at most `baseline_hours`).
    pub warmup_hours: u32,
    /// How many times the baseline's rate makes a spike (default 5; at
    /// least 2, and below the baseline's length in short windows, since the
    /// baseline includes the short window).
    pub factor: u32,
    /// Per event type (default 200 events, 10 points).
    pub kind: SpikeLevel,
    /// Per event type and client country (default 50 events, 10 points).
    pub country: SpikeLevel,
    /// Per event type and network (default 50 events, 10 points).
    pub asn: SpikeLevel,
    /// Report without enforcing.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "std::ops::Not::not"))]
    pub monitor: bool,
}

/// One level of spike detection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct SpikeLevel {
    /// Events in the short window below which nothing is a spike (at
    /// least 1): keeps quiet services from alarming on a handful.
    pub min_events: u32,
    /// Points of a spike (0 turns the level off and saves its counters).
    pub points: u8,
}

impl SpikeLevel {
    /// A level firing from `min_events` with `points`.
    pub fn new(min_events: u32, points: u8) -> Self {
        SpikeLevel { min_events, points }
    }
}

impl Default for Spike {
    fn default() -> Self {
        Spike {
            events: vec![EventType::Login, EventType::Signup, EventType::OtpSend],
            window_secs: 600,
            baseline_hours: 24,
            warmup_hours: 6,
            factor: 5,
            kind: SpikeLevel::new(200, 10),
            country: SpikeLevel::new(50, 10),
            asn: SpikeLevel::new(50, 10),
            monitor: false,
        }
    }
}

fn validate(s: &Spike) -> Result<(), PolicyError> {
    let field = |f: &str| format!("spike.{f}");
    if s.events
        .iter()
        .enumerate()
        .any(|(i, e)| s.events.iter().skip(i + 1).any(|o| o == e))
    {
        return Err(PolicyError::invalid(field("events"), "lists an event type twice"));
    }
    if !(60..=3600).contains(&s.window_secs) {
        return Err(PolicyError::invalid(field("window_secs"), "must be 60 to 3600"));
    }
    if !(1..=720).contains(&s.baseline_hours) {
        return Err(PolicyError::invalid(field("baseline_hours"), "must be 1 to 720"));
    }
    if s.warmup_hours > 64 || s.warmup_hours > s.baseline_hours {
        return Err(PolicyError::invalid(
            field("warmup_hours"),
            "must be 0 to 64 and at most baseline_hours",
        ));
    }
    let windows = u64::from(s.baseline_hours) * 3600 / u64::from(s.window_secs);
    if s.factor < 2 || u64::from(s.factor) >= windows {
        return Err(PolicyError::invalid(
            field("factor"),
            "must be at least 2 and below baseline_hours * 3600 / window_secs",
        ));
    }
    for (name, level) in [("kind", s.kind), ("country", s.country), ("asn", s.asn)] {
        if level.min_events == 0 {
            return Err(PolicyError::invalid(
                field(&format!("{name}.min_events")),
                "must be at least 1",
            ));
        }
        if level.points > 100 {
            return Err(PolicyError::invalid(
                field(&format!("{name}.points")),
                "must be 0 to 100",
            ));
        }
    }
    Ok(())
}

const HOUR_NANOS: u64 = 3_600_000_000_000;

/// What a spike op counts.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Counter {
    /// Distinct hours with events in the type's baseline.
    Coverage,
    /// A level's short window and baseline, one pair.
    Level(Level),
}

/// The three levels, in the order of [`Tally`]'s arrays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    Kind = 0,
    Country = 1,
    Asn = 2,
}

/// The counts read for one event.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Tally {
    coverage: Option<u64>,
    short: [Option<u64>; 3],
    baseline: [Option<u64>; 3],
}

impl Tally {
    /// Takes `result` for `counter`; `false` when it does not fit.
    fn set(&mut self, counter: Counter, result: &OpResult) -> bool {
        match (counter, *result) {
            (Counter::Coverage, OpResult::Count(hours)) => self.coverage = Some(hours),
            (Counter::Level(l), OpResult::Counts([short, baseline])) => {
                let i = l as usize;
                if let (Some(s), Some(b)) = (self.short.get_mut(i), self.baseline.get_mut(i)) {
                    (*s, *b) = (Some(short), Some(baseline));
                }
            }
            _ => return false,
        }
        true
    }
}

/// Spike settings and seeds, compiled.
#[derive(Debug)]
pub(crate) struct CompiledSpike {
    settings: Spike,
    events: Events,
    window: Duration,
    baseline: Duration,
    coverage_seed: u64,
    /// The event-type level's value, per [`EventType`] (its discriminant).
    kind_values: [u64; EventType::ALL.len()],
    /// Seed of each level's pair (short window, baseline).
    seeds: [u64; 3],
    rules: [Arc<str>; 3],
}

impl Detector for CompiledSpike {
    type Step = Counter;
    type Tally = Tally;

    fn validate(policy: &Policy) -> Result<(), PolicyError> {
        validate(&policy.spike)
    }

    fn compile(policy: &Policy, keys: &KeyHasher) -> Self {
        let spike = &policy.spike;
        let seeds = ["kind", "country", "asn"].map(|l| keys.rule_seed(&format!("spike.{l}.rates")));
        CompiledSpike {
            events: Events::of(&spike.events),
            window: Duration::from_secs(u64::from(spike.window_secs)),
            baseline: Duration::from_secs(u64::from(spike.baseline_hours) * 3600),
            coverage_seed: keys.rule_seed("spike.coverage"),
            kind_values: EventType::ALL.map(|t| keys.hash_of(0, t)),
            seeds,
            rules: ["spike.kind", "spike.country", "spike.asn"].map(Arc::from),
            settings: spike.clone(),
        }
    }

    fn events(&self) -> Events {
        self.events
    }

    fn plan(&self, scene: &Scene<'_>, push: &mut impl FnMut(Counter, Op)) {
        let event = scene.event;
        for (counter, op) in self.ops(&scene.keys, event.kind.event_type(), event.at) {
            push(counter, op);
        }
    }

    fn read(&self, counter: Counter, result: &OpResult, tally: &mut Tally, _: &Reading<'_>, _: &mut Findings) -> bool {
        tally.set(counter, result)
    }

    fn finish(&self, tally: Tally, reading: &Reading<'_>, out: &mut Findings) {
        self.reasons(reading.event_type, reading.facts, &tally, &mut out.reasons);
    }
}

impl CompiledSpike {
    fn level(&self, level: Level) -> SpikeLevel {
        let s = &self.settings;
        match level {
            Level::Kind => s.kind,
            Level::Country => s.country,
            Level::Asn => s.asn,
        }
    }

    /// The counters an evaluated event charges: +1 on both windows of each
    /// level's pair (short, baseline), and its hour on the type's coverage.
    fn ops<'a>(
        &'a self,
        keys: &EventKeys<'_>,
        event_type: EventType,
        at: Timestamp,
    ) -> impl Iterator<Item = (Counter, Op)> + 'a {
        let watched = self.events.contains(event_type);
        let kind = self.kind_values.get(event_type as usize).copied();
        let per_kind = |dim| kind.and_then(|kind| keys.of(kind, dim));
        let values = [kind, per_kind(Dimension::Country), per_kind(Dimension::Asn)];
        let lanes = [self.window, self.baseline].map(|window| Lane { window, amount: 1 });
        let baseline = self.baseline;
        let levels = [Level::Kind, Level::Country, Level::Asn]
            .into_iter()
            .zip(values)
            .zip(self.seeds)
            .filter_map(move |((level, value), seed)| {
                let on = watched && self.level(level).points > 0;
                let key = StoreKey(KeyHasher::derive(seed, value.filter(|_| on)?));
                Some((Counter::Level(level), Op::WindowPair { key, lanes }))
            });
        let hour = at.as_unix_nanos() / HOUR_NANOS;
        let coverage = kind.filter(|_| watched && self.settings.warmup_hours > 0).map(|kind| {
            let op = Op::DistinctAdd {
                key: StoreKey(KeyHasher::derive(self.coverage_seed, kind)),
                window: baseline,
                member: KeyHasher::derive(self.coverage_seed, hour),
            };
            (Counter::Coverage, op)
        });
        levels.chain(coverage)
    }

    /// The spike reasons of the counts read.
    fn reasons(&self, event_type: EventType, facts: &Facts, tally: &Tally, out: &mut Vec<Reason>) {
        let s = &self.settings;
        if s.warmup_hours > 0 && tally.coverage.is_none_or(|hours| hours < u64::from(s.warmup_hours)) {
            return;
        }
        let levels = [Level::Kind, Level::Country, Level::Asn];
        for ((level, short), baseline) in levels.into_iter().zip(tally.short).zip(tally.baseline) {
            let (Some(short), Some(baseline)) = (short, baseline) else {
                continue;
            };
            let spec = self.level(level);
            let baseline_secs = u64::from(s.baseline_hours) * 3600;
            if short < u64::from(spec.min_events)
                || !above(short, u64::from(s.window_secs), baseline, baseline_secs, s.factor)
            {
                continue;
            }
            let scope = match level {
                Level::Kind => String::new(),
                Level::Country => facts.country.map(|c| format!(" from country {c}")).unwrap_or_default(),
                Level::Asn => facts.asn.map(|a| format!(" from network {a}")).unwrap_or_default(),
            };
            let detail = format!(
                "{short} {event_type} events{scope} in {} s, {baseline} in {} h",
                s.window_secs, s.baseline_hours
            );
            let mut r = Reason::new(ReasonCode::SpikeEventRate, detail);
            r.points = spec.points;
            r.monitor = s.monitor;
            r.rule = self.rules.get(level as usize).cloned();
            out.push(r);
        }
    }
}

/// Whether `current` events in `current_secs` are a rate more than `factor`
/// times that of `baseline` events in `baseline_secs`, in integers.
pub(super) fn above(current: u64, current_secs: u64, baseline: u64, baseline_secs: u64, factor: u32) -> bool {
    u128::from(current) * u128::from(baseline_secs)
        > u128::from(factor) * u128::from(baseline) * u128::from(current_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn above_compares_rates_not_counts() {
        // 60 in 10 min against 1440 in a day (10 per 10 min): 6 times.
        assert!(above(60, 600, 1440, 86_400, 5));
        assert!(!above(60, 600, 1440, 86_400, 6));
        assert!(!above(0, 600, 0, 86_400, 2));
        assert!(above(1, 600, 0, 86_400, 2));
        assert!(!above(u64::MAX, 1, u64::MAX, 1, 2));
    }
}
