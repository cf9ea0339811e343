//! Fixed-count runs for counting instructions: `instructions MODE [N]` makes
//! a warm-up pass, then N calls (default 20,000) of one of:
//!
//! * `governor`: `governor`'s keyed `check_key`, the baseline;
//! * `login_four_limits`, `default_policy`: `Engine::evaluate` on the
//!   `evaluate` bench's logins under the four-rule and the default policy.
//!
//! Wall-clock medians on a shared 2-core VM move by 2x between runs;
//! instructions retired do not. `benches/scripts/instructions.sh` runs every
//! mode under `valgrind --tool=callgrind`, counting only inside the
//! `measured` functions (the warm-up, where governor's clock calibrates and
//! every key is created, is outside), and prints instructions per call and
//! the ratio against governor. Instructions are not time (cache misses and lock
//! contention cost no instructions), so the criterion benches stay the
//! measure; this is the steady proxy for same-machine comparisons.

use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tollgate::policy::Policy;
use tollgate::{Action, Engine, Event};
use tollgate_benches::{Cycle, EVENT_POOL, EVENT_STEP, SimClock, four_limits_policy, key_sequence, login_events};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mode = args.next().ok_or("usage: instructions MODE [N]")?;
    let n: usize = args.next().map_or(Ok(20_000), |s| s.parse())?;
    match mode.as_str() {
        "governor" => governor(n),
        "login_four_limits" => evaluate(four_limits_policy(), n),
        "default_policy" => evaluate(Policy::default(), n),
        other => Err(format!("unknown mode {other:?}").into()),
    }
}

fn governor(n: usize) -> Result<(), Box<dyn std::error::Error>> {
    let keys = key_sequence(EVENT_POOL);
    let quota = NonZeroU32::new(1_000_000).ok_or("zero quota")?;
    let limiter = RateLimiter::keyed(Quota::per_second(quota).allow_burst(quota));
    let warm = keys.iter().filter(|k| limiter.check_key(*k).is_ok()).count();
    if warm + measured_governor(&limiter, &keys, n) != keys.len() + n {
        return Err("governor refused a check: not the allow path".into());
    }
    Ok(())
}

/// The checks counted: `n` of them, cycling through `keys`.
#[inline(never)]
fn measured_governor(limiter: &DefaultKeyedRateLimiter<u64>, keys: &[u64], n: usize) -> usize {
    let checks = keys.iter().cycle().take(n);
    checks
        .filter(|k| limiter.check_key(std::hint::black_box(k)).is_ok())
        .count()
}

fn evaluate(policy: Policy, n: usize) -> Result<(), Box<dyn std::error::Error>> {
    let engine = Engine::new(policy)?;
    let mut events = login_events(EVENT_POOL);
    let mut clock = SimClock::new(EVENT_STEP);
    for event in &mut events {
        event.at = clock.tick();
        if engine.evaluate(event).action != Action::Allow {
            return Err("the warm-up was not on the allow path".into());
        }
    }
    if measured_evaluate(&engine, &mut events, &mut clock, n) != n {
        return Err("a decision was not an allow: not the allow path".into());
    }
    Ok(())
}

/// The evaluations counted: `n` of them, cycling through `events`.
#[inline(never)]
fn measured_evaluate(engine: &Engine, events: &mut [Event], clock: &mut SimClock, n: usize) -> usize {
    let mut cycle = Cycle::new(events.len());
    let mut allowed = 0;
    for _ in 0..n {
        if let Some(event) = events.get_mut(cycle.next_index()) {
            event.at = clock.tick();
            allowed += usize::from(engine.evaluate(std::hint::black_box(event)).action == Action::Allow);
        }
    }
    allowed
}
