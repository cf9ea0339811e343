//! `tollgate_reasons_total`: reasons by code, rule and mode, with the
//! number of series capped (rule names come from policies, which reloads
//! may rename without end).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

use crate::labels::ReasonLabels;

/// The rule label of reasons past the series cap.
const OTHER_RULE: &str = "_other";

/// The reason counters and their cap.
#[derive(Debug)]
pub(crate) struct ReasonCounts {
    pub(crate) family: Family<ReasonLabels, Counter>,
    pub(crate) max_series: usize,
    /// Series in `family` other than the `_other` ones.
    series: AtomicUsize,
    creation: Mutex<()>,
    /// The `rule` labels that are not rule names, allocated once.
    no_rule: Arc<str>,
    other_rule: Arc<str>,
}

impl ReasonCounts {
    /// No series yet; at most `max_series` rules get their own.
    pub(crate) fn new(max_series: usize) -> Self {
        ReasonCounts {
            family: Family::default(),
            max_series,
            series: AtomicUsize::new(0),
            creation: Mutex::new(()),
            no_rule: Arc::from(""),
            other_rule: Arc::from(OTHER_RULE),
        }
    }

    /// Counts one reason with `code`, from `rule` (none for codes without
    /// one), enforced or monitored.
    pub(crate) fn count(&self, code: &'static str, rule: Option<&Arc<str>>, monitor: bool) {
        let mode = if monitor { "monitor" } else { "enforce" };
        let labels = ReasonLabels {
            code,
            rule: Arc::clone(rule.unwrap_or(&self.no_rule)),
            mode,
        };
        if let Some(counter) = self.family.get(&labels) {
            counter.inc();
            return;
        }
        // A series not seen yet: within the cap it gets its own, past it
        // the rule folds into `_other` (codes and modes stay: they are few).
        // Creating one is counted under a lock so that racing threads
        // cannot overshoot the cap; past the cap no lock is taken.
        if self.series.load(Ordering::Relaxed) < self.max_series {
            let _creating = self.creation.lock().unwrap_or_else(PoisonError::into_inner);
            if self.family.get(&labels).is_none() {
                if self.series.load(Ordering::Relaxed) >= self.max_series {
                    drop(_creating);
                    return self.count_other(labels);
                }
                self.series.fetch_add(1, Ordering::Relaxed);
            }
            self.family.get_or_create(&labels).inc();
        } else {
            self.count_other(labels);
        }
    }

    fn count_other(&self, labels: ReasonLabels) {
        let other = ReasonLabels {
            rule: Arc::clone(&self.other_rule),
            ..labels
        };
        self.family.get_or_create(&other).inc();
    }
}
