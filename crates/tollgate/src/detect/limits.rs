//! Keyed limits (`[[limits]]`): a GCRA quota per key, counting attempts
//! when deciding or failures when outcomes are recorded. See
//! `docs/limiter.md`.
//!
//! ```
//! use tollgate::policy::{Counts, Dimension, LimitRule};
//! use tollgate::EventType;
//!
//! let rule = LimitRule::new("login-ip", &[EventType::Login], &[Dimension::Ip], "10/min".parse()?, 10);
//! assert_eq!(rule.counts, Counts::Attempts);
//! # Ok::<(), tollgate::policy::RateError>(())
//! ```

use std::sync::Arc;
use std::time::Duration;

use super::{Detector, EventFilter, Events, Findings, Reading, Scene};
use crate::keys::KeyHasher;
use crate::limiter::{GcraMode, GcraOutcome, GcraParams};
use crate::policy::{Counts, LimitRule, OnExceed, Policy};
use crate::store::{Op, OpResult};
use crate::{Action, Outcome, RateLimitInfo, Reason, ReasonCode};

/// The limit rules, ready to run.
#[derive(Debug)]
pub(crate) struct Limits {
    rules: Vec<Rule>,
}

/// One limit rule, ready to run.
#[derive(Debug)]
struct Rule {
    name: Arc<str>,
    /// Mixed into every key of the rule.
    seed: u64,
    spec: LimitRule,
    params: GcraParams,
    /// Time for an empty quota to refill.
    window: Duration,
    filter: EventFilter,
}

/// The rule quotas worth advertising, by rule index.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// The attempts quota closest to running out.
    tightest: Option<(u32, GcraOutcome)>,
    /// The enforced throttling rule with the longest wait, whatever it counts.
    blocking: Option<(u32, GcraOutcome)>,
}

impl Detector for Limits {
    /// The rule, by index.
    type Step = u32;
    type Tally = Tally;

    fn compile(policy: &Policy, keys: &KeyHasher) -> Self {
        let rules = policy.limits.iter().map(|spec| Rule::compile(spec, keys)).collect();
        Limits { rules }
    }

    fn events(&self) -> Events {
        self.rules.iter().fold(Events::NONE, |e, r| e.with(r.filter.events))
    }

    fn plan(&self, scene: &Scene<'_>, push: &mut impl FnMut(u32, Op)) {
        let event = scene.event;
        for (index, rule) in (0u32..).zip(&self.rules) {
            if !rule.filter.applies(&event.kind) {
                continue;
            }
            if let Some(key) = scene.keys.key(rule.seed, &rule.spec.key) {
                let mode = match rule.spec.counts {
                    Counts::Failures => GcraMode::Peek,
                    _ => GcraMode::Consume,
                };
                push(index, Op::Gcra {
                    key,
                    params: rule.params,
                    mode,
                });
            }
        }
    }

    fn read(&self, index: u32, result: &OpResult, tally: &mut Tally, reading: &Reading<'_>, out: &mut Findings) -> bool {
        let OpResult::Gcra(outcome) = result else {
            return false;
        };
        let Some(rule) = self.rules.get(index as usize) else {
            return true;
        };
        if reading.spared_by(&rule.spec.except) {
            return true;
        }
        if rule.throttles() && tally.tightest.is_none_or(|(_, t)| (outcome.remaining, t.reset) < (t.remaining, outcome.reset))
        {
            tally.tightest = Some((index, *outcome));
        }
        if !outcome.allowed {
            let enforced_throttle = !rule.spec.monitor && rule.spec.on_exceed == OnExceed::Throttle;
            if enforced_throttle && tally.blocking.is_none_or(|(_, b)| outcome.retry_after > b.retry_after) {
                tally.blocking = Some((index, *outcome));
            }
            out.reasons.push(rule.reason(outcome));
        }
        true
    }

    /// The quota advertised is the one that throttles, if one does (a
    /// failure-counting rule's included), else the tightest attempts quota.
    /// In monitor mode nothing is enforced, so none is advertised.
    fn finish(&self, tally: Tally, reading: &Reading<'_>, out: &mut Findings) {
        let advertised = tally.blocking.or(tally.tightest).filter(|_| !reading.policy.monitor);
        out.rate_limit = advertised.and_then(|(index, o)| {
            let rule = self.rules.get(index as usize)?;
            Some(RateLimitInfo {
                policy: Arc::clone(&rule.name),
                limit: rule.spec.burst,
                window: rule.window,
                remaining: o.remaining,
                reset: o.reset,
            })
        });
    }

    /// Charges failure-counting rules on a failure, and refills those with
    /// `reset_on_success` on a success.
    fn record(&self, scene: &Scene<'_>, outcome: &Outcome, push: &mut impl FnMut(Op)) {
        let event = scene.event;
        for rule in &self.rules {
            if rule.spec.counts != Counts::Failures || !rule.filter.applies(&event.kind) {
                continue;
            }
            let Some(key) = scene.keys.key(rule.seed, &rule.spec.key) else {
                continue;
            };
            if outcome.is_failure() {
                push(Op::Gcra {
                    key,
                    params: rule.params,
                    mode: GcraMode::Charge,
                });
            } else if rule.spec.reset_on_success {
                push(Op::Reset { key });
            }
        }
    }
}

impl Rule {
    fn compile(spec: &LimitRule, keys: &KeyHasher) -> Rule {
        let emission_nanos = spec.rate.emission_nanos();
        Rule {
            name: spec.name.as_str().into(),
            seed: keys.rule_seed(&spec.name),
            params: GcraParams {
                emission_nanos,
                burst: spec.burst,
                cost: spec.cost,
            },
            window: Duration::from_nanos(emission_nanos.saturating_mul(u64::from(spec.burst))),
            filter: EventFilter::new(&spec.events, &spec.channels),
            spec: spec.clone(),
        }
    }

    /// Whether the rule's quota goes into the RateLimit headers: enforced
    /// limits that count attempts and throttle.
    fn throttles(&self) -> bool {
        let spec = &self.spec;
        !spec.monitor && spec.counts == Counts::Attempts && spec.on_exceed == OnExceed::Throttle
    }

    fn reason(&self, outcome: &GcraOutcome) -> Reason {
        let spec = &self.spec;
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
        r.rule = Some(Arc::clone(&self.name));
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
}
