//! [`TollgateMetrics`]: the observer that counts decisions, reasons and
//! evaluation times, and the store-health and policy series the host
//! sets.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use tollgate::observe::{Observation, ObserveWhen, Observer};
use tollgate::{Action, Engine, EventType, StoreTransition, Timestamp};

use crate::histogram::{EvaluationCollector, TimeHistogram};
use crate::labels::{
    ACTIONS, DecisionLabels, ResultLabels, TransitionLabels, VersionLabels, action_index, event_index,
};
use crate::reasons::ReasonCounts;
use crate::{DEFAULT_MAX_REASON_SERIES, MAX_EVALUATION, Registry};

/// tollgate's decisions, reasons, evaluation time and store health as
/// Prometheus metrics: an [`Observer`] to [`attach`](TollgateMetrics::attach)
/// to an engine, whose series [`register`](TollgateMetrics::register)
/// puts in a [`Registry`]. See the [crate documentation](crate) for the
/// series and their labels.
pub struct TollgateMetrics {
    decisions: Family<DecisionLabels, Counter>,
    /// `decisions`' counters by event type and action, taken once: the
    /// allow path increments an atomic, without hashing labels or locking
    /// the family.
    decision_cells: Vec<[Counter; ACTIONS.len()]>,
    pub(crate) reasons: ReasonCounts,
    /// Evaluation times, one histogram per event type in
    /// [`EventType::ALL`]'s order.
    evaluation: Arc<Vec<TimeHistogram>>,
    timing: bool,
    clock: fn() -> Timestamp,
    store_available: Gauge,
    store_transitions: Family<TransitionLabels, Counter>,
    policy_info: Family<VersionLabels, Gauge>,
    policy_reloads: Family<ResultLabels, Counter>,
}

impl fmt::Debug for TollgateMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TollgateMetrics")
            .field("max_reason_series", &self.reasons.max_series)
            .field("timing", &self.timing)
            .finish_non_exhaustive()
    }
}

/// Builds [`TollgateMetrics`] with settings other than the defaults
/// ([`TollgateMetrics::builder`]).
#[derive(Clone, Copy, Debug)]
pub struct MetricsBuilder {
    max_reason_series: usize,
    timing: bool,
    clock: fn() -> Timestamp,
}

impl MetricsBuilder {
    /// Caps `tollgate_reasons_total` at `max` series (default
    /// [`DEFAULT_MAX_REASON_SERIES`]); past it new rules count as
    /// `rule="_other"`.
    #[must_use]
    pub fn max_reason_series(mut self, max: usize) -> Self {
        self.max_reason_series = max;
        self
    }

    /// Whether evaluations are timed (default yes). Turn it off for
    /// engines deciding on events stamped with times other than now
    /// (replays, simulations), or to save the clock read per decision.
    #[must_use]
    pub fn timing(mut self, timing: bool) -> Self {
        self.timing = timing;
        self
    }

    /// Reads the time from `clock` for evaluation times instead of the
    /// system clock (tests, simulated clocks).
    #[must_use]
    pub fn clock(mut self, clock: fn() -> Timestamp) -> Self {
        self.clock = clock;
        self
    }

    /// The metrics, every decision series at zero.
    pub fn build(self) -> Arc<TollgateMetrics> {
        Arc::new(TollgateMetrics::unshared(&self))
    }
}

fn system_clock() -> Timestamp {
    Timestamp::from(SystemTime::now())
}

impl TollgateMetrics {
    /// Metrics with every decision series at zero (so rates exist before
    /// the first refusal), timing by the system clock.
    pub fn new() -> Arc<Self> {
        TollgateMetrics::builder().build()
    }

    fn unshared(settings: &MetricsBuilder) -> Self {
        let decisions = Family::<DecisionLabels, Counter>::default();
        let decision_cells = EventType::ALL
            .iter()
            .map(|event| {
                ACTIONS.map(|action| {
                    decisions
                        .get_or_create_owned(&DecisionLabels {
                            event: event.as_str(),
                            action,
                        })
                        .clone()
                })
            })
            .collect();
        let evaluation = Arc::new(EventType::ALL.iter().map(|_| TimeHistogram::default()).collect());
        let store_available = Gauge::default();
        store_available.set(1);
        let store_transitions = Family::<TransitionLabels, Counter>::default();
        for to in ["failing", "recovered"] {
            store_transitions.get_or_create(&TransitionLabels { to }).get();
        }
        let policy_reloads = Family::<ResultLabels, Counter>::default();
        for result in ["applied", "rejected"] {
            policy_reloads.get_or_create(&ResultLabels { result }).get();
        }
        TollgateMetrics {
            decisions,
            decision_cells,
            reasons: ReasonCounts::new(settings.max_reason_series),
            evaluation,
            timing: settings.timing,
            clock: settings.clock,
            store_available,
            store_transitions,
            policy_info: Family::default(),
            policy_reloads,
        }
    }

    /// Settings other than the defaults of [`new`](TollgateMetrics::new):
    ///
    /// ```
    /// use tollgate_metrics::TollgateMetrics;
    ///
    /// let replaying = TollgateMetrics::builder().timing(false).max_reason_series(200).build();
    /// # let _ = replaying;
    /// ```
    pub fn builder() -> MetricsBuilder {
        MetricsBuilder {
            max_reason_series: DEFAULT_MAX_REASON_SERIES,
            timing: true,
            clock: system_clock,
        }
    }

    /// Adds the series to `registry`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "tollgate_decisions",
            "Decisions, by event type and enforced action",
            self.decisions.clone(),
        );
        registry.register(
            "tollgate_reasons",
            "Reasons in decisions, by reason code, policy rule and mode (enforce or monitor)",
            self.reasons.family.clone(),
        );
        registry.register_collector(Box::new(EvaluationCollector(Arc::clone(&self.evaluation))));
        registry.register(
            "tollgate_store_available",
            "1 while the counter store answers, 0 while it fails",
            self.store_available.clone(),
        );
        registry.register(
            "tollgate_store_transitions",
            "Changes of the counter store's health, by the state changed to",
            self.store_transitions.clone(),
        );
        registry.register(
            "tollgate_policy_info",
            "1 for the version of the policy in force",
            self.policy_info.clone(),
        );
        registry.register(
            "tollgate_policy_reloads",
            "Policy reloads, applied or rejected (the running policy kept)",
            self.policy_reloads.clone(),
        );
    }

    /// When this observer must be called: on every decision (allows
    /// included; monitored verdicts change nothing here, reasons carry
    /// their own mode).
    pub fn observe_when() -> ObserveWhen {
        ObserveWhen::action(Action::Allow).with_monitored(false)
    }

    /// Registers these metrics as `engine`'s observer (replacing any
    /// other: wrap several in one observer to keep them) and reads the
    /// store's health as it is now. Store transitions reach the metrics
    /// only through the engine's one transition hook, which the host owns:
    /// call [`store_transition`](TollgateMetrics::store_transition) from it.
    pub fn attach<S>(self: &Arc<Self>, engine: &Engine<S>) {
        engine.set_observer(Arc::clone(self) as Arc<dyn Observer>, TollgateMetrics::observe_when());
        self.store_available.set(i64::from(engine.store_healthy()));
    }

    /// Counts a change of store health; call it from the hook given to
    /// [`Engine::on_store_transition`].
    pub fn store_transition(&self, transition: &StoreTransition) {
        let (to, available) = match transition {
            StoreTransition::Failing { .. } => ("failing", 0),
            StoreTransition::Recovered { .. } => ("recovered", 1),
            _ => return,
        };
        self.store_available.set(available);
        self.store_transitions.get_or_create(&TransitionLabels { to }).inc();
    }

    /// Records that the policy `version` (a short hash of its file, say)
    /// is now in force: `tollgate_policy_info{version}` is 1 for it alone.
    pub fn policy_applied(&self, version: &str) {
        self.policy_info.clear();
        self.policy_info
            .get_or_create(&VersionLabels {
                version: version.to_owned(),
            })
            .set(1);
    }

    /// Counts a reload that was applied ([`policy_applied`](Self::policy_applied)
    /// names the version) or rejected (the running policy kept).
    pub fn policy_reload(&self, applied: bool) {
        let result = if applied { "applied" } else { "rejected" };
        self.policy_reloads.get_or_create(&ResultLabels { result }).inc();
    }
}

impl Observer for TollgateMetrics {
    fn observe(&self, o: &Observation<'_>) {
        let event = event_index(o.event_type);
        if let Some(counter) = self
            .decision_cells
            .get(event)
            .and_then(|c| c.get(action_index(o.action)))
        {
            counter.inc();
        }
        for reason in o.reasons {
            self.reasons
                .count(reason.code.as_str(), reason.rule.as_ref(), reason.monitor);
        }
        if self.timing {
            let now = (self.clock)().as_unix_nanos();
            let at = o.at.as_unix_nanos();
            let elapsed = now.saturating_sub(at);
            if now >= at && Duration::from_nanos(elapsed) <= MAX_EVALUATION {
                if let Some(histogram) = self.evaluation.get(event) {
                    histogram.observe(elapsed);
                }
            }
        }
    }

    /// Metrics carry no identifiers: the engine need not mask them.
    fn identifiers(&self) -> bool {
        false
    }
}
