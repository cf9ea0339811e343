//! Live pumping signals: distinct numbers per client, and destination
//! country spikes against the country's own baseline.
//!
//! Live pumping signals (`[otp.live]`): many numbers from one client, and
//! a destination country spiking above its own baseline.
//!
//! ```
//! use tollgate::policy::Policy;
//!
//! let policy = Policy::from_toml("[otp.live]\nmax_numbers = 10\nspike_factor = 8")?;
//! assert_eq!(policy.otp.live.numbers_window_minutes, 60);
//! let err = Policy::from_toml("[otp.live]\nspike_factor = 1").unwrap_err();
//! assert_eq!(err.field(), Some("otp.live.spike_factor"));
//! # Ok::<(), tollgate::policy::PolicyError>(())
//! ```

use std::time::Duration;
use super::{Detector, Events, Findings, Reading, Scene};
use crate::facts::Facts;
use crate::keys::{EventKeys, KeyHasher};
use crate::policy::{Dimension, Policy};
use crate::store::{Lane, Op, OpResult, StoreKey};
use crate::{Event, EventKind, EventType, Outcome, Reason, ReasonCode};
use crate::policy::PolicyError;

/// Settings of the live signals on OTP sends.
///
/// **Many numbers**: the distinct numbers one client (user, IP and user
/// agent together; the IP and user agent alone for sends without a user)
/// asked codes for within `numbers_window_minutes`. Above `max_numbers`
/// the send scores `numbers_points` (`otp.many_numbers`).
///
/// **Country spike**: codes recorded as sent to the destination country in
/// the last hour against the country's hourly average over the last
/// `spike_baseline_hours`. At least `spike_min_sends` in the hour and more
/// than `spike_factor` times the average score `spike_points`
/// (`otp.country_spike`). Until a full baseline period has been recorded
/// the average is underestimated, so busy hours look like spikes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Live {
    /// Distinct numbers one client may ask codes for in the window (default 5).
    pub max_numbers: u32,
    /// The window, in minutes (default 60).
    pub numbers_window_minutes: u32,
    /// Points above `max_numbers` (default 40; 0 turns it off).
    pub numbers_points: u8,
    /// How many times the baseline's hourly average makes a spike (default 5).
    pub spike_factor: u32,
    /// Length of the baseline, in hours (default 24; 2 to 720).
    pub spike_baseline_hours: u32,
    /// Sends in the hour below which no spike is reported (default 20).
    pub spike_min_sends: u32,
    /// Points for a spike (default 20; 0 turns it off).
    pub spike_points: u8,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            max_numbers: 5,
            numbers_window_minutes: 60,
            numbers_points: 40,
            spike_factor: 5,
            spike_baseline_hours: 24,
            spike_min_sends: 20,
            spike_points: 20,
        }
    }
}

fn validate(l: &Live) -> Result<(), PolicyError> {
    let field = |f: &str| format!("otp.live.{f}");
    if !(1..=1000).contains(&l.max_numbers) {
        return Err(PolicyError::invalid(field("max_numbers"), "must be 1 to 1000"));
    }
    if !(1..=1440).contains(&l.numbers_window_minutes) {
        return Err(PolicyError::invalid(
            field("numbers_window_minutes"),
            "must be 1 to 1440",
        ));
    }
    if l.numbers_points > 100 || l.spike_points > 100 {
        let f = if l.numbers_points > 100 {
            "numbers_points"
        } else {
            "spike_points"
        };
        return Err(PolicyError::invalid(field(f), "must be 0 to 100"));
    }
    if !(2..=720).contains(&l.spike_baseline_hours) {
        return Err(PolicyError::invalid(field("spike_baseline_hours"), "must be 2 to 720"));
    }
    if !(2..=l.spike_baseline_hours).contains(&l.spike_factor) {
        return Err(PolicyError::invalid(
            field("spike_factor"),
            "must be 2 to spike_baseline_hours",
        ));
    }
    if l.spike_min_sends == 0 {
        return Err(PolicyError::invalid(field("spike_min_sends"), "must be at least 1"));
    }
    Ok(())
}

const HOUR: Duration = Duration::from_secs(3600);

/// Which live counter a result belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Counter {
    Numbers,
    /// The country's last hour and baseline, one window pair.
    Country,
}

/// The live counts read for one send.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LiveCounts {
    numbers: Option<u64>,
    hour: Option<u64>,
    baseline_count: Option<u64>,
}

/// Live-signal settings and seeds, compiled.
#[derive(Debug)]
pub(crate) struct CompiledLive {
    settings: Live,
    numbers_seed: u64,
    country_seed: u64,
    baseline: Duration,
}

impl Detector for CompiledLive {
    type Step = Counter;
    type Tally = LiveCounts;

    fn validate(policy: &Policy) -> Result<(), PolicyError> {
        validate(&policy.otp.live)
    }

    fn compile(policy: &Policy, keys: &KeyHasher) -> CompiledLive {
        CompiledLive {
            settings: policy.otp.live,
            numbers_seed: keys.rule_seed("otp.live.numbers"),
            country_seed: keys.rule_seed("otp.live.country"),
            baseline: Duration::from_secs(u64::from(policy.otp.live.spike_baseline_hours) * 3600),
        }
    }

    fn events(&self) -> Events {
        let on = self.settings.numbers_points > 0 || self.settings.spike_points > 0;
        Events::of(&[EventType::OtpSend]).when(on)
    }

    fn plan(&self, scene: &Scene<'_>, push: &mut impl FnMut(Counter, Op)) {
        for (counter, op) in self.read_ops(&scene.keys, scene.event, scene.facts) {
            push(counter, op);
        }
    }

    fn read(&self, counter: Counter, result: &OpResult, counts: &mut LiveCounts, _: &Reading<'_>, _: &mut Findings) -> bool {
        match (counter, result) {
            (Counter::Numbers, OpResult::Count(n)) => counts.numbers = Some(*n),
            (Counter::Country, OpResult::Counts([hour, base])) => {
                counts.hour = Some(*hour);
                counts.baseline_count = Some(*base);
            }
            _ => return false,
        }
        true
    }

    fn finish(&self, counts: LiveCounts, _: &Reading<'_>, out: &mut Findings) {
        self.reasons(&counts, &mut out.reasons);
    }

    fn record(&self, scene: &Scene<'_>, outcome: &Outcome, push: &mut impl FnMut(Op)) {
        self.record_ops(&scene.keys, scene.event, scene.facts, outcome.is_failure())
            .for_each(push);
    }
}

impl CompiledLive {
    /// The destination country's pair: its last hour and its baseline.
    fn country(&self, keys: &KeyHasher, facts: &Facts, amount: u32) -> Option<Op> {
        let info = facts.phone?;
        let key = match info.country {
            Some(c) => keys.hash_of(self.country_seed, c.as_str()),
            None => keys.hash_of(self.country_seed, info.calling_code),
        };
        let lanes = [HOUR, self.baseline].map(|window| Lane { window, amount });
        Some(Op::WindowPair { key: StoreKey(key), lanes })
    }

    /// The reads (and the distinct-number sighting) of an OTP send.
    fn read_ops(&self, keys: &EventKeys<'_>, event: &Event, facts: &Facts) -> impl Iterator<Item = (Counter, Op)> {
        let send = matches!(event.kind, EventKind::OtpSend { .. });
        let phone = event.phone.as_ref().filter(|_| send);
        let numbers = phone.filter(|_| self.settings.numbers_points > 0).and_then(|phone| {
            let client = keys.key(self.numbers_seed, &[Dimension::Ip, Dimension::UserAgent])?;
            let op = Op::DistinctAdd {
                key: StoreKey(keys.hash_of(client.0, &event.user)),
                window: Duration::from_secs(u64::from(self.settings.numbers_window_minutes) * 60),
                member: keys.hash_of(self.numbers_seed, phone),
            };
            Some((Counter::Numbers, op))
        });
        let spike = phone
            .filter(|_| self.settings.spike_points > 0)
            .and_then(|_| self.country(keys, facts, 0))
            .map(|op| (Counter::Country, op));
        numbers.into_iter().chain(spike)
    }

    /// A send recorded as sent counts toward its country's hour and baseline.
    fn record_ops(
        &self,
        keys: &KeyHasher,
        event: &Event,
        facts: &Facts,
        failed: bool,
    ) -> impl Iterator<Item = Op> {
        let sent = matches!(event.kind, EventKind::OtpSend { .. }) && !failed && self.settings.spike_points > 0;
        self.country(keys, facts, 1).filter(|_| sent).into_iter()
    }

    fn reasons(&self, counts: &LiveCounts, out: &mut Vec<Reason>) {
        let s = &self.settings;
        if let Some(numbers) = counts.numbers.filter(|n| *n > u64::from(s.max_numbers)) {
            let detail = format!(
                "{numbers} distinct numbers from this client in {} min",
                s.numbers_window_minutes
            );
            let mut r = Reason::new(ReasonCode::OtpManyNumbers, detail);
            r.points = s.numbers_points;
            out.push(r);
        }
        if let (Some(hour), Some(base)) = (counts.hour, counts.baseline_count) {
            let baseline_secs = u64::from(s.spike_baseline_hours) * 3600;
            let spiking = super::spike::above(hour, HOUR.as_secs(), base, baseline_secs, s.spike_factor);
            if hour >= u64::from(s.spike_min_sends) && spiking {
                let detail = format!(
                    "{hour} codes to this country in the last hour, {base} in the last {}h",
                    s.spike_baseline_hours
                );
                let mut r = Reason::new(ReasonCode::OtpCountrySpike, detail);
                r.points = s.spike_points;
                out.push(r);
            }
        }
    }
}
