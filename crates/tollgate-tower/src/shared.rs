//! The engine handle the layer shares with extractors.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use smallvec::{SmallVec, smallvec};

use tollgate::store::{MemoryStore, Op, OpResult, Store, StoreKey};
use tollgate::{Action, Decision, Engine, Event, EventType, Outcome, Timestamp};

use crate::response::{Rejection, ResponseConfig};

/// The engine, how rejections are written, and the clock: what the layer
/// puts into every request's extensions so extractors can evaluate the
/// business events (login with a username, OTP send to a phone) and feed
/// outcomes back.
pub struct Tollgate<S = MemoryStore> {
    engine: Arc<Engine<S>>,
    responses: Arc<ResponseConfig>,
    clock: fn() -> Timestamp,
}

impl<S> Clone for Tollgate<S> {
    fn clone(&self) -> Self {
        Tollgate {
            engine: Arc::clone(&self.engine),
            responses: Arc::clone(&self.responses),
            clock: self.clock,
        }
    }
}

impl<S> fmt::Debug for Tollgate<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tollgate")
            .field("responses", &self.responses)
            .finish_non_exhaustive()
    }
}

/// The system clock as a [`Timestamp`].
pub(crate) fn system_clock() -> Timestamp {
    Timestamp::from(SystemTime::now())
}

/// What the layer's pre-authentication evaluation spent on this request,
/// kept in the request extensions so a later evaluation of the same event
/// type (the handler's, with the username) reuses those limiter results
/// instead of spending the IP's quota a second time.
#[derive(Clone, Debug, PartialEq)]
pub struct PreAuth {
    event_type: EventType,
    gcra: Vec<(StoreKey, OpResult)>,
    /// The layer's decision.
    pub decision: Decision,
}

impl<S: Store> Tollgate<S> {
    /// A handle on `engine` with the default responses and the system clock.
    pub fn new(engine: Arc<Engine<S>>) -> Self {
        Tollgate {
            engine,
            responses: Arc::new(ResponseConfig::default()),
            clock: system_clock,
        }
    }

    /// Writes rejections with `responses`.
    #[must_use]
    pub fn with_responses(mut self, responses: ResponseConfig) -> Self {
        self.responses = Arc::new(responses);
        self
    }

    /// Reads the time from `clock` instead of the system clock (tests, replays).
    #[must_use]
    pub fn with_clock(mut self, clock: fn() -> Timestamp) -> Self {
        self.clock = clock;
        self
    }

    /// The engine.
    pub fn engine(&self) -> &Arc<Engine<S>> {
        &self.engine
    }

    /// How rejections are written.
    pub fn responses(&self) -> &ResponseConfig {
        &self.responses
    }

    /// The current time by the handle's clock.
    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }

    /// The rejection for a decision, or `None` when it allows.
    pub fn rejection(&self, decision: &Decision) -> Option<Rejection> {
        Rejection::from_decision(decision, &self.responses)
    }

    /// Evaluates `event`. When `pre` is the layer's evaluation of the same
    /// event type on this request, limiter buckets it already spent are not
    /// spent again: their results are reused.
    pub fn evaluate(&self, event: &Event, pre: Option<&PreAuth>) -> Decision {
        let pre = pre.filter(|p| p.event_type == event.kind.event_type());
        let plan = self.engine.prepare(event);
        let ops = plan.ops();
        let mut results: SmallVec<[OpResult; 16]> = smallvec![OpResult::Done; ops.len()];
        let mut fresh: SmallVec<[Op; 16]> = SmallVec::with_capacity(ops.len());
        let mut slots: SmallVec<[usize; 16]> = SmallVec::with_capacity(ops.len());
        for (i, (op, slot)) in ops.iter().zip(results.iter_mut()).enumerate() {
            let reused = match (op, pre) {
                (Op::Gcra { key, .. }, Some(pre)) => pre.gcra.iter().find(|(k, _)| k == key).map(|(_, r)| *r),
                _ => None,
            };
            match reused {
                Some(r) => *slot = r,
                None => {
                    fresh.push(*op);
                    slots.push(i);
                }
            }
        }
        let mut fresh_results: SmallVec<[OpResult; 16]> = smallvec![OpResult::Done; fresh.len()];
        let decision = match self.engine.store().execute(plan.at(), &fresh, &mut fresh_results) {
            Ok(()) => {
                for (i, r) in slots.into_iter().zip(fresh_results) {
                    if let Some(slot) = results.get_mut(i) {
                        *slot = r;
                    }
                }
                self.engine.conclude(plan, &results)
            }
            Err(_) => self.engine.conclude(plan, &[]),
        };
        log_decision(event, &decision);
        decision
    }

    /// The layer's evaluation: the decision and what it spent.
    pub fn evaluate_pre_auth(&self, event: &Event) -> PreAuth {
        let plan = self.engine.prepare(event);
        let mut results: SmallVec<[OpResult; 16]> = smallvec![OpResult::Done; plan.ops().len()];
        let gcra: Vec<(StoreKey, OpResult)>;
        let decision = match self.engine.store().execute(plan.at(), plan.ops(), &mut results) {
            Ok(()) => {
                gcra = plan
                    .ops()
                    .iter()
                    .zip(&results)
                    .filter_map(|(op, r)| match op {
                        Op::Gcra { key, .. } => Some((*key, *r)),
                        _ => None,
                    })
                    .collect();
                self.engine.conclude(plan, &results)
            }
            Err(_) => {
                gcra = Vec::new();
                self.engine.conclude(plan, &[])
            }
        };
        log_decision(event, &decision);
        PreAuth {
            event_type: event.kind.event_type(),
            gcra,
            decision,
        }
    }

    /// Feeds an outcome back to the engine.
    pub fn record(&self, outcome: &Outcome) {
        self.engine.record(outcome);
    }
}

/// Logs a refusal's reasons (codes, rules, operator details) for the
/// server's eyes; never request bodies. Allows are logged at debug.
pub(crate) fn log_decision(event: &Event, decision: &Decision) {
    let reasons = || {
        decision
            .reasons
            .iter()
            .map(|r| match &r.rule {
                Some(rule) => format!("{}[{rule}]: {}", r.code, r.detail),
                None => format!("{}: {}", r.code, r.detail),
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let event_type = event.kind.event_type().as_str();
    // Formatted only when the level is enabled: the allow path runs on every
    // request and must not pay for a log line nobody reads.
    let ip = tracing::field::display(DisplayIp(event.ip));
    match decision.action {
        Action::Allow => {
            tracing::debug!(event = event_type, ip, score = decision.score, reasons = %reasons(), "tollgate allow")
        }
        Action::Deny => tracing::warn!(
            event = event_type,
            ip,
            action = decision.action.as_str(),
            score = decision.score,
            reasons = %reasons(),
            "tollgate refused"
        ),
        _ => tracing::info!(
            event = event_type,
            ip,
            action = decision.action.as_str(),
            score = decision.score,
            reasons = %reasons(),
            "tollgate refused"
        ),
    }
}

/// The client address for a log line, or nothing when the event has none.
#[derive(Clone, Copy)]
struct DisplayIp(Option<std::net::IpAddr>);

impl fmt::Display for DisplayIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(ip) => ip.fmt(f),
            None => Ok(()),
        }
    }
}
