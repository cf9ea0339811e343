//! `Engine::evaluate` makes no heap allocation on the allow path of an SMS
//! code request under `Policy::default()`: the OTP controls (destination
//! tier and rules, service cap check, resend backoff, spend ceilings,
//! conversion and spike reads, the many-numbers set) run on every event,
//! once the event's keys exist.
//!
//! The requests go to distinct UK mobiles from distinct users and
//! addresses in the UK. The measured pass comes two hours after the
//! warm-up, so each number's and user's resend streak has ended and the
//! per-number gap has passed: the second code to a number is then as
//! unremarkable as the first. Sends are only evaluated, never recorded, so
//! the service cap, spend and conversion counts stay at zero. One profiler
//! per process, so one test per file.

use std::time::Duration;

use tollgate::Engine;
use tollgate::policy::Policy;
use tollgate_benches::{EVENT_STEP, SimClock, otp_send_events};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// Events measured (and warmed up first).
const EVENTS: usize = 1_000;

/// Between the warm-up and the measured pass: longer than any resend
/// streak or per-number window of the default policy.
const PAUSE: Duration = Duration::from_secs(2 * 3_600);

#[test]
fn otp_send_allow_path_does_not_allocate() -> Result<(), Box<dyn std::error::Error>> {
    let _profiler = dhat::Profiler::builder().testing().build();
    let engine = Engine::new(Policy::default())?;
    let mut events = otp_send_events(EVENTS);
    let mut clock = SimClock::new(EVENT_STEP);
    for event in &mut events {
        event.at = clock.tick();
        let decision = engine.evaluate(event);
        assert_eq!(decision.action, tollgate::Action::Allow, "{:?}", decision.reasons);
    }
    let keys_after_warm_up = engine.store().len();
    // At least the per-number limit and resend streak of every send exist.
    assert!(keys_after_warm_up >= 2 * EVENTS, "{keys_after_warm_up} keys");
    let mut clock = SimClock::new(EVENT_STEP);
    let later = |c: &mut SimClock| c.tick().saturating_add(PAUSE);
    let before = dhat::HeapStats::get().total_blocks;
    let mut allowed = 0;
    for event in &mut events {
        event.at = later(&mut clock);
        let decision = engine.evaluate(event);
        allowed += usize::from(decision.action == tollgate::Action::Allow && decision.reasons.is_empty());
    }
    let blocks = dhat::HeapStats::get().total_blocks - before;
    assert_eq!(
        engine.store().len(),
        keys_after_warm_up,
        "no key may be created while measuring"
    );
    assert_eq!(allowed, EVENTS, "every measured send must be a reason-free allow");
    assert_eq!(blocks, 0, "{EVENTS} OTP-send evaluations allocated {blocks} blocks");
    Ok(())
}
