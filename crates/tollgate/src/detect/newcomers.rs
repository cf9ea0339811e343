//! The newcomer share: new accounts' share of the codes sent to each
//! destination country today against the country's own share over the
//! days before. See `docs/otp.md`.
//!
//! Spread pumping creates an account for every code it asks for, so the
//! codes it pumps into a country are all new accounts' codes. Real traffic
//! mixes sign-ups with members' logins and resets in a proportion each
//! country keeps from day to day. A pumper that verifies enough of its own
//! codes to stay inside the country budget (`budget.rs`) still moves that
//! proportion. A send counts as a new account's when it comes within
//! `otp.cross.signup_recent_minutes` of the account's recorded sign-up
//! (the decision then carries [`RiskSignal::NewAccount`](crate::RiskSignal::NewAccount)).
//! Sends are counted from outcomes recorded with their decision
//! ([`Outcome::with_decision`]), so the share needs a host that hands the
//! decision back, as the adapters do.
//!
//! ```
//! use tollgate::policy::Policy;
//! use tollgate::{Action, Channel, Engine, Event, EventKind, Outcome, ReasonCode, Timestamp};
//!
//! let mut policy = Policy::default();
//! policy.otp.budget.enabled = false;
//! let engine = Engine::new(policy)?;
//! let at = |day: u64, n: u64| Timestamp::from_unix_millis(1_700_006_400_000 / 86_400_000 * 86_400_000 + day * 86_400_000 + n * 1_000);
//! let phone = |n: u64| format!("+447700{n:06}").parse().unwrap();
//! let send = |user: String, n: u64, when| {
//!     Event::new(EventKind::OtpSend { channel: Channel::Sms }, when).with_user(user).with_phone(phone(n))
//! };
//! // Day one: 200 codes to the UK, one in ten right after a sign-up.
//! for n in 0..200 {
//!     let user = format!("member{n}");
//!     if n % 10 == 0 {
//!         engine.record(&Outcome::succeeded(Event::new(EventKind::Signup, at(0, n)).with_user(user.clone())));
//!     }
//!     let event = send(user, n, at(0, n));
//!     let decision = engine.evaluate(&event);
//!     engine.record(&Outcome::succeeded(event).with_decision(&decision));
//! }
//! // Day two: fresh accounts ask for a code each.
//! let pump = |n: u64| {
//!     let user = format!("pump{n}");
//!     engine.record(&Outcome::succeeded(Event::new(EventKind::Signup, at(1, n)).with_user(user.clone())));
//!     let event = send(user, 10_000 + n, at(1, n));
//!     (engine.evaluate(&event), event)
//! };
//! for n in 0..40 {
//!     let (decision, event) = pump(n);
//!     engine.record(&Outcome::succeeded(event).with_decision(&decision));
//! }
//! let (decision, _) = pump(40);
//! assert!(decision.reasons.iter().any(|r| r.code == ReasonCode::OtpNewcomerShare));
//! assert_eq!(decision.action, Action::Challenge);
//! // A member's code is not a new account's: untouched.
//! let member = engine.evaluate(&send("member7".into(), 7, at(1, 50)));
//! assert!(member.reasons.iter().all(|r| r.code != ReasonCode::OtpNewcomerShare));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::binomial::excess;
use super::budget::Destination;
use super::{Detector, Events, Findings, Reading, Scene};
use crate::keys::KeyHasher;
use crate::policy::{MatchAction, Policy, PolicyError};
use crate::store::{Op, OpResult, SERIES_LOOKBACK_MAX, StoreKey};
use crate::{EventKind, EventType, Outcome, ReasonCode, RiskSignal};

/// The least baseline share the significance test assumes: a country
/// whose codes never went to new accounts still varies a little.
const MIN_BASE_SHARE: f64 = 0.01;

/// The newcomer share per destination country (`[otp.newcomer_share]`).
///
/// Recorded sends with their decision count per destination country and
/// UTC day: all of them, and those of new accounts. A new account's send
/// gets `otp.newcomer_share` when, today, the country has at least
/// `min_sends` new accounts' sends, their odds against the other sends are
/// at least `factor` times the odds over the `lookback_days` before, and
/// their count is `significance` standard deviations above what the
/// baseline share predicts.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct NewcomerShare {
    /// Turns the check on (default) or off.
    pub enabled: bool,
    /// New accounts' sends to a country today before it is judged
    /// (default 20; at least 1).
    pub min_sends: u32,
    /// How many times the baseline's odds (new accounts' sends per other
    /// send) today's must be (2 to 100; default 3).
    pub factor: u32,
    /// How far above the baseline share's prediction today's count must
    /// be, in binomial standard deviations (2 to 20; default 4).
    pub significance: u8,
    /// Days before today the baseline covers (1 to 31; default 14). A
    /// country with fewer than `min_sends` other sends in them has no
    /// baseline and is not judged.
    pub lookback_days: u8,
    /// What `otp.newcomer_share` does: challenge (default), deny or a score.
    pub action: MatchAction,
    /// Report without enforcing.
    pub monitor: bool,
}

impl Default for NewcomerShare {
    fn default() -> Self {
        NewcomerShare {
            enabled: true,
            min_sends: 20,
            factor: 3,
            significance: 4,
            lookback_days: 14,
            action: MatchAction::Challenge,
            monitor: false,
        }
    }
}

/// Which count a result is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Count {
    All,
    New,
}

/// What one send read: (today, the days before) of each count.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Tally {
    all: Option<(u64, u64)>,
    new: Option<(u64, u64)>,
}

/// The newcomer share, compiled.
#[derive(Debug)]
pub(crate) struct CompiledNewcomers {
    spec: NewcomerShare,
    all: u64,
    new: u64,
}

impl Detector for CompiledNewcomers {
    type Step = Count;
    type Tally = Tally;

    fn validate(policy: &Policy) -> Result<(), PolicyError> {
        let s = &policy.otp.newcomer_share;
        let bad = |f: &str, m: &'static str| Err(PolicyError::invalid(format!("otp.newcomer_share.{f}"), m));
        if s.min_sends == 0 {
            return bad("min_sends", "must be at least 1");
        }
        if !(2..=100).contains(&s.factor) {
            return bad("factor", "must be 2 to 100");
        }
        if !(2..=20).contains(&s.significance) {
            return bad("significance", "must be 2 to 20");
        }
        if !(1..=SERIES_LOOKBACK_MAX).contains(&s.lookback_days) {
            return bad("lookback_days", "must be 1 to 31");
        }
        crate::policy::validate::action(s.action, false)
            .map_err(|m| PolicyError::invalid("otp.newcomer_share.action", m))
    }

    fn compile(policy: &Policy, keys: &KeyHasher) -> Self {
        let seed = keys.rule_seed("otp.newcomer_share");
        CompiledNewcomers {
            spec: policy.otp.newcomer_share.clone(),
            all: keys.hash_of(seed, "all"),
            new: keys.hash_of(seed, "new"),
        }
    }

    fn events(&self) -> Events {
        Events::of(&[EventType::OtpSend]).when(self.spec.enabled)
    }

    fn plan(&self, scene: &Scene<'_>, push: &mut impl FnMut(Count, Op)) {
        let Some(country) = Destination::of(scene.facts) else {
            return;
        };
        for count in [Count::All, Count::New] {
            push(count, self.op(scene, country, count, self.spec.lookback_days, 0));
        }
    }

    fn read(&self, count: Count, result: &OpResult, tally: &mut Tally, _: &Reading<'_>, _: &mut Findings) -> bool {
        let OpResult::Series(s) = result else {
            return false;
        };
        let slot = match count {
            Count::All => &mut tally.all,
            Count::New => &mut tally.new,
        };
        *slot = Some((s.current, s.total));
        true
    }

    fn finish(&self, tally: Tally, reading: &Reading<'_>, out: &mut Findings) {
        let (true, false, Some(all), Some(new)) = (reading.new_account, reading.known_number, tally.all, tally.new)
        else {
            return;
        };
        if !self.judge(all, new) {
            return;
        }
        let s = &self.spec;
        let country = Destination::of(reading.facts).map(|d| d.to_string()).unwrap_or_default();
        let detail = format!(
            "new accounts asked {} of the {} codes sent to {country} today; {} of {} in the {} days before",
            new.0, all.0, new.1, all.1, s.lookback_days
        );
        out.reasons
            .push(super::matched(ReasonCode::OtpNewcomerShare, detail, "otp.newcomer_share", s.action, s.monitor));
    }

    /// A send recorded with its decision counts toward the country's sends,
    /// and toward its new accounts' sends when the decision says so.
    fn record(&self, scene: &Scene<'_>, outcome: &Outcome, push: &mut impl FnMut(Op)) {
        let (EventKind::OtpSend { .. }, false, Some(decision), Some(country)) = (
            scene.event.kind,
            outcome.is_failure(),
            outcome.decision(),
            Destination::of(scene.facts),
        ) else {
            return;
        };
        push(self.op(scene, country, Count::All, 0, 1));
        if decision.signals.contains(RiskSignal::NewAccount) {
            push(self.op(scene, country, Count::New, 0, 1));
        }
    }
}

impl CompiledNewcomers {
    fn op(&self, scene: &Scene<'_>, country: Destination, count: Count, lookback: u8, amount: u32) -> Op {
        let seed = match count {
            Count::All => self.all,
            Count::New => self.new,
        };
        Op::Series {
            key: StoreKey(scene.keys.hash_of(seed, country)),
            bucket: super::days(1),
            lookback,
            amount,
        }
    }

    /// Whether today's new accounts' sends are well above the country's
    /// own normal: `all` and `new` are (today, the days before) of every
    /// send and of new accounts' sends.
    fn judge(&self, (all, all_before): (u64, u64), (new, new_before): (u64, u64)) -> bool {
        let s = &self.spec;
        let (others, others_before) = (all.saturating_sub(new), all_before.saturating_sub(new_before));
        if new < u64::from(s.min_sends) || others_before < u64::from(s.min_sends) {
            return false;
        }
        // Odds, not shares: where half the codes go to sign-ups, a share
        // cannot double, but a pump still multiplies the odds.
        let odds_up = u128::from(new) * u128::from(others_before)
            >= u128::from(s.factor) * u128::from(new_before) * u128::from(others.max(1));
        let base = new_before as f64 / all_before as f64;
        odds_up && excess(new, all as f64, base, MIN_BASE_SHARE) >= f64::from(s.significance)
    }
}

#[cfg(test)]
mod tests;
