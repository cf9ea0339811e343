//! The split decision path: `prepare` -> a store runs the ops -> `conclude`.

use std::ops::Deref;
use std::sync::Arc;

use smallvec::SmallVec;

use super::compiled::{Active, Rule};
use super::verdict;
use crate::limiter::{GcraMode, GcraOutcome};
use crate::policy::{Counts, OnExceed};
use crate::store::{Op, OpResult};
use crate::{Action, Decision, Event, EventType, RateLimitInfo, Reason, ReasonCode, Timestamp};

/// Counter operations, stored inline for the common case of a few rules.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ops(SmallVec<[Op; 8]>);

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
    pub(super) at: Timestamp,
    pub(super) ops: Ops,
    /// The rule behind each op, by index into `active.rules`.
    pub(super) rules: SmallVec<[u32; 8]>,
    pub(super) compromised_password: bool,
}

impl Plan {
    pub(super) fn new(active: Arc<Active>, event: &Event) -> Self {
        Plan {
            active,
            event_type: event.kind.event_type(),
            at: event.at,
            ops: Ops::default(),
            rules: SmallVec::new(),
            compromised_password: event.compromised_password,
        }
    }

    pub(super) fn push(&mut self, rule: usize, op: Op) {
        self.ops.push(op);
        self.rules.push(u32::try_from(rule).unwrap_or(u32::MAX));
    }

    /// The operations to execute, in order.
    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    /// The time to execute them at (the event's time).
    pub fn at(&self) -> Timestamp {
        self.at
    }

    /// Turns the store's results into the decision. `results` must hold one
    /// result per op; missing or mismatched results leave their rules
    /// unfired and add a `store.incomplete` reason.
    pub(super) fn conclude(self, results: &[OpResult]) -> Decision {
        let policy = &self.active.policy;
        let mut reasons = Vec::new();
        let mut tightest: Option<(&Rule, GcraOutcome)> = None;
        let mut incomplete = results.len() != self.ops.len();
        for (&index, result) in self.rules.iter().zip(results) {
            let (Some(rule), OpResult::Gcra(outcome)) = (self.active.rules.get(index as usize), result) else {
                incomplete = true;
                continue;
            };
            let enforced = !(rule.spec.monitor || policy.monitor);
            if enforced && rule.spec.counts == Counts::Attempts && rule.spec.on_exceed == OnExceed::Throttle {
                let tighter = tightest.is_none_or(|(_, t)| (outcome.remaining, t.reset) < (t.remaining, outcome.reset));
                if tighter {
                    tightest = Some((rule, *outcome));
                }
            }
            if !outcome.allowed {
                reasons.push(limit_reason(rule, outcome, policy.monitor));
            }
        }
        let points = policy.points.compromised_password;
        if self.compromised_password && points > 0 {
            let mut r = Reason::new(
                ReasonCode::CompromisedPassword,
                "password found in a compromised-password corpus",
            );
            r.points = points;
            r.monitor = policy.monitor;
            reasons.push(r);
        }
        if incomplete {
            let mut r = Reason::new(
                ReasonCode::StoreIncomplete,
                "counter store returned no result for some limits",
            );
            r.monitor = policy.monitor;
            reasons.push(r);
        }
        let rate_limit = tightest.map(|(rule, o)| RateLimitInfo {
            policy: Arc::clone(&rule.name),
            limit: rule.spec.burst,
            window: rule.window,
            remaining: o.remaining,
            reset: o.reset,
        });
        verdict::decide(policy.thresholds.get(self.event_type), reasons, rate_limit)
    }
}

fn limit_reason(rule: &Rule, outcome: &GcraOutcome, global_monitor: bool) -> Reason {
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
    r.monitor = spec.monitor || global_monitor;
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
