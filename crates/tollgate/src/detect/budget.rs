//! A daily budget of unverified codes per destination country, sized from
//! the country's own normal share of unverified codes (authgear's rule
//! while it has no history). See `docs/otp.md`.
//!
//! Spread SMS pumping sends one code each to many numbers, from fresh
//! accounts and residential proxies in the numbers' own country: no
//! number, client or network repeats, so per-key limits never fire. What
//! it cannot hide is that its codes are never verified. Each destination
//! country gets, per UTC day, a budget of codes sent but not verified:
//! `baseline_factor` (2) times its own unverified-per-verified ratio over
//! the last `lookback_days` (14), at most 1/2, times the codes verified
//! today; without history, `peak_percent` (30 %) of its busiest day
//! (authgear's rule); never below `min_daily` (20). Over budget, a send to
//! a number that has never verified a code (for this account), from a
//! device the account never signed in from, is stepped up: owners of
//! numbers that verified before and members on their own devices are not
//! touched, so a pumper cannot lock a country's users out of their codes.
//!
//! ```
//! use tollgate::policy::Policy;
//! use tollgate::{Action, Channel, Engine, Event, EventKind, Outcome, ReasonCode, Timestamp};
//!
//! let engine = Engine::new(Policy::default())?;
//! let day = 86_400_000;
//! let send = |n: u64, at: u64| {
//!     Event::new(EventKind::OtpSend { channel: Channel::Sms }, Timestamp::from_unix_millis(at))
//!         .with_user(format!("u{n}"))
//!         .with_phone(format!("+447700{n:06}").parse().unwrap())
//! };
//! // Day one: 100 codes to the UK, 90 verified.
//! for n in 0..100 {
//!     engine.record(&Outcome::succeeded(send(n, day + n)));
//! }
//! for n in 0..90 {
//!     let verify = Event::new(EventKind::OtpVerify { channel: Some(Channel::Sms) }, Timestamp::from_unix_millis(day + 200 + n))
//!         .with_user(format!("u{n}"))
//!         .with_phone(format!("+447700{n:06}").parse().unwrap());
//!     engine.record(&Outcome::succeeded(verify));
//! }
//! // Day two: a pumper's codes are never verified. With 10 unverified per
//! // 90 verified before and nothing verified yet today, the budget is the
//! // floor of 20.
//! for n in 1_000..1_020 {
//!     engine.record(&Outcome::succeeded(send(n, 2 * day + n)));
//! }
//! let next = engine.evaluate(&send(2_000, 2 * day + 5_000));
//! assert!(next.reasons.iter().any(|r| r.code == ReasonCode::OtpCountryBudget));
//! assert_eq!(next.action, Action::Challenge);
//! // Yesterday's verified users are not touched.
//! assert_eq!(engine.evaluate(&send(7, 2 * day + 5_000)).action, Action::Allow);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::Duration;

use super::{Detector, Events, Findings, Reading, Scene};
use crate::keys::KeyHasher;
use crate::policy::{Exempt, MatchAction, Policy, PolicyError};
use crate::store::{Op, OpResult, SERIES_LOOKBACK_MAX, StoreKey};
use crate::{EventKind, EventType, Outcome, ReasonCode};

const DAY: Duration = Duration::from_secs(86_400);

/// The per-country budget of unverified codes (`[otp.budget]`).
///
/// Recorded sends (`Engine::record(&Outcome::succeeded(send))`) and
/// verified codes (a succeeded `otp_verify` carrying the number) are
/// counted per destination country and UTC day. An `otp_send` to a
/// country whose sends today exceed its verifications today by the
/// budget gets `otp.country_budget`, unless the number verified a code
/// before (`[otp.known_numbers]`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct CountryBudget {
    /// Turns the budget on (default) or off.
    pub enabled: bool,
    /// The smallest daily budget of unverified codes, whatever the
    /// country's history (default 20, authgear's floor; at least 1).
    pub min_daily: u32,
    /// The budget as a share of the country's busiest recent day of
    /// verified codes, in percent (default 30; 1 to 1,000).
    pub peak_percent: u32,
    /// Days before today the busiest day is taken from (default 14; 1 to
    /// 31).
    pub lookback_days: u8,
    /// The budget is also at least this many times the country's own
    /// unverified codes per verified one over the lookback, times its
    /// busiest day (default 2; 0 turns it off). A country whose SMS route
    /// loses a third of its codes thus gets room for its normal, while
    /// the ratio is capped at 1 (half the codes unverified) so that days
    /// of pumping cannot teach it to grow without bound.
    pub baseline_factor: u32,
    /// What `otp.country_budget` does: challenge (default: a proof of work
    /// costs a person seconds and a pump its margin), deny or a score.
    pub action: MatchAction,
    /// Report without enforcing.
    pub monitor: bool,
    /// Sends not stepped up over budget, besides those to a number that
    /// verified before: `known_device` (default), a device id seen in one
    /// of the account's successful logins. A pump's accounts are fresh;
    /// a member texting a new number from their own laptop is not it.
    pub except: Vec<Exempt>,
}

impl Default for CountryBudget {
    fn default() -> Self {
        CountryBudget {
            enabled: true,
            min_daily: 20,
            peak_percent: 30,
            lookback_days: 14,
            baseline_factor: 2,
            action: MatchAction::Challenge,
            monitor: false,
            except: vec![Exempt::KnownDevice],
        }
    }
}

/// Which count a result is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Count {
    Sent,
    Verified,
}

/// What one send read.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Tally {
    /// Codes sent today and on the days before.
    sent: Option<(u64, u64)>,
    /// Codes verified today, on the busiest day before and on all of them.
    verified: Option<(u64, u64, u64)>,
}

/// The budget, compiled.
#[derive(Debug)]
pub(crate) struct CompiledBudget {
    spec: CountryBudget,
    sent: u64,
    verified: u64,
}

impl Detector for CompiledBudget {
    type Step = Count;
    type Tally = Tally;

    fn validate(policy: &Policy) -> Result<(), PolicyError> {
        let b = &policy.otp.budget;
        let field = |f: &str| format!("otp.budget.{f}");
        if b.min_daily == 0 {
            return Err(PolicyError::invalid(field("min_daily"), "must be at least 1"));
        }
        if !(1..=1_000).contains(&b.peak_percent) {
            return Err(PolicyError::invalid(field("peak_percent"), "must be 1 to 1000"));
        }
        if b.baseline_factor > 10 {
            return Err(PolicyError::invalid(field("baseline_factor"), "must be 0 to 10"));
        }
        if !(1..=SERIES_LOOKBACK_MAX).contains(&b.lookback_days) {
            return Err(PolicyError::invalid(field("lookback_days"), "must be 1 to 31"));
        }
        if b.except.iter().any(|e| *e != Exempt::KnownDevice) {
            return Err(PolicyError::invalid(field("except"), "only known_device applies"));
        }
        crate::policy::validate::action(b.action, false).map_err(|m| PolicyError::invalid(field("action"), m))
    }

    fn compile(policy: &Policy, keys: &KeyHasher) -> Self {
        let seed = keys.rule_seed("otp.budget");
        CompiledBudget {
            spec: policy.otp.budget.clone(),
            sent: keys.hash_of(seed, "sent"),
            verified: keys.hash_of(seed, "verified"),
        }
    }

    fn events(&self) -> Events {
        Events::of(&[EventType::OtpSend, EventType::OtpVerify]).when(self.spec.enabled)
    }

    fn plan(&self, scene: &Scene<'_>, push: &mut impl FnMut(Count, Op)) {
        let (EventKind::OtpSend { .. }, Some(country)) = (scene.event.kind, Destination::of(scene.facts)) else {
            return;
        };
        let read = |seed, lookback| Op::Series {
            key: StoreKey(scene.keys.hash_of(seed, country)),
            bucket: DAY,
            lookback,
            amount: 0,
        };
        push(Count::Sent, read(self.sent, self.spec.lookback_days));
        push(Count::Verified, read(self.verified, self.spec.lookback_days));
    }

    fn read(&self, step: Count, result: &OpResult, tally: &mut Tally, _: &Reading<'_>, _: &mut Findings) -> bool {
        match (step, result) {
            (Count::Sent, OpResult::Series(s)) => tally.sent = Some((s.current, s.total)),
            (Count::Verified, OpResult::Series(s)) => tally.verified = Some((s.current, s.peak, s.total)),
            _ => return false,
        }
        true
    }

    fn finish(&self, tally: Tally, reading: &Reading<'_>, out: &mut Findings) {
        let spared = reading.known_number || reading.spared_by(&self.spec.except);
        let (Some((sent, sent_before)), Some((verified, peak, verified_before)), false) =
            (tally.sent, tally.verified, spared)
        else {
            return;
        };
        let budget = self.budget(verified, peak.max(verified), sent_before, verified_before);
        let unverified = sent.saturating_sub(verified);
        if unverified < budget {
            return;
        }
        let detail = format!(
            "{unverified} codes sent to this country today are unverified; its budget is {budget} \
             ({verified} verified today; the {} days before: {verified_before} of {sent_before} codes verified, \
             the busiest day {peak})",
            self.spec.lookback_days
        );
        let s = &self.spec;
        out.reasons.push(super::matched(
            ReasonCode::OtpCountryBudget,
            detail,
            "otp.budget",
            s.action,
            s.monitor,
        ));
    }

    /// A code sent counts toward the country's sends; a code verified
    /// toward its verifications.
    fn record(&self, scene: &Scene<'_>, outcome: &Outcome, push: &mut impl FnMut(Op)) {
        let Some(country) = Destination::of(scene.facts).filter(|_| !outcome.is_failure()) else {
            return;
        };
        let add = |seed| Op::Series {
            key: StoreKey(scene.keys.hash_of(seed, country)),
            bucket: DAY,
            lookback: 0,
            amount: 1,
        };
        match scene.event.kind {
            EventKind::OtpSend { .. } => push(add(self.sent)),
            EventKind::OtpVerify { .. } => push(add(self.verified)),
            _ => {}
        }
    }
}

impl CompiledBudget {
    /// With history (codes verified on the days before) and a baseline
    /// factor: the country's own normal for today's volume,
    /// `baseline_factor x unverified-per-verified over the lookback (at
    /// most 1/2) x today's verified`. Otherwise authgear's rule,
    /// `peak_percent % of the busiest day`. Never below `min_daily`.
    fn budget(&self, today: u64, peak: u64, sent_before: u64, verified_before: u64) -> u64 {
        let floor = u64::from(self.spec.min_daily);
        if verified_before == 0 || self.spec.baseline_factor == 0 {
            return (peak.saturating_mul(u64::from(self.spec.peak_percent)) / 100).max(floor);
        }
        // At most one unverified code per two verified: days of pumping,
        // which count in the lookback, cannot teach the budget to grow
        // without bound.
        let unverified = sent_before.saturating_sub(verified_before).min(verified_before / 2);
        let scaled = u128::from(today) * u128::from(unverified) * u128::from(self.spec.baseline_factor);
        u64::try_from(scaled / u128::from(verified_before)).unwrap_or(u64::MAX).max(floor)
    }
}

/// A destination country, or the calling code of a number outside every
/// country's plan: the key part of the per-country counters of sends.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Destination {
    Country(crate::Country),
    CallingCode(u16),
}

impl Destination {
    /// The destination of the event's number, if it has one.
    pub(crate) fn of(facts: &crate::facts::Facts) -> Option<Destination> {
        facts.phone.map(Destination::from)
    }
}

impl From<crate::phone::PhoneInfo> for Destination {
    fn from(info: crate::phone::PhoneInfo) -> Self {
        match info.country {
            Some(c) => Destination::Country(c),
            None => Destination::CallingCode(info.calling_code),
        }
    }
}

impl std::fmt::Display for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Destination::Country(c) => write!(f, "{c}"),
            Destination::CallingCode(code) => write!(f, "+{code}"),
        }
    }
}

impl crate::keys::encode::KeyPart for Destination {
    fn encode<K: crate::keys::encode::KeySink>(&self, out: &mut K) {
        match self {
            Destination::Country(c) => (0u8, c).encode(out),
            Destination::CallingCode(code) => (1u8, *code).encode(out),
        }
    }
}
