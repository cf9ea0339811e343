//! The async path: an engine over an [`AsyncStore`] (Redis), and what it
//! decides while that store is unavailable (`[store] on_failure`).
//!
//! The engine tracks whether the store answers. A failure switches it to
//! failing; from then on the store is tried again at most once per
//! `store.retry_secs` of event time, and the other events go straight to
//! the failure mode instead of each waiting out the store's timeout. The
//! first success switches back. Each switch is reported once, to
//! [`Engine::store_healthy`] and to the hook set with
//! [`Engine::on_store_transition`].
//!
//! ```
//! use std::future::Future;
//! use std::pin::pin;
//! use std::task::{Context, Poll, Waker};
//! use tollgate::{Action, Engine, Event, EventKind, Timestamp};
//! use tollgate::policy::Policy;
//!
//! let engine = Engine::new(Policy::default())?;
//! let login = Event::new(EventKind::Login, Timestamp::EPOCH).with_user("alice");
//! // The in-process store's future is ready on the first poll; a service
//! // awaits it on its runtime instead.
//! let decision = pin!(engine.evaluate_async(&login));
//! let Poll::Ready(decision) = decision.poll(&mut Context::from_waker(Waker::noop())) else {
//!     unreachable!()
//! };
//! assert_eq!(decision.action, Action::Allow);
//! assert!(engine.store_healthy());
//! # Ok::<(), tollgate::policy::PolicyError>(())
//! ```

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use smallvec::SmallVec;

use super::{Engine, Plan, plan};
use crate::policy::{OnStoreFailure, StorePolicy};
use crate::store::{AsyncStore, MemoryStore, Op, OpResult, Store, StoreError};
use crate::{Action, Decision, Event, Outcome, Reason, ReasonCode, Timestamp};

/// A change in whether the engine's store answers, reported once per change.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreTransition {
    /// The store failed after answering (or at its first use).
    Failing {
        /// The event time of the failed call.
        at: Timestamp,
        /// The store's error message.
        error: String,
    },
    /// The store answered again after failing.
    Recovered {
        /// The event time of the call that succeeded.
        at: Timestamp,
    },
}

type Hook = Arc<dyn Fn(&StoreTransition) + Send + Sync>;

/// The engine's view of its store's health, and the fallback counters.
#[derive(Default)]
pub(super) struct Health {
    failing: AtomicBool,
    /// While failing: the event time (ns) from which the store may be tried
    /// again.
    retry_at: AtomicU64,
    /// Created at the first failure under `local`: an engine whose store
    /// never fails holds no second store.
    fallback: OnceLock<MemoryStore>,
    hook: Mutex<Option<Hook>>,
}

impl fmt::Debug for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Health")
            .field("failing", &self.failing.load(Ordering::Relaxed))
            .field("retry_at", &self.retry_at.load(Ordering::Relaxed))
            .field("fallback", &self.fallback.get().is_some())
            .finish_non_exhaustive()
    }
}

impl Health {
    /// Whether this call should go to the store: always while healthy;
    /// while failing, the first call at or after the retry time claims the
    /// retry (later ones wait for the next). A clock that went back more
    /// than a retry interval retries at once rather than waiting it out.
    fn may_try(&self, at: Timestamp, retry: Duration) -> bool {
        if !self.failing.load(Ordering::Acquire) {
            return true;
        }
        let now = at.as_unix_nanos();
        let due = self.retry_at.load(Ordering::Acquire);
        let stale = due.saturating_sub(now) > nanos(retry);
        (now >= due || stale)
            && self
                .retry_at
                .compare_exchange(
                    due,
                    now.saturating_add(nanos(retry)),
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_ok()
    }

    fn succeeded(&self, at: Timestamp) {
        if self.failing.swap(false, Ordering::AcqRel) {
            self.report(&StoreTransition::Recovered { at });
        }
    }

    fn failed(&self, at: Timestamp, retry: Duration, error: &StoreError) {
        self.retry_at
            .store(at.as_unix_nanos().saturating_add(nanos(retry)), Ordering::Release);
        if !self.failing.swap(true, Ordering::AcqRel) {
            self.report(&StoreTransition::Failing {
                at,
                error: error.to_string(),
            });
        }
    }

    fn report(&self, transition: &StoreTransition) {
        // Cloned out so a hook that takes long (or sets a new hook) runs
        // without the lock held.
        let hook = self.hook.lock().unwrap_or_else(PoisonError::into_inner).clone();
        if let Some(hook) = hook {
            hook(transition);
        }
    }

    fn fallback(&self) -> &MemoryStore {
        self.fallback.get_or_init(MemoryStore::default)
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn retry_interval(store: &StorePolicy) -> Duration {
    Duration::from_secs(u64::from(store.retry_secs))
}

impl<S> Engine<S> {
    /// Whether the store answered its last call on the async path (true
    /// until a call fails). Changes are also reported to the hook set with
    /// [`on_store_transition`](Engine::on_store_transition).
    pub fn store_healthy(&self) -> bool {
        !self.health.failing.load(Ordering::Acquire)
    }

    /// Calls `hook` once per change of [`store_healthy`](Engine::store_healthy),
    /// on the task whose store call made the change (keep it short: log,
    /// count). Replaces an earlier hook.
    pub fn on_store_transition(&self, hook: impl Fn(&StoreTransition) + Send + Sync + 'static) {
        *self.health.hook.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(hook));
    }
}

impl<S: AsyncStore> Engine<S> {
    /// Decides on an event over the async store: [`prepare`](Engine::prepare),
    /// [`execute_async`](Engine::execute_async), then
    /// [`conclude`](Engine::conclude) or, when the store gave nothing,
    /// [`conclude_unavailable`](Engine::conclude_unavailable).
    pub async fn evaluate_async(&self, event: &Event) -> Decision {
        let mut plan = self.prepare(event);
        let mut results: SmallVec<[OpResult; plan::INLINE_OPS]> = SmallVec::from_elem(OpResult::Done, plan.ops().len());
        match self.execute_async(plan.at(), plan.ops(), &mut results).await {
            Ok(()) => self.conclude_in_place(&mut plan, &results),
            Err(_) => self.conclude_unavailable(plan),
        }
    }

    /// Learns from an outcome over the async store, as
    /// [`record`](Engine::record) does. While the store fails the outcome
    /// goes to the in-process fallback under `on_failure = "local"`, and is
    /// dropped otherwise.
    pub async fn record_async(&self, outcome: &Outcome) {
        let ops = self.record_ops(outcome);
        let mut results: SmallVec<[OpResult; plan::INLINE_OPS]> = SmallVec::from_elem(OpResult::Done, ops.len());
        // An outcome that cannot be recorded has nobody to report to; the
        // failure itself is reported as a transition.
        let _ = self.execute_async(outcome.event.at, &ops, &mut results).await;
    }

    /// Runs `ops` under the policy's `[store]` section: on the store while
    /// it answers (or when a retry is due), else — and when the call fails
    /// — on the in-process fallback under `on_failure = "local"`. `Ok`
    /// means `results` holds one result per op; `Err` that no store ran
    /// them, and the decision is
    /// [`conclude_unavailable`](Engine::conclude_unavailable)'s. For callers
    /// that run the split path themselves (e.g. reusing some results).
    pub async fn execute_async(&self, at: Timestamp, ops: &[Op], results: &mut [OpResult]) -> Result<(), StoreError> {
        if ops.is_empty() {
            return Ok(());
        }
        let settings = self.active.load().policy.store;
        let retry = retry_interval(&settings);
        let error = if self.health.may_try(at, retry) {
            match AsyncStore::execute(&self.store, at, ops, results).await {
                Ok(()) => {
                    self.health.succeeded(at);
                    return Ok(());
                }
                Err(error) => {
                    self.health.failed(at, retry, &error);
                    error
                }
            }
        } else {
            StoreError::Unavailable("failing; not retried until the retry interval passes".into())
        };
        match settings.on_failure {
            OnStoreFailure::Local => Store::execute(self.health.fallback(), at, ops, results),
            _ => Err(error),
        }
    }

    /// The decision on a plan whose ops no store ran, per the plan's policy:
    /// `fail_closed` throttles for `store.retry_secs`, the other modes decide
    /// on the static reasons alone. Both add a `store.unavailable` reason;
    /// static denials still win.
    pub fn conclude_unavailable(&self, mut plan: Plan) -> Decision {
        let settings = plan.active.policy.store;
        let mut reason = match settings.on_failure {
            OnStoreFailure::FailClosed => Reason::new(
                ReasonCode::StoreUnavailable,
                "counter store unavailable: throttled (store.on_failure = fail_closed)",
            ),
            _ => Reason::new(
                ReasonCode::StoreUnavailable,
                "counter store unavailable: decided without counters",
            ),
        };
        if settings.on_failure == OnStoreFailure::FailClosed {
            reason.action = Some(Action::Throttle {
                retry_after: retry_interval(&settings),
            });
        }
        let mut decision = plan.conclude_without_counters(reason);
        plan.settle_pow(self.pow.as_ref(), &[], &mut decision);
        self.notify(plan.event_type, plan.at, plan.subject.take(), &decision);
        decision
    }
}
