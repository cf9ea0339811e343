//! Resend backoff (`[[otp.resend]]`): each code sent in a row to the same
//! key waits longer before the next one may go out; a verified code ends
//! the streak. See `docs/otp.md`.
//!
//! ```
//! use tollgate::policy::Policy;
//!
//! let policy = Policy::from_toml(r#"
//!     [[otp.resend]]
//!     name = "resend-phone"
//!     key = ["phone"]
//!     first_wait_secs = 30
//!     max_wait_secs = 600
//!     reset_after_minutes = 60
//! "#)?;
//! assert_eq!(policy.otp.resend[0].max_wait_secs, 600);
//! # Ok::<(), tollgate::policy::PolicyError>(())
//! ```

use std::sync::Arc;
use std::time::Duration;

use super::{Detector, Events, Findings, Reading, Scene};
use crate::keys::KeyHasher;
use crate::policy::{Policy, ResendBackoff};
use crate::store::{BackoffOutcome, Op, OpResult};
use crate::{Action, EventKind, EventType, Outcome, Reason, ReasonCode};

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
            if let Some(key) = scene.keys.key(b.seed, &b.spec.key, scene.event, scene.facts, scene.opts()) {
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
            if let Some(key) = scene.keys.key(b.seed, &b.spec.key, scene.event, scene.facts, scene.opts()) {
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

