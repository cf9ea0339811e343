//! Live pumping signals: distinct numbers per client, and destination
//! country spikes against the country's own baseline.

use std::time::Duration;

use super::{Detector, Events, Findings, Reading, Scene};
use crate::facts::Facts;
use crate::keys::KeyHasher;
use crate::policy::{Dimension, Live, Policy};
use crate::store::{Op, OpResult, StoreKey};
use crate::{Event, EventKind, EventType, Outcome, Reason, ReasonCode};

const HOUR: Duration = Duration::from_secs(3600);

/// Which live counter a result belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Counter {
    Numbers,
    Hour,
    Baseline,
}

/// The live counts read for one send.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LiveCounts {
    numbers: Option<u64>,
    hour: Option<u64>,
    baseline_count: Option<u64>,
}

impl LiveCounts {
    fn set(&mut self, counter: Counter, count: u64) {
        match counter {
            Counter::Numbers => self.numbers = Some(count),
            Counter::Hour => self.hour = Some(count),
            Counter::Baseline => self.baseline_count = Some(count),
        }
    }
}

/// Live-signal settings and seeds, compiled.
#[derive(Debug)]
pub(crate) struct CompiledLive {
    settings: Live,
    numbers_seed: u64,
    hour_seed: u64,
    baseline_seed: u64,
    baseline: Duration,
}

impl Detector for CompiledLive {
    type Step = Counter;
    type Tally = LiveCounts;

    fn compile(policy: &Policy, keys: &KeyHasher) -> CompiledLive {
        CompiledLive {
            settings: policy.otp.live,
            numbers_seed: keys.rule_seed("otp.live.numbers"),
            hour_seed: keys.rule_seed("otp.live.country.hour"),
            baseline_seed: keys.rule_seed("otp.live.country.baseline"),
            baseline: Duration::from_secs(u64::from(policy.otp.live.spike_baseline_hours) * 3600),
        }
    }

    fn events(&self) -> Events {
        let on = self.settings.numbers_points > 0 || self.settings.spike_points > 0;
        Events::of(&[EventType::OtpSend]).when(on)
    }

    fn plan(&self, scene: &Scene<'_>, push: &mut impl FnMut(Counter, Op)) {
        for (counter, op) in self.read_ops(scene.keys, scene.event, scene.facts, scene.opts()) {
            push(counter, op);
        }
    }

    fn read(&self, counter: Counter, result: &OpResult, counts: &mut LiveCounts, _: &Reading<'_>, _: &mut Findings) -> bool {
        let OpResult::Count(count) = result else {
            return false;
        };
        counts.set(counter, *count);
        true
    }

    fn finish(&self, counts: LiveCounts, _: &Reading<'_>, out: &mut Findings) {
        self.reasons(&counts, &mut out.reasons);
    }

    fn record(&self, scene: &Scene<'_>, outcome: &Outcome, push: &mut impl FnMut(Op)) {
        self.record_ops(scene.keys, scene.event, scene.facts, outcome.is_failure())
            .for_each(push);
    }
}

impl CompiledLive {
    fn country_keys(&self, keys: &KeyHasher, facts: &Facts) -> Option<(StoreKey, StoreKey)> {
        let info = facts.phone?;
        let hash = |seed| match info.country {
            Some(c) => keys.hash_of(seed, c.as_str()),
            None => keys.hash_of(seed, info.calling_code),
        };
        Some((StoreKey(hash(self.hour_seed)), StoreKey(hash(self.baseline_seed))))
    }

    /// The reads (and the distinct-number sighting) of an OTP send.
    fn read_ops(
        &self,
        keys: &KeyHasher,
        event: &Event,
        facts: &Facts,
        opts: &crate::policy::KeyOptions,
    ) -> impl Iterator<Item = (Counter, Op)> {
        let send = matches!(event.kind, EventKind::OtpSend { .. });
        let phone = event.phone.as_ref().filter(|_| send);
        let numbers = phone.filter(|_| self.settings.numbers_points > 0).and_then(|phone| {
            let client = keys.key(
                self.numbers_seed,
                &[Dimension::Ip, Dimension::UserAgent],
                event,
                facts,
                opts,
            )?;
            let op = Op::DistinctAdd {
                key: StoreKey(keys.hash_of(client.0, &event.user)),
                window: Duration::from_secs(u64::from(self.settings.numbers_window_minutes) * 60),
                member: keys.hash_of(self.numbers_seed, phone),
            };
            Some((Counter::Numbers, op))
        });
        let baseline = self.baseline;
        let spike = phone
            .filter(|_| self.settings.spike_points > 0)
            .and_then(|_| self.country_keys(keys, facts))
            .map(|(hour, base)| {
                [
                    (
                        Counter::Hour,
                        Op::WindowAdd {
                            key: hour,
                            window: HOUR,
                            amount: 0,
                        },
                    ),
                    (
                        Counter::Baseline,
                        Op::WindowAdd {
                            key: base,
                            window: baseline,
                            amount: 0,
                        },
                    ),
                ]
            });
        numbers.into_iter().chain(spike.into_iter().flatten())
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
        let counted = self.country_keys(keys, facts).filter(|_| sent);
        let baseline = self.baseline;
        counted.into_iter().flat_map(move |(hour, base)| {
            [
                Op::WindowAdd {
                    key: hour,
                    window: HOUR,
                    amount: 1,
                },
                Op::WindowAdd {
                    key: base,
                    window: baseline,
                    amount: 1,
                },
            ]
        })
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
