//! The five features a user's familiarity history keeps, and what each
//! is worth: country, network, device, client fingerprint and network
//! prefix.

use crate::ReasonCode;
use crate::policy::Points;

/// A familiarity feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Feature {
    Country,
    Asn,
    Device,
    /// The client software's best fingerprint: JA4, else JA3, else HTTP/2.
    Fingerprint,
    /// The client's network prefix (`keys.ipv4_prefix`, `keys.ipv6_prefix`).
    Prefix,
}

impl Feature {
    pub(super) const ALL: [Feature; 5] = [
        Feature::Country,
        Feature::Asn,
        Feature::Device,
        Feature::Fingerprint,
        Feature::Prefix,
    ];

    pub(super) fn index(self) -> usize {
        self as usize
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            Feature::Country => "country",
            Feature::Asn => "network",
            Feature::Device => "device",
            Feature::Fingerprint => "fingerprint",
            Feature::Prefix => "prefix",
        }
    }

    pub(super) fn code(self) -> ReasonCode {
        match self {
            Feature::Country => ReasonCode::NewCountry,
            Feature::Asn => ReasonCode::NewAsn,
            Feature::Device => ReasonCode::NewDevice,
            Feature::Fingerprint => ReasonCode::NewFingerprint,
            Feature::Prefix => ReasonCode::NewPrefix,
        }
    }

    pub(super) fn max_points(self, p: &Points) -> u8 {
        match self {
            Feature::Country => p.new_country,
            Feature::Asn => p.new_asn,
            Feature::Device => p.new_device,
            Feature::Fingerprint => p.new_fingerprint,
            Feature::Prefix => p.new_prefix,
        }
    }
}
