//! Conversion feedback: sends and verifications per number block and per
//! destination country, read when a send is decided.
//!
//! Conversion feedback settings (`[otp.conversion]`): destinations whose
//! codes are sent but never verified score points.
//!
//! ```
//! use tollgate::policy::Policy;
//!
//! let policy = Policy::from_toml("[otp.conversion]\nprefix_points = 50\nmin_sends = 40")?;
//! assert_eq!(policy.otp.conversion.expected_percent, 25);
//! let err = Policy::from_toml("[otp.conversion]\nexpected_percent = 0").unwrap_err();
//! assert_eq!(err.field(), Some("otp.conversion.expected_percent"));
//! # Ok::<(), tollgate::policy::PolicyError>(())
//! ```

use std::time::Duration;
use super::{Detector, Events, Findings, Reading, Scene};
use crate::facts::Facts;
use crate::keys::KeyHasher;
use crate::policy::Policy;
use crate::store::{Op, OpResult, StoreKey};
use crate::{E164, Event, EventKind, EventType, Outcome, Reason, ReasonCode};
use crate::policy::PolicyError;

/// How sends and verifications per destination turn into points.
///
/// Recorded sends (`Engine::record(&Outcome::succeeded(send))`) and
/// verified codes (`Engine::record(&Outcome::succeeded(verify))` with the
/// number on the verify event) are counted per number block (the
/// `phone_prefix` key) and per destination country over a sliding window.
/// Once a block or country has `min_sends`, a verified share below
/// `expected_percent` adds points in proportion to the shortfall: all of
/// them when nothing was verified. A number block is also held to its own
/// country's share in the same window: it is expected to verify at least
/// `relative_percent` of what its country verifies, so where members
/// verify 90 % of their codes a block at 40 % scores, which the fixed
/// floor alone would let pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Conversion {
    /// Most points for a number block (default 40; 0 turns it off).
    pub prefix_points: u8,
    /// Most points for a destination country (default 20; 0 turns it off).
    pub country_points: u8,
    /// Sends needed before a destination is judged (default 20).
    pub min_sends: u32,
    /// Verified share below which points start, in percent (default 25):
    /// the floor, for every block and country.
    pub expected_percent: u8,
    /// A number block is expected to verify at least this percentage of
    /// its destination country's verified share over the same window, once
    /// the country has `min_sends` (default 50; 0 to 100, 0 turns it off).
    /// The site's own traffic sets the bar: the fixed floor fits a route
    /// that loses most codes, this one a route that loses few.
    pub relative_percent: u8,
    /// Window of the counts, in hours (default 24): old sends fade out.
    pub window_hours: u32,
}

impl Default for Conversion {
    fn default() -> Self {
        Conversion {
            prefix_points: 40,
            country_points: 20,
            min_sends: 20,
            expected_percent: 25,
            relative_percent: 50,
            window_hours: 24,
        }
    }
}

fn validate(c: &Conversion) -> Result<(), PolicyError> {
    let field = |f: &str| format!("otp.conversion.{f}");
    if c.prefix_points > 100 {
        return Err(PolicyError::invalid(field("prefix_points"), "must be 0 to 100"));
    }
    if c.country_points > 100 {
        return Err(PolicyError::invalid(field("country_points"), "must be 0 to 100"));
    }
    if c.min_sends == 0 {
        return Err(PolicyError::invalid(field("min_sends"), "must be at least 1"));
    }
    if !(1..=100).contains(&c.expected_percent) {
        return Err(PolicyError::invalid(field("expected_percent"), "must be 1 to 100"));
    }
    if c.relative_percent > 100 {
        return Err(PolicyError::invalid(field("relative_percent"), "must be 0 to 100"));
    }
    if !(1..=720).contains(&c.window_hours) {
        return Err(PolicyError::invalid(
            field("window_hours"),
            "must be 1 to 720 (30 days)",
        ));
    }
    Ok(())
}

/// A verified share in basis points (0 to 10,000).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Share(u64);

impl Share {
    fn of(verified: u64, sends: u64) -> Share {
        Share(verified.min(sends).saturating_mul(10_000).checked_div(sends).unwrap_or(0))
    }

    fn percent(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

/// The share a block is expected to verify: the floor, or `relative_percent`
/// of its country's share when the country has `min_sends`.
fn expected_of_block(c: &Conversion, country: Option<(u64, u64)>) -> Share {
    let floor = Share(u64::from(c.expected_percent) * 100);
    let relative = country
        .filter(|&(sends, _)| c.relative_percent > 0 && sends >= u64::from(c.min_sends))
        .map(|(sends, verified)| Share(Share::of(verified, sends).0 * u64::from(c.relative_percent) / 100));
    relative.map_or(floor, |r| r.max(floor))
}

/// Points for `verified` of `sends`: none below `min_sends` or at the
/// expected share, else `max` scaled by the shortfall. Integer arithmetic.
fn points(c: &Conversion, max: u8, sends: u64, verified: u64, expected: Share) -> u8 {
    if max == 0 || sends < u64::from(c.min_sends) || expected.0 == 0 {
        return 0;
    }
    let expected = u128::from(expected.0) * u128::from(sends);
    let seen = 10_000 * u128::from(verified.min(sends));
    if seen >= expected {
        return 0;
    }
    let scaled = u128::from(max) * (expected - seen) / expected;
    u8::try_from(scaled).unwrap_or(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_scale_with_the_shortfall() {
        let c = Conversion::default();
        let floor = Share(2_500);
        assert_eq!(points(&c, 40, 19, 0, floor), 0);
        assert_eq!(points(&c, 40, 20, 0, floor), 40);
        assert_eq!(points(&c, 40, 40, 5, floor), 20);
        assert_eq!(points(&c, 40, 40, 10, floor), 0);
        assert_eq!(points(&c, 40, 40, 400, floor), 0);
        assert_eq!(points(&c, 0, 400, 0, floor), 0);
        assert_eq!(points(&c, 100, u64::MAX, 0, floor), 100);
        assert_eq!(points(&c, 40, 40, 0, Share(0)), 0);
    }

    #[test]
    fn a_block_is_held_to_half_its_countrys_share_never_below_the_floor() {
        let c = Conversion::default();
        assert_eq!(expected_of_block(&c, None), Share(2_500));
        assert_eq!(expected_of_block(&c, Some((100, 90))), Share(4_500));
        assert_eq!(expected_of_block(&c, Some((100, 30))), Share(2_500), "a lossy route: the floor");
        assert_eq!(expected_of_block(&c, Some((19, 19))), Share(2_500), "too few sends to say");
        assert_eq!(expected_of_block(&c, Some((100, 500))), Share(5_000), "late verifications count once");
        let off = Conversion {
            relative_percent: 0,
            ..c
        };
        assert_eq!(expected_of_block(&off, Some((100, 90))), Share(2_500));
        // 40 % verified: nothing against the floor, points against 45 %.
        assert_eq!(points(&c, 40, 100, 40, Share(2_500)), 0);
        assert_eq!(points(&c, 40, 100, 40, expected_of_block(&c, Some((1_000, 900)))), 4);
    }
}

/// Where a count lives: which destination scope, sends or verifications.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot {
    country: bool,
    verified: bool,
}

/// The counts read for one send, filled in as results arrive.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Tally {
    /// `[prefix, country]` × `[sends, verified]`.
    counts: [[Option<u64>; 2]; 2],
}

impl Tally {
    fn set(&mut self, slot: Slot, count: u64) {
        if let Some(cell) = self
            .counts
            .get_mut(usize::from(slot.country))
            .and_then(|row| row.get_mut(usize::from(slot.verified)))
        {
            *cell = Some(count);
        }
    }
}

/// Conversion settings and counter seeds, compiled.
#[derive(Debug)]
pub(crate) struct CompiledConversion {
    settings: Conversion,
    window: Duration,
    prefix_drop: usize,
    /// `[prefix, country]` × `[sends, verified]`.
    seeds: [[u64; 2]; 2],
}

impl Detector for CompiledConversion {
    type Step = Slot;
    type Tally = Tally;

    fn validate(policy: &Policy) -> Result<(), PolicyError> {
        validate(&policy.otp.conversion)
    }

    fn compile(policy: &Policy, keys: &KeyHasher) -> CompiledConversion {
        let c = policy.otp.conversion;
        let seed = |name: &str| keys.rule_seed(name);
        CompiledConversion {
            settings: c,
            window: Duration::from_secs(u64::from(c.window_hours) * 3600),
            prefix_drop: usize::from(policy.keys.phone_prefix_drop),
            seeds: [
                [
                    seed("otp.conversion.prefix.sent"),
                    seed("otp.conversion.prefix.verified"),
                ],
                [
                    seed("otp.conversion.country.sent"),
                    seed("otp.conversion.country.verified"),
                ],
            ],
        }
    }

    fn events(&self) -> Events {
        let on = self.settings.prefix_points > 0 || self.settings.country_points > 0;
        Events::of(&[EventType::OtpSend, EventType::OtpVerify]).when(on)
    }

    fn plan(&self, scene: &Scene<'_>, push: &mut impl FnMut(Slot, Op)) {
        for (slot, op) in self.read_ops(&scene.keys, scene.event, scene.facts) {
            push(slot, op);
        }
    }

    fn read(&self, slot: Slot, result: &OpResult, tally: &mut Tally, _: &Reading<'_>, _: &mut Findings) -> bool {
        let OpResult::Count(count) = result else {
            return false;
        };
        tally.set(slot, *count);
        true
    }

    fn finish(&self, tally: Tally, _: &Reading<'_>, out: &mut Findings) {
        self.reasons(&tally, &mut out.reasons);
    }

    fn record(&self, scene: &Scene<'_>, outcome: &Outcome, push: &mut impl FnMut(Op)) {
        self.record_ops(&scene.keys, scene.event, scene.facts, outcome.is_failure())
            .for_each(push);
    }
}

impl CompiledConversion {
    fn keys(&self, keys: &KeyHasher, phone: &E164, facts: &Facts, verified: bool) -> [Option<(Slot, StoreKey)>; 2] {
        let seed = |country: bool| {
            self.seeds
                .get(usize::from(country))
                .and_then(|s| s.get(usize::from(verified)))
                .copied()
                .unwrap_or_default()
        };
        let on = |points: u8| points > 0;
        let prefix = on(self.settings.prefix_points).then(|| {
            let key = keys.hash_of(seed(false), phone.prefix_without_last(self.prefix_drop));
            (
                Slot {
                    country: false,
                    verified,
                },
                StoreKey(key),
            )
        });
        // The country's counts also set its blocks' bar, where blocks score.
        let c = &self.settings;
        let country_read = on(c.country_points) || (on(c.prefix_points) && on(c.relative_percent));
        let country = facts.phone.filter(|_| country_read).map(|info| {
            let key = match info.country {
                Some(c) => keys.hash_of(seed(true), c.as_str()),
                None => keys.hash_of(seed(true), info.calling_code),
            };
            (
                Slot {
                    country: true,
                    verified,
                },
                StoreKey(key),
            )
        });
        [prefix, country]
    }

    /// Reads of the four counters for an OTP send.
    fn read_ops(&self, keys: &KeyHasher, event: &Event, facts: &Facts) -> impl Iterator<Item = (Slot, Op)> {
        let phone = match (event.kind, &event.phone) {
            (EventKind::OtpSend { .. }, Some(phone)) => Some(phone),
            _ => None,
        };
        let window = self.window;
        let all = phone.map(|p| {
            let [a, b] = self.keys(keys, p, facts, false);
            let [c, d] = self.keys(keys, p, facts, true);
            [a, b, c, d]
        });
        all.into_iter()
            .flatten()
            .flatten()
            .map(move |(slot, key)| (slot, Op::WindowAdd { key, window, amount: 0 }))
    }

    /// What a recorded outcome adds: a sent code to the sends, a verified
    /// one to the verifications.
    fn record_ops(
        &self,
        keys: &KeyHasher,
        event: &Event,
        facts: &Facts,
        failed: bool,
    ) -> impl Iterator<Item = Op> {
        let verified = match event.kind {
            EventKind::OtpSend { .. } => Some(false),
            EventKind::OtpVerify { .. } => Some(true),
            _ => None,
        };
        let window = self.window;
        let all = verified
            .zip(event.phone.as_ref())
            .filter(|_| !failed)
            .map(|(verified, phone)| self.keys(keys, phone, facts, verified));
        all.into_iter()
            .flatten()
            .flatten()
            .map(move |(_, key)| Op::WindowAdd { key, window, amount: 1 })
    }

    /// The points a tally earns, one reason per scope: the block against
    /// the floor or its country's share, the country against the floor.
    fn reasons(&self, tally: &Tally, out: &mut Vec<Reason>) {
        let c = &self.settings;
        let [block, country] = tally.counts.map(|row| match row {
            [Some(sends), Some(verified)] => Some((sends, verified)),
            _ => None,
        });
        let floor = Share(u64::from(c.expected_percent) * 100);
        let block_bar = expected_of_block(c, country);
        let scopes = [
            (block, c.prefix_points, block_bar, "number block"),
            (country, c.country_points, floor, "destination country"),
        ];
        for (counts, max, expected, scope) in scopes {
            let Some((sends, verified)) = counts else {
                continue;
            };
            let points = points(c, max, sends, verified, expected);
            if points > 0 {
                let hours = c.window_hours;
                let mut detail = format!(
                    "{verified} of {sends} codes sent to this {scope} in {hours}h were verified, under the {:.1} % expected",
                    expected.percent()
                );
                if expected > floor {
                    let (sends, verified) = country.unwrap_or_default();
                    detail += &format!(
                        " ({} % of its country's {:.1} %)",
                        c.relative_percent,
                        Share::of(verified, sends).percent()
                    );
                }
                let mut r = Reason::new(ReasonCode::OtpLowConversion, detail);
                r.points = points;
                out.push(r);
            }
        }
    }
}
