//! Prometheus metrics for [tollgate]: what the engine decides and why, how
//! long deciding takes, and the health of its counter store.
//!
//! The core stays sans-IO: [`TollgateMetrics`] is an
//! [`Observer`] the engine calls with every
//! decision, and counts in memory; [`register_memory_store`] reads the
//! in-process store's own counters when scraped. Serving them is the
//! host's: [`encode`] writes the Prometheus text format for its `GET
//! /metrics` handler (the example services do it with `--metrics`).
//!
//! ```
//! use std::sync::Arc;
//! use tollgate::policy::Policy;
//! use tollgate::{Engine, Event, EventKind, Timestamp};
//! use tollgate_metrics::{Registry, TollgateMetrics, encode, register_memory_store};
//!
//! let engine = Arc::new(Engine::new(Policy::default())?);
//! let mut registry = Registry::default();
//! let metrics = TollgateMetrics::new();
//! metrics.register(&mut registry);
//! metrics.attach(&engine);
//! register_memory_store(&mut registry, Arc::clone(&engine));
//!
//! let login = Event::new(EventKind::Login, Timestamp::from(std::time::SystemTime::now()))
//!     .with_ip("203.0.113.7".parse()?);
//! engine.evaluate(&login);
//!
//! let text = encode(&registry)?;
//! assert!(text.contains(r#"tollgate_decisions_total{event="login",action="allow"} 1"#));
//! assert!(text.contains(r#"tollgate_evaluation_seconds_count{event="login"} 1"#));
//! assert!(text.contains("tollgate_store_available 1"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The series
//!
//! | series | labels | what |
//! | --- | --- | --- |
//! | `tollgate_decisions_total` | `event`, `action` | decisions, by event type and enforced action |
//! | `tollgate_reasons_total` | `code`, `rule`, `mode` | reasons in decisions: reason code, policy rule (empty for codes without one), `enforce` or `monitor` |
//! | `tollgate_evaluation_seconds` | `event` | histogram: from the event's timestamp to its decision |
//! | `tollgate_store_available` | | 1 while the counter store answers, 0 while it fails |
//! | `tollgate_store_transitions_total` | `to` | changes of store health, `failing` or `recovered` |
//! | `tollgate_policy_info` | `version` | 1 for the policy version in force (set by the host) |
//! | `tollgate_policy_reloads_total` | `result` | policy reloads, `applied` or `rejected` (counted by the host) |
//! | `tollgate_store_keys`, `tollgate_store_max_keys` | | in-process store: keys tracked, and its cap |
//! | `tollgate_store_sweeps_total` | | in-process store: times it reached its cap and swept |
//! | `tollgate_store_evictions_total` | `state` | in-process store: keys swept, `idle` (no decision changed) or `live` (state forgotten under the cap) |
//!
//! Every decision the engine makes is counted, the layer's and the
//! handler's alike: a protected route the layer admits is decided twice
//! (first without the user, then by the handler with it), so decisions
//! per request are between one and two.
//!
//! # Cardinality
//!
//! Labels take values from closed sets only: event types, actions and
//! reason codes are enums of the core; `rule` is a rule name from the
//! policy, written by the operator, never by a client. No label ever
//! holds a user, an address, a phone number or a fingerprint. Rule names
//! are still unbounded over time (each policy reload may rename rules,
//! and old series stay until the process restarts), so the number of
//! `(code, rule, mode)` series is capped
//! ([`MetricsBuilder::max_reason_series`], default
//! [`DEFAULT_MAX_REASON_SERIES`]); past the cap, new rules are counted
//! under `rule="_other"`.
//!
//! # Evaluation time
//!
//! The observer runs when the decision is made; the adapters stamp each
//! event with the system clock right before evaluating it, so the time
//! from [`Observation::at`] to the observer's call is the evaluation:
//! preparing, the store's round trip, concluding. Events stamped with
//! another time (a replay of old traffic) would give meaningless
//! durations: observations stamped in the future or more than
//! [`MAX_EVALUATION`] in the past are not timed, and a replaying engine
//! should turn timing off ([`MetricsBuilder::timing`]).
//!
//! # Why `prometheus-client` and not the `metrics` facade
//!
//! The `metrics` facade sends to a process-global recorder that the
//! application installs; handles taken before it is installed stay
//! no-ops for good, and its Prometheus exporter keeps raw histogram
//! samples until a scrape or an upkeep task drains them. A library
//! embedded in someone else's service should not depend on start-up
//! order or on a background task to bound its memory. `prometheus-client`
//! (the Prometheus project's Rust client) has an explicit [`Registry`]
//! the host owns (several engines, several registries, tests in parallel),
//! collectors that read values at scrape time (the evaluation histogram
//! is fixed-size atomics of this crate's, so deciding takes no lock), the
//! text format built in, and four small dependencies. An application that reports through
//! another system (StatsD, OpenTelemetry) implements
//! [`Observer`] itself: [`TollgateMetrics`]'s
//! source is the pattern.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::fmt;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::registry::Unit;
use tollgate::observe::{Observation, ObserveWhen, Observer};
use tollgate::store::MemoryStore;
use tollgate::{Action, Engine, EventType, StoreTransition, Timestamp};

pub use prometheus_client::registry::Registry;

/// The `Content-Type` of what [`encode`] writes: the Prometheus text
/// format, version 0.0.4.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// How many `(code, rule, mode)` series `tollgate_reasons_total` holds
/// before new rules are counted as `rule="_other"`.
pub const DEFAULT_MAX_REASON_SERIES: usize = 1000;

/// The longest time from an event's timestamp to its decision that is
/// taken for an evaluation time; anything older is not timed.
pub const MAX_EVALUATION: Duration = Duration::from_secs(60);

/// The rule label of reasons past the series cap.
const OTHER_RULE: &str = "_other";

/// The upper bounds of `tollgate_evaluation_seconds`' buckets, in
/// nanoseconds: from a microsecond (the in-process store) to a second (a
/// networked store timing out).
const BUCKET_NANOS: [u64; 18] = [
    1_000,
    2_500,
    5_000,
    10_000,
    25_000,
    50_000,
    100_000,
    250_000,
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
    25_000_000,
    50_000_000,
    100_000_000,
    500_000_000,
    1_000_000_000,
];

/// One event type's evaluation times: a count per bucket (the last one
/// past every bound) and the sum, in atomics. Every decision observes one
/// of these, so it takes no lock (a histogram behind a mutex would make
/// every thread deciding a login wait on one lock).
#[derive(Debug, Default)]
struct TimeHistogram {
    buckets: [AtomicU64; BUCKET_NANOS.len() + 1],
    sum_nanos: AtomicU64,
}

impl TimeHistogram {
    fn observe(&self, nanos: u64) {
        // The first bucket whose bound is at least the value (`le`).
        let index = BUCKET_NANOS.partition_point(|&bound| bound < nanos);
        if let Some(bucket) = self.buckets.get(index) {
            bucket.fetch_add(1, Ordering::Relaxed);
        }
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }
}

/// `tollgate_evaluation_seconds`, read from the histograms at each scrape.
#[derive(Debug)]
struct EvaluationCollector(Arc<Vec<TimeHistogram>>);

impl Collector for EvaluationCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> fmt::Result {
        let unit = Unit::Seconds;
        let mut family = encoder.encode_descriptor(
            "tollgate_evaluation",
            "Time from an event's timestamp to its decision, by event type",
            Some(&unit),
            MetricType::Histogram,
        )?;
        for (event, histogram) in EventType::ALL.iter().zip(self.0.iter()) {
            let mut buckets = Vec::with_capacity(BUCKET_NANOS.len() + 1);
            let bounds = BUCKET_NANOS.iter().map(|&b| b as f64 / 1e9).chain([f64::INFINITY]);
            for (bound, count) in bounds.zip(&histogram.buckets) {
                buckets.push((bound, count.load(Ordering::Relaxed)));
            }
            // The count is the buckets' total, so `+Inf` and `_count` agree
            // even while observations land during the scrape.
            let count = buckets.iter().map(|(_, n)| n).sum();
            let sum = histogram.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
            family
                .encode_family(&EventLabels { event: event.as_str() })?
                .encode_histogram::<NoLabelSet>(sum, count, &buckets, None)?;
        }
        Ok(())
    }
}

/// The actions by index, with a slot of its own for any action the core
/// adds later (counting it as one of the four would misreport it).
const ACTIONS: [&str; 5] = ["allow", "challenge", "throttle", "deny", "other"];

fn action_index(action: Action) -> usize {
    match action {
        Action::Allow => 0,
        Action::Challenge => 1,
        Action::Throttle { .. } => 2,
        Action::Deny => 3,
        _ => 4,
    }
}

fn event_index(event: EventType) -> usize {
    EventType::ALL.iter().position(|e| *e == event).unwrap_or(0)
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabels {
    event: &'static str,
    action: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EventLabels {
    event: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    code: &'static str,
    rule: Arc<str>,
    mode: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TransitionLabels {
    to: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabels {
    version: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

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
    reasons: Family<ReasonLabels, Counter>,
    max_reason_series: usize,
    /// Series in `reasons` other than the `_other` ones.
    reason_series: AtomicUsize,
    reason_creation: Mutex<()>,
    /// The `rule` labels that are not rule names, allocated once.
    no_rule: Arc<str>,
    other_rule: Arc<str>,
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
            .field("max_reason_series", &self.max_reason_series)
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
            reasons: Family::default(),
            max_reason_series: settings.max_reason_series,
            reason_series: AtomicUsize::new(0),
            reason_creation: Mutex::new(()),
            no_rule: Arc::from(""),
            other_rule: Arc::from(OTHER_RULE),
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
            self.reasons.clone(),
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

    fn count_reason(&self, code: &'static str, rule: Option<&Arc<str>>, monitor: bool) {
        let mode = if monitor { "monitor" } else { "enforce" };
        let labels = ReasonLabels {
            code,
            rule: Arc::clone(rule.unwrap_or(&self.no_rule)),
            mode,
        };
        if let Some(counter) = self.reasons.get(&labels) {
            counter.inc();
            return;
        }
        // A series not seen yet: within the cap it gets its own, past it
        // the rule folds into `_other` (codes and modes stay: they are few).
        // Creating one is counted under a lock so that racing threads
        // cannot overshoot the cap; past the cap no lock is taken.
        if self.reason_series.load(Ordering::Relaxed) < self.max_reason_series {
            let _creating = self.reason_creation.lock().unwrap_or_else(PoisonError::into_inner);
            if self.reasons.get(&labels).is_none() {
                if self.reason_series.load(Ordering::Relaxed) >= self.max_reason_series {
                    drop(_creating);
                    return self.count_other(labels);
                }
                self.reason_series.fetch_add(1, Ordering::Relaxed);
            }
            self.reasons.get_or_create(&labels).inc();
        } else {
            self.count_other(labels);
        }
    }

    fn count_other(&self, labels: ReasonLabels) {
        let other = ReasonLabels {
            rule: Arc::clone(&self.other_rule),
            ..labels
        };
        self.reasons.get_or_create(&other).inc();
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
            self.count_reason(reason.code.as_str(), reason.rule.as_ref(), reason.monitor);
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

/// Adds the in-process store's gauges and counters to `registry`, read
/// from `engine`'s [`MemoryStore`] at each scrape: `tollgate_store_keys`,
/// `tollgate_store_max_keys`, `tollgate_store_sweeps_total` and
/// `tollgate_store_evictions_total{state="idle"|"live"}`.
pub fn register_memory_store(registry: &mut Registry, engine: Arc<Engine<MemoryStore>>) {
    registry.register_collector(Box::new(MemoryStoreCollector { engine }));
}

/// Reads a [`MemoryStore`]'s counters when scraped.
struct MemoryStoreCollector {
    engine: Arc<Engine<MemoryStore>>,
}

impl fmt::Debug for MemoryStoreCollector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStoreCollector").finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

fn gauge(encoder: &mut DescriptorEncoder<'_>, name: &str, help: &str, value: usize) -> fmt::Result {
    let gauge = ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX));
    gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)
}

impl Collector for MemoryStoreCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> fmt::Result {
        let store = self.engine.store();
        gauge(
            &mut encoder,
            "tollgate_store_keys",
            "Keys the in-process store tracks",
            store.len(),
        )?;
        gauge(
            &mut encoder,
            "tollgate_store_max_keys",
            "The in-process store's cap on tracked keys",
            store.max_keys(),
        )?;
        let sweeps = ConstCounter::new(store.sweeps());
        sweeps.encode(encoder.encode_descriptor(
            "tollgate_store_sweeps",
            "Times the in-process store reached its key cap and swept",
            None,
            MetricType::Counter,
        )?)?;
        let mut evictions = encoder.encode_descriptor(
            "tollgate_store_evictions",
            "Keys the in-process store swept: idle (no decision changed) or live (state forgotten under the key cap)",
            None,
            MetricType::Counter,
        )?;
        for (state, value) in [("idle", store.evicted_idle()), ("live", store.evicted_live())] {
            ConstCounter::new(value).encode(evictions.encode_family(&StateLabels { state })?)?;
        }
        Ok(())
    }
}

/// The metrics in `registry` in the Prometheus text format (version
/// 0.0.4, [`CONTENT_TYPE`]), for a `GET /metrics` handler.
pub fn encode(registry: &Registry) -> Result<String, fmt::Error> {
    let mut text = String::new();
    prometheus_client::encoding::prometheus_text::encode(&mut text, registry)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use tollgate::policy::Policy;
    use tollgate::{Event, EventKind};

    const NOW_MS: u64 = 1_700_000_000_000;

    fn now() -> Timestamp {
        // 3 ms after every event the tests stamp.
        Timestamp::from_unix_millis(NOW_MS + 3)
    }

    fn at() -> Timestamp {
        Timestamp::from_unix_millis(NOW_MS)
    }

    fn setup(policy: &str, metrics: Arc<TollgateMetrics>) -> (Arc<Engine>, Registry) {
        let engine = Arc::new(Engine::new(Policy::from_toml(policy).unwrap()).unwrap());
        let mut registry = Registry::default();
        metrics.register(&mut registry);
        metrics.attach(&engine);
        register_memory_store(&mut registry, Arc::clone(&engine));
        (engine, registry)
    }

    fn value(text: &str, series: &str) -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    const ZONE: &str = r#"
        [[zones]]
        name = "blocked-net"
        cidrs = ["198.51.100.0/24"]
        action = "deny"
    "#;

    #[test]
    fn decisions_reasons_and_times_are_counted_with_closed_labels() {
        let (engine, registry) = setup(ZONE, TollgateMetrics::builder().clock(now).build());
        let login = |ip: &str| Event::new(EventKind::Login, at()).with_ip(ip.parse().unwrap());
        for _ in 0..3 {
            engine.evaluate(&login("203.0.113.7").with_user("alice"));
        }
        engine.evaluate(&login("198.51.100.9").with_user("mallory"));
        let text = encode(&registry).unwrap();
        assert_eq!(
            value(&text, r#"tollgate_decisions_total{event="login",action="allow"}"#),
            Some(3.0),
            "{text}"
        );
        assert_eq!(
            value(&text, r#"tollgate_decisions_total{event="login",action="deny"}"#),
            Some(1.0)
        );
        assert_eq!(
            value(&text, r#"tollgate_decisions_total{event="signup",action="challenge"}"#),
            Some(0.0),
            "every series exists from the start"
        );
        assert_eq!(
            value(
                &text,
                r#"tollgate_reasons_total{code="zone.match",rule="blocked-net",mode="enforce"}"#
            ),
            Some(1.0),
            "{text}"
        );
        assert_eq!(
            value(&text, r#"tollgate_evaluation_seconds_count{event="login"}"#),
            Some(4.0)
        );
        // 3 ms each: in the 5 ms bucket, not in the 2.5 ms one.
        assert_eq!(
            value(
                &text,
                r#"tollgate_evaluation_seconds_bucket{event="login",le="0.0025"}"#
            ),
            Some(0.0)
        );
        assert_eq!(
            value(&text, r#"tollgate_evaluation_seconds_bucket{event="login",le="0.005"}"#),
            Some(4.0)
        );
        for secret in ["alice", "mallory", "203.0.113", "198.51.100"] {
            assert!(!text.contains(secret), "{secret} in the metrics");
        }
    }

    #[test]
    fn events_not_stamped_now_are_not_timed() {
        fn late() -> Timestamp {
            Timestamp::from_unix_millis(NOW_MS + 61_000)
        }
        fn early() -> Timestamp {
            Timestamp::from_unix_millis(NOW_MS - 1)
        }
        for metrics in [
            TollgateMetrics::builder().clock(late).build(),
            TollgateMetrics::builder().clock(early).build(),
            TollgateMetrics::builder().timing(false).build(),
        ] {
            let (engine, registry) = setup("", metrics);
            engine.evaluate(&Event::new(EventKind::Login, at()).with_ip("203.0.113.7".parse().unwrap()));
            let text = encode(&registry).unwrap();
            assert_eq!(
                value(&text, r#"tollgate_decisions_total{event="login",action="allow"}"#),
                Some(1.0)
            );
            assert_eq!(
                value(&text, r#"tollgate_evaluation_seconds_count{event="login"}"#),
                Some(0.0)
            );
        }
    }

    #[test]
    fn time_buckets_hold_values_up_to_their_bound() {
        let histogram = TimeHistogram::default();
        for nanos in [
            0,
            1_000,
            1_001,
            2_500,
            999_999_999,
            1_000_000_000,
            1_000_000_001,
            u64::MAX / 2,
        ] {
            histogram.observe(nanos);
        }
        let counts: Vec<u64> = histogram.buckets.iter().map(|b| b.load(Ordering::Relaxed)).collect();
        assert_eq!(&counts[..2], &[2, 2]);
        assert_eq!(counts[BUCKET_NANOS.len() - 1], 2, "up to and including 1 s");
        assert_eq!(counts[BUCKET_NANOS.len()], 2, "past every bound");
        assert_eq!(counts.iter().sum::<u64>(), 8);
    }

    #[test]
    fn reason_series_are_capped() {
        let metrics = TollgateMetrics::builder().max_reason_series(2).build();
        for rule in ["a", "b", "c", "d"] {
            metrics.count_reason("zone.deny", Some(&Arc::from(rule)), false);
        }
        metrics.count_reason("zone.deny", Some(&Arc::from("a")), false);
        let mut registry = Registry::default();
        metrics.register(&mut registry);
        let text = encode(&registry).unwrap();
        let series = |rule: &str| {
            value(
                &text,
                &format!(r#"tollgate_reasons_total{{code="zone.deny",rule="{rule}",mode="enforce"}}"#),
            )
        };
        assert_eq!(series("a"), Some(2.0), "{text}");
        assert_eq!(series("b"), Some(1.0));
        assert_eq!(series("c"), None);
        assert_eq!(series("_other"), Some(2.0));
    }

    #[test]
    fn store_health_and_policy_versions() {
        let metrics = TollgateMetrics::new();
        let mut registry = Registry::default();
        metrics.register(&mut registry);
        metrics.store_transition(&StoreTransition::Failing {
            at: at(),
            error: "connection refused".into(),
        });
        let text = encode(&registry).unwrap();
        assert_eq!(value(&text, "tollgate_store_available"), Some(0.0));
        assert_eq!(
            value(&text, r#"tollgate_store_transitions_total{to="failing"}"#),
            Some(1.0)
        );
        assert!(!text.contains("connection refused"));
        metrics.store_transition(&StoreTransition::Recovered { at: at() });
        metrics.policy_applied("0123abcd");
        metrics.policy_reload(true);
        metrics.policy_applied("4567ef01");
        metrics.policy_reload(false);
        let text = encode(&registry).unwrap();
        assert_eq!(value(&text, "tollgate_store_available"), Some(1.0));
        assert_eq!(
            value(&text, r#"tollgate_store_transitions_total{to="recovered"}"#),
            Some(1.0)
        );
        assert_eq!(value(&text, r#"tollgate_policy_info{version="4567ef01"}"#), Some(1.0));
        assert!(!text.contains("0123abcd"), "only the version in force: {text}");
        assert_eq!(
            value(&text, r#"tollgate_policy_reloads_total{result="applied"}"#),
            Some(1.0)
        );
        assert_eq!(
            value(&text, r#"tollgate_policy_reloads_total{result="rejected"}"#),
            Some(1.0)
        );
    }

    #[test]
    fn memory_store_evictions_are_read_at_scrape_time() {
        let engine = Arc::new(
            Engine::builder(Policy::default())
                .store(MemoryStore::new(50))
                .build()
                .unwrap(),
        );
        let mut registry = Registry::default();
        register_memory_store(&mut registry, Arc::clone(&engine));
        let before = encode(&registry).unwrap();
        assert_eq!(value(&before, "tollgate_store_max_keys"), Some(50.0), "{before}");
        assert_eq!(
            value(&before, r#"tollgate_store_evictions_total{state="live"}"#),
            Some(0.0)
        );
        // Distinct clients, all at one instant: nothing goes idle, the cap evicts live state.
        for i in 0..200u32 {
            let ip = std::net::Ipv4Addr::from(0xC633_6400 + i);
            engine.evaluate(&Event::new(EventKind::Login, at()).with_ip(ip.into()));
        }
        let after = encode(&registry).unwrap();
        assert!(value(&after, "tollgate_store_sweeps_total").unwrap() >= 1.0, "{after}");
        assert!(value(&after, r#"tollgate_store_evictions_total{state="live"}"#).unwrap() > 0.0);
        assert!(value(&after, "tollgate_store_keys").unwrap() <= 50.0);
    }
}
