//! Credential changes soon after a login (`[post_login]`): a takeover
//! ends with the attacker changing the password or email to lock the owner
//! out, minutes after getting in. See `docs/post-login.md`.
//!
//! ```
//! use tollgate::policy::{MatchAction, Policy};
//!
//! let policy = Policy::from_toml(r#"
//!     [post_login]
//!     window_minutes = 30
//!     action = "deny"
//! "#)?;
//! assert_eq!(policy.post_login.action, MatchAction::Deny);
//! assert_eq!(policy.post_login.points, 5);
//! let err = Policy::from_toml("[post_login]\nwindow_minutes = 0").unwrap_err();
//! assert_eq!(err.field(), Some("post_login.window_minutes"));
//! # Ok::<(), tollgate::policy::PolicyError>(())
//! ```

use super::{MatchAction, PolicyError};
use crate::RiskSignal;

/// Settings of the post-login change checks.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct PostLogin {
    /// Turns the checks on (default) or off. Off, recorded logins write
    /// nothing for them either.
    pub enabled: bool,
    /// How long after a recorded successful login a credential change
    /// counts as soon after it (1 to 1,440 minutes; default 60).
    pub window_minutes: u32,
    /// Points of `change.after_login`, for a change soon after a login
    /// that was not risky (0 to 100; default 5: a person who just logged
    /// in to change their password is normal).
    pub points: u8,
    /// A login whose decision scored at least this is risky (0 to 100;
    /// 0: the score alone never makes it risky; default 15: a device or a
    /// rare network this user was never seen with scores that alone).
    pub risky_score: u8,
    /// Risk signals that make a login risky whatever its score (default:
    /// new country, impossible travel, compromised password). `new_device`
    /// is left to the score: it also fires, with fewer points, for a device
    /// seen once or twice before.
    pub risky_signals: Vec<RiskSignal>,
    /// What `change.after_risky_login` does: challenge (default), deny or a
    /// score.
    pub action: MatchAction,
    /// A risky login that was challenged and passed the step-up does not
    /// make the change risky (default false: the step-up may have been an
    /// SMS code an OTP bot relayed, and a change is worth a second one).
    pub trust_step_up: bool,
    /// Report without enforcing.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "std::ops::Not::not"))]
    pub monitor: bool,
}

impl Default for PostLogin {
    fn default() -> Self {
        PostLogin {
            enabled: true,
            window_minutes: 60,
            points: 5,
            risky_score: 15,
            risky_signals: vec![
                RiskSignal::NewCountry,
                RiskSignal::ImpossibleTravel,
                RiskSignal::CompromisedPassword,
            ],
            action: MatchAction::Challenge,
            trust_step_up: false,
            monitor: false,
        }
    }
}

pub(super) fn validate(p: &PostLogin) -> Result<(), PolicyError> {
    if !(1..=1440).contains(&p.window_minutes) {
        return Err(PolicyError::invalid("post_login.window_minutes", "must be 1 to 1440"));
    }
    if p.points > 100 {
        return Err(PolicyError::invalid("post_login.points", "must be 0 to 100"));
    }
    if p.risky_score > 100 {
        return Err(PolicyError::invalid("post_login.risky_score", "must be 0 to 100"));
    }
    if p.risky_signals
        .iter()
        .enumerate()
        .any(|(i, a)| p.risky_signals.iter().skip(i + 1).any(|b| a == b))
    {
        return Err(PolicyError::invalid("post_login.risky_signals", "lists a signal twice"));
    }
    super::validate::action(p.action, false).map_err(|m| PolicyError::invalid("post_login.action", m))
}
