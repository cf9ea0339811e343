//! `limiter`: one keyed limiter check, tollgate against governor.
//!
//! Both sides run on the same sequence of 100,000 distinct `u64` keys
//! (scrambled, cycling, all inserted before measuring) with the same quota
//! (10,000/s per key, burst 100: high enough that both admit every check,
//! see `tollgate_benches::LIMITER_PER_SECOND`).
//!
//! * `limiter/tollgate`: `MemoryStore::execute` with one
//!   `Op::Gcra { mode: Consume }` and a one-element results buffer, the time
//!   read on every check from the same clock governor uses (quanta), turned
//!   into a wall-clock `Timestamp` from an anchor taken once.
//! * `limiter/tollgate_systime`: the same, reading `SystemTime::now()`
//!   (a `clock_gettime` call) instead: what a naive adapter would pay.
//! * `limiter/governor`: `governor::RateLimiter::keyed(..).check_key(&k)`
//!   on its default keyed store (DashMap, std `RandomState`) and default
//!   clock (quanta).
//! * `limiter/tollgate_no_clock`: as `limiter/tollgate`, with time taken
//!   from a simulated clock (one addition) instead of the wall clock, to
//!   show what the clock read costs.
//!
//! Fairness: governor reads its clock inside every `check_key`, while
//! tollgate's store takes the time as an argument. So the `limiter/tollgate`
//! loop reads a clock too on every check, as an adapter in front of the
//! store would — the same quanta clock governor reads, so the comparison is
//! of the limiters, not of two clock sources.

use std::hint::black_box;
use std::num::NonZeroU32;
use std::time::SystemTime;

use criterion::{Criterion, criterion_group, criterion_main};
use governor::{Quota, RateLimiter};
use tollgate::Timestamp;
use tollgate::store::{MemoryStore, Op, OpResult, Store, StoreKey};
use tollgate_benches::{
    Cycle, LIMITER_BURST, LIMITER_KEYS, LIMITER_PER_SECOND, SimClock, key_sequence, limiter_params,
};

/// Simulated time per check for `tollgate_no_clock`: keys come back every
/// 100,000 × 100 ns = 10 ms, well inside the quota.
const NO_CLOCK_STEP: std::time::Duration = std::time::Duration::from_nanos(100);

/// One tollgate check: a single consume on `key` at `at`.
#[inline]
fn tollgate_check(store: &MemoryStore, key: u64, at: Timestamp) -> bool {
    let op = Op::Gcra {
        key: StoreKey(key),
        params: limiter_params(),
        mode: tollgate::limiter::GcraMode::Consume,
    };
    let mut results = [OpResult::Done];
    let ok = store.execute(at, &[op], &mut results).is_ok();
    ok && matches!(results, [OpResult::Gcra(o)] if o.allowed)
}

/// Checks made and admitted by one benchmark, to confirm afterwards that it
/// measured the admit path.
#[derive(Default)]
struct Tally {
    checks: u64,
    admitted: u64,
}

impl Tally {
    #[inline]
    fn count(&mut self, admitted: bool) -> bool {
        self.checks += 1;
        self.admitted += u64::from(admitted);
        admitted
    }

    fn assert_mostly_admitted(&self, name: &str) {
        assert!(
            self.admitted * 100 >= self.checks * 99,
            "limiter/{name} admitted only {} of {} checks",
            self.admitted,
            self.checks
        );
    }
}

fn limiter(c: &mut Criterion) {
    let keys = key_sequence(LIMITER_KEYS);
    let (Some(per_second), Some(burst)) = (NonZeroU32::new(LIMITER_PER_SECOND), NonZeroU32::new(LIMITER_BURST)) else {
        return;
    };

    let store = MemoryStore::default();
    let governor = RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst));
    let now = Timestamp::from(SystemTime::now());
    for &k in &keys {
        assert!(tollgate_check(&store, k, now));
        assert!(governor.check_key(&k).is_ok());
    }

    let mut group = c.benchmark_group("limiter");
    let clock = quanta::Clock::new();
    let anchor = (now.as_unix_nanos(), clock.now());
    let mut cycle = Cycle::new(keys.len());
    let mut tally = Tally::default();
    group.bench_function("tollgate", |b| {
        b.iter(|| {
            let key = *keys.get(cycle.next_index())?;
            let since = clock.now().saturating_duration_since(anchor.1).as_nanos() as u64;
            let at = Timestamp::from_unix_nanos(anchor.0 + since);
            let admitted = tollgate_check(&store, black_box(key), at);
            Some(tally.count(admitted))
        });
    });
    tally.assert_mostly_admitted("tollgate");

    let mut cycle = Cycle::new(keys.len());
    let mut tally = Tally::default();
    group.bench_function("tollgate_systime", |b| {
        b.iter(|| {
            let key = *keys.get(cycle.next_index())?;
            let admitted = tollgate_check(&store, black_box(key), Timestamp::from(SystemTime::now()));
            Some(tally.count(admitted))
        });
    });
    tally.assert_mostly_admitted("tollgate_systime");

    let mut cycle = Cycle::new(keys.len());
    let mut tally = Tally::default();
    group.bench_function("governor", |b| {
        b.iter(|| {
            let key = keys.get(cycle.next_index())?;
            let admitted = governor.check_key(black_box(key)).is_ok();
            Some(tally.count(admitted))
        });
    });
    tally.assert_mostly_admitted("governor");

    // A fresh store for the simulated clock, whose time starts in the past.
    let store = MemoryStore::default();
    let mut clock = SimClock::new(NO_CLOCK_STEP);
    for &k in &keys {
        assert!(tollgate_check(&store, k, clock.tick()));
    }
    let mut cycle = Cycle::new(keys.len());
    let mut tally = Tally::default();
    group.bench_function("tollgate_no_clock", |b| {
        b.iter(|| {
            let key = *keys.get(cycle.next_index())?;
            let admitted = tollgate_check(&store, black_box(key), clock.tick());
            Some(tally.count(admitted))
        });
    });
    tally.assert_mostly_admitted("tollgate_no_clock");
    group.finish();
}

criterion_group!(benches, limiter);
criterion_main!(benches);
