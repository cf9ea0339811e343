//! The OTP relay check (`[otp.relay]`): a code verified from another
//! network, client or country than the one that asked for it. See
//! `docs/post-login.md`.
//!
//! ```
//! use tollgate::policy::Policy;
//!
//! let policy = Policy::from_toml("[otp.relay]\nfingerprint_points = 30")?;
//! assert_eq!(policy.otp.relay.fingerprint_points, 30);
//! assert_eq!(policy.otp.relay.ip_prefix_points, 10);
//! let err = Policy::from_toml("[otp.relay]\nwindow_minutes = 0").unwrap_err();
//! assert_eq!(err.field(), Some("otp.relay.window_minutes"));
//! # Ok::<(), tollgate::policy::PolicyError>(())
//! ```

use super::PolicyError;

/// Points per part of the client that changed between the recorded code
/// send and its verification (`otp.relay`); 0 points ignore a part, all
/// zero turn the check off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Relay {
    /// Another network prefix (`keys.ipv4_prefix` / `keys.ipv6_prefix`,
    /// default /24 and /64). Few points: a phone on mobile data can change
    /// prefix between two requests (default 10).
    pub ip_prefix_points: u8,
    /// Another client fingerprint: JA4, else JA3, else HTTP/2, compared
    /// when both requests carry the same kind (default 20).
    pub fingerprint_points: u8,
    /// Another country (default 20).
    pub country_points: u8,
    /// How long the sender's client is remembered after a recorded send
    /// (1 to 1,440 minutes; default 15: longer than codes live).
    pub window_minutes: u32,
}

impl Default for Relay {
    fn default() -> Self {
        Relay {
            ip_prefix_points: 10,
            fingerprint_points: 20,
            country_points: 20,
            window_minutes: 15,
        }
    }
}

impl Relay {
    /// Whether any part scores.
    pub fn is_on(&self) -> bool {
        self.ip_prefix_points > 0 || self.fingerprint_points > 0 || self.country_points > 0
    }
}

pub(super) fn validate(r: &Relay) -> Result<(), PolicyError> {
    let points = [
        ("ip_prefix_points", r.ip_prefix_points),
        ("fingerprint_points", r.fingerprint_points),
        ("country_points", r.country_points),
    ];
    if let Some((name, _)) = points.iter().find(|(_, p)| *p > 100) {
        return Err(PolicyError::invalid(format!("otp.relay.{name}"), "must be 0 to 100"));
    }
    if !(1..=1440).contains(&r.window_minutes) {
        return Err(PolicyError::invalid("otp.relay.window_minutes", "must be 1 to 1440"));
    }
    Ok(())
}
