//! What the engine decides when its counter store is unavailable.
//!
//! ```
//! use tollgate::policy::{OnStoreFailure, Policy};
//!
//! let policy = Policy::from_toml("[store]\non_failure = \"fail_closed\"\nretry_secs = 2")?;
//! assert_eq!(policy.store.on_failure, OnStoreFailure::FailClosed);
//! assert_eq!(Policy::default().store.on_failure, OnStoreFailure::Local);
//! assert!(Policy::from_toml("[store]\nretry_secs = 0").is_err());
//! # Ok::<(), tollgate::policy::PolicyError>(())
//! ```

use super::PolicyError;

/// Behaviour of the async path when the store fails or times out
/// (see `docs/architecture.md`, "The async path").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct StorePolicy {
    /// What a decision does without the store's counters.
    pub on_failure: OnStoreFailure,
    /// While the store is failing, it is tried again at most once per this
    /// many seconds of event time (1 to 3600, default 1); the other events
    /// do not wait on it. `fail_closed` also answers with this as
    /// `Retry-After`.
    pub retry_secs: u16,
}

impl Default for StorePolicy {
    fn default() -> Self {
        StorePolicy {
            on_failure: OnStoreFailure::Local,
            retry_secs: 1,
        }
    }
}

/// What the engine does with an event whose counters it cannot reach.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum OnStoreFailure {
    /// Decide without counters: limits and detectors do not fire, static
    /// rules (zones, lists, destinations) still do; a `store.unavailable`
    /// reason says so.
    FailOpen,
    /// Throttle every event that needs counters, with a
    /// `store.unavailable` reason; static denials still win.
    FailClosed,
    /// Run the counters on an in-process store owned by the engine until
    /// the store answers again: limits hold per instance instead of
    /// globally.
    #[default]
    Local,
}

pub(super) fn validate(s: &StorePolicy) -> Result<(), PolicyError> {
    if !(1..=3600).contains(&s.retry_secs) {
        return Err(PolicyError::invalid("store.retry_secs", "must be 1 to 3600"));
    }
    Ok(())
}
