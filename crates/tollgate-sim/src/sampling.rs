//! Small random draws the generators share. None of them can panic: rand's
//! range and probability helpers do on empty ranges or probabilities outside
//! 0..=1, so every call here guards its arguments.

use rand::Rng;

use super::traffic::{DAY_MS, HOUR_MS};

/// True with probability `p` (clamped to 0..=1).
pub(crate) fn chance(rng: &mut impl Rng, p: f64) -> bool {
    rng.random::<f64>() < p
}

/// A uniform integer in `lo..=hi` (`lo` when the range is empty).
pub(crate) fn between(rng: &mut impl Rng, lo: u64, hi: u64) -> u64 {
    if hi <= lo { lo } else { rng.random_range(lo..=hi) }
}

/// A time in `from..from + span` for the `i`-th of `n` evenly paced
/// actions, jittered within its own slot: the bulk bots' steady pace.
pub(crate) fn paced(rng: &mut impl Rng, i: u64, n: u64, from: u64, span: u64) -> u64 {
    let slot = span / n.max(1);
    from + i * slot + between(rng, 0, slot.saturating_sub(1))
}

/// A uniform index below `n` (0 when `n` is 0).
pub(crate) fn below(rng: &mut impl Rng, n: usize) -> usize {
    if n == 0 { 0 } else { rng.random_range(0..n) }
}

/// A uniform pick from `items`.
pub(crate) fn pick<T: Copy>(rng: &mut impl Rng, items: &[T]) -> Option<T> {
    items.get(below(rng, items.len())).copied()
}

/// A pause of `lo..=hi` seconds, in milliseconds.
pub(crate) fn secs(rng: &mut impl Rng, lo: u64, hi: u64) -> u64 {
    between(rng, lo * 1_000, hi * 1_000)
}

/// An index into `weights`, drawn in proportion to them.
pub(crate) fn weighted(rng: &mut impl Rng, weights: &[u32]) -> usize {
    let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
    let mut x = between(rng, 0, total.saturating_sub(1));
    for (i, &w) in weights.iter().enumerate() {
        if x < u64::from(w) {
            return i;
        }
        x -= u64::from(w);
    }
    0
}

/// A Poisson-distributed count (Knuth's method; fine for the small means used here).
pub(crate) fn poisson(rng: &mut impl Rng, mean: f64) -> u32 {
    let limit = (-mean.clamp(0.0, 50.0)).exp();
    let mut product = rng.random::<f64>();
    let mut k = 0;
    while product > limit && k < 500 {
        product *= rng.random::<f64>();
        k += 1;
    }
    k
}

/// Relative activity per local hour: quiet nights, a morning rise, busy
/// evenings. Shaped after typical consumer-app login curves.
const ACTIVITY_BY_HOUR: [u32; 24] = [
    4, 2, 1, 1, 1, 2, 4, 7, 9, 10, 10, 10, 11, 10, 10, 10, 10, 11, 12, 13, 13, 11, 8, 6,
];

/// A moment of the simulated day (ms since its start, UTC) at which
/// someone living at `utc_offset_min` is likely to be active.
pub(crate) fn daytime(rng: &mut impl Rng, utc_offset_min: i64) -> u64 {
    let hour = weighted(rng, &ACTIVITY_BY_HOUR) as u64;
    let local = hour * HOUR_MS + between(rng, 0, HOUR_MS - 1);
    let utc = i128::from(local) - i128::from(utc_offset_min) * 60_000;
    u64::try_from(utc.rem_euclid(i128::from(DAY_MS))).unwrap_or(0)
}

/// The local hour of a UTC moment of the day.
pub(crate) fn local_hour(at_ms: u64, utc_offset_min: i64) -> u64 {
    let local = i128::from(at_ms) + i128::from(utc_offset_min) * 60_000;
    u64::try_from(local.rem_euclid(i128::from(DAY_MS))).unwrap_or(0) / HOUR_MS
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn draws_stay_in_range_and_survive_degenerate_arguments() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        assert_eq!(between(&mut rng, 5, 5), 5);
        assert_eq!(between(&mut rng, 9, 2), 9);
        assert_eq!(below(&mut rng, 0), 0);
        assert_eq!(pick::<u8>(&mut rng, &[]), None);
        assert_eq!(weighted(&mut rng, &[]), 0);
        assert_eq!(weighted(&mut rng, &[0, 0, 5]), 2);
        assert_eq!(poisson(&mut rng, 0.0), 0);
        assert!(!chance(&mut rng, -1.0) && chance(&mut rng, 2.0));
        for _ in 0..1_000 {
            assert!(daytime(&mut rng, 330) < DAY_MS);
            assert!(daytime(&mut rng, -360) < DAY_MS);
        }
    }

    #[test]
    fn poisson_mean_is_about_right() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let n = 20_000;
        let total: u32 = (0..n).map(|_| poisson(&mut rng, 3.0)).sum();
        let mean = f64::from(total) / f64::from(n);
        assert!((mean - 3.0).abs() < 0.1, "{mean}");
    }

    #[test]
    fn daytime_follows_local_time() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let night = (0..10_000)
            .filter(|_| (1..5).contains(&local_hour(daytime(&mut rng, 60), 60)))
            .count();
        // Four night hours carry 5 of 200 weight units.
        assert!(night < 500, "{night}");
    }
}
