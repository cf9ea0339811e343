//! How far a count lies above what a baseline share predicts, in binomial
//! standard deviations: the significance test of the detectors that
//! compare a share against the site's own baseline (attack mode, the
//! newcomer share).

/// How far `count` of `n` trials lies above what the baseline share `base`
/// predicts, in binomial standard deviations. The share is taken as at
/// least `least` (and at most `1 - least`): a baseline of nearly zero
/// still has some spread, or a single event would be infinitely
/// significant.
pub(super) fn excess(count: u64, n: f64, base: f64, least: f64) -> f64 {
    let p = base.clamp(least, 1.0 - least);
    (count as f64 - n * p) / (n * p * (1.0 - p)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_excess_scales_with_volume_and_floors_the_share() {
        // 10 % against 3 %: 13 deviations of 1,000, 3.2 of 60.
        assert!(excess(100, 1_000.0, 0.03, 0.002) > 4.0 * excess(6, 60.0, 0.03, 0.002));
        // A zero baseline is taken as the floor, not as certainty.
        assert!(excess(1, 100.0, 0.0, 0.01).is_finite());
        assert!(excess(0, 100.0, 0.5, 0.01) < 0.0);
    }
}
