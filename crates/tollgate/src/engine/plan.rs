//! The split decision path: `prepare` -> a store runs the ops -> `conclude`.

use std::ops::Deref;
use std::sync::Arc;

use smallvec::SmallVec;

use super::compiled::{Active, Rule};
use super::familiarity::{self, Feature};
use super::{conversion, cross, live, relay, resend, spike, stuffing, travel, verdict};
use crate::facts::Facts;
use crate::limiter::{GcraMode, GcraOutcome};
use crate::policy::{Counts, Exempt, OnExceed};
use crate::store::{Op, OpResult};
use crate::{Action, Channel, Decision, Event, EventKind, EventType, RateLimitInfo, Reason, ReasonCode, Timestamp};

/// Operations a plan holds inline: the default policy needs up to 25 on a
/// login (6 limits, 7 stuffing counters, 4 familiarity features, travel,
/// 7 spike counters) and 22 on an SMS send (5 limits, a cap, 2 backoffs,
/// 4 conversion, 3 live and 3 cross-check reads, 7 spike counters); more
/// spill to the heap.
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
    pub(super) at: Timestamp,
    pub(super) ops: Ops,
    /// Why each op is there.
    steps: SmallVec<[Step; INLINE_OPS]>,
    pub(super) facts: Facts,
    /// Reasons known before any counter is read (zones, lists, flags).
    static_reasons: Vec<Reason>,
    /// The event's masked identifiers, when an observer is registered.
    pub(super) subject: Option<super::observe::Subject>,
}

/// What an op's result feeds.
#[derive(Clone, Copy, Debug)]
pub(super) enum Step {
    /// A limit rule, by index into `active.rules`.
    Limit(u32),
    /// A familiarity feature.
    Familiar(Feature),
    /// The last successful login's position.
    Travel,
    /// An OTP service cap, by index into `active.policy.otp.caps`.
    Cap(u32),
    /// A resend backoff, by index into `active.policy.otp.resend`.
    Backoff(u32),
    /// The wrong attempts on the code last sent, from one network or all.
    VerifyCode(resend::CodeScope),
    /// A spend ceiling, by index into `active.policy.otp.spend.ceilings`.
    Spend(u32),
    /// A count of sends or verifications to the destination.
    Conversion(conversion::Slot),
    /// A live-signal count.
    Live(live::Counter),
    /// A cross-check read.
    Cross(cross::Check),
    /// A stuffing detector's count.
    Stuffing(stuffing::Counter),
    /// The user's last successful login, read by a credential change.
    PostLogin,
    /// The client a code was sent for, read by its verification.
    Relay(relay::Probe),
    /// A spike counter.
    Spike(spike::Counter),
    /// The device's history with the user, for rules sparing known devices.
    KnownDevice,
}

impl Plan {
    pub(super) fn new(active: Arc<Active>, event: &Event, facts: Facts, static_reasons: Vec<Reason>) -> Self {
        Plan {
            active,
            event_type: event.kind.event_type(),
            phone_send: matches!(event.kind, EventKind::OtpSend { channel } if channel != Channel::Email),
            device_id: event.device.is_some(),
            at: event.at,
            ops: Ops::default(),
            steps: SmallVec::new(),
            facts,
            static_reasons,
            subject: None,
        }
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
        let mut reasons = std::mem::take(&mut self.static_reasons);
        let policy = &self.active.policy;
        let mut tightest: Option<(&Rule, GcraOutcome)> = None;
        // The enforced throttling rule with the longest wait, whatever it counts.
        let mut blocking: Option<(&Rule, GcraOutcome)> = None;
        let mut incomplete = results.len() != self.ops.len();
        let (mut familiarity_read, mut user_known) = (false, false);
        let mut tally = conversion::Tally::default();
        let mut live_counts = live::LiveCounts::default();
        let mut cross_counts = cross::CrossCounts::default();
        let mut stuffing_tally = stuffing::Tally::default();
        let mut spike_tally = spike::Tally::default();
        let requester = self.code_requester(results);
        let known_device = self.known_device(results);
        for (step, result) in self.steps.iter().zip(results) {
            match (*step, result) {
                (Step::Limit(index), OpResult::Gcra(outcome)) => {
                    let Some(rule) = self.active.rules.get(index as usize) else {
                        continue;
                    };
                    if (requester && rule.spares(Exempt::CodeRequester))
                        || (known_device && rule.spares(Exempt::KnownDevice))
                    {
                        continue;
                    }
                    if throttles(rule)
                        && tightest.is_none_or(|(_, t)| (outcome.remaining, t.reset) < (t.remaining, outcome.reset))
                    {
                        tightest = Some((rule, *outcome));
                    }
                    if !outcome.allowed {
                        let enforced_throttle = !rule.spec.monitor && rule.spec.on_exceed == OnExceed::Throttle;
                        if enforced_throttle && blocking.is_none_or(|(_, b)| outcome.retry_after > b.retry_after) {
                            blocking = Some((rule, *outcome));
                        }
                        reasons.push(limit_reason(rule, outcome));
                    }
                }
                (Step::Familiar(feature), OpResult::Familiarity(counts)) => {
                    familiarity_read = true;
                    user_known |= counts.user_total > 0;
                    reasons.extend(familiarity::reason(
                        feature,
                        counts,
                        &self.facts,
                        &policy.points,
                        &policy.familiarity,
                    ));
                }
                (Step::Travel, OpResult::Register(last)) => {
                    let points = policy.points.impossible_travel;
                    reasons.extend(
                        last.zip(self.facts.location)
                            .and_then(|(last, here)| travel::reason(last, self.at, &here, &policy.travel, points)),
                    );
                }
                (Step::Cap(index), OpResult::Cap(outcome)) => {
                    reasons.extend(self.active.otp.cap_reason(index, outcome));
                }
                (Step::Backoff(index), OpResult::Backoff(outcome)) => {
                    reasons.extend(self.active.otp.resend.backoff_reason(index, outcome));
                }
                (Step::Spend(index), OpResult::Cap(outcome)) => {
                    reasons.extend(self.active.otp.spend.reason(index, outcome));
                }
                (Step::Conversion(slot), OpResult::Count(count)) => tally.set(slot, *count),
                (Step::Live(counter), OpResult::Count(count)) => live_counts.set(counter, *count),
                (Step::Cross(check), OpResult::Register(value)) => cross_counts.register(check, *value),
                (Step::Cross(_), OpResult::Count(count)) => cross_counts.count(*count),
                (Step::Stuffing(counter), OpResult::Count(count)) => {
                    self.active
                        .stuffing
                        .count(counter, *count, &mut stuffing_tally, &mut reasons);
                }
                (Step::PostLogin, OpResult::Register(last)) => {
                    reasons.extend(self.active.post_login.reason(*last, self.at));
                }
                (Step::Relay(here), OpResult::Register(sent)) => {
                    reasons.extend(self.active.relay.reason(here, *sent, self.at));
                }
                (Step::Spike(counter), OpResult::Count(count)) => spike_tally.set(counter, *count),
                (Step::KnownDevice, OpResult::Familiarity(_)) => {}
                (Step::VerifyCode(scope), OpResult::Gcra(outcome)) => {
                    reasons.extend(self.active.otp.resend.verify_reason(scope, requester, outcome));
                }
                _ => incomplete = true,
            }
        }
        self.active.otp.conversion.reasons(&tally, &mut reasons);
        self.active.otp.live.reasons(&live_counts, &mut reasons);
        self.active.otp.cross.reasons(&cross_counts, &mut reasons);
        self.active
            .spike
            .reasons(self.event_type, &self.facts, &spike_tally, &mut reasons);
        if familiarity_read && !user_known {
            reasons.extend(familiarity::first_seen(&policy.points));
        }
        if incomplete {
            reasons.push(Reason::new(
                ReasonCode::StoreIncomplete,
                "counter store returned no result for some operations",
            ));
        }
        if policy.monitor {
            reasons.iter_mut().for_each(|r| r.monitor = true);
        }
        // The quota advertised is the one that throttles, if one does (a
        // failure-counting rule's included), else the tightest attempts
        // quota. In monitor mode nothing is enforced, so none is advertised.
        let advertised = blocking.or(tightest).filter(|_| !policy.monitor);
        let rate_limit = advertised.map(|(rule, o)| RateLimitInfo {
            policy: Arc::clone(&rule.name),
            limit: rule.spec.burst,
            window: rule.window,
            remaining: o.remaining,
            reset: o.reset,
        });
        let mut decision = verdict::decide(policy.thresholds.get(self.event_type), reasons, rate_limit);
        if self.phone_send && (!decision.is_allow() || decision.reasons.iter().any(|r| r.code.is_otp())) {
            decision.advice.clone_from(&policy.otp.advice);
        }
        decision
    }
}

impl Plan {
    /// Whether the event is a code verification from the network that
    /// asked for the code (read before the limits that spare it).
    fn code_requester(&self, results: &[OpResult]) -> bool {
        self.steps
            .iter()
            .zip(results)
            .any(|(step, result)| match (*step, result) {
                (Step::Relay(here), OpResult::Register(sent)) => self.active.relay.is_requester(here, *sent, self.at),
                _ => false,
            })
    }

    /// Whether the event's device id was seen in one of the user's
    /// successful logins (read before the limits that spare it).
    fn known_device(&self, results: &[OpResult]) -> bool {
        self.device_id
            && self
                .steps
                .iter()
                .zip(results)
                .any(|(step, result)| match (*step, result) {
                    (Step::Familiar(Feature::Device) | Step::KnownDevice, OpResult::Familiarity(counts)) => {
                        counts.user_count > 0
                    }
                    _ => false,
                })
    }
}

/// Whether a rule's quota goes into the RateLimit headers: enforced limits
/// that count attempts and throttle.
fn throttles(rule: &Rule) -> bool {
    let spec = &rule.spec;
    !spec.monitor && spec.counts == Counts::Attempts && spec.on_exceed == OnExceed::Throttle
}

fn limit_reason(rule: &Rule, outcome: &GcraOutcome) -> Reason {
    let spec = &rule.spec;
    let (code, counted) = match spec.counts {
        Counts::Failures => (ReasonCode::LimitFailures, "failures"),
        _ => (ReasonCode::LimitExceeded, "attempts"),
    };
    let keys: Vec<String> = spec.key.iter().map(ToString::to_string).collect();
    let detail = format!(
        "{counted} over {} (burst {}) per {}",
        spec.rate,
        spec.burst,
        keys.join("+")
    );
    let mut r = Reason::new(code, detail);
    r.rule = Some(Arc::clone(&rule.name));
    r.monitor = spec.monitor;
    match spec.on_exceed {
        OnExceed::Score(points) => r.points = points,
        OnExceed::Challenge => r.action = Some(Action::Challenge),
        OnExceed::Deny => r.action = Some(Action::Deny),
        _ => {
            r.action = Some(Action::Throttle {
                retry_after: outcome.retry_after,
            })
        }
    }
    r
}

pub(super) fn mode(counts: Counts) -> GcraMode {
    match counts {
        Counts::Failures => GcraMode::Peek,
        _ => GcraMode::Consume,
    }
}
