//! `Engine::evaluate` makes no heap allocation on the allow path of a login
//! under `Policy::default()` (five login rules: three consume, two peek; three stuffing detectors),
//! once the event's keys exist.
//!
//! The budgeted case (four rules) is `alloc.rs`; this guards the policy most
//! services start from. One profiler per process, so one test per file.

use tollgate::Engine;
use tollgate::policy::Policy;
use tollgate_benches::{allow_path_run, login_events};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// Events measured (and warmed up first).
const EVENTS: usize = 1_000;

#[test]
fn default_policy_allow_path_does_not_allocate() -> Result<(), Box<dyn std::error::Error>> {
    let _profiler = dhat::Profiler::builder().testing().build();
    let engine = Engine::new(Policy::default())?;
    let mut events = login_events(EVENTS);
    let run = allow_path_run(&engine, &mut events, || dhat::HeapStats::get().total_blocks);
    // The consuming rules (3 per event) and the stuffing detector's distinct-user sets (1 per event) create keys;
    // reads (the failure-ratio windows, familiarity) never do.
    // The spike counters, one window pair each: for logins, per country (8) and ASN (997); and the hours covered.
    assert_eq!(run.keys_after_warm_up, 4 * EVENTS + 1 + 8 + 997 + 1);
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
