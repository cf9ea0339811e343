//! Policy: every threshold, weight and limit, as data.
//!
//! A [`Policy`] is plain data that reads from TOML or JSON. Sections left out
//! of a file take their defaults; a `[[limits]]` list, when given, replaces
//! the default list whole. [`Policy::default`] is complete and safe to run as
//! is (`tollgate policy default` prints it); `docs/policy.md` explains every
//! field. The engine checks a policy once, when it is installed, and reports
//! the first offending field by its path.
//!
//! ```
//! use tollgate::policy::Policy;
//!
//! let policy = Policy::from_toml(r#"
//!     [thresholds.login]
//!     challenge = 40
//!     deny = 90
//!
//!     [[limits]]
//!     name = "login-ja4-asn"
//!     events = ["login"]
//!     key = ["ja4", "asn"]
//!     rate = "30/min"
//!     burst = 60
//! "#)?;
//! assert_eq!(policy.limits.len(), 1);
//!
//! let err = Policy::from_toml("[thresholds.login]\nchallenge = 95\ndeny = 90").unwrap_err();
//! assert_eq!(err.field(), Some("thresholds.login"));
//! # Ok::<(), tollgate::policy::PolicyError>(())
//! ```

mod credentials;
mod default;
mod error;
mod fingerprint_list;
mod fingerprint_shapes;
mod fingerprints;
pub(crate) mod limit;
mod network;
pub(crate) mod otp;
mod rate;
mod signals;
mod spend;
mod store;
mod tiers;
pub(crate) mod validate;

pub use crate::detect::sections::*;
pub use credentials::Credentials;
pub use error::PolicyError;
pub use fingerprint_list::{Fingerprint, FingerprintKind, FingerprintList, FingerprintListError, FingerprintSet};
pub(crate) use fingerprint_shapes::BrowserJudge;
pub use fingerprint_shapes::{
    BUILTIN_BROWSER_SHAPES, ShapeListError, StructureCheck, fits_shape, normalized, parse_shapes,
};
pub(crate) use fingerprints::builtin_browsers;
pub use fingerprints::{
    BUILTIN_BROWSER_FINGERPRINTS, BrowserFingerprints, FingerprintAction, FingerprintRule, Fingerprints, LearnBrowsers,
};
pub use limit::{Counts, Dimension, Exempt, LimitRule, OnExceed};
pub use network::{AsnRule, CountryRule, MatchAction, Network, When, Zone};
pub use otp::{DestinationRule, Otp};
pub use rate::{Rate, RateError};
pub use signals::{AnonymousPoints, HISTORY_MAX, Points};
pub(crate) use spend::CostTable;
pub use spend::{CostCsvError, CostEntry, Spend, SpendCeiling, SpendScope, parse_cost_csv};
pub use store::{OnStoreFailure, StorePolicy};
pub(crate) use tiers::TierTable;
pub use tiers::{BUILTIN_RISK_TIERS, RiskTier, TierCsvError, TierEntry, parse_tier_csv};

use crate::EventType;

/// The whole configuration of an [`Engine`](crate::Engine).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Policy {
    /// Monitor mode for the whole policy: decisions are computed and
    /// reported in full, but the enforced action is always allow.
    pub monitor: bool,
    /// How limiter keys are derived from event fields.
    pub keys: KeyOptions,
    /// Score thresholds per event type.
    pub thresholds: Thresholds,
    /// Points per scored signal.
    pub points: Points,
    /// What a compromised password does beyond its points.
    pub credentials: Credentials,
    /// Per-user familiarity of country, network and device.
    pub familiarity: Familiarity,
    /// Impossible travel.
    pub travel: Travel,
    /// Keyed limits.
    pub limits: Vec<LimitRule>,
    /// Credential-stuffing detectors on logins.
    pub stuffing: Vec<StuffingDetector>,
    /// One password failing on many accounts (password spraying).
    pub spraying: Spraying,
    /// Site-wide attack mode: login failure and unknown-username shares
    /// against their own baseline.
    pub campaign: Campaign,
    /// Credential changes soon after a (risky) login.
    pub post_login: PostLogin,
    /// Event-rate spikes against a moving baseline.
    pub spike: Spike,
    /// Trusted proxies.
    pub network: Network,
    /// IP zones: allow and deny networks, threat-intel lists.
    pub zones: Vec<Zone>,
    /// Country lists per event type.
    pub countries: Vec<CountryRule>,
    /// ASN lists per event type.
    pub asns: Vec<AsnRule>,
    /// Fingerprint rules and the browser-fingerprint table.
    pub fingerprints: Fingerprints,
    /// OTP delivery: destination risk tiers and rules.
    pub otp: Otp,
    /// What the async path decides when the counter store is unavailable.
    pub store: StorePolicy,
}

/// How limiter keys are derived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct KeyOptions {
    /// Prefix length the `ip` dimension uses for IPv6 (default 64): a
    /// single host usually controls its whole /64 and can rotate through
    /// it, so counting exact IPv6 addresses counts nothing. 128 keys on the
    /// exact address.
    pub ipv6_host_prefix: u8,
    /// Prefix length for `ip_prefix` on IPv4 (default 24).
    pub ipv4_prefix: u8,
    /// Prefix length for `ip_prefix` on IPv6 (default 48). A host rotates
    /// through its /64 (`ipv6_host_prefix`), and one customer or one cloud
    /// tenant routinely holds a /56 or a /48: 65,536 /64s. Grouping network
    /// rules by /64 would group nothing an attacker cannot leave for free.
    pub ipv6_prefix: u8,
    /// Digits removed from the end of a phone number for `phone_prefix`
    /// (default 3: blocks of 1000 numbers).
    pub phone_prefix_drop: u8,
}

impl Default for KeyOptions {
    fn default() -> Self {
        KeyOptions {
            ipv6_host_prefix: 64,
            ipv4_prefix: 24,
            ipv6_prefix: 48,
            phone_prefix_drop: 3,
        }
    }
}

/// Score thresholds for one event type: at or above `challenge` the event
/// is challenged, at or above `deny` it is denied. Scores run 0 to 100.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Threshold {
    /// Lowest score that challenges (1 to 100).
    pub challenge: u8,
    /// Lowest score that denies (1 to 100, not below `challenge`).
    pub deny: u8,
}

/// Score thresholds per event type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Thresholds {
    /// Login attempts.
    pub login: Threshold,
    /// Sign-ups.
    pub signup: Threshold,
    /// OTP sends.
    pub otp_send: Threshold,
    /// OTP verifications.
    pub otp_verify: Threshold,
    /// Credential changes.
    pub credential_change: Threshold,
}

impl Thresholds {
    /// The thresholds for one event type.
    pub fn get(&self, t: EventType) -> Threshold {
        match t {
            EventType::Login => self.login,
            EventType::Signup => self.signup,
            EventType::OtpSend => self.otp_send,
            EventType::OtpVerify => self.otp_verify,
            EventType::CredentialChange => self.credential_change,
        }
    }

    fn all(&self) -> [(&'static str, Threshold); 5] {
        EventType::ALL.map(|t| (t.as_str(), self.get(t)))
    }
}

impl Policy {
    /// Checks every field; the error names the first offending one.
    pub fn validate(&self) -> Result<(), PolicyError> {
        validate::policy(self)
    }

    /// Reads and validates a TOML policy.
    #[cfg(feature = "serde")]
    pub fn from_toml(text: &str) -> Result<Policy, PolicyError> {
        let policy: Policy = toml::from_str(text)?;
        policy.validate()?;
        Ok(policy)
    }

    /// Reads and validates a JSON policy.
    #[cfg(feature = "serde")]
    pub fn from_json(text: &str) -> Result<Policy, PolicyError> {
        let policy: Policy = serde_json::from_str(text)?;
        policy.validate()?;
        Ok(policy)
    }

    /// The policy as TOML (reads back with [`Policy::from_toml`]).
    #[cfg(feature = "serde")]
    pub fn to_toml(&self) -> Result<String, PolicyError> {
        Ok(toml::to_string(self)?)
    }
}
