//! Settings of the scored signals that are not limits.

use crate::EventType;

/// Points each scored signal adds (0 turns a signal off).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Points {
    /// The submitted password is known to be compromised
    /// (`credentials.compromised_password`).
    pub compromised_password: u8,
    /// Most points for a country this user was not seen in
    /// (`familiarity.new_country`), scaled by rarity.
    pub new_country: u8,
    /// Most points for a network (ASN) this user was not seen on
    /// (`familiarity.new_asn`), scaled by rarity.
    pub new_asn: u8,
    /// Most points for a device this user was not seen with
    /// (`familiarity.new_device`), scaled by rarity.
    pub new_device: u8,
    /// Most points for a client fingerprint (JA4, else JA3, else HTTP/2)
    /// this user was not seen with (`familiarity.new_fingerprint`), scaled
    /// by rarity.
    pub new_fingerprint: u8,
    /// The user agent claims a mainstream browser whose known TLS or HTTP/2
    /// fingerprints do not include the event's (`fingerprint.ua_mismatch`).
    pub fingerprint_ua_mismatch: u8,
    /// Points for a user with no history at all (`familiarity.first_seen`).
    pub first_seen: u8,
    /// Travel faster than `travel.max_speed_kmh` since the last successful
    /// login (`geo.impossible_travel`).
    pub impossible_travel: u8,
    /// Anonymizer flags from a geo database (`geo.anonymous`): the highest
    /// of the flags that are set counts.
    pub anonymous: AnonymousPoints,
    /// A forwarding header held garbage (`net.forwarding_anomaly`).
    pub forwarding_anomaly: u8,
}

/// Points per anonymizer flag, under MaxMind's names. When several flags
/// are set only the highest counts: `is_anonymous` accompanies the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct AnonymousPoints {
    /// Any anonymizer.
    pub is_anonymous: u8,
    /// A commercial VPN.
    pub is_anonymous_vpn: u8,
    /// A hosting or cloud provider.
    pub is_hosting_provider: u8,
    /// An open proxy.
    pub is_public_proxy: u8,
    /// A residential proxy network (consumer devices relaying traffic).
    pub is_residential_proxy: u8,
    /// A Tor exit node.
    pub is_tor_exit_node: u8,
}

impl Default for AnonymousPoints {
    fn default() -> Self {
        AnonymousPoints {
            is_anonymous: 10,
            is_anonymous_vpn: 15,
            is_hosting_provider: 20,
            is_public_proxy: 30,
            is_residential_proxy: 30,
            is_tor_exit_node: 40,
        }
    }
}

impl AnonymousPoints {
    /// (MaxMind name, points) for every flag.
    pub fn by_name(&self) -> [(&'static str, u8); 6] {
        [
            ("is_anonymous", self.is_anonymous),
            ("is_anonymous_vpn", self.is_anonymous_vpn),
            ("is_hosting_provider", self.is_hosting_provider),
            ("is_public_proxy", self.is_public_proxy),
            ("is_residential_proxy", self.is_residential_proxy),
            ("is_tor_exit_node", self.is_tor_exit_node),
        ]
    }
}

impl Default for Points {
    fn default() -> Self {
        Points {
            compromised_password: 50,
            new_country: 25,
            new_asn: 15,
            new_device: 15,
            new_fingerprint: 10,
            fingerprint_ua_mismatch: 30,
            first_seen: 0,
            impossible_travel: 40,
            anonymous: AnonymousPoints::default(),
            forwarding_anomaly: 5,
        }
    }
}

/// The most members one per-user history keeps: the bound of
/// [`Familiarity::history_size`], and of what a store keeps per user.
pub const HISTORY_MAX: usize = 32;

/// Per-user familiarity, after Freeman et al., "Who Are You? A Statistical
/// Approach to Measuring User Authenticity" (NDSS 2016). See
/// `docs/familiarity.md`.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Familiarity {
    /// Event types scored for familiarity (empty: off). Histories learn from
    /// successful logins only, whatever this says.
    pub events: Vec<EventType>,
    /// Values kept per user and feature (1 to 32); the least recently seen
    /// value goes first.
    pub history_size: u8,
    /// Days over which global popularity is counted (1 to 365).
    pub global_window_days: u16,
    /// A value used by at least this percentage of all successful logins
    /// is common: being new to it adds no points (1 to 100).
    pub common_percent: u8,
}

impl Default for Familiarity {
    fn default() -> Self {
        Familiarity {
            events: vec![EventType::Login, EventType::CredentialChange],
            history_size: 8,
            global_window_days: 30,
            common_percent: 5,
        }
    }
}

/// Impossible travel between the last successful login and this event.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Travel {
    /// Event types checked (empty: off).
    pub events: Vec<EventType>,
    /// Fastest plausible speed in km/h (default 1,000: a jet, door to door
    /// much less).
    pub max_speed_kmh: u32,
    /// Days the last login's position is remembered (1 to 365).
    pub remember_days: u16,
    /// Accuracy radius assumed for positions that claim less (default 25
    /// km): IP geolocation is city-level at best, and databases without a
    /// radius (DB-IP Lite) report 0, which would make two suburbs of one
    /// city look like a flight.
    pub min_accuracy_km: u16,
}

impl Default for Travel {
    fn default() -> Self {
        Travel {
            events: vec![EventType::Login, EventType::CredentialChange],
            max_speed_kmh: 1000,
            remember_days: 30,
            min_accuracy_km: 25,
        }
    }
}
