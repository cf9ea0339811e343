//! OTP delivery controls: destination risk tiers, per-channel destination
//! rules and org-wide service caps (`[otp]` in a policy).
//!
//! ```
//! use tollgate::policy::Policy;
//!
//! let policy = Policy::from_toml(r#"
//!     [[otp.tiers]]
//!     prefix = "371"
//!     tier = "medium"
//!     comment = "our customers in Latvia"
//!
//!     [[otp.destinations]]
//!     name = "voice-high-risk"
//!     channels = ["voice"]
//!     tiers = ["high"]
//!     action = "deny"
//!
//!     [[otp.caps]]
//!     name = "sms-hourly"
//!     channels = ["sms"]
//!     rate = "1000/h"
//! "#)?;
//! assert_eq!(policy.otp.destinations.len(), 1);
//! assert_eq!(policy.otp.caps[0].lockout_minutes, 1440);
//! let err = Policy::from_toml("[[otp.tiers]]\nprefix = \"0\"\ntier = \"high\"").unwrap_err();
//! assert_eq!(err.field(), Some("otp.tiers[0].prefix"));
//! # Ok::<(), tollgate::policy::PolicyError>(())
//! ```

use super::tiers::{self, RiskTier, TierEntry};
use super::{Conversion, Cross, Live, MatchAction, PolicyError, ResendBackoff, ServiceCap, Spend, When};
use crate::phone::NumberType;
use crate::{Channel, Country, Factor};

/// The `[otp]` section.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Otp {
    /// Start the tier table from [`BUILTIN_RISK_TIERS`](super::BUILTIN_RISK_TIERS).
    pub builtin_tiers: bool,
    /// Tier table entries, winning over the built-in ones for the same
    /// prefix; the longest matching prefix decides a number's tier.
    pub tiers: Vec<TierEntry>,
    /// Rules on where codes may be sent, per channel.
    pub destinations: Vec<DestinationRule>,
    /// Org-wide caps on sends per channel.
    pub caps: Vec<ServiceCap>,
    /// Exponential backoff on repeated sends to one number or user.
    pub resend: Vec<ResendBackoff>,
    /// Wrong codes accepted per issued code (per user and number) before
    /// the code is burnt and verification denied until a new code is sent
    /// (default 5; 0 turns the check off).
    pub verify_attempts_per_code: u32,
    /// Prices and spend ceilings.
    pub spend: Spend,
    /// Points for destinations whose codes are not verified.
    pub conversion: Conversion,
    /// Numbers that verified a code, spared by controls against pumping.
    pub known_numbers: super::KnownNumbers,
    /// A daily budget of unverified codes per destination country.
    pub budget: super::CountryBudget,
    /// New accounts' share of the codes sent per destination country,
    /// against its own baseline.
    pub newcomer_share: super::NewcomerShare,
    /// Live pumping signals: many numbers per client, country spikes.
    pub live: Live,
    /// Cross-checks: client and number countries, new numbers, sign-up bursts.
    pub cross: Cross,
    /// A code verified from another client than the one that asked for it.
    pub relay: super::Relay,
    /// Factors a decision advises instead of a risky phone channel, most
    /// preferred first (empty: no advice).
    pub advice: Vec<Factor>,
}

impl Default for Otp {
    fn default() -> Self {
        Otp {
            builtin_tiers: true,
            tiers: Vec::new(),
            destinations: super::default::destination_rules(),
            // No cap by default: a cap locks a channel for everyone, so its
            // size must come from the service's own traffic (docs/otp.md).
            caps: Vec::new(),
            resend: super::default::resend_backoffs(),
            verify_attempts_per_code: 5,
            spend: Spend::default(),
            conversion: Conversion::default(),
            known_numbers: super::KnownNumbers::default(),
            budget: super::CountryBudget::default(),
            newcomer_share: super::NewcomerShare::default(),
            live: Live::default(),
            cross: Cross::default(),
            relay: super::Relay::default(),
            advice: vec![Factor::Passkey, Factor::Authenticator, Factor::Email],
        }
    }
}

/// Where codes may be sent: an allow or deny list of destinations for some
/// channels, applied to `otp_send` events with a phone number.
///
/// A destination is *listed* when its risk tier is in `tiers`, its country
/// (by its numbering plan) in `countries`, or its line type in
/// `number_types` (`premium_rate`, `shared_cost`, `toll_free`, `voip`,
/// `mobile`, ... as [`NumberType::as_str`] names them). With
/// `when = "in"` (the default) listed destinations fire the rule (a deny
/// list); with `when = "not_in"` every other destination does (an allow
/// list).
///
/// ```toml
/// [[otp.destinations]]
/// name = "sms-high-risk"
/// channels = ["sms"]
/// tiers = ["high"]
/// action = "challenge"
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct DestinationRule {
    /// Unique name, shown in reasons.
    pub name: String,
    /// Channels the rule applies to: `sms`, `voice`, `whatsapp` (empty:
    /// all three).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub channels: Vec<Channel>,
    /// Risk tiers that list a destination.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub tiers: Vec<RiskTier>,
    /// Countries (ISO 3166-1 alpha-2) that list a destination. A number no
    /// plan places in a country is in none.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub countries: Vec<Country>,
    /// Line types that list a destination.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Vec::is_empty", with = "number_types")
    )]
    pub number_types: Vec<NumberType>,
    /// Fire for listed destinations (`in`) or for all others (`not_in`).
    #[cfg_attr(feature = "serde", serde(default))]
    pub when: When,
    /// What a match does: `deny`, `challenge` or `{ score = N }`.
    pub action: MatchAction,
    /// Report without enforcing.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "std::ops::Not::not"))]
    pub monitor: bool,
    /// Sends the rule leaves alone: `known_number` (a number that verified
    /// a code before, for the account; see [`Exempt::KnownNumber`](super::Exempt::KnownNumber)).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub except: Vec<super::Exempt>,
}

impl DestinationRule {
    /// A deny-list rule on risk tiers.
    pub fn tiers(name: impl Into<String>, channels: &[Channel], tiers: &[RiskTier], action: MatchAction) -> Self {
        DestinationRule {
            name: name.into(),
            channels: channels.to_vec(),
            tiers: tiers.to_vec(),
            countries: Vec::new(),
            number_types: Vec::new(),
            when: When::In,
            action,
            monitor: false,
            except: Vec::new(),
        }
    }

    /// Spares `sends` (see [`except`](Self::except)).
    #[must_use]
    pub fn except(mut self, sends: &[super::Exempt]) -> Self {
        self.except = sends.to_vec();
        self
    }

    /// A deny-list rule on line types.
    pub fn number_types(
        name: impl Into<String>,
        channels: &[Channel],
        types: &[NumberType],
        action: MatchAction,
    ) -> Self {
        let mut rule = DestinationRule::tiers(name, channels, &[], action);
        rule.number_types = types.to_vec();
        rule
    }

    /// A rule on destination countries: with [`When::In`] a deny list, with
    /// [`When::NotIn`] an allow list.
    pub fn countries(
        name: impl Into<String>,
        channels: &[Channel],
        countries: &[Country],
        when: When,
        action: MatchAction,
    ) -> Self {
        let mut rule = DestinationRule::tiers(name, channels, &[], action);
        rule.countries = countries.to_vec();
        rule.when = when;
        rule
    }
}

#[cfg(feature = "serde")]
mod number_types {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    use crate::phone::NumberType;

    pub(super) fn serialize<S: Serializer>(types: &[NumberType], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(types.iter().map(|t| t.as_str()))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<NumberType>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|s| {
                s.parse::<NumberType>()
                    .map_err(|_| D::Error::custom(format!("unknown number type {s:?}")))
            })
            .collect()
    }
}

pub(crate) const LIST_CHANNELS: &str = "channels must be sms, voice or whatsapp, each once";

/// Checks the section; errors name the field under `otp.`.
pub(super) fn validate(o: &Otp) -> Result<(), PolicyError> {
    for (i, t) in o.tiers.iter().enumerate() {
        tiers::check_prefix(&t.prefix).map_err(|m| PolicyError::invalid(format!("otp.tiers[{i}].prefix"), m))?;
    }
    super::validate::unique_names("otp.destinations", o.destinations.iter().map(|d| d.name.as_str()))?;
    for (i, d) in o.destinations.iter().enumerate() {
        let field = |f: &str| format!("otp.destinations[{i}].{f}");
        super::validate::name(&d.name).map_err(|m| PolicyError::invalid(field("name"), m))?;
        if !phone_channels(&d.channels) {
            return Err(PolicyError::invalid(field("channels"), LIST_CHANNELS));
        }
        if d.tiers.is_empty() && d.countries.is_empty() && d.number_types.is_empty() {
            return Err(PolicyError::invalid(
                field("tiers"),
                "name at least one tier, country or number type",
            ));
        }
        super::validate::action(d.action, false).map_err(|m| PolicyError::invalid(field("action"), m))?;
        if d.except.iter().any(|e| *e != super::Exempt::KnownNumber) {
            return Err(PolicyError::invalid(
                field("except"),
                "only known_number applies to destinations",
            ));
        }
    }
    super::spend::validate(&o.spend)
}

pub(crate) fn phone_channels(channels: &[Channel]) -> bool {
    let unique = !channels
        .iter()
        .enumerate()
        .any(|(i, a)| channels.iter().skip(i + 1).any(|b| a == b));
    unique && !channels.contains(&Channel::Email)
}
