//! The engine handle the layer shares with extractors.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use smallvec::{SmallVec, smallvec};

use tollgate::store::{AsyncStore, MemoryStore, Op, OpResult, Store};
use tollgate::{Action, Decision, Engine, Event, EventType, Outcome, Plan, StoreTransition, Timestamp};

use crate::response::{Rejection, ResponseConfig};

/// The engine, how rejections are written, and the clock: what the layer
/// puts into every request's extensions so extractors can evaluate the
/// business events (login with a username, OTP send to a phone) and feed
/// outcomes back.
///
/// The `*_async` methods run any [`AsyncStore`] (a networked store such as
/// Redis) under the policy's `[store] on_failure`; the plain ones are for
/// in-process [`Store`]s.
pub struct TollgateHandle<S = MemoryStore> {
    engine: Arc<Engine<S>>,
    responses: Arc<ResponseConfig>,
    clock: fn() -> Timestamp,
}

impl<S> Clone for TollgateHandle<S> {
    fn clone(&self) -> Self {
        TollgateHandle {
            engine: Arc::clone(&self.engine),
            responses: Arc::clone(&self.responses),
            clock: self.clock,
        }
    }
}

impl<S> fmt::Debug for TollgateHandle<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TollgateHandle")
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
    /// Results of the ops that changed state (spent a bucket, counted an
    /// attempt), reused when the handler evaluates the same event type.
    spent: Vec<(Op, OpResult)>,
    /// The layer's decision.
    pub decision: Decision,
}

impl<S> TollgateHandle<S> {
    /// A handle on `engine` with the default responses and the system clock.
    pub fn new(engine: Arc<Engine<S>>) -> Self {
        TollgateHandle {
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
}

impl<S: Store> TollgateHandle<S> {
    /// Evaluates `event`. When `pre` is the layer's evaluation of the same
    /// event type on this request, limiter buckets it already spent are not
    /// spent again: their results are reused.
    pub fn evaluate(&self, event: &Event, pre: Option<&PreAuth>) -> Decision {
        let plan = self.engine.prepare(event);
        let mut split = Split::new(plan.ops(), pre.filter(|p| p.event_type == event.kind.event_type()));
        let mut fresh_results: SmallVec<[OpResult; 32]> = smallvec![OpResult::Done; split.fresh.len()];
        let decision = match self.engine.store().execute(plan.at(), &split.fresh, &mut fresh_results) {
            Ok(()) => split.conclude(&self.engine, plan, fresh_results),
            Err(_) => self.engine.conclude(plan, &[]),
        };
        log_decision(event, &decision);
        decision
    }

    /// The layer's evaluation: the decision and what it spent.
    pub fn evaluate_pre_auth(&self, event: &Event) -> PreAuth {
        let plan = self.engine.prepare(event);
        let mut results: SmallVec<[OpResult; 32]> = smallvec![OpResult::Done; plan.ops().len()];
        let ran = self.engine.store().execute(plan.at(), plan.ops(), &mut results).is_ok();
        let (spent, decision) = if ran {
            (spent(&plan, &results), self.engine.conclude(plan, &results))
        } else {
            (Vec::new(), self.engine.conclude(plan, &[]))
        };
        log_decision(event, &decision);
        PreAuth {
            event_type: event.kind.event_type(),
            spent,
            decision,
        }
    }

    /// Feeds an outcome back to the engine.
    pub fn record(&self, outcome: &Outcome) {
        self.engine.record(outcome);
    }
}

impl<S: AsyncStore> TollgateHandle<S> {
    /// [`evaluate`](TollgateHandle::evaluate) over any store: the ops left after
    /// reusing the layer's results run through
    /// [`Engine::execute_async`]; a store that is unavailable decides per
    /// the policy's `[store] on_failure`.
    pub async fn evaluate_async(&self, event: &Event, pre: Option<&PreAuth>) -> Decision {
        let plan = self.engine.prepare(event);
        let mut split = Split::new(plan.ops(), pre.filter(|p| p.event_type == event.kind.event_type()));
        let mut fresh_results: SmallVec<[OpResult; 32]> = smallvec![OpResult::Done; split.fresh.len()];
        let decision = match self
            .engine
            .execute_async(plan.at(), &split.fresh, &mut fresh_results)
            .await
        {
            Ok(()) => split.conclude(&self.engine, plan, fresh_results),
            Err(_) => self.engine.conclude_unavailable(plan),
        };
        log_decision(event, &decision);
        decision
    }

    /// [`evaluate_pre_auth`](TollgateHandle::evaluate_pre_auth) over any store:
    /// what the layer runs.
    pub async fn evaluate_pre_auth_async(&self, event: &Event) -> PreAuth {
        let plan = self.engine.prepare(event);
        let mut results: SmallVec<[OpResult; 32]> = smallvec![OpResult::Done; plan.ops().len()];
        let ran = self
            .engine
            .execute_async(plan.at(), plan.ops(), &mut results)
            .await
            .is_ok();
        let (spent, decision) = if ran {
            (spent(&plan, &results), self.engine.conclude(plan, &results))
        } else {
            (Vec::new(), self.engine.conclude_unavailable(plan))
        };
        log_decision(event, &decision);
        PreAuth {
            event_type: event.kind.event_type(),
            spent,
            decision,
        }
    }

    /// Feeds an outcome back to the engine over any store
    /// ([`Engine::record_async`]).
    pub async fn record_async(&self, outcome: &Outcome) {
        self.engine.record_async(outcome).await;
    }
}

/// The results of the ops a pre-authentication evaluation ran that change
/// state when they run: spent buckets, counted attempts (spike and window
/// counters, distinct sets), admitted backoffs, charged caps. The handler's
/// evaluation of the same event reuses them instead of spending or counting
/// the request twice; read-only ops simply run again.
fn spent(plan: &Plan, results: &[OpResult]) -> Vec<(Op, OpResult)> {
    plan.ops()
        .iter()
        .zip(results)
        .filter(|(op, _)| op.changes_state())
        .map(|(op, r)| (*op, *r))
        .collect()
}

/// A plan's ops split into results reused from the layer's evaluation and
/// the ops still to run.
struct Split {
    results: SmallVec<[OpResult; 32]>,
    fresh: SmallVec<[Op; 32]>,
    /// Where each fresh op's result goes in `results`.
    slots: SmallVec<[usize; 32]>,
}

impl Split {
    fn new(ops: &[Op], pre: Option<&PreAuth>) -> Self {
        let mut split = Split {
            results: smallvec![OpResult::Done; ops.len()],
            fresh: SmallVec::with_capacity(ops.len()),
            slots: SmallVec::with_capacity(ops.len()),
        };
        for (i, (op, slot)) in ops.iter().zip(split.results.iter_mut()).enumerate() {
            let reused = match (op, pre) {
                (op, Some(pre)) => pre.spent.iter().find(|(o, _)| o == op).map(|(_, r)| *r),
                (_, None) => None,
            };
            match reused {
                Some(r) => *slot = r,
                None => {
                    split.fresh.push(*op);
                    split.slots.push(i);
                }
            }
        }
        split
    }

    /// The decision, from the reused results and the fresh ops' results.
    fn conclude<S>(&mut self, engine: &Engine<S>, plan: Plan, fresh: SmallVec<[OpResult; 32]>) -> Decision {
        for (i, r) in self.slots.iter().zip(fresh) {
            if let Some(slot) = self.results.get_mut(*i) {
                *slot = r;
            }
        }
        engine.conclude(plan, &self.results)
    }
}

/// Logs a change of the store's health, once per change: hand it to
/// [`Engine::on_store_transition`]
/// (`engine.on_store_transition(tollgate_tower::log_store_transition)`).
pub fn log_store_transition(transition: &StoreTransition) {
    match transition {
        StoreTransition::Failing { at, error } => tracing::warn!(
            at_ms = at.as_unix_millis(),
            error = error.as_str(),
            "tollgate: counter store failing; deciding per [store] on_failure until it answers"
        ),
        StoreTransition::Recovered { at } => {
            tracing::info!(at_ms = at.as_unix_millis(), "tollgate: counter store answers again")
        }
        _ => tracing::info!(?transition, "tollgate: counter store health changed"),
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use tollgate::EventKind;
    use tollgate::policy::Policy;

    #[test]
    fn the_handler_reuses_what_the_layer_counted() {
        let engine = Arc::new(Engine::new(Policy::default()).unwrap());
        let tollgate = TollgateHandle::new(Arc::clone(&engine));
        let at = Timestamp::from_unix_millis(1_700_000_000_000);
        let layer_event = Event::new(EventKind::Login, at).with_ip("203.0.113.9".parse().unwrap());
        let handler_event = layer_event.clone().with_user("alice");
        let pre = tollgate.evaluate_pre_auth(&layer_event);
        let handler_plan = engine.prepare(&handler_event);
        let split = Split::new(handler_plan.ops(), Some(&pre));
        let counted: Vec<&Op> = pre.spent.iter().map(|(op, _)| op).collect();
        // The default policy's IP limits and spike counters count on both.
        assert!(counted.iter().any(|op| matches!(op, Op::Gcra { .. })));
        assert!(counted.iter().any(|op| matches!(op, Op::WindowPair { .. })));
        let shared = handler_plan.ops().iter().filter(|op| counted.contains(op)).count();
        assert!(shared > 0);
        assert_eq!(split.fresh.len(), handler_plan.ops().len() - shared);
        assert!(split.fresh.iter().all(|op| !counted.contains(&op)));
    }
}
