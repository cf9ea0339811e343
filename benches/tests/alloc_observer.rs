//! A registered observer costs no heap allocation on the allow path: under
//! `Policy::default()`, with an observer of challenges and above, the
//! engine masks each login's identifiers when preparing it and compares
//! the decision with the threshold, and allocates nothing.
//!
//! One profiler per process, so one test per file.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tollgate::Engine;
use tollgate::observe::{Observation, ObserveWhen, Observer};
use tollgate::policy::Policy;
use tollgate_benches::{allow_path_run, login_events};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// Events measured (and warmed up first).
const EVENTS: usize = 1_000;

#[derive(Debug, Default)]
struct Count(AtomicUsize);

impl Observer for Count {
    fn observe(&self, _: &Observation<'_>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn observed_allow_path_does_not_allocate() -> Result<(), Box<dyn std::error::Error>> {
    let _profiler = dhat::Profiler::builder().testing().build();
    let count = Arc::new(Count::default());
    let engine = Engine::builder(Policy::default())
        .observer(count.clone(), ObserveWhen::default())
        .build()?;
    let mut events = login_events(EVENTS);
    let run = allow_path_run(&engine, &mut events, || dhat::HeapStats::get().total_blocks);
    assert_eq!(
        run.keys_after, run.keys_after_warm_up,
        "no key may be created while measuring"
    );
    assert_eq!(
        run.allowed, EVENTS,
        "every measured evaluation must be on the allow path"
    );
    assert_eq!(count.0.load(Ordering::Relaxed), 0, "nothing reached the threshold");
    assert_eq!(
        run.blocks, 0,
        "{EVENTS} observed allow-path evaluations allocated {} blocks",
        run.blocks
    );
    Ok(())
}
