//! What a compromised password does beyond its points.
//!
//! ```
//! use tollgate::EventType;
//! use tollgate::policy::Policy;
//!
//! assert_eq!(Policy::default().credentials.challenge_compromised, vec![EventType::Login]);
//! ```

use crate::EventType;

/// Settings for the event's credential flags.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Credentials {
    /// Event types on which a compromised password challenges whatever the
    /// score (empty: it only adds `points.compromised_password`). A correct
    /// but leaked password is the one thing a credential-stuffing list
    /// holds, so no other signal has to agree before stepping up.
    pub challenge_compromised: Vec<EventType>,
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            challenge_compromised: vec![EventType::Login],
        }
    }
}
