//! Numbers that verified a code: the one thing an SMS pump cannot fake.
//! A recorded, succeeded `otp_verify` carrying the number marks it known
//! (for the account the event names, or for the number alone) for
//! `otp.known_numbers.days`; a later `otp_send` to it reads the mark. The
//! country budget and destination rules with `except = ["known_number"]`
//! then leave that send alone, so controls against pumping do not fall on
//! the people whose codes arrive. See `docs/otp.md`.
//!
//! ```
//! use tollgate::policy::Policy;
//! use tollgate::{Action, Channel, Engine, Event, EventKind, Outcome, Timestamp};
//!
//! let engine = Engine::new(Policy::default())?;
//! let event = |kind, minute: u64| {
//!     Event::new(kind, Timestamp::from_unix_millis(minute * 60_000))
//!         .with_user("kwame")
//!         .with_phone("+263771234567".parse().unwrap())
//! };
//! let sms = EventKind::OtpSend { channel: Channel::Sms };
//! // A number in a high-risk tier: the default SMS rule challenges it...
//! assert_eq!(engine.evaluate(&event(sms, 0)).action, Action::Challenge);
//! // ...until a code sent to it was verified.
//! let verify = EventKind::OtpVerify { channel: Some(Channel::Sms) };
//! engine.record(&Outcome::succeeded(event(verify, 2)));
//! assert_eq!(engine.evaluate(&event(sms, 120)).action, Action::Allow);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::{Detector, Events, Findings, Reading, Scene};
use crate::keys::KeyHasher;
use crate::policy::{Policy, PolicyError};
use crate::store::{Op, OpResult, StoreKey};
use crate::{Event, EventKind, EventType, Outcome};

/// How long a verified number stays known (`[otp.known_numbers]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct KnownNumbers {
    /// Keep and read the marks (default on). Off, no send is ever from a
    /// known number.
    pub enabled: bool,
    /// Days a number stays known after its last verified code (default
    /// 90; 1 to 365).
    pub days: u16,
}

impl Default for KnownNumbers {
    fn default() -> Self {
        KnownNumbers { enabled: true, days: 90 }
    }
}

/// The marks, compiled.
#[derive(Debug)]
pub(crate) struct CompiledKnownNumbers {
    spec: KnownNumbers,
    seed: u64,
}

impl Detector for CompiledKnownNumbers {
    type Step = ();
    type Tally = ();

    fn validate(policy: &Policy) -> Result<(), PolicyError> {
        if !(1..=365).contains(&policy.otp.known_numbers.days) {
            return Err(PolicyError::invalid("otp.known_numbers.days", "must be 1 to 365"));
        }
        Ok(())
    }

    fn compile(policy: &Policy, keys: &KeyHasher) -> Self {
        CompiledKnownNumbers {
            spec: policy.otp.known_numbers,
            seed: keys.rule_seed("otp.known_numbers"),
        }
    }

    fn events(&self) -> Events {
        Events::of(&[EventType::OtpSend, EventType::OtpVerify]).when(self.spec.enabled)
    }

    fn plan(&self, scene: &Scene<'_>, push: &mut impl FnMut((), Op)) {
        if let (EventKind::OtpSend { .. }, Some(key)) = (scene.event.kind, self.key(&scene.keys, scene.event)) {
            push((), Op::RegisterGet { key });
        }
    }

    fn context(&self, _: (), result: &OpResult, reading: &mut Reading<'_>) {
        reading.known_number |= matches!(result, OpResult::Register(Some(_)));
    }

    fn read(&self, _: (), result: &OpResult, _: &mut (), _: &Reading<'_>, _: &mut Findings) -> bool {
        matches!(result, OpResult::Register(_))
    }

    fn record(&self, scene: &Scene<'_>, outcome: &Outcome, push: &mut impl FnMut(Op)) {
        let (EventKind::OtpVerify { .. }, false, Some(key)) = (
            scene.event.kind,
            outcome.is_failure(),
            self.key(&scene.keys, scene.event),
        ) else {
            return;
        };
        let ttl = super::days(self.spec.days);
        push(Op::RegisterSet { key, value: 1, ttl });
    }
}

impl CompiledKnownNumbers {
    /// Per account and number when the event names an account (a number
    /// one account verified vouches for nobody else's use of it), else per
    /// number.
    fn key(&self, keys: &KeyHasher, event: &Event) -> Option<StoreKey> {
        let phone = event.phone.as_ref()?;
        Some(StoreKey(match &event.user {
            Some(user) => keys.hash_of(self.seed, (user, phone)),
            None => keys.hash_of(self.seed, phone),
        }))
    }
}
