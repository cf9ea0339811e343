//! What a lookup returns: the hot-path [`GeoInfo`], its [`AnonymousFlags`],
//! and the owned [`GeoDetails`] for display and logs.

use std::fmt;
use std::ops::{BitOr, BitOrAssign};

use crate::{Asn, Country, Location};

/// What the databases say about one address: small and `Copy`, for the
/// decision path.
///
/// Every field is `None` (and the flags empty) when no database has data for
/// the address, or has no database of the kind that would know the field.
///
/// ```
/// use tollgate::geo::GeoInfo;
///
/// let miss = GeoInfo::default();
/// assert!(miss.is_empty());
/// assert_eq!(miss.country, None);
/// assert!(!miss.anonymous.is_anonymous());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct GeoInfo {
    /// Where the address is (MaxMind `country.iso_code`; not the registered
    /// or represented country).
    pub country: Option<Country>,
    /// City-level position and its accuracy radius (`location.latitude`,
    /// `longitude`, `accuracy_radius`). A record without an accuracy radius
    /// gets 0 km; one with latitude or longitude missing or out of range
    /// gets no location.
    pub location: Option<Location>,
    /// The autonomous system the address is announced from.
    pub asn: Option<Asn>,
    /// The anonymizer flags (all false without an anonymizer database).
    pub anonymous: AnonymousFlags,
    /// Length of the network prefix around the address over which this
    /// answer is the same: for one database the prefix of the record found
    /// (or of the empty block, on a miss); for a set the longest of them.
    /// IPv4 addresses count in IPv4 bits. `None` if no database could answer
    /// for the address's family (an IPv6 address and IPv4-only databases).
    pub prefix_len: Option<u8>,
}

impl GeoInfo {
    /// Nothing is known: no country, location, ASN or flag. (The prefix
    /// length does not count: a miss has one too.)
    pub fn is_empty(&self) -> bool {
        self.country.is_none() && self.location.is_none() && self.asn.is_none() && self.anonymous.is_empty()
    }

    /// Fills the fields this one lacks from `other`, joins the flags and
    /// keeps the longer prefix.
    pub fn or(self, other: GeoInfo) -> GeoInfo {
        GeoInfo {
            country: self.country.or(other.country),
            location: self.location.or(other.location),
            asn: self.asn.or(other.asn),
            anonymous: self.anonymous | other.anonymous,
            prefix_len: match (self.prefix_len, other.prefix_len) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            },
        }
    }
}

/// The anonymizer flags of the GeoIP2 Anonymous-IP family, under MaxMind's
/// names.
///
/// ```
/// use tollgate::geo::AnonymousFlags;
///
/// let f = AnonymousFlags::ANONYMOUS | AnonymousFlags::TOR_EXIT_NODE;
/// assert!(f.is_tor_exit_node() && !f.is_anonymous_vpn());
/// assert_eq!(AnonymousFlags::from_name("is_tor_exit_node"), Some(AnonymousFlags::TOR_EXIT_NODE));
/// assert_eq!(f.names().collect::<Vec<_>>(), ["is_anonymous", "is_tor_exit_node"]);
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct AnonymousFlags(u8);

impl AnonymousFlags {
    /// No flag set.
    pub const NONE: AnonymousFlags = AnonymousFlags(0);
    /// `is_anonymous`: any kind of anonymizer.
    pub const ANONYMOUS: AnonymousFlags = AnonymousFlags(1);
    /// `is_anonymous_vpn`: registered to an anonymous VPN provider.
    pub const ANONYMOUS_VPN: AnonymousFlags = AnonymousFlags(1 << 1);
    /// `is_hosting_provider`: a hosting or VPN provider's network.
    pub const HOSTING_PROVIDER: AnonymousFlags = AnonymousFlags(1 << 2);
    /// `is_public_proxy`: a public proxy.
    pub const PUBLIC_PROXY: AnonymousFlags = AnonymousFlags(1 << 3);
    /// `is_residential_proxy`: a proxy on a residential ISP's network (also
    /// set for every hit in a Residential-Proxy database).
    pub const RESIDENTIAL_PROXY: AnonymousFlags = AnonymousFlags(1 << 4);
    /// `is_tor_exit_node`: a Tor exit node.
    pub const TOR_EXIT_NODE: AnonymousFlags = AnonymousFlags(1 << 5);

    /// Every flag with its MaxMind name, in this order.
    pub const ALL: [(AnonymousFlags, &'static str); 6] = [
        (AnonymousFlags::ANONYMOUS, "is_anonymous"),
        (AnonymousFlags::ANONYMOUS_VPN, "is_anonymous_vpn"),
        (AnonymousFlags::HOSTING_PROVIDER, "is_hosting_provider"),
        (AnonymousFlags::PUBLIC_PROXY, "is_public_proxy"),
        (AnonymousFlags::RESIDENTIAL_PROXY, "is_residential_proxy"),
        (AnonymousFlags::TOR_EXIT_NODE, "is_tor_exit_node"),
    ];

    /// No flag is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Every flag in `other` is set here.
    pub const fn contains(self, other: AnonymousFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// The flags set in either.
    pub const fn union(self, other: AnonymousFlags) -> AnonymousFlags {
        AnonymousFlags(self.0 | other.0)
    }

    /// Sets `other`'s flags when `on`.
    pub fn set(&mut self, other: AnonymousFlags, on: bool) {
        if on {
            self.0 |= other.0;
        } else {
            self.0 &= !other.0;
        }
    }

    /// `is_anonymous`.
    pub const fn is_anonymous(self) -> bool {
        self.contains(AnonymousFlags::ANONYMOUS)
    }

    /// `is_anonymous_vpn`.
    pub const fn is_anonymous_vpn(self) -> bool {
        self.contains(AnonymousFlags::ANONYMOUS_VPN)
    }

    /// `is_hosting_provider`.
    pub const fn is_hosting_provider(self) -> bool {
        self.contains(AnonymousFlags::HOSTING_PROVIDER)
    }

    /// `is_public_proxy`.
    pub const fn is_public_proxy(self) -> bool {
        self.contains(AnonymousFlags::PUBLIC_PROXY)
    }

    /// `is_residential_proxy`.
    pub const fn is_residential_proxy(self) -> bool {
        self.contains(AnonymousFlags::RESIDENTIAL_PROXY)
    }

    /// `is_tor_exit_node`.
    pub const fn is_tor_exit_node(self) -> bool {
        self.contains(AnonymousFlags::TOR_EXIT_NODE)
    }

    /// The flag a MaxMind field name (`is_anonymous_vpn` …) stands for.
    pub fn from_name(name: &str) -> Option<AnonymousFlags> {
        AnonymousFlags::ALL
            .iter()
            .find(|(_, n)| *n == name)
            .map(|&(flag, _)| flag)
    }

    /// The MaxMind names of the flags set, in [`ALL`](Self::ALL) order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        AnonymousFlags::ALL
            .into_iter()
            .filter(move |&(flag, _)| self.contains(flag))
            .map(|(_, name)| name)
    }
}

impl BitOr for AnonymousFlags {
    type Output = AnonymousFlags;

    fn bitor(self, rhs: AnonymousFlags) -> AnonymousFlags {
        self.union(rhs)
    }
}

impl BitOrAssign for AnonymousFlags {
    fn bitor_assign(&mut self, rhs: AnonymousFlags) {
        *self = self.union(rhs);
    }
}

impl fmt::Debug for AnonymousFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.names()).finish()
    }
}

/// Everything the lookups read about an address, owned: the [`GeoInfo`] plus
/// names for display, the `tollgate ip` command and logs.
///
/// Slower than [`GeoInfo`] (it decodes and copies strings); the decision path
/// does not need it.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct GeoDetails {
    /// The hot-path fields.
    pub info: GeoInfo,
    /// English city name (`city.names.en`, or a plain `city` string).
    pub city: Option<String>,
    /// The organisation: `autonomous_system_organization`, else an ISP
    /// database's `organization`.
    pub org: Option<String>,
    /// The ISP (ISP and Enterprise databases).
    pub isp: Option<String>,
    /// How sure the anonymizer data is, 1–99 (Anonymous-Plus,
    /// Residential-Proxy, IP-Risk).
    pub anonymizer_confidence: Option<u8>,
    /// The anonymizer or proxy provider's name.
    pub provider_name: Option<String>,
    /// When the anonymizer was last seen on this network, `YYYY-MM-DD`.
    pub network_last_seen: Option<String>,
}

impl GeoDetails {
    /// Fills the fields this one lacks from `other`, as [`GeoInfo::or`].
    pub fn or(self, other: GeoDetails) -> GeoDetails {
        GeoDetails {
            info: self.info.or(other.info),
            city: self.city.or(other.city),
            org: self.org.or(other.org),
            isp: self.isp.or(other.isp),
            anonymizer_confidence: self.anonymizer_confidence.or(other.anonymizer_confidence),
            provider_name: self.provider_name.or(other.provider_name),
            network_last_seen: self.network_last_seen.or(other.network_last_seen),
        }
    }
}

/// A flat JSON object: `country` (ISO code), `city`, `location`, `asn`,
/// `org`, `isp`, the six flags under their MaxMind names, then the
/// anonymizer details and `prefix_len`. Unknown fields are left out; the
/// flags are always present.
#[cfg(feature = "serde")]
impl serde::Serialize for GeoDetails {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        let info = &self.info;
        if let Some(country) = &info.country {
            map.serialize_entry("country", country)?;
        }
        if let Some(city) = &self.city {
            map.serialize_entry("city", city)?;
        }
        if let Some(location) = &info.location {
            map.serialize_entry("location", location)?;
        }
        if let Some(asn) = &info.asn {
            map.serialize_entry("asn", asn)?;
        }
        if let Some(org) = &self.org {
            map.serialize_entry("org", org)?;
        }
        if let Some(isp) = &self.isp {
            map.serialize_entry("isp", isp)?;
        }
        for (flag, name) in AnonymousFlags::ALL {
            map.serialize_entry(name, &info.anonymous.contains(flag))?;
        }
        if let Some(c) = &self.anonymizer_confidence {
            map.serialize_entry("anonymizer_confidence", c)?;
        }
        if let Some(p) = &self.provider_name {
            map.serialize_entry("provider_name", p)?;
        }
        if let Some(d) = &self.network_last_seen {
            map.serialize_entry("network_last_seen", d)?;
        }
        if let Some(p) = &info.prefix_len {
            map.serialize_entry("prefix_len", p)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn or_prefers_self_and_joins_flags() {
        let a = GeoInfo {
            country: Some("GB".parse().unwrap()),
            anonymous: AnonymousFlags::ANONYMOUS,
            prefix_len: Some(24),
            ..GeoInfo::default()
        };
        let b = GeoInfo {
            country: Some("DE".parse().unwrap()),
            asn: Some(Asn(64500)),
            anonymous: AnonymousFlags::TOR_EXIT_NODE,
            prefix_len: Some(28),
            ..GeoInfo::default()
        };
        let m = a.or(b);
        assert_eq!(m.country, a.country);
        assert_eq!(m.asn, Some(Asn(64500)));
        assert!(m.anonymous.is_anonymous() && m.anonymous.is_tor_exit_node());
        assert_eq!(m.prefix_len, Some(28));
        assert_eq!(GeoInfo::default().or(a).prefix_len, Some(24));
    }

    #[test]
    fn flags_set_and_clear() {
        let mut f = AnonymousFlags::NONE;
        for (flag, name) in AnonymousFlags::ALL {
            f.set(flag, true);
            assert_eq!(AnonymousFlags::from_name(name), Some(flag));
        }
        assert_eq!(f.names().count(), 6);
        f.set(AnonymousFlags::ANONYMOUS, false);
        assert!(!f.is_anonymous() && f.is_public_proxy());
        assert_eq!(format!("{:?}", AnonymousFlags::PUBLIC_PROXY), r#"{"is_public_proxy"}"#);
        assert_eq!(AnonymousFlags::from_name("is_bogus"), None);
    }

    #[test]
    fn geo_info_stays_small() {
        assert!(size_of::<GeoInfo>() <= 48, "{}", size_of::<GeoInfo>());
    }
}
