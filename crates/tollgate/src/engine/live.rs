//! Live pumping signals: distinct numbers per client, and destination
//! country spikes against the country's weekly baseline.

use std::time::Duration;

use super::facts::Facts;
use crate::limiter::key::KeyHasher;
use crate::policy::{Dimension, Live, Policy};
use crate::store::{Op, StoreKey};
use crate::{Event, EventKind, Reason, ReasonCode};

const HOUR: Duration = Duration::from_secs(3600);
const WEEK: Duration = Duration::from_secs(7 * 86_400);
/// Hours in the baseline window.
const WEEK_HOURS: u64 = 168;

/// Which live counter a result belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Counter {
    Numbers,
    Hour,
    Week,
}

/// The live counts read for one send.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct LiveCounts {
    numbers: Option<u64>,
    hour: Option<u64>,
    week: Option<u64>,
}

impl LiveCounts {
    pub(super) fn set(&mut self, counter: Counter, count: u64) {
        match counter {
            Counter::Numbers => self.numbers = Some(count),
            Counter::Hour => self.hour = Some(count),
            Counter::Week => self.week = Some(count),
        }
    }
}

/// Live-signal settings and seeds, compiled.
#[derive(Debug)]
pub(crate) struct CompiledLive {
    settings: Live,
    numbers_seed: u64,
    hour_seed: u64,
    week_seed: u64,
}

impl CompiledLive {
    pub(crate) fn compile(policy: &Policy, keys: &KeyHasher) -> CompiledLive {
        CompiledLive {
            settings: policy.otp.live,
            numbers_seed: keys.rule_seed("otp.live.numbers"),
            hour_seed: keys.rule_seed("otp.live.country.hour"),
            week_seed: keys.rule_seed("otp.live.country.week"),
        }
    }

    fn country_keys(&self, keys: &KeyHasher, facts: &Facts) -> Option<(StoreKey, StoreKey)> {
        let info = facts.phone?;
        let hash = |seed| match info.country {
            Some(c) => keys.hash_of(seed, c.as_str()),
            None => keys.hash_of(seed, info.calling_code),
        };
        Some((StoreKey(hash(self.hour_seed)), StoreKey(hash(self.week_seed))))
    }

    /// The reads (and the distinct-number sighting) of an OTP send.
    pub(super) fn read_ops(
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
        let spike = phone
            .filter(|_| self.settings.spike_points > 0)
            .and_then(|_| self.country_keys(keys, facts))
            .map(|(hour, week)| {
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
                        Counter::Week,
                        Op::WindowAdd {
                            key: week,
                            window: WEEK,
                            amount: 0,
                        },
                    ),
                ]
            });
        numbers.into_iter().chain(spike.into_iter().flatten())
    }

    /// A send recorded as sent counts toward its country's hour and week.
    pub(super) fn record_ops(
        &self,
        keys: &KeyHasher,
        event: &Event,
        facts: &Facts,
        failed: bool,
    ) -> impl Iterator<Item = Op> {
        let sent = matches!(event.kind, EventKind::OtpSend { .. }) && !failed && self.settings.spike_points > 0;
        let counted = self.country_keys(keys, facts).filter(|_| sent);
        counted.into_iter().flat_map(|(hour, week)| {
            [
                Op::WindowAdd {
                    key: hour,
                    window: HOUR,
                    amount: 1,
                },
                Op::WindowAdd {
                    key: week,
                    window: WEEK,
                    amount: 1,
                },
            ]
        })
    }

    pub(super) fn reasons(&self, counts: &LiveCounts, out: &mut Vec<Reason>) {
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
        if let (Some(hour), Some(week)) = (counts.hour, counts.week) {
            // hour > factor × week / 168, in integers.
            let spiking = u128::from(hour) * u128::from(WEEK_HOURS) > u128::from(s.spike_factor) * u128::from(week);
            if hour >= u64::from(s.spike_min_sends) && spiking {
                let detail = format!("{hour} codes to this country in the last hour, {week} in the last week");
                let mut r = Reason::new(ReasonCode::OtpCountrySpike, detail);
                r.points = s.spike_points;
                out.push(r);
            }
        }
    }
}
