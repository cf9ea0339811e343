//! `--decision-log FILE` in the example services: the log the flags ask
//! for, attached to the engine, and flushed when the service stops.

use std::sync::Arc;

use tollgate::{CredentialKind, Engine};
use tollgate_metrics::{Registry, TollgateMetrics};

use super::{DecisionLog, attach};
use crate::demo::{Args, BoxError};

/// With `--decision-log FILE`: the log, attached to `engine` (beside the
/// metrics of `--metrics`, whose registry then also serves the log's
/// counters); `None` without the flag.
pub fn from_args<S>(
    args: &Args,
    engine: &Engine<S>,
    metrics: Option<&mut (Arc<TollgateMetrics>, Registry)>,
) -> Result<Option<Arc<DecisionLog>>, BoxError> {
    let Some(path) = &args.decision_log else {
        return Ok(None);
    };
    // The example services decide on one kind of credential change, the
    // email change of `POST /account/email`.
    let log = DecisionLog::open(path, Some(CredentialKind::Email))?;
    let metrics = metrics.map(|(metrics, registry)| {
        log.counts().register(registry);
        &*metrics
    });
    attach(engine, Arc::clone(&log), metrics);
    tracing::info!(path = %path.display(), "decision log: appending challenges, throttles and denials");
    Ok(Some(log))
}

/// Runs `service` to its end, then waits for the lines `log` still holds
/// to be written: a graceful shutdown loses none.
pub async fn flushed<T>(log: Option<Arc<DecisionLog>>, service: impl std::future::Future<Output = T>) -> T {
    let result = service.await;
    if let Some(log) = log {
        log.flush();
    }
    result
}
