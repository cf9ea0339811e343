//! Limiter invariants, checked on arbitrary traffic.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use proptest::prelude::*;
use tollgate::Timestamp;
use tollgate::limiter::{GcraMode, GcraParams};
use tollgate::policy::Rate;
use tollgate::store::{MemoryStore, Op, OpResult, Store, StoreKey};

fn consume(params: GcraParams, at: Timestamp, store: &MemoryStore) -> bool {
    let mut out = [OpResult::Done];
    let op = Op::Gcra {
        key: StoreKey(1),
        params,
        mode: GcraMode::Consume,
    };
    store.execute(at, &[op], &mut out).unwrap();
    matches!(out[0], OpResult::Gcra(o) if o.allowed)
}

proptest! {
    /// From a fresh key, the units admitted by time t never exceed
    /// burst + rate × elapsed, whatever the arrival pattern and costs.
    #[test]
    fn never_admits_more_than_burst_plus_rate_times_elapsed(
        count in 1u32..1000,
        period_secs in 1u32..3600,
        burst in 1u32..100,
        arrivals in prop::collection::vec((0u64..5_000, 1u32..5), 1..300),
    ) {
        let rate = Rate::new(count, period_secs).unwrap();
        let emission_nanos = (u64::from(period_secs) * 1_000_000_000).div_ceil(u64::from(count));
        let store = MemoryStore::new(16);
        let start = 1_700_000_000_000u64;
        let mut now = start;
        let mut admitted = 0u128;
        for (gap_ms, cost) in arrivals {
            now += gap_ms;
            let cost = cost.min(burst);
            let params = GcraParams { emission_nanos, burst, cost };
            if consume(params, Timestamp::from_unix_millis(now), &store) {
                admitted += u128::from(cost);
            }
            let elapsed_nanos = u128::from(now - start) * 1_000_000;
            let period_nanos = rate.period().as_nanos();
            // admitted <= burst + elapsed * count / period, without division.
            prop_assert!(
                admitted * period_nanos <= u128::from(burst) * period_nanos + elapsed_nanos * u128::from(count),
                "admitted {admitted} after {elapsed_nanos} ns at {count}/{period_secs}s burst {burst}"
            );
        }
    }

    /// Never admits less either: events spaced at least one emission
    /// interval apart are all admitted.
    #[test]
    fn admits_traffic_at_the_rate(count in 1u32..100, burst in 1u32..10, n in 1usize..200) {
        let emission_nanos = 3_600_000_000_000u64.div_ceil(u64::from(count));
        let params = GcraParams { emission_nanos, burst, cost: 1 };
        let store = MemoryStore::new(16);
        for i in 0..n as u64 {
            let at = Timestamp::from_unix_nanos(1_000_000_000_000_000_000 + i * emission_nanos);
            prop_assert!(consume(params, at, &store));
        }
    }
}
