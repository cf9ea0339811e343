//! [`LogCounts`]: what the log counted, as Prometheus counters for
//! `--metrics`.

use prometheus_client::metrics::counter::Counter;
use tollgate_metrics::Registry;

/// What the log counted: lines written, dropped (queue full), failed
/// (the write failed) and skipped (an event the log cannot write in
/// `tollgate score`'s form). Prometheus counters, so `--metrics` serves
/// them as they are.
#[derive(Clone, Debug, Default)]
pub struct LogCounts {
    /// Lines appended to the file.
    pub written: Counter,
    /// Lines dropped because the queue was full.
    pub dropped: Counter,
    /// Lines lost to a failed write.
    pub failed: Counter,
    /// Decisions on events the log cannot rebuild: a credential change of
    /// a kind the log was not told, an OTP send whose observation carries
    /// no channel, an event type newer than this log.
    pub skipped: Counter,
}

impl LogCounts {
    /// Adds the counters to `registry` as
    /// `tollgate_decision_log_lines_{written,dropped,failed,skipped}_total`.
    pub fn register(&self, registry: &mut Registry) {
        let series = [
            ("written", "appended to the file", &self.written),
            ("dropped", "dropped because the writer's queue was full", &self.dropped),
            ("failed", "lost to a failed write", &self.failed),
            (
                "skipped",
                "not written: the event cannot be rebuilt for a replay",
                &self.skipped,
            ),
        ];
        for (name, help, counter) in series {
            registry.register(
                format!("tollgate_decision_log_lines_{name}"),
                format!("Decision-log lines {help}"),
                counter.clone(),
            );
        }
    }
}
