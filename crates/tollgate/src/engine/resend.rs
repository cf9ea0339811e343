//! Resend backoff and verification attempts per issued code.

use std::sync::Arc;
use std::time::Duration;

use crate::facts::Facts;
use crate::keys::{KeyHasher, network};
use crate::limiter::{GcraMode, GcraOutcome, GcraParams};
use crate::policy::{KeyOptions, Policy, ResendBackoff};
use crate::store::{BackoffOutcome, Op, StoreKey};
use crate::{Action, Event, EventKind, Reason, ReasonCode};

/// Checks of wrong codes refill over a day, so a burnt code's key is
/// forgotten within one even if no new code is ever sent.
const CODE_REFILL: Duration = Duration::from_secs(86_400);

/// Which wrong attempts on a code a budget holds.
///
/// A code gets `verify_attempts_per_code` wrong attempts from the network
/// that asked for it, and as many from everywhere else together: strangers
/// who burn the second budget cannot refuse the owner typing the code on
/// the client that requested it, and a code still cannot be guessed (twice
/// the budget at most, until a new send starts both afresh).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CodeScope {
    /// Attempts from the verifying client's network.
    Network,
    /// Attempts from anywhere.
    Account,
}

impl CodeScope {
    const ALL: [CodeScope; 2] = [CodeScope::Network, CodeScope::Account];
}

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

    /// The keys of the code last sent to this user: wrong attempts from
    /// one network, and from anywhere. A code belongs to the account, not to
    /// the number: a verification may not carry the number its send did.
    fn code_key(&self, keys: &KeyHasher, event: &Event, scope: CodeScope, opts: &KeyOptions) -> Option<StoreKey> {
        let user = event.user.as_ref()?;
        let hash = match scope {
            CodeScope::Network => keys.hash_of(self.code_seed, (0u8, user, network(event.ip?, opts))),
            CodeScope::Account => keys.hash_of(self.code_seed, (1u8, user)),
        };
        Some(StoreKey(hash))
    }

    /// The checks of an OTP verification against its code's wrong attempts:
    /// the attempts from this network, and from anywhere. Which one holds is
    /// decided with the code's requester in mind ([`CodeScope`]).
    pub(super) fn verify_ops<'a>(
        &'a self,
        keys: &'a KeyHasher,
        event: &'a Event,
        opts: &'a KeyOptions,
    ) -> impl Iterator<Item = (CodeScope, Op)> + 'a {
        let verify = matches!(event.kind, EventKind::OtpVerify { .. });
        let params = self.code.filter(|_| verify);
        CodeScope::ALL.into_iter().filter_map(move |scope| {
            let op = Op::Gcra {
                key: self.code_key(keys, event, scope, opts)?,
                params: params?,
                mode: GcraMode::Peek,
            };
            Some((scope, op))
        })
    }

    /// Whether wrong codes are counted at all: verifications then need to
    /// know the client a code went out for.
    pub(super) fn counts_codes(&self) -> bool {
        self.code.is_some()
    }

    /// What an outcome teaches: a wrong code spends an attempt from its
    /// network and from anywhere; a right code ends the resend streaks and
    /// the code; a new code sent starts a fresh budget.
    pub(super) fn record_ops(
        &self,
        keys: &KeyHasher,
        event: &Event,
        failed: bool,
        facts: &Facts,
        opts: &KeyOptions,
        mut push: impl FnMut(Op),
    ) {
        let codes = CodeScope::ALL
            .into_iter()
            .filter_map(|scope| self.code.zip(self.code_key(keys, event, scope, opts)));
        match (event.kind, failed) {
            (EventKind::OtpVerify { .. }, true) => {
                for (params, key) in codes {
                    push(Op::Gcra {
                        key,
                        params,
                        mode: GcraMode::Charge,
                    });
                }
            }
            (EventKind::OtpVerify { .. }, false) => {
                codes.for_each(|(_, key)| push(Op::Reset { key }));
                for b in &self.backoffs {
                    if let Some(key) = keys.key(b.seed, &b.spec.key, event, facts, opts) {
                        push(Op::Reset { key });
                    }
                }
            }
            (EventKind::OtpSend { .. }, false) => codes.for_each(|(_, key)| push(Op::Reset { key })),
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

    /// The reason a code's attempts refuse, if they do: from the code's
    /// requester only its own network's attempts count, from anyone else
    /// only everyone's.
    pub(super) fn verify_reason(&self, scope: CodeScope, requester: bool, outcome: &GcraOutcome) -> Option<Reason> {
        let holds = match scope {
            CodeScope::Network => requester,
            CodeScope::Account => !requester,
        };
        let attempts = self.code.filter(|_| holds && !outcome.allowed)?.burst;
        let whose = match scope {
            CodeScope::Network => "from this network",
            CodeScope::Account => "from clients other than the one that asked for it",
        };
        let detail = format!("{attempts} wrong codes {whose} for the code last sent; a new code is needed");
        let mut r = Reason::new(ReasonCode::OtpVerifyAttempts, detail);
        r.action = Some(Action::Deny);
        Some(r)
    }
}
