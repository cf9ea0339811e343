//! `tollgate_evaluation_seconds`: a fixed-bucket histogram per event type
//! in atomics, read by a collector at scrape time.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Unit;
use tollgate::EventType;

use crate::labels::EventLabels;

/// The upper bounds of `tollgate_evaluation_seconds`' buckets, in
/// nanoseconds: from a microsecond (the in-process store) to a second (a
/// networked store timing out).
pub(crate) const BUCKET_NANOS: [u64; 18] = [
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
pub(crate) struct TimeHistogram {
    pub(crate) buckets: [AtomicU64; BUCKET_NANOS.len() + 1],
    sum_nanos: AtomicU64,
}

impl TimeHistogram {
    pub(crate) fn observe(&self, nanos: u64) {
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
pub(crate) struct EvaluationCollector(pub(crate) Arc<Vec<TimeHistogram>>);

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
