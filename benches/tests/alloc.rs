//! `Engine::evaluate` makes no heap allocation on the allow path of a login
//! under a policy with four limit rules, once the event's keys exist.
//!
//! dhat counts every allocation of this test process (its global allocator);
//! one profiler may run per process, so this file holds a single test.

use tollgate::Engine;
use tollgate_benches::{allow_path_run, four_limits_policy, login_events};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// Events measured (and warmed up first).
const EVENTS: usize = 1_000;

#[test]
fn evaluate_allow_path_does_not_allocate() -> Result<(), Box<dyn std::error::Error>> {
    let _profiler = dhat::Profiler::builder().testing().build();
    let engine = Engine::new(four_limits_policy())?;
    let mut events = login_events(EVENTS);
    let run = allow_path_run(&engine, &mut events, || dhat::HeapStats::get().total_blocks);
    // Each event has its own key under each of the four rules.
    assert_eq!(run.keys_after_warm_up, 4 * EVENTS);
    assert_eq!(
        run.keys_after, run.keys_after_warm_up,
        "no key may be created while measuring"
    );
    assert_eq!(
        run.allowed, EVENTS,
        "every measured evaluation must be on the allow path"
    );
    assert_eq!(
        run.blocks, 0,
        "{EVENTS} allow-path evaluations allocated {} blocks",
        run.blocks
    );
    Ok(())
}
