//! Cross-checks on OTP sends (`[otp.cross]`): where the client is against
//! where the number is, a number just added to the account, and a send
//! right after a sign-up from a client stack that signs up in bulk.
//!
//! ```
//! use tollgate::policy::Policy;
//!
//! let policy = Policy::from_toml("[otp.cross]\nnew_phone_days = 3")?;
//! assert_eq!(policy.otp.cross.country_mismatch_points, 10);
//! let err = Policy::from_toml("[otp.cross]\nnew_phone_days = 0").unwrap_err();
//! assert_eq!(err.field(), Some("otp.cross.new_phone_days"));
//! # Ok::<(), tollgate::policy::PolicyError>(())
//! ```

use super::PolicyError;

/// Settings of the OTP cross-checks; 0 points turn a check off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Cross {
    /// The client's IP country differs from the number's country
    /// (`otp.country_mismatch`, default 10: travellers do this).
    pub country_mismatch_points: u8,
    /// The number was added to the account (a recorded successful
    /// `credential_change` of the phone carrying the new number) within
    /// `new_phone_days` (`otp.new_phone`, default 15).
    pub new_phone_points: u8,
    /// How long a number counts as new (default 7 days).
    pub new_phone_days: u16,
    /// A send within `signup_recent_minutes` of the user's recorded
    /// sign-up, from a client stack (JA4 + ASN) with at least
    /// `signup_burst` recorded sign-ups in `signup_window_hours`
    /// (`otp.signup_burst`, default 30).
    pub signup_burst_points: u8,
    /// Sign-ups per JA4 + ASN that make a burst (default 20).
    pub signup_burst: u32,
    /// Window of the sign-up counts, in hours (default 24).
    pub signup_window_hours: u32,
    /// How long after sign-up a send counts as right after it (default 60).
    pub signup_recent_minutes: u32,
}

impl Default for Cross {
    fn default() -> Self {
        Cross {
            country_mismatch_points: 10,
            new_phone_points: 15,
            new_phone_days: 7,
            signup_burst_points: 30,
            signup_burst: 20,
            signup_window_hours: 24,
            signup_recent_minutes: 60,
        }
    }
}

pub(super) fn validate(c: &Cross) -> Result<(), PolicyError> {
    let field = |f: &str| format!("otp.cross.{f}");
    let points = [
        ("country_mismatch_points", c.country_mismatch_points),
        ("new_phone_points", c.new_phone_points),
        ("signup_burst_points", c.signup_burst_points),
    ];
    if let Some((name, _)) = points.iter().find(|(_, p)| *p > 100) {
        return Err(PolicyError::invalid(field(name), "must be 0 to 100"));
    }
    if !(1..=365).contains(&c.new_phone_days) {
        return Err(PolicyError::invalid(field("new_phone_days"), "must be 1 to 365"));
    }
    if c.signup_burst == 0 {
        return Err(PolicyError::invalid(field("signup_burst"), "must be at least 1"));
    }
    if !(1..=720).contains(&c.signup_window_hours) {
        return Err(PolicyError::invalid(field("signup_window_hours"), "must be 1 to 720"));
    }
    if !(1..=10_080).contains(&c.signup_recent_minutes) {
        return Err(PolicyError::invalid(
            field("signup_recent_minutes"),
            "must be 1 to 10080",
        ));
    }
    Ok(())
}
