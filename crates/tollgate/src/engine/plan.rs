//! The split decision path: `prepare` -> a store runs the ops -> `conclude`.

use std::ops::Deref;
use std::sync::Arc;

use smallvec::SmallVec;

use super::compiled::Active;
use super::verdict;
use crate::detect::{Findings, Reading, Step};
use crate::facts::Facts;
use crate::keys::KeyHasher;
use crate::pow::{PowClaim, PowConfig, PowRefusal};
use crate::store::{Op, OpResult, StoreKey};
use crate::{Channel, Decision, Event, EventKind, EventType, Reason, ReasonCode, StepUp, Timestamp};

/// Operations a plan holds inline: the default policy needs about 19 on a
/// login (6 limits, 4 stuffing counters: a distinct set and 3 outcome
/// pairs, 5 familiarity features, travel, 4 spike counters: 3 window pairs
/// and the warm-up hours; 31 at most, when attack mode reads its three
/// scopes, once per 10 s each) and 18 on an SMS send (5 limits, a cap, 2
/// backoffs, 4 conversion, 2 live and 3 cross-check reads, 4 spike
/// counters); more spill to the heap.
pub(super) const INLINE_OPS: usize = 28;

/// Counter operations, stored inline for the common case of a few rules.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ops(SmallVec<[Op; INLINE_OPS]>);

impl Ops {
    pub(crate) fn push(&mut self, op: Op) {
        self.0.push(op);
    }
}

impl Deref for Ops {
    type Target = [Op];

    fn deref(&self) -> &[Op] {
        &self.0
    }
}

/// An event's static verdicts and the counter operations still to run.
///
/// Made by [`Engine::prepare`](crate::Engine::prepare); run
/// [`ops`](Plan::ops) against a store at [`at`](Plan::at), then hand the
/// results to [`Engine::conclude`](crate::Engine::conclude). A plan keeps
/// the policy it was made with, so a policy swap in between is harmless.
#[derive(Debug)]
pub struct Plan {
    pub(super) active: Arc<Active>,
    pub(super) event_type: EventType,
    /// An OTP send on SMS, voice or WhatsApp: risky sends get advice.
    phone_send: bool,
    /// The event names a device id (not the fingerprint stand-in).
    device_id: bool,
    /// The service vouches for the device id as the account's own.
    host_known_device: bool,
    /// The event carries its handshake's structure (`Event::tls_shape`).
    shaped: bool,
    /// The event's JA4 offered no ALPN.
    without_alpn: bool,
    /// The detectors acting on this event type.
    pub(super) mask: u32,
    pub(super) at: Timestamp,
    pub(super) ops: Ops,
    /// Why each op is there.
    steps: SmallVec<[Step; INLINE_OPS]>,
    pub(super) facts: Facts,
    /// Reasons known before any counter is read (zones, lists, flags).
    static_reasons: Vec<Reason>,
    /// The event's masked identifiers, when an observer is registered.
    pub(super) subject: Option<super::observe::Subject>,
    /// What became of the event's proof-of-work solution.
    pow: PowState,
}

/// A proof-of-work solution's way through the plan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum PowState {
    /// The event carried none (or the engine offers no proof of work).
    #[default]
    Absent,
    /// It failed a check that needs no store.
    Refused(PowRefusal),
    /// It passed them; the op at this index claims it. Not a detector's
    /// step: it comes after every step, where the detectors' reading of
    /// results (steps zipped with results) never reaches.
    Claim(usize),
}

impl Plan {
    pub(super) fn new(active: Arc<Active>, event: &Event, facts: Facts, static_reasons: Vec<Reason>) -> Self {
        Plan {
            mask: active.detectors.mask(event.kind.event_type()),
            active,
            event_type: event.kind.event_type(),
            phone_send: matches!(event.kind, EventKind::OtpSend { channel } if channel != Channel::Email),
            device_id: event.device.is_some(),
            host_known_device: event.device.is_some() && event.user.is_some() && event.host_known_device,
            shaped: event.tls_shape.is_some(),
            without_alpn: event.ja4.is_some_and(|j| j.without_alpn()),
            at: event.at,
            ops: Ops::default(),
            steps: SmallVec::new(),
            facts,
            static_reasons,
            subject: None,
            pow: PowState::Absent,
        }
    }

    /// Queues the claim of a solution that passed its checks, after every
    /// detector's ops, or remembers why it did not pass.
    pub(super) fn claim_pow(&mut self, checked: Result<PowClaim, PowRefusal>, seed: u64) {
        self.pow = match checked {
            Ok(claim) => {
                self.ops.push(Op::ClaimOnce {
                    key: StoreKey(KeyHasher::derive(seed, claim.id)),
                    until: claim.expires,
                });
                PowState::Claim(self.ops.len() - 1)
            }
            Err(refusal) => PowState::Refused(refusal),
        };
    }

    /// Settles proof of work on a concluded decision. A challenge only
    /// automation-class reasons asked for is cleared when the event's
    /// solution was claimed now (its first use), and otherwise carries a
    /// fresh challenge whose difficulty follows the score. A solution
    /// claimed for a decision that did not need it is spent all the same.
    pub(super) fn settle_pow(&self, config: Option<&PowConfig>, results: &[OpResult], decision: &mut Decision) {
        let Some(config) = config else { return };
        if decision.step_up() != Some(StepUp::ProofOfWork) {
            return;
        }
        let threshold = self.active.policy.thresholds.get(self.event_type);
        let refused = match self.pow {
            PowState::Claim(index) if self.ops.len() > index => match results.get(index) {
                Some(OpResult::Claimed(true)) => {
                    verdict::clear_automation(threshold, decision);
                    return;
                }
                Some(OpResult::Claimed(false)) => Some(PowRefusal::Replayed),
                _ => None,
            },
            PowState::Refused(refusal) => Some(refusal),
            _ => None,
        };
        if let Some(refusal) = refused {
            decision.reasons.push(Reason::new(
                ReasonCode::PowRefused,
                format!("proof-of-work solution refused: {refusal}"),
            ));
        }
        let maxnumber = config.max_number(decision.score, threshold);
        decision.pow = Some(Box::new(config.issue(
            self.event_type,
            self.at,
            maxnumber,
            crate::pow::fresh_nonce(self.at),
        )));
    }

    pub(super) fn push(&mut self, step: Step, op: Op) {
        self.ops.push(op);
        self.steps.push(step);
    }

    /// The operations to execute, in order.
    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    /// The time to execute them at (the event's time).
    pub fn at(&self) -> Timestamp {
        self.at
    }

    /// The decision without any counter: static reasons and `reason`, no
    /// counter-based rule firing and no `store.incomplete`.
    pub(super) fn conclude_without_counters(&mut self, reason: Reason) -> Decision {
        self.static_reasons.push(reason);
        self.ops = Ops::default();
        self.steps.clear();
        self.conclude(&[])
    }

    /// Turns the store's results into the decision. `results` must hold one
    /// result per op; missing or mismatched results leave their rules
    /// unfired and add a `store.incomplete` reason.
    ///
    /// Works in place (the plan is left without its static reasons): a plan
    /// holds its ops inline, a few KB, and moving it costs more than the
    /// decision's arithmetic.
    pub(super) fn conclude(&mut self, results: &[OpResult]) -> Decision {
        let policy = &self.active.policy;
        let mut out = Findings {
            reasons: std::mem::take(&mut self.static_reasons),
            ..Findings::default()
        };
        let mut reading = Reading {
            policy,
            facts: &self.facts,
            event_type: self.event_type,
            at: self.at,
            device_id: self.device_id,
            host_known_device: self.host_known_device,
            shaped: self.shaped,
            without_alpn: self.without_alpn,
            code_requester: false,
            known_device: self.host_known_device,
            known_client: self.host_known_device,
            known_number: false,
            new_account: false,
            known_prefix: false,
            account_without_history: false,
            returning_device: false,
            device_usernames: None,
        };
        let complete = self
            .active
            .detectors
            .read(self.mask, &self.steps, results, &mut reading, &mut out);
        let mut reasons = out.reasons;
        if reading.known_number {
            // Destination rules are screened before any count is read; the
            // ones sparing known numbers learn only now that this is one.
            let spares = |r: &Reason| {
                r.code == ReasonCode::OtpDestination
                    && policy
                        .otp
                        .destinations
                        .iter()
                        .any(|d| r.rule.as_deref() == Some(d.name.as_str()) && reading.spared_by(&d.except))
            };
            reasons.retain(|r| !spares(r));
        }
        if !complete || results.len() != self.ops.len() {
            reasons.push(Reason::new(
                ReasonCode::StoreIncomplete,
                "counter store returned no result for some operations",
            ));
        }
        if policy.monitor {
            reasons.iter_mut().for_each(|r| r.monitor = true);
        }
        let mut decision = verdict::decide(policy.thresholds.get(self.event_type), reasons, out.rate_limit);
        decision.signals = out.signals;
        if self.phone_send && (!decision.is_allow() || decision.reasons.iter().any(|r| r.code.is_otp())) {
            decision.advice.clone_from(&policy.otp.advice);
        }
        decision
    }
}
