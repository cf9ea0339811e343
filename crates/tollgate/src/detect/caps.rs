//! Org-wide OTP service caps (`[[otp.caps]]`): sends per channel and
//! window across the whole service; a channel that reaches its cap is
//! locked for the lockout. Checked when deciding, charged when a send is
//! recorded as gone out. See `docs/otp.md`.
//!
//! ```
//! use tollgate::policy::Policy;
//!
//! let policy = Policy::from_toml(r#"
//!     [[otp.caps]]
//!     name = "sms-cap"
//!     channels = ["sms"]
//!     rate = "5000/hour"
//!     lockout_minutes = 60
//! "#)?;
//! assert_eq!(policy.otp.caps[0].lockout_minutes, 60);
//! # Ok::<(), tollgate::policy::PolicyError>(())
//! ```

use std::sync::Arc;
use std::time::Duration;

use super::{Detector, Events, Findings, Reading, Scene};
use crate::keys::KeyHasher;
use crate::policy::{Policy, PolicyError, Rate};
use crate::store::{CapMode, CapOutcome, Op, OpResult, StoreKey};
use crate::{Action, Channel, EventKind, EventType, Outcome, Reason, ReasonCode};

/// An org-wide cap on OTP sends per channel.
///
/// Each channel listed is capped on its own: with `channels = ["sms",
/// "voice"]` and `rate = "1000/h"`, a thousand SMS and a thousand calls.
/// Sends count when they are recorded as sent
/// (`Engine::record(&Outcome::succeeded(send))`), so requests refused by
/// any rule never use up the cap. The send that brings a channel's count
/// to `rate`'s count within its period blocks that channel, and only it,
/// for `lockout_minutes`: every send on it is then throttled with the time
/// left until the lockout ends.
///
/// ```toml
/// [[otp.caps]]
/// name = "voice-hourly"
/// channels = ["voice"]
/// rate = "100/h"
/// lockout_minutes = 1440
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct ServiceCap {
    /// Unique name, shown in reasons; counters belong to it.
    pub name: String,
    /// Channels capped, each separately.
    pub channels: Vec<Channel>,
    /// Most sends per period, e.g. `"5000/day"` (a sliding window).
    pub rate: Rate,
    /// How long a tripped channel stays blocked (default 1440: 24 hours).
    #[cfg_attr(feature = "serde", serde(default = "day_minutes"))]
    pub lockout_minutes: u32,
    /// Report without enforcing (the lockout still starts, so the report
    /// shows what enforcement would do).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "std::ops::Not::not"))]
    pub monitor: bool,
}

#[cfg(feature = "serde")]
fn day_minutes() -> u32 {
    1440
}

impl ServiceCap {
    /// A cap with the default 24-hour lockout.
    pub fn new(name: impl Into<String>, channels: &[Channel], rate: Rate) -> Self {
        ServiceCap {
            name: name.into(),
            channels: channels.to_vec(),
            rate,
            lockout_minutes: 1440,
            monitor: false,
        }
    }
}

/// The service caps, ready to run.
#[derive(Debug)]
pub(crate) struct Caps {
    caps: Vec<Cap>,
}

/// A service cap, ready to run.
#[derive(Debug)]
struct Cap {
    name: Arc<str>,
    seed: u64,
    channels: Vec<Channel>,
    window: Duration,
    cap: u64,
    lockout: Duration,
    monitor: bool,
}

impl Detector for Caps {
    /// The cap, by index.
    type Step = u32;
    type Tally = ();

    fn validate(policy: &Policy) -> Result<(), PolicyError> {
    crate::policy::validate::unique_names("otp.caps", policy.otp.caps.iter().map(|c| c.name.as_str()))?;
    for (i, c) in policy.otp.caps.iter().enumerate() {
        let field = |f: &str| format!("otp.caps[{i}].{f}");
        crate::policy::validate::name(&c.name).map_err(|m| PolicyError::invalid(field("name"), m))?;
        if c.channels.is_empty() || !crate::policy::otp::phone_channels(&c.channels) {
            return Err(PolicyError::invalid(field("channels"), crate::policy::otp::LIST_CHANNELS));
        }
        if !(1..=525_600).contains(&c.lockout_minutes) {
            return Err(PolicyError::invalid(
                field("lockout_minutes"),
                "must be 1 to 525600 (a year)",
            ));
        }
    }
        Ok(())
    }

    fn compile(policy: &Policy, keys: &KeyHasher) -> Self {
        let caps = policy.otp.caps.iter().map(|c| Cap {
            name: c.name.as_str().into(),
            seed: keys.rule_seed(&c.name),
            channels: c.channels.clone(),
            window: c.rate.period(),
            cap: u64::from(c.rate.count()),
            lockout: Duration::from_secs(u64::from(c.lockout_minutes) * 60),
            monitor: c.monitor,
        });
        Caps { caps: caps.collect() }
    }

    fn events(&self) -> Events {
        Events::of(&[EventType::OtpSend]).when(!self.caps.is_empty())
    }

    fn plan(&self, scene: &Scene<'_>, push: &mut impl FnMut(u32, Op)) {
        self.ops(scene, CapMode::Check, push);
    }

    fn read(&self, index: u32, result: &OpResult, _: &mut (), _: &Reading<'_>, out: &mut Findings) -> bool {
        let OpResult::Cap(outcome) = result else {
            return false;
        };
        out.reasons.extend(self.reason(index, outcome));
        true
    }

    /// A send counts against the caps once it went out.
    fn record(&self, scene: &Scene<'_>, outcome: &Outcome, push: &mut impl FnMut(Op)) {
        if !outcome.is_failure() {
            self.ops(scene, CapMode::Charge, &mut |_, op| push(op));
        }
    }
}

impl Caps {
    /// The cap operations of an OTP send on a capped channel.
    fn ops(&self, scene: &Scene<'_>, mode: CapMode, push: &mut impl FnMut(u32, Op)) {
        let EventKind::OtpSend { channel } = scene.event.kind else {
            return;
        };
        for (index, cap) in (0u32..).zip(&self.caps) {
            if !cap.channels.contains(&channel) {
                continue;
            }
            let op = Op::Cap {
                key: StoreKey(scene.keys.hash_of(cap.seed, channel.as_str())),
                window: cap.window,
                cap: cap.cap,
                amount: 1,
                lockout: cap.lockout,
                mode,
            };
            push(index, op);
        }
    }

    /// The reason a locked-out channel gives.
    fn reason(&self, index: u32, outcome: &CapOutcome) -> Option<Reason> {
        let cap = self.caps.get(index as usize).filter(|_| !outcome.allowed)?;
        let detail = format!(
            "service cap of {} per {}s reached; channel locked",
            cap.cap,
            cap.window.as_secs()
        );
        let mut r = Reason::new(ReasonCode::OtpServiceCap, detail);
        r.rule = Some(Arc::clone(&cap.name));
        r.monitor = cap.monitor;
        r.action = Some(Action::Throttle {
            retry_after: outcome.retry_after,
        });
        Some(r)
    }
}
