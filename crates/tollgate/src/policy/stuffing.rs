//! Credential-stuffing detectors: many usernames, or mostly failures,
//! behind one key that does not rotate (a network, a client stack).
//!
//! ```
//! use tollgate::policy::Policy;
//!
//! let policy = Policy::from_toml(r#"
//!     [[stuffing]]
//!     name = "ja4-asn"
//!     key = ["ja4", "asn"]
//!     window_secs = 3600
//!     distinct_users = 400
//!     failure_percent = 60
//!     min_attempts = 200
//!     action = "challenge"
//! "#)?;
//! assert_eq!(policy.stuffing[0].distinct_users, 400);
//! # Ok::<(), tollgate::policy::PolicyError>(())
//! ```

use super::{Dimension, MatchAction, PolicyError};

/// One stuffing detector over login events. See `docs/stuffing.md`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct StuffingDetector {
    /// Unique name, shown in reasons; it identifies the counters.
    pub name: String,
    /// The fields whose combined value is the key; a login lacking one is
    /// not counted.
    #[cfg_attr(feature = "serde", serde(with = "super::limit::dimension_list"))]
    pub key: Vec<Dimension>,
    /// Sliding window, in seconds (60 to 604,800).
    pub window_secs: u32,
    /// Distinct usernames per key and window that fire
    /// `stuffing.distinct_users` (0: off). Estimated from a 1-in-8 hash
    /// sample of usernames, so meaningful from about 100 up to 500.
    #[cfg_attr(feature = "serde", serde(default))]
    pub distinct_users: u32,
    /// Percentage of recorded login outcomes that failed, per key and
    /// window, that fires `stuffing.failure_ratio` (0: off).
    #[cfg_attr(feature = "serde", serde(default))]
    pub failure_percent: u8,
    /// Recorded outcomes a key needs before its failure ratio counts.
    #[cfg_attr(feature = "serde", serde(default))]
    pub min_attempts: u32,
    /// What a firing detector does (challenge, deny or a score).
    pub action: MatchAction,
    /// Report without enforcing.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "std::ops::Not::not"))]
    pub monitor: bool,
}

impl StuffingDetector {
    /// A detector that fires on neither signal until one is set.
    pub fn new(name: impl Into<String>, key: &[Dimension], window_secs: u32, action: MatchAction) -> Self {
        StuffingDetector {
            name: name.into(),
            key: key.to_vec(),
            window_secs,
            distinct_users: 0,
            failure_percent: 0,
            min_attempts: 0,
            action,
            monitor: false,
        }
    }

    /// Fires at `threshold` distinct usernames per window.
    #[must_use]
    pub fn distinct_users(mut self, threshold: u32) -> Self {
        self.distinct_users = threshold;
        self
    }

    /// Fires when at least `percent` of at least `min_attempts` recorded
    /// outcomes failed.
    #[must_use]
    pub fn failure_ratio(mut self, percent: u8, min_attempts: u32) -> Self {
        self.failure_percent = percent;
        self.min_attempts = min_attempts;
        self
    }
}

pub(super) fn validate(detectors: &[StuffingDetector]) -> Result<(), PolicyError> {
    super::validate::unique_names("stuffing", detectors.iter().map(|d| d.name.as_str()))?;
    for (i, d) in detectors.iter().enumerate() {
        let field = |f: &str| format!("stuffing[{i}].{f}");
        super::validate::name(&d.name).map_err(|m| PolicyError::invalid(field("name"), m))?;
        if d.key.is_empty() {
            return Err(PolicyError::invalid(field("key"), "needs at least one dimension"));
        }
        if !(60..=604_800).contains(&d.window_secs) {
            return Err(PolicyError::invalid(field("window_secs"), "must be 60 to 604800"));
        }
        if d.distinct_users > 500 {
            return Err(PolicyError::invalid(field("distinct_users"), "must be 0 to 500"));
        }
        if d.failure_percent > 100 {
            return Err(PolicyError::invalid(field("failure_percent"), "must be 0 to 100"));
        }
        if d.distinct_users == 0 && d.failure_percent == 0 {
            return Err(PolicyError::invalid(
                field("distinct_users"),
                "set distinct_users or failure_percent",
            ));
        }
        super::validate::action(d.action, false).map_err(|m| PolicyError::invalid(field("action"), m))?;
    }
    Ok(())
}
