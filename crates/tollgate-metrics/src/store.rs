//! The in-process store's own counters (keys, cap, sweeps, evictions),
//! read when scraped.

use std::fmt;
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use tollgate::Engine;
use tollgate::store::MemoryStore;

use crate::Registry;

/// Adds the in-process store's gauges and counters to `registry`, read
/// from `engine`'s [`MemoryStore`] at each scrape: `tollgate_store_keys`,
/// `tollgate_store_max_keys`, `tollgate_store_sweeps_total` and
/// `tollgate_store_evictions_total{state="idle"|"live"}`.
pub fn register_memory_store(registry: &mut Registry, engine: Arc<Engine<MemoryStore>>) {
    registry.register_collector(Box::new(MemoryStoreCollector { engine }));
}

/// Reads a [`MemoryStore`]'s counters when scraped.
pub(crate) struct MemoryStoreCollector {
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
