//! Resend backoff (`[[otp.resend]]`): each code sent in a row to the same
//! key waits longer before the next one may go out; a verified code ends
//! the streak. See `docs/otp.md`.
//!
//! ```
//! use tollgate::policy::Policy;
//!
//! let policy = Policy::from_toml(r#"
//!     [otp]
//!     verify_attempts_per_code = 3
//!
//!     [[otp.resend]]
//!     name = "resend-phone"
//!     key = ["phone"]
//!     first_wait_secs = 30
//!     max_wait_secs = 960
//! "#)?;
//! assert_eq!(policy.otp.resend[0].reset_after_minutes, 60);
//! let err = Policy::from_toml("[[otp.resend]]\nname = \"r\"\nkey = [\"phone\"]\nfirst_wait_secs = 90\nmax_wait_secs = 60").unwrap_err();
//! assert_eq!(err.field(), Some("otp.resend[0].max_wait_secs"));
//! # Ok::<(), tollgate::policy::PolicyError>(())
//! ```

use std::sync::Arc;
use std::time::Duration;
use super::{Detector, Events, Findings, Reading, Scene};
use crate::keys::KeyHasher;
use crate::policy::Policy;
use crate::store::{BackoffOutcome, Op, OpResult};
use crate::{Action, EventKind, EventType, Outcome, Reason, ReasonCode};
use crate::policy::{Dimension, PolicyError};
use crate::Channel;

/// Exponential backoff on repeated OTP sends to one key (a number, a user).
///
/// The first send goes at once; each further send to the same key waits
/// `first_wait_secs` after the previous one, then twice that, up to
/// `max_wait_secs` (60 and 1920 s by default: 1, 2, 4 ... 32 minutes).
/// Refused sends do not count. `reset_after_minutes` without a send, or a
/// verified code for the same key (`Engine::record` of a succeeded
/// `otp_verify`), ends the streak.
///
/// ```toml
/// [[otp.resend]]
/// name = "resend-user"
/// key = ["user"]
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct ResendBackoff {
    /// Unique name, shown in reasons; counters belong to it.
    pub name: String,
    /// The fields whose combined value is the streak's key (as in
    /// `[[limits]]`); an event lacking one is not counted.
    #[cfg_attr(feature = "serde", serde(with = "crate::policy::limit::dimension_list"))]
    pub key: Vec<Dimension>,
    /// Only sends on these channels (empty: all).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub channels: Vec<Channel>,
    /// Wait after the first send, in seconds (default 60).
    #[cfg_attr(feature = "serde", serde(default = "first_wait"))]
    pub first_wait_secs: u32,
    /// Longest wait, in seconds (default 1920: 32 minutes).
    #[cfg_attr(feature = "serde", serde(default = "max_wait"))]
    pub max_wait_secs: u32,
    /// Minutes without a send that end the streak (default 60).
    #[cfg_attr(feature = "serde", serde(default = "reset_after"))]
    pub reset_after_minutes: u32,
    /// Report without enforcing.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "std::ops::Not::not"))]
    pub monitor: bool,
}

#[cfg(feature = "serde")]
fn first_wait() -> u32 {
    60
}

#[cfg(feature = "serde")]
fn max_wait() -> u32 {
    1920
}

#[cfg(feature = "serde")]
fn reset_after() -> u32 {
    60
}

impl ResendBackoff {
    /// A backoff with the default waits: 1, 2, 4 ... 32 minutes, reset
    /// after an hour without a send.
    pub fn new(name: impl Into<String>, key: &[Dimension]) -> Self {
        ResendBackoff {
            name: name.into(),
            key: key.to_vec(),
            channels: Vec::new(),
            first_wait_secs: 60,
            max_wait_secs: 1920,
            reset_after_minutes: 60,
            monitor: false,
        }
    }
}

/// Checks `[[otp.resend]]` and `verify_attempts_per_code`.
fn validate(resend: &[ResendBackoff], verify_attempts_per_code: u32) -> Result<(), PolicyError> {
    crate::policy::validate::unique_names("otp.resend", resend.iter().map(|r| r.name.as_str()))?;
    for (i, r) in resend.iter().enumerate() {
        let field = |f: &str| format!("otp.resend[{i}].{f}");
        crate::policy::validate::name(&r.name).map_err(|m| PolicyError::invalid(field("name"), m))?;
        if r.key.is_empty() || has_duplicates(&r.key) {
            return Err(PolicyError::invalid(
                field("key"),
                "name one or more dimensions, each once",
            ));
        }
        if has_duplicates(&r.channels) {
            return Err(PolicyError::invalid(field("channels"), "lists a channel twice"));
        }
        if !(1..=86_400).contains(&r.first_wait_secs) {
            return Err(PolicyError::invalid(field("first_wait_secs"), "must be 1 to 86400"));
        }
        if !(r.first_wait_secs..=86_400).contains(&r.max_wait_secs) {
            return Err(PolicyError::invalid(
                field("max_wait_secs"),
                "must be first_wait_secs to 86400",
            ));
        }
        let longest_minutes = r.max_wait_secs.div_ceil(60);
        if !(longest_minutes..=10_080).contains(&r.reset_after_minutes) {
            return Err(PolicyError::invalid(
                field("reset_after_minutes"),
                "must cover max_wait_secs and be at most 10080 (a week)",
            ));
        }
    }
    if verify_attempts_per_code > 100 {
        return Err(PolicyError::invalid(
            "otp.verify_attempts_per_code",
            "must be 0 (off) to 100",
        ));
    }
    Ok(())
}

fn has_duplicates<T: PartialEq>(items: &[T]) -> bool {
    items
        .iter()
        .enumerate()
        .any(|(i, a)| items.iter().skip(i + 1).any(|b| a == b))
}

/// The resend backoffs, ready to run.
#[derive(Debug)]
pub(crate) struct Backoff {
    backoffs: Vec<Compiled>,
}

#[derive(Debug)]
struct Compiled {
    name: Arc<str>,
    seed: u64,
    spec: ResendBackoff,
}

impl Detector for Backoff {
    /// The backoff, by index.
    type Step = u32;
    type Tally = ();

    fn validate(policy: &Policy) -> Result<(), PolicyError> {
        validate(&policy.otp.resend, policy.otp.verify_attempts_per_code)
    }

    fn compile(policy: &Policy, keys: &KeyHasher) -> Self {
        let backoffs = policy.otp.resend.iter().map(|spec| Compiled {
            name: spec.name.as_str().into(),
            seed: keys.rule_seed(&spec.name),
            spec: spec.clone(),
        });
        Backoff {
            backoffs: backoffs.collect(),
        }
    }

    fn events(&self) -> Events {
        Events::of(&[EventType::OtpSend, EventType::OtpVerify]).when(!self.backoffs.is_empty())
    }

    /// The backoff checks of an OTP send.
    fn plan(&self, scene: &Scene<'_>, push: &mut impl FnMut(u32, Op)) {
        let EventKind::OtpSend { channel } = scene.event.kind else {
            return;
        };
        for (index, b) in (0u32..).zip(&self.backoffs) {
            if !b.spec.channels.is_empty() && !b.spec.channels.contains(&channel) {
                continue;
            }
            if let Some(key) = scene.keys.key(b.seed, &b.spec.key) {
                push(index, Op::Backoff {
                    key,
                    first: Duration::from_secs(u64::from(b.spec.first_wait_secs)),
                    max: Duration::from_secs(u64::from(b.spec.max_wait_secs)),
                    reset_after: Duration::from_secs(u64::from(b.spec.reset_after_minutes) * 60),
                });
            }
        }
    }

    fn read(&self, index: u32, result: &OpResult, _: &mut (), _: &Reading<'_>, out: &mut Findings) -> bool {
        let OpResult::Backoff(outcome) = result else {
            return false;
        };
        out.reasons.extend(self.reason(index, outcome));
        true
    }

    /// A right code ends the resend streaks.
    fn record(&self, scene: &Scene<'_>, outcome: &Outcome, push: &mut impl FnMut(Op)) {
        if !matches!(scene.event.kind, EventKind::OtpVerify { .. }) || outcome.is_failure() {
            return;
        }
        for b in &self.backoffs {
            if let Some(key) = scene.keys.key(b.seed, &b.spec.key) {
                push(Op::Reset { key });
            }
        }
    }
}

impl Backoff {
    fn reason(&self, index: u32, outcome: &BackoffOutcome) -> Option<Reason> {
        let b = self.backoffs.get(index as usize).filter(|_| !outcome.allowed)?;
        let detail = format!("{} code(s) sent in a row; the next one waits", outcome.sends);
        let mut r = Reason::new(ReasonCode::OtpResendBackoff, detail);
        r.rule = Some(Arc::clone(&b.name));
        r.monitor = b.spec.monitor;
        r.action = Some(Action::Throttle {
            retry_after: outcome.retry_after,
        });
        Some(r)
    }
}

