//! `--metrics`: the engine's metrics and their registry ([`instrument`],
//! [`metrics_for`]), rendered for `GET /metrics` by an [`Exporter`].

use std::fmt;
use std::sync::Arc;

use tollgate::Engine;
use tollgate::store::MemoryStore;
use tollgate_metrics::{Registry, TollgateMetrics};

use crate::demo::Args;

/// The registry the `/metrics` route renders, shared by every worker.
#[derive(Clone, Debug)]
pub struct Exporter(Arc<Registry>);

impl Exporter {
    /// An exporter of everything in `registry`.
    pub fn new(registry: Registry) -> Self {
        Exporter(Arc::new(registry))
    }

    /// The metrics in the Prometheus text format
    /// ([`tollgate_metrics::CONTENT_TYPE`]).
    pub fn render(&self) -> Result<String, fmt::Error> {
        tollgate_metrics::encode(&self.0)
    }
}

/// The policy version reported while the built-in policy is in force.
pub const BUILT_IN_VERSION: &str = "built-in";

/// Metrics for `engine`, registered in `registry`: the engine's observer,
/// its store-transition hook counting changes of store health as well
/// as logging them (the hook is one slot, so one closure does both), and
/// attack mode's and the settled-site test's gauges by the system clock. The
/// policy version reads [`BUILT_IN_VERSION`] until a
/// [`Reloader`](super::Reloader) names the file's.
pub fn instrument<S>(engine: &Arc<Engine<S>>, registry: &mut Registry) -> Arc<TollgateMetrics>
where
    S: Send + Sync + 'static,
{
    tollgate_metrics::register_status(registry, Arc::clone(engine), || {
        tollgate::Timestamp::from(std::time::SystemTime::now())
    });
    let metrics = TollgateMetrics::new();
    metrics.register(registry);
    metrics.attach(engine);
    metrics.policy_applied(BUILT_IN_VERSION);
    let counted = Arc::clone(&metrics);
    engine.on_store_transition(move |transition| {
        tollgate_axum::log_store_transition(transition);
        counted.store_transition(transition);
    });
    metrics
}

/// With `--metrics`: [`instrument`]ed metrics for `engine` and the
/// registry they are in, with the in-process store's series when `store`
/// is that engine over a [`MemoryStore`]; `None` without the flag.
pub fn metrics_for<S>(
    args: &Args,
    engine: &Arc<Engine<S>>,
    store: Option<Arc<Engine<MemoryStore>>>,
) -> Option<(Arc<TollgateMetrics>, Registry)>
where
    S: Send + Sync + 'static,
{
    if !args.metrics {
        return None;
    }
    let mut registry = Registry::default();
    if let Some(store) = store {
        tollgate_metrics::register_memory_store(&mut registry, store);
    }
    Some((instrument(engine, &mut registry), registry))
}
