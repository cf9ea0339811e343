//! OTP cross-checks: IP country against number country (static), a number
//! new to the account, a send right after a sign-up from a bulk sign-up
//! client stack.
//!
//! Cross-checks on OTP sends (`[otp.cross]`): where the client is against
//! where the number is, a number just added to the account, and a send
//! right after a sign-up from a client stack that signs up in bulk.
//!
//! ```
//! use tollgate::policy::Policy;
//!
//! let policy = Policy::from_toml("[otp.cross]\nnew_phone_days = 3")?;
//! assert_eq!(policy.otp.cross.country_mismatch_points, 10);
//! let err = Policy::from_toml("[otp.cross]\nnew_phone_days = 0").unwrap_err();
//! assert_eq!(err.field(), Some("otp.cross.new_phone_days"));
//! # Ok::<(), tollgate::policy::PolicyError>(())
//! ```

use std::time::Duration;
use super::{Detector, Events, Findings, Reading, Scene};
use crate::facts::Facts;
use crate::keys::{EventKeys, KeyHasher};
use crate::policy::{Dimension, Policy};
use crate::store::{Op, OpResult, StoreKey};
use crate::{Channel, CredentialKind, Event, EventKind, EventType, Outcome, Reason, ReasonCode, RiskSignal};
use crate::policy::PolicyError;

/// Settings of the OTP cross-checks; 0 points turn a check off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Cross {
    /// The client's IP country differs from the number's country
    /// (`otp.country_mismatch`, default 10: travellers do this).
    pub country_mismatch_points: u8,
    /// The number was added to the account (a recorded successful
    /// `credential_change` of the phone carrying the new number) within
    /// `new_phone_days` (`otp.new_phone`, default 15).
    pub new_phone_points: u8,
    /// How long a number counts as new (default 7 days).
    pub new_phone_days: u16,
    /// A send within `signup_recent_minutes` of the user's recorded
    /// sign-up, from a client stack (JA4 + ASN) with at least
    /// `signup_burst` recorded sign-ups in `signup_window_hours`
    /// (`otp.signup_burst`, default 30).
    pub signup_burst_points: u8,
    /// Sign-ups per JA4 + ASN that make a burst (default 20).
    pub signup_burst: u32,
    /// Window of the sign-up counts, in hours (default 24).
    pub signup_window_hours: u32,
    /// How long after sign-up a send counts as right after it (default 60).
    pub signup_recent_minutes: u32,
}

impl Default for Cross {
    fn default() -> Self {
        Cross {
            country_mismatch_points: 10,
            new_phone_points: 15,
            new_phone_days: 7,
            signup_burst_points: 30,
            signup_burst: 20,
            signup_window_hours: 24,
            signup_recent_minutes: 60,
        }
    }
}

fn validate(c: &Cross) -> Result<(), PolicyError> {
    let field = |f: &str| format!("otp.cross.{f}");
    let points = [
        ("country_mismatch_points", c.country_mismatch_points),
        ("new_phone_points", c.new_phone_points),
        ("signup_burst_points", c.signup_burst_points),
    ];
    if let Some((name, _)) = points.iter().find(|(_, p)| *p > 100) {
        return Err(PolicyError::invalid(field(name), "must be 0 to 100"));
    }
    if !(1..=365).contains(&c.new_phone_days) {
        return Err(PolicyError::invalid(field("new_phone_days"), "must be 1 to 365"));
    }
    if c.signup_burst == 0 {
        return Err(PolicyError::invalid(field("signup_burst"), "must be at least 1"));
    }
    if !(1..=720).contains(&c.signup_window_hours) {
        return Err(PolicyError::invalid(field("signup_window_hours"), "must be 1 to 720"));
    }
    if !(1..=10_080).contains(&c.signup_recent_minutes) {
        return Err(PolicyError::invalid(
            field("signup_recent_minutes"),
            "must be 1 to 10080",
        ));
    }
    Ok(())
}

/// Which cross-check a result belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Check {
    NewPhone,
    RecentSignup,
    SignupBurst,
}

/// The results read for one send.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CrossCounts {
    new_phone: Option<u128>,
    recent_signup: bool,
    signups: Option<u64>,
}

impl CrossCounts {
    fn register(&mut self, check: Check, value: Option<u128>) {
        match check {
            Check::NewPhone => self.new_phone = value,
            Check::RecentSignup => self.recent_signup = value.is_some(),
            Check::SignupBurst => {}
        }
    }

    fn count(&mut self, count: u64) {
        self.signups = Some(count);
    }
}

/// Cross-check settings and seeds, compiled.
#[derive(Debug)]
pub(crate) struct CompiledCross {
    settings: Cross,
    /// Whether a send reads the account's sign-up time: for the sign-up
    /// burst, or for the newcomer share (`newcomers.rs`), which counts
    /// sends carrying [`RiskSignal::NewAccount`].
    signups: bool,
    phone_seed: u64,
    signup_seed: u64,
    burst_seed: u64,
}

impl Detector for CompiledCross {
    type Step = Check;
    type Tally = CrossCounts;

    fn validate(policy: &Policy) -> Result<(), PolicyError> {
        validate(&policy.otp.cross)
    }

    fn compile(policy: &Policy, keys: &KeyHasher) -> CompiledCross {
        let s = &policy.otp.cross;
        CompiledCross {
            settings: *s,
            signups: s.signup_burst_points > 0 || policy.otp.newcomer_share.enabled,
            phone_seed: keys.rule_seed("otp.cross.new_phone"),
            signup_seed: keys.rule_seed("otp.cross.signup"),
            burst_seed: keys.rule_seed("otp.cross.signup_burst"),
        }
    }

    fn events(&self) -> Events {
        let s = &self.settings;
        let phone = s.new_phone_points > 0;
        Events::of(&[EventType::OtpSend])
            .when(phone || self.signups || s.country_mismatch_points > 0)
            .with(Events::of(&[EventType::CredentialChange]).when(phone))
            .with(Events::of(&[EventType::Signup]).when(self.signups))
    }

    /// The static check of a send to a phone: client country against
    /// number country.
    fn screen(&self, scene: &Scene<'_>, reasons: &mut Vec<Reason>) {
        let event = scene.event;
        let phone_send = matches!(event.kind, EventKind::OtpSend { channel } if channel != Channel::Email);
        if phone_send && event.phone.is_some() && scene.facts.phone.is_some() {
            self.country_mismatch(scene.facts, reasons);
        }
    }

    fn plan(&self, scene: &Scene<'_>, push: &mut impl FnMut(Check, Op)) {
        for (check, op) in self.read_ops(&scene.keys, scene.event) {
            push(check, op);
        }
    }

    /// A send within `signup_recent_minutes` of the account's sign-up is a
    /// new account's, for every detector's reading.
    fn context(&self, check: Check, result: &OpResult, reading: &mut Reading<'_>) {
        if let (Check::RecentSignup, OpResult::Register(Some(_))) = (check, result) {
            reading.new_account = true;
        }
    }

    fn read(&self, check: Check, result: &OpResult, counts: &mut CrossCounts, _: &Reading<'_>, _: &mut Findings) -> bool {
        match result {
            OpResult::Register(value) => counts.register(check, *value),
            OpResult::Count(count) => counts.count(*count),
            _ => return false,
        }
        true
    }

    fn finish(&self, counts: CrossCounts, _: &Reading<'_>, out: &mut Findings) {
        if counts.recent_signup {
            out.signals = out.signals.with(RiskSignal::NewAccount);
        }
        self.reasons(&counts, &mut out.reasons);
    }

    fn record(&self, scene: &Scene<'_>, outcome: &Outcome, push: &mut impl FnMut(Op)) {
        if !outcome.is_failure() {
            self.record_ops(&scene.keys, scene.event, push);
        }
    }
}

impl CompiledCross {
    fn new_phone_key(&self, keys: &KeyHasher, event: &Event) -> Option<StoreKey> {
        let pair = (event.user.as_ref()?, event.phone.as_ref()?);
        Some(StoreKey(keys.hash_of(self.phone_seed, pair)))
    }

    fn signup_key(&self, keys: &KeyHasher, event: &Event) -> Option<StoreKey> {
        Some(StoreKey(keys.hash_of(self.signup_seed, event.user.as_ref()?)))
    }

    fn burst_key(&self, keys: &EventKeys<'_>) -> Option<StoreKey> {
        keys.key(self.burst_seed, &[Dimension::Ja4, Dimension::Asn])
    }

    fn window(&self) -> Duration {
        Duration::from_secs(u64::from(self.settings.signup_window_hours) * 3600)
    }

    /// The reads of an OTP send.
    fn read_ops(&self, keys: &EventKeys<'_>, event: &Event) -> impl Iterator<Item = (Check, Op)> {
        let send = matches!(event.kind, EventKind::OtpSend { .. });
        let s = &self.settings;
        let new_phone = self
            .new_phone_key(keys, event)
            .filter(|_| send && s.new_phone_points > 0)
            .map(|key| (Check::NewPhone, Op::RegisterGet { key }));
        let signup = self
            .signup_key(keys, event)
            .filter(|_| send && self.signups)
            .map(|key| (Check::RecentSignup, Op::RegisterGet { key }));
        let burst = self
            .burst_key(keys)
            .filter(|_| signup.is_some() && s.signup_burst_points > 0)
            .map(|key| {
                let count = Op::WindowAdd {
                    key,
                    window: self.window(),
                    amount: 0,
                };
                (Check::SignupBurst, count)
            });
        new_phone.into_iter().chain(signup).chain(burst)
    }

    /// What a recorded outcome stores: a phone change marks the number new
    /// to the account; a sign-up marks the user as just signed up and
    /// counts toward its client stack.
    fn record_ops(&self, keys: &EventKeys<'_>, event: &Event, push: &mut impl FnMut(Op)) {
        let s = &self.settings;
        match event.kind {
            EventKind::CredentialChange {
                what: CredentialKind::Phone,
            } if s.new_phone_points > 0 => {
                if let Some(key) = self.new_phone_key(keys, event) {
                    let ttl = Duration::from_secs(u64::from(s.new_phone_days) * 86_400);
                    let value = u128::from(event.at.as_unix_nanos());
                    push(Op::RegisterSet { key, value, ttl });
                }
            }
            EventKind::Signup if self.signups => {
                if let Some(key) = self.signup_key(keys, event) {
                    let ttl = Duration::from_secs(u64::from(s.signup_recent_minutes) * 60);
                    push(Op::RegisterSet { key, value: 1, ttl });
                }
                if let Some(key) = self.burst_key(keys).filter(|_| s.signup_burst_points > 0) {
                    push(Op::WindowAdd {
                        key,
                        window: self.window(),
                        amount: 1,
                    });
                }
            }
            _ => {}
        }
    }

    fn country_mismatch(&self, facts: &Facts, out: &mut Vec<Reason>) {
        let points = self.settings.country_mismatch_points;
        let number = facts.phone.and_then(|p| p.country);
        if let (true, Some(client), Some(number)) = (points > 0, facts.country, number) {
            if client != number {
                let detail = format!("client in {client}, number in {number}");
                let mut r = Reason::new(ReasonCode::OtpCountryMismatch, detail);
                r.points = points;
                out.push(r);
            }
        }
    }

    fn reasons(&self, counts: &CrossCounts, out: &mut Vec<Reason>) {
        let s = &self.settings;
        if counts.new_phone.is_some() {
            let detail = format!("number added to the account within {} days", s.new_phone_days);
            let mut r = Reason::new(ReasonCode::OtpNewPhone, detail);
            r.points = s.new_phone_points;
            out.push(r);
        }
        let burst = counts.signups.filter(|n| *n >= u64::from(s.signup_burst));
        if let (true, Some(signups)) = (counts.recent_signup, burst) {
            let detail = format!(
                "send right after sign-up; {signups} sign-ups from this client stack in {}h",
                s.signup_window_hours
            );
            let mut r = Reason::new(ReasonCode::OtpSignupBurst, detail);
            r.points = s.signup_burst_points;
            out.push(r);
        }
    }
}
