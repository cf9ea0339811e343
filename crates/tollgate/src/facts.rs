//! What the engine knows about an event beyond its own fields.

#[cfg(feature = "geo")]
use crate::geo::{AnonymousFlags, GeoSet};
use crate::phone::{self, PhoneInfo};
use crate::{Asn, Country, Event, EventKind, Location};

/// Values resolved for an event: taken from the event when resolved
/// upstream (a CDN header), otherwise looked up. All `Copy`, so a plan
/// carries them to `conclude` without allocating.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Facts {
    pub(crate) country: Option<Country>,
    pub(crate) asn: Option<Asn>,
    pub(crate) location: Option<Location>,
    #[cfg(feature = "geo")]
    pub(crate) anonymous: AnonymousFlags,
    /// A geo database failed on this address (corrupt data).
    pub(crate) lookup_failed: bool,
    /// The phone number's country and line type, for OTP events.
    pub(crate) phone: Option<PhoneInfo>,
}

/// The geo databases an engine has, if any.
#[cfg(feature = "geo")]
pub(crate) type Geo<'a> = Option<&'a GeoSet>;
#[cfg(not(feature = "geo"))]
pub(crate) type Geo<'a> = Option<&'a std::convert::Infallible>;

impl Facts {
    /// The event's own values, completed from the geo databases when the
    /// event lacks a country or an ASN. Upstream values win: a CDN that
    /// resolved the country knows the client's real connection.
    #[cfg_attr(not(feature = "geo"), allow(unused_mut))]
    pub(crate) fn gather(event: &Event, geo: Geo<'_>) -> Facts {
        let mut facts = Facts {
            country: event.country,
            asn: event.asn,
            location: event.location,
            phone: event
                .phone
                .as_ref()
                .filter(|_| matches!(event.kind, EventKind::OtpSend { .. } | EventKind::OtpVerify { .. }))
                .map(phone::classify),
            ..Facts::default()
        };
        #[cfg(feature = "geo")]
        if let (Some(geo), Some(ip), true) = (geo, event.ip, facts.country.is_none() || facts.asn.is_none()) {
            // A corrupt record in one database must not cost the others' answers.
            let (info, error) = geo.lookup_best_effort(ip);
            facts.country = facts.country.or(info.country);
            facts.asn = facts.asn.or(info.asn);
            facts.location = facts.location.or(info.location);
            facts.anonymous = info.anonymous;
            facts.lookup_failed = error.is_some();
        }
        #[cfg(not(feature = "geo"))]
        let _ = geo;
        facts
    }
}
