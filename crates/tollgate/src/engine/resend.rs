//! Resend backoff and verification attempts per issued code.

use std::sync::Arc;
use std::time::Duration;

use super::facts::Facts;
use crate::limiter::key::KeyHasher;
use crate::limiter::{GcraMode, GcraOutcome, GcraParams};
use crate::policy::{KeyOptions, Policy, ResendBackoff};
use crate::store::{BackoffOutcome, Op, StoreKey};
use crate::{Action, Event, EventKind, Reason, ReasonCode};

/// Checks of wrong codes refill over a day, so a burnt code's key is
/// forgotten within one even if no new code is ever sent.
const CODE_REFILL: Duration = Duration::from_secs(86_400);

/// The resend and verification part of an installed policy, compiled.
#[derive(Debug)]
pub(crate) struct Resend {
    backoffs: Vec<Compiled>,
    code_seed: u64,
    code: Option<GcraParams>,
}

#[derive(Debug)]
struct Compiled {
    name: Arc<str>,
    seed: u64,
    spec: ResendBackoff,
}

impl Resend {
    pub(crate) fn compile(policy: &Policy, keys: &KeyHasher) -> Resend {
        let attempts = policy.otp.verify_attempts_per_code;
        let code = (attempts > 0).then(|| GcraParams {
            emission_nanos: crate::time::duration_nanos(CODE_REFILL) / u64::from(attempts),
            burst: attempts,
            cost: 1,
        });
        Resend {
            backoffs: policy
                .otp
                .resend
                .iter()
                .map(|spec| Compiled {
                    name: spec.name.as_str().into(),
                    seed: keys.rule_seed(&spec.name),
                    spec: spec.clone(),
                })
                .collect(),
            code_seed: keys.rule_seed("otp.verify.code"),
            code,
        }
    }

    /// The backoff checks of an OTP send, with each backoff's index.
    pub(super) fn send_ops<'a>(
        &'a self,
        keys: &'a KeyHasher,
        event: &'a Event,
        facts: &'a Facts,
        opts: &'a KeyOptions,
    ) -> impl Iterator<Item = (u32, Op)> + 'a {
        let channel = match event.kind {
            EventKind::OtpSend { channel } => Some(channel),
            _ => None,
        };
        self.backoffs.iter().zip(0u32..).filter_map(move |(b, index)| {
            let channel = channel?;
            if !b.spec.channels.is_empty() && !b.spec.channels.contains(&channel) {
                return None;
            }
            let key = keys.key(b.seed, &b.spec.key, event, facts, opts)?;
            Some((index, self.backoff_op(b, key)))
        })
    }

    fn backoff_op(&self, b: &Compiled, key: StoreKey) -> Op {
        Op::Backoff {
            key,
            first: Duration::from_secs(u64::from(b.spec.first_wait_secs)),
            max: Duration::from_secs(u64::from(b.spec.max_wait_secs)),
            reset_after: Duration::from_secs(u64::from(b.spec.reset_after_minutes) * 60),
        }
    }

    /// The key of the code last sent to this user (and number, if given).
    fn code_key(&self, keys: &KeyHasher, event: &Event) -> Option<StoreKey> {
        let user = event.user.as_ref()?;
        Some(StoreKey(keys.hash_of(self.code_seed, (user, &event.phone))))
    }

    /// The check of an OTP verification against its code's wrong attempts.
    pub(super) fn verify_op(&self, keys: &KeyHasher, event: &Event) -> Option<Op> {
        let EventKind::OtpVerify { .. } = event.kind else {
            return None;
        };
        Some(Op::Gcra {
            key: self.code_key(keys, event)?,
            params: self.code?,
            mode: GcraMode::Peek,
        })
    }

    /// What an outcome teaches: a wrong code spends an attempt; a right
    /// code ends the resend streaks and the code; a new code sent resets
    /// the attempts.
    pub(super) fn record_ops(
        &self,
        keys: &KeyHasher,
        event: &Event,
        failed: bool,
        facts: &Facts,
        opts: &KeyOptions,
        mut push: impl FnMut(Op),
    ) {
        let code = self.code.zip(self.code_key(keys, event));
        match (event.kind, failed) {
            (EventKind::OtpVerify { .. }, true) => {
                if let Some((params, key)) = code {
                    push(Op::Gcra {
                        key,
                        params,
                        mode: GcraMode::Charge,
                    });
                }
            }
            (EventKind::OtpVerify { .. }, false) => {
                if let Some((_, key)) = code {
                    push(Op::Reset { key });
                }
                for b in &self.backoffs {
                    if let Some(key) = keys.key(b.seed, &b.spec.key, event, facts, opts) {
                        push(Op::Reset { key });
                    }
                }
            }
            (EventKind::OtpSend { .. }, false) => {
                if let Some((_, key)) = code {
                    push(Op::Reset { key });
                }
            }
            _ => {}
        }
    }

    pub(super) fn backoff_reason(&self, index: u32, outcome: &BackoffOutcome) -> Option<Reason> {
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

    pub(super) fn verify_reason(&self, outcome: &GcraOutcome) -> Option<Reason> {
        let attempts = self.code.filter(|_| !outcome.allowed)?.burst;
        let detail = format!("{attempts} wrong codes for the code last sent; a new code is needed");
        let mut r = Reason::new(ReasonCode::OtpVerifyAttempts, detail);
        r.action = Some(Action::Deny);
        Some(r)
    }
}
