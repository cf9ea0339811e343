//! Settings of the scored signals that are not limits.

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
    /// Most points for a network prefix (`keys.ipv4_prefix`, default /24,
    /// `keys.ipv6_prefix`) this user was not seen with
    /// (`familiarity.new_prefix`), scaled by rarity. Default 0: a person's
    /// addresses move (mobile networks, DHCP), so the prefix only tells
    /// attack mode and probation apart a known network from a new one.
    pub new_prefix: u8,
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
            new_prefix: 0,
            fingerprint_ua_mismatch: 30,
            first_seen: 0,
            impossible_travel: 40,
            anonymous: AnonymousPoints::default(),
            forwarding_anomaly: 5,
        }
    }
}

/// The most members one per-user history keeps: the bound of
/// [`Familiarity::history_size`](crate::policy::Familiarity::history_size), and of what a store keeps per user.
pub const HISTORY_MAX: usize = 32;
