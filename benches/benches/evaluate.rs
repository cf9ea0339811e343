//! `evaluate`: the cost of one decision on a login event.
//!
//! * `evaluate/login_minimal`: a policy with no limit rules, a login with an
//!   IP and a user — the fixed cost of the decision path.
//! * `evaluate/login_four_limits`: a policy with four limit rules on login
//!   (`ip`, `ja4`+`asn`, `user`, `ip_prefix`), events drawn from 10,000
//!   distinct users/IPs/networks/JA4+ASN pairs whose keys already exist in
//!   the store — the budgeted case (median under 2 µs, no allocation).
//! * `evaluate/default_policy`: the same events under `Policy::default()`
//!   (six rules apply to a login: three consume, three only peek).
//! * `evaluate/prepare_conclude`: the four-rule case through the split path
//!   (`prepare`, `MemoryStore::execute`, `conclude`), as a networked store's
//!   driver runs it, to show the split costs the same as `evaluate`.
//!
//! The events carry their country and ASN as if resolved upstream (by a
//! CDN): the mmdb lookup arrives in a later issue, and once it does the
//! budgeted case must include it.
//!
//! Time is simulated: each evaluation gets the next instant of a clock that
//! advances 1 ms per event (see `tollgate_benches::EVENT_STEP`), so keys
//! refill between visits and every decision is an allow. The engine reads no
//! clock, so none is read here either.

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use tollgate::policy::Policy;
use tollgate::store::{OpResult, Store};
use tollgate::{Action, Decision, Engine, Event, EventKind};
use tollgate_benches::{Cycle, EVENT_POOL, EVENT_STEP, SimClock, four_limits_policy, login_events, minimal_policy};

/// Which driver runs the decision path.
#[derive(Clone, Copy)]
enum Path {
    /// `Engine::evaluate`.
    Evaluate,
    /// `Engine::prepare`, `MemoryStore::execute`, `Engine::conclude`.
    Split,
}

/// One decision through the split path, exactly as a caller-run store's
/// driver would make it (the results buffer lives on the stack).
fn split(engine: &Engine, event: &Event) -> Decision {
    let plan = engine.prepare(event);
    let mut results = [OpResult::Done; 8];
    let slots = results.get_mut(..plan.ops().len()).unwrap_or_default();
    match engine.store().execute(plan.at(), plan.ops(), slots) {
        Ok(()) => engine.conclude(plan, slots),
        Err(_) => engine.conclude(plan, &[]),
    }
}

fn decide(path: Path, engine: &Engine, event: &Event) -> Decision {
    match path {
        Path::Evaluate => engine.evaluate(event),
        Path::Split => split(engine, event),
    }
}

/// Decides on every event once, so that all keys exist, and checks that the
/// setup really is on the allow path.
fn warm(path: Path, engine: &Engine, events: &mut [Event], clock: &mut SimClock) {
    for event in events.iter_mut() {
        event.at = clock.tick();
        let decision = decide(path, engine, event);
        assert_eq!(decision.action, Action::Allow, "the setup must measure the allow path");
    }
}

/// Benchmarks one decision per iteration, cycling through `events`.
fn bench(group: &mut BenchmarkGroup<'_, WallTime>, name: &str, path: Path, policy: Policy, mut events: Vec<Event>) {
    let Ok(engine) = Engine::new(policy) else {
        unreachable!("the benchmark policies are valid");
    };
    let mut clock = SimClock::new(EVENT_STEP);
    warm(path, &engine, &mut events, &mut clock);
    let mut cycle = Cycle::new(events.len());
    group.bench_function(name, |b| {
        b.iter(|| {
            let event = events.get_mut(cycle.next_index())?;
            event.at = clock.tick();
            Some(decide(path, &engine, black_box(event)))
        });
    });
    // Still on the allow path after all of criterion's iterations.
    warm(path, &engine, &mut events, &mut clock);
}

fn evaluate(c: &mut Criterion) {
    let events = login_events(EVENT_POOL);
    // A login with only an IP and a user.
    let bare: Vec<Event> = events
        .iter()
        .map(|e| {
            let mut bare = Event::new(EventKind::Login, e.at);
            bare.ip = e.ip;
            bare.user = e.user.clone();
            bare
        })
        .collect();

    let mut group = c.benchmark_group("evaluate");
    bench(&mut group, "login_minimal", Path::Evaluate, minimal_policy(), bare);
    bench(
        &mut group,
        "login_four_limits",
        Path::Evaluate,
        four_limits_policy(),
        events.clone(),
    );
    bench(
        &mut group,
        "default_policy",
        Path::Evaluate,
        Policy::default(),
        events.clone(),
    );
    bench(
        &mut group,
        "prepare_conclude",
        Path::Split,
        four_limits_policy(),
        events,
    );
    group.finish();
}

criterion_group!(benches, evaluate);
criterion_main!(benches);
