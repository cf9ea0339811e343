//! Wrong attempts per issued code (`otp.verify_attempts_per_code`): a code
//! the user asked for takes that many wrong codes from the network that
//! asked for it, and as many from everywhere else; a new code sent starts
//! both afresh. See `docs/security.md`.
//!
//! ```
//! use tollgate::policy::Policy;
//!
//! let policy = Policy::from_toml("[otp]\nverify_attempts_per_code = 3\n")?;
//! assert_eq!(policy.otp.verify_attempts_per_code, 3);
//! # Ok::<(), tollgate::policy::PolicyError>(())
//! ```

use std::time::Duration;

use super::{Detector, Events, Findings, Reading, Scene};
use crate::keys::{KeyHasher, network};
use crate::limiter::{GcraMode, GcraOutcome, GcraParams};
use crate::policy::Policy;
use crate::store::{Op, OpResult, StoreKey};
use crate::{Action, EventKind, EventType, Outcome, Reason, ReasonCode};

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
pub(crate) enum CodeScope {
    /// Attempts from the verifying client's network.
    Network,
    /// Attempts from anywhere.
    Account,
}

impl CodeScope {
    const ALL: [CodeScope; 2] = [CodeScope::Network, CodeScope::Account];
}

/// The per-code budgets, compiled.
#[derive(Debug)]
pub(crate) struct CodeAttempts {
    seed: u64,
    code: Option<GcraParams>,
}

impl Detector for CodeAttempts {
    type Step = CodeScope;
    type Tally = ();

    fn compile(policy: &Policy, keys: &KeyHasher) -> Self {
        let attempts = policy.otp.verify_attempts_per_code;
        let code = counts_codes(policy).then(|| GcraParams {
            emission_nanos: crate::time::duration_nanos(CODE_REFILL) / u64::from(attempts),
            burst: attempts,
            cost: 1,
        });
        CodeAttempts {
            seed: keys.rule_seed("otp.verify.code"),
            code,
        }
    }

    fn events(&self) -> Events {
        Events::of(&[EventType::OtpSend, EventType::OtpVerify]).when(self.code.is_some())
    }

    /// The checks of an OTP verification against its code's wrong attempts:
    /// the attempts from this network, and from anywhere. Which one holds is
    /// decided with the code's requester in mind ([`CodeScope`]).
    fn plan(&self, scene: &Scene<'_>, push: &mut impl FnMut(CodeScope, Op)) {
        let Some(params) = self.code.filter(|_| matches!(scene.event.kind, EventKind::OtpVerify { .. })) else {
            return;
        };
        for scope in CodeScope::ALL {
            if let Some(key) = self.key(scene, scope) {
                push(scope, Op::Gcra {
                    key,
                    params,
                    mode: GcraMode::Peek,
                });
            }
        }
    }

    fn read(&self, scope: CodeScope, result: &OpResult, _: &mut (), reading: &Reading<'_>, out: &mut Findings) -> bool {
        let OpResult::Gcra(outcome) = result else {
            return false;
        };
        out.reasons.extend(self.reason(scope, reading.code_requester, outcome));
        true
    }

    /// A wrong code spends an attempt from its network and from anywhere; a
    /// right code ends the code; a new code sent starts a fresh budget.
    fn record(&self, scene: &Scene<'_>, outcome: &Outcome, push: &mut impl FnMut(Op)) {
        let Some(params) = self.code else {
            return;
        };
        let keys = CodeScope::ALL.into_iter().filter_map(|scope| self.key(scene, scope));
        match (scene.event.kind, outcome.is_failure()) {
            (EventKind::OtpVerify { .. }, true) => keys.for_each(|key| {
                push(Op::Gcra {
                    key,
                    params,
                    mode: GcraMode::Charge,
                })
            }),
            (EventKind::OtpVerify { .. } | EventKind::OtpSend { .. }, false) => {
                keys.for_each(|key| push(Op::Reset { key }));
            }
            _ => {}
        }
    }
}

/// Whether the policy counts wrong codes at all: verifications then need
/// to know the client a code went out for (the relay register).
pub(super) fn counts_codes(policy: &Policy) -> bool {
    policy.otp.verify_attempts_per_code > 0
}

impl CodeAttempts {
    /// The keys of the code last sent to this user: wrong attempts from
    /// one network, and from anywhere. A code belongs to the account, not to
    /// the number: a verification may not carry the number its send did.
    fn key(&self, scene: &Scene<'_>, scope: CodeScope) -> Option<StoreKey> {
        let (keys, event) = (&scene.keys, scene.event);
        let user = event.user.as_ref()?;
        let hash = match scope {
            CodeScope::Network => keys.hash_of(self.seed, (0u8, user, network(event.ip?, scene.opts()))),
            CodeScope::Account => keys.hash_of(self.seed, (1u8, user)),
        };
        Some(StoreKey(hash))
    }

    /// The reason a code's attempts refuse, if they do: from the code's
    /// requester only its own network's attempts count, from anyone else
    /// only everyone's.
    fn reason(&self, scope: CodeScope, requester: bool, outcome: &GcraOutcome) -> Option<Reason> {
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
