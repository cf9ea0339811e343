//! Network and geo rules: trusted proxies, IP zones, country and ASN lists.

use crate::net::{IpSet, TrustedProxies};
use crate::{Asn, Country, EventType};

/// Network settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Network {
    /// The proxies whose forwarding headers adapters believe, and which
    /// headers they read (see `docs/network.md`). Default: none.
    pub trusted_proxies: TrustedProxies,
}

/// What a matching zone, country or ASN rule does.
///
/// In TOML: `action = "deny"`, or `action = { score = 20 }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum MatchAction {
    /// Zones only: allow the event without evaluating anything else
    /// (internal networks, monitoring). Takes precedence over deny zones.
    Allow,
    /// Step-up authentication.
    Challenge,
    /// Refuse.
    Deny,
    /// Add points and let the thresholds decide.
    Score(u8),
}

/// A named set of networks and what a match does.
///
/// ```toml
/// [[zones]]
/// name = "threat-intel"
/// lists = ["spamhaus-drop"]   # attached at run time with Engine::set_list
/// cidrs = ["198.51.100.0/24"]
/// action = "deny"
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct Zone {
    /// Unique name, shown in reasons.
    pub name: String,
    /// Event types the zone applies to (empty: all).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub events: Vec<EventType>,
    /// Networks written in the policy.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "IpSet::is_empty"))]
    pub cidrs: IpSet,
    /// Names of lists the host attaches with
    /// [`Engine::set_list`](crate::Engine::set_list) (e.g. a blocklist file
    /// it reloads); a list not attached yet matches nothing.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub lists: Vec<String>,
    /// What a match does.
    pub action: MatchAction,
    /// Report without enforcing.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "std::ops::Not::not"))]
    pub monitor: bool,
}

/// Whether a country rule fires for the listed countries or all others.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum When {
    /// The client is in one of the countries (a deny list).
    #[default]
    In,
    /// The client is in none of them (an allow list). Events whose country
    /// is unknown do not fire either way.
    NotIn,
}

/// A country list for some event types.
///
/// ```toml
/// [[countries]]
/// name = "signup-markets"
/// events = ["signup"]
/// countries = ["DE", "AT", "CH"]
/// when = "not_in"
/// action = "challenge"
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct CountryRule {
    /// Unique name, shown in reasons.
    pub name: String,
    /// Event types the rule applies to (empty: all).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub events: Vec<EventType>,
    /// ISO 3166-1 alpha-2 codes.
    pub countries: Vec<Country>,
    /// Fire for the listed countries (`in`, default) or all others (`not_in`).
    #[cfg_attr(feature = "serde", serde(default))]
    pub when: When,
    /// What a match does (not `allow`).
    pub action: MatchAction,
    /// Report without enforcing.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "std::ops::Not::not"))]
    pub monitor: bool,
}

/// An ASN list for some event types, e.g. hosting networks on login.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct AsnRule {
    /// Unique name, shown in reasons.
    pub name: String,
    /// Event types the rule applies to (empty: all).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub events: Vec<EventType>,
    /// The networks.
    pub asns: Vec<Asn>,
    /// What a match does (not `allow`).
    pub action: MatchAction,
    /// Report without enforcing.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "std::ops::Not::not"))]
    pub monitor: bool,
}

/// Large cloud and hosting networks: logins from them are rarely people.
/// AWS, Google Cloud, Microsoft, DigitalOcean, OVH, Hetzner, Linode/Akamai,
/// Vultr, Oracle Cloud, Alibaba Cloud, Tencent Cloud, Scaleway, Contabo,
/// Leaseweb.
pub(crate) const HOSTING_ASNS: [u32; 16] = [
    16509, 14618, 396982, 15169, 8075, 14061, 16276, 24940, 63949, 20473, 31898, 45102, 132203, 12876, 51167, 60781,
];
