//! Several observers in the engine's one observer slot: [`Observers`],
//! and [`attach`], which puts the log beside the metrics.

use std::sync::Arc;

use tollgate::observe::{Observation, ObserveWhen, Observer};
use tollgate::{Action, Decision, Engine};
use tollgate_metrics::TollgateMetrics;

use super::DecisionLog;

/// Several observers on one engine (it has one slot), each called with
/// the decisions its own [`ObserveWhen`] matches.
#[derive(Debug)]
pub struct Observers {
    observers: Vec<(Arc<dyn Observer>, ObserveWhen)>,
    identifiers: bool,
}

impl Observers {
    /// `observers`, each with when to call it.
    pub fn new(observers: Vec<(Arc<dyn Observer>, ObserveWhen)>) -> Self {
        let identifiers = observers.iter().any(|(o, _)| o.identifiers());
        Observers { observers, identifiers }
    }

    /// When the engine must call the group: for every decision (each
    /// member filters its own).
    pub fn observe_when() -> ObserveWhen {
        ObserveWhen::action(Action::Allow)
    }
}

impl Observer for Observers {
    fn observe(&self, o: &Observation<'_>) {
        // The verdicts only: `ObserveWhen` reads nothing else, and an allow
        // with no reasons allocates nothing.
        let mut verdict = Decision::allow();
        verdict.action = o.action;
        verdict.score = o.score;
        verdict.monitored = o.monitored;
        for (observer, when) in &self.observers {
            if when.matches(&verdict) {
                observer.observe(o);
            }
        }
    }

    fn identifiers(&self) -> bool {
        self.identifiers
    }
}

/// Registers `log` as `engine`'s observer, beside `metrics` when the
/// service has them (the engine has one observer slot; the metrics were
/// attached first and are kept).
pub fn attach<S>(engine: &Engine<S>, log: Arc<DecisionLog>, metrics: Option<&Arc<TollgateMetrics>>) {
    match metrics {
        None => engine.set_observer(log, DecisionLog::observe_when()),
        Some(metrics) => {
            let metrics: Arc<dyn Observer> = Arc::clone(metrics) as Arc<dyn Observer>;
            let both = Observers::new(vec![
                (metrics, TollgateMetrics::observe_when()),
                (log, DecisionLog::observe_when()),
            ]);
            engine.set_observer(Arc::new(both), Observers::observe_when());
        }
    }
}
