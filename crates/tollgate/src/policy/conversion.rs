//! Conversion feedback settings (`[otp.conversion]`): destinations whose
//! codes are sent but never verified score points.
//!
//! ```
//! use tollgate::policy::Policy;
//!
//! let policy = Policy::from_toml("[otp.conversion]\nprefix_points = 50\nmin_sends = 40")?;
//! assert_eq!(policy.otp.conversion.expected_percent, 25);
//! let err = Policy::from_toml("[otp.conversion]\nexpected_percent = 0").unwrap_err();
//! assert_eq!(err.field(), Some("otp.conversion.expected_percent"));
//! # Ok::<(), tollgate::policy::PolicyError>(())
//! ```

use super::PolicyError;

/// How sends and verifications per destination turn into points.
///
/// Recorded sends (`Engine::record(&Outcome::succeeded(send))`) and
/// verified codes (`Engine::record(&Outcome::succeeded(verify))` with the
/// number on the verify event) are counted per number block (the
/// `phone_prefix` key) and per destination country over a sliding window.
/// Once a block or country has `min_sends`, a verified share below
/// `expected_percent` adds points in proportion to the shortfall: all of
/// them when nothing was verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Conversion {
    /// Most points for a number block (default 40; 0 turns it off).
    pub prefix_points: u8,
    /// Most points for a destination country (default 20; 0 turns it off).
    pub country_points: u8,
    /// Sends needed before a destination is judged (default 20).
    pub min_sends: u32,
    /// Verified share below which points start, in percent (default 25).
    pub expected_percent: u8,
    /// Window of the counts, in hours (default 24): old sends fade out.
    pub window_hours: u32,
}

impl Default for Conversion {
    fn default() -> Self {
        Conversion {
            prefix_points: 40,
            country_points: 20,
            min_sends: 20,
            expected_percent: 25,
            window_hours: 24,
        }
    }
}

pub(super) fn validate(c: &Conversion) -> Result<(), PolicyError> {
    let field = |f: &str| format!("otp.conversion.{f}");
    if c.prefix_points > 100 {
        return Err(PolicyError::invalid(field("prefix_points"), "must be 0 to 100"));
    }
    if c.country_points > 100 {
        return Err(PolicyError::invalid(field("country_points"), "must be 0 to 100"));
    }
    if c.min_sends == 0 {
        return Err(PolicyError::invalid(field("min_sends"), "must be at least 1"));
    }
    if !(1..=100).contains(&c.expected_percent) {
        return Err(PolicyError::invalid(field("expected_percent"), "must be 1 to 100"));
    }
    if !(1..=720).contains(&c.window_hours) {
        return Err(PolicyError::invalid(
            field("window_hours"),
            "must be 1 to 720 (30 days)",
        ));
    }
    Ok(())
}

/// Points for `verified` of `sends`: none below `min_sends` or at the
/// expected share, else `max` scaled by the shortfall. Integer arithmetic.
pub(crate) fn points(c: &Conversion, max: u8, sends: u64, verified: u64) -> u8 {
    if max == 0 || sends < u64::from(c.min_sends) {
        return 0;
    }
    let expected = u128::from(c.expected_percent) * u128::from(sends);
    let seen = 100 * u128::from(verified.min(sends));
    if seen >= expected {
        return 0;
    }
    let scaled = u128::from(max) * (expected - seen) / expected;
    u8::try_from(scaled).unwrap_or(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_scale_with_the_shortfall() {
        let c = Conversion::default();
        assert_eq!(points(&c, 40, 19, 0), 0);
        assert_eq!(points(&c, 40, 20, 0), 40);
        assert_eq!(points(&c, 40, 40, 5), 20);
        assert_eq!(points(&c, 40, 40, 10), 0);
        assert_eq!(points(&c, 40, 40, 400), 0);
        assert_eq!(points(&c, 0, 400, 0), 0);
        assert_eq!(points(&c, 100, u64::MAX, 0), 100);
    }
}
