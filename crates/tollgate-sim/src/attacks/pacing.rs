//! The bulk bots' steady pace: actions spread evenly over a run's window,
//! each jittered within its own slot.

use rand::Rng;

use crate::sampling::between;

/// A time in `from..from + span` for the `i`-th of `n` evenly paced
/// actions, jittered within its slot.
pub(super) fn paced(rng: &mut impl Rng, i: u64, n: u64, from: u64, span: u64) -> u64 {
    let slot = span / n.max(1);
    from + i * slot + between(rng, 0, slot.saturating_sub(1))
}
