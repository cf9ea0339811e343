//! `Engine::evaluate` makes no heap allocation on the allow path of a login
//! under a policy with four limit rules, once the event's keys exist.
//!
//! dhat counts every allocation of this test process (its global allocator);
//! one profiler may run per process, so this file holds a single test.

use tollgate::{Action, Engine};
use tollgate_benches::{EVENT_STEP, SimClock, four_limits_policy, login_events};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// Events measured (and warmed up first).
const EVENTS: usize = 1_000;

#[test]
fn evaluate_allow_path_does_not_allocate() -> Result<(), Box<dyn std::error::Error>> {
    let _profiler = dhat::Profiler::builder().testing().build();

    let engine = Engine::new(four_limits_policy())?;
    let mut events = login_events(EVENTS);
    let mut clock = SimClock::new(EVENT_STEP);

    // Warm up: every key of every event now exists in the store.
    for event in &mut events {
        event.at = clock.tick();
        assert_eq!(engine.evaluate(event).action, Action::Allow);
    }
    let keys = engine.store().len();
    assert_eq!(
        keys,
        4 * EVENTS,
        "each event has its own key under each of the four rules"
    );

    let before = dhat::HeapStats::get();
    let mut allowed = 0;
    for event in &mut events {
        event.at = clock.tick();
        let decision = engine.evaluate(event);
        allowed += usize::from(decision.action == Action::Allow && decision.reasons.is_empty());
    }
    let after = dhat::HeapStats::get();

    assert_eq!(allowed, EVENTS, "every measured evaluation must be on the allow path");
    assert_eq!(engine.store().len(), keys, "no key may be created while measuring");
    let blocks = after.total_blocks - before.total_blocks;
    let bytes = after.total_bytes - before.total_bytes;
    assert_eq!(
        blocks, 0,
        "{EVENTS} allow-path evaluations allocated {blocks} blocks ({bytes} bytes)"
    );
    Ok(())
}
