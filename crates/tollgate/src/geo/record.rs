//! The record fields the lookups read, as borrowed serde structs, and how
//! each record layout turns into a [`GeoInfo`] or [`GeoDetails`].
//!
//! Only the fields used are declared; the decoder skips every other one
//! without decoding it. Numbers are read leniently (any unsigned width, and
//! coordinates also from strings, as ip-location-db writes them).

use std::fmt;
use std::marker::PhantomData;

use maxminddb::{LookupResult, MaxMindDbError};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::kind::Family;
use super::{AnonymousFlags, DbKind, GeoDetails, GeoInfo};
use crate::{Asn, Country, Location};

/// A coordinate in degrees: a double, a float, an integer or a numeric
/// string. A string that is not a number reads as NaN (and so gives no
/// location) rather than failing the lookup.
#[derive(Clone, Copy)]
struct Coord(f64);

impl<'de> Deserialize<'de> for Coord {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Coord;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a coordinate")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Coord, E> {
                Ok(Coord(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Coord, E> {
                Ok(Coord(v as f64))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Coord, E> {
                Ok(Coord(v as f64))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<Coord, E> {
                Ok(Coord(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Coord, E> {
                Ok(Coord(v.trim().parse().unwrap_or(f64::NAN)))
            }
        }
        d.deserialize_any(V)
    }
}

/// An unsigned integer of any width; a value outside `T`'s range reads as
/// `None`.
struct Uint<T>(Option<T>);

impl<'de, T: TryFrom<u64>> Deserialize<'de> for Uint<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<T: TryFrom<u64>> Visitor<'_> for V<T> {
            type Value = Uint<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an unsigned integer")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Uint<T>, E> {
                Ok(Uint(T::try_from(v).ok()))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<Uint<T>, E> {
                Ok(Uint(u64::try_from(v).ok().and_then(|v| T::try_from(v).ok())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Uint<T>, E> {
                Ok(Uint(u64::try_from(v).ok().and_then(|v| T::try_from(v).ok())))
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

fn uint<T>(v: Option<Uint<T>>) -> Option<T> {
    v.and_then(|u| u.0)
}

/// `country` / `registered_country`: only the ISO code.
#[derive(Deserialize)]
struct IsoCode<'a> {
    #[serde(borrow)]
    iso_code: Option<&'a str>,
}

/// `location`.
#[derive(Deserialize)]
struct LocationRec {
    latitude: Option<Coord>,
    longitude: Option<Coord>,
    accuracy_radius: Option<Uint<u16>>,
}

/// A city: MaxMind's `{"names": {"en": …}}` or a plain string.
struct CityName<'a>(Option<&'a str>);

impl<'de: 'a, 'a> Deserialize<'de> for CityName<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Names<'a> {
            #[serde(borrow)]
            en: Option<&'a str>,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CityName<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a city map or name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<CityName<'de>, E> {
                Ok(CityName(Some(v).filter(|s| !s.is_empty())))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CityName<'de>, A::Error> {
                let mut en = None;
                while let Some(key) = map.next_key::<&'de str>()? {
                    if key == "names" {
                        en = map.next_value::<Names<'de>>()?.en;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(CityName(en))
            }
        }
        d.deserialize_any(V)
    }
}

/// A City, Country or Enterprise record for the hot path.
///
/// Reading stops as soon as every field this kind of record can have has
/// been seen (`country` with an ISO code, plus `location` when `LOCATION`,
/// plus `traits` when `TRAITS`), so the rest of a City record (postal code,
/// registered country, subdivisions) is never walked. Fields are read
/// whatever the key order, and the result is what decoding the whole record
/// would give: once those fields are seen, nothing later can change it.
struct PlaceHot<'a, const LOCATION: bool, const TRAITS: bool> {
    country: Option<IsoCode<'a>>,
    location: Option<LocationRec>,
    traits: Option<TraitsHot>,
    // ip-location-db's flat layout.
    country_code: Option<&'a str>,
    latitude: Option<Coord>,
    longitude: Option<Coord>,
}

/// The keys of a place record the hot path reads.
enum PlaceKey {
    Country,
    Location,
    Traits,
    CountryCode,
    Latitude,
    Longitude,
    Other,
}

impl<'de> Deserialize<'de> for PlaceKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = PlaceKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map key")
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<PlaceKey, E> {
                Ok(match v {
                    b"country" => PlaceKey::Country,
                    b"location" => PlaceKey::Location,
                    b"traits" => PlaceKey::Traits,
                    b"country_code" => PlaceKey::CountryCode,
                    b"latitude" => PlaceKey::Latitude,
                    b"longitude" => PlaceKey::Longitude,
                    _ => PlaceKey::Other,
                })
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PlaceKey, E> {
                self.visit_bytes(v.as_bytes())
            }
        }
        d.deserialize_identifier(V)
    }
}

impl<'de: 'a, 'a, const LOCATION: bool, const TRAITS: bool> Deserialize<'de> for PlaceHot<'a, LOCATION, TRAITS> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<const LOCATION: bool, const TRAITS: bool>;
        impl<'de, const LOCATION: bool, const TRAITS: bool> Visitor<'de> for V<LOCATION, TRAITS> {
            type Value = PlaceHot<'de, LOCATION, TRAITS>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a place record (map)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = PlaceHot {
                    country: None,
                    location: None,
                    traits: None,
                    country_code: None,
                    latitude: None,
                    longitude: None,
                };
                while let Some(key) = map.next_key::<PlaceKey>()? {
                    match key {
                        PlaceKey::Country => out.country = Some(map.next_value()?),
                        PlaceKey::Location if LOCATION => out.location = Some(map.next_value()?),
                        PlaceKey::Traits if TRAITS => out.traits = Some(map.next_value()?),
                        PlaceKey::CountryCode => out.country_code = Some(map.next_value()?),
                        PlaceKey::Latitude if LOCATION => out.latitude = Some(map.next_value()?),
                        PlaceKey::Longitude if LOCATION => out.longitude = Some(map.next_value()?),
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                    // A `country` without an ISO code does not end the
                    // search: a flat `country_code` may still follow.
                    if out.country.as_ref().is_some_and(|c| c.iso_code.is_some())
                        && (!LOCATION || out.location.is_some())
                        && (!TRAITS || out.traits.is_some())
                    {
                        break;
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V::<LOCATION, TRAITS>)
    }
}

/// Enterprise `traits`, hot path.
#[derive(Deserialize)]
struct TraitsHot {
    autonomous_system_number: Option<Uint<u32>>,
}

/// A City, Country or Enterprise record with the display fields.
#[derive(Deserialize)]
struct PlaceDetails<'a> {
    #[serde(borrow)]
    country: Option<IsoCode<'a>>,
    location: Option<LocationRec>,
    #[serde(borrow)]
    traits: Option<NetworkRec<'a>>,
    #[serde(borrow)]
    city: Option<CityName<'a>>,
    #[serde(borrow)]
    country_code: Option<&'a str>,
    latitude: Option<Coord>,
    longitude: Option<Coord>,
}

/// An ASN or ISP record for the hot path.
#[derive(Deserialize)]
struct NetworkHot {
    autonomous_system_number: Option<Uint<u32>>,
}

/// An ASN or ISP record (or Enterprise `traits`) with the display fields.
#[derive(Deserialize)]
struct NetworkRec<'a> {
    autonomous_system_number: Option<Uint<u32>>,
    #[serde(borrow)]
    autonomous_system_organization: Option<&'a str>,
    #[serde(borrow)]
    organization: Option<&'a str>,
    #[serde(borrow)]
    isp: Option<&'a str>,
}

/// The anonymizer flags.
#[derive(Deserialize)]
struct FlagsRec {
    is_anonymous: Option<bool>,
    is_anonymous_vpn: Option<bool>,
    is_hosting_provider: Option<bool>,
    is_public_proxy: Option<bool>,
    is_residential_proxy: Option<bool>,
    is_tor_exit_node: Option<bool>,
}

/// An anonymizer or residential-proxy record with the display fields.
#[derive(Deserialize)]
struct AnonymizerRec<'a> {
    is_anonymous: Option<bool>,
    is_anonymous_vpn: Option<bool>,
    is_hosting_provider: Option<bool>,
    is_public_proxy: Option<bool>,
    is_residential_proxy: Option<bool>,
    is_tor_exit_node: Option<bool>,
    anonymizer_confidence: Option<Uint<u8>>,
    #[serde(borrow)]
    provider_name: Option<&'a str>,
    #[serde(borrow)]
    network_last_seen: Option<&'a str>,
}

fn flags(f: [Option<bool>; 6]) -> AnonymousFlags {
    let mut out = AnonymousFlags::NONE;
    for ((flag, _), on) in AnonymousFlags::ALL.into_iter().zip(f) {
        out.set(flag, on.unwrap_or(false));
    }
    out
}

fn country(iso: Option<IsoCode<'_>>, flat: Option<&str>) -> Option<Country> {
    iso.and_then(|c| c.iso_code).or(flat).and_then(|s| s.parse().ok())
}

fn location(rec: Option<LocationRec>, flat_lat: Option<Coord>, flat_lon: Option<Coord>) -> Option<Location> {
    let (lat, lon, radius) = match rec {
        Some(l) => (l.latitude, l.longitude, uint(l.accuracy_radius)),
        None => (flat_lat, flat_lon, None),
    };
    Location::new(lat?.0, lon?.0, radius.unwrap_or(0)).ok()
}

fn owned(s: Option<&str>) -> Option<String> {
    s.filter(|s| !s.is_empty()).map(str::to_owned)
}

/// Decodes the hot-path fields of a lookup result (all `None` on a miss).
pub(super) fn hot<S: AsRef<[u8]>>(kind: DbKind, found: &LookupResult<'_, S>) -> Result<GeoInfo, MaxMindDbError> {
    let mut info = GeoInfo::default();
    if !found.has_data() {
        return Ok(info);
    }
    match kind.family() {
        Family::Place => match kind {
            DbKind::Country => place(&mut info, found.decode::<PlaceHot<'_, false, false>>()?),
            DbKind::Enterprise => place(&mut info, found.decode::<PlaceHot<'_, true, true>>()?),
            _ => place(&mut info, found.decode::<PlaceHot<'_, true, false>>()?),
        },
        Family::Network => {
            if let Some(r) = found.decode::<NetworkHot>()? {
                info.asn = uint(r.autonomous_system_number).map(Asn);
            }
        }
        Family::Anonymizer => {
            if let Some(r) = found.decode::<FlagsRec>()? {
                info.anonymous = flags([
                    r.is_anonymous,
                    r.is_anonymous_vpn,
                    r.is_hosting_provider,
                    r.is_public_proxy,
                    r.is_residential_proxy,
                    r.is_tor_exit_node,
                ]);
            }
        }
        // A hit is the signal: nothing to decode.
        Family::ResidentialProxy => info.anonymous = AnonymousFlags::RESIDENTIAL_PROXY,
    }
    Ok(info)
}

fn place<const L: bool, const T: bool>(info: &mut GeoInfo, r: Option<PlaceHot<'_, L, T>>) {
    if let Some(r) = r {
        info.country = country(r.country, r.country_code);
        info.location = location(r.location, r.latitude, r.longitude);
        info.asn = uint(r.traits.and_then(|t| t.autonomous_system_number)).map(Asn);
    }
}

/// Decodes the display fields, and the hot-path ones, of a lookup result.
pub(super) fn details<S: AsRef<[u8]>>(kind: DbKind, found: &LookupResult<'_, S>) -> Result<GeoDetails, MaxMindDbError> {
    let mut out = GeoDetails::default();
    let family = kind.family();
    match family {
        Family::Place => {
            if let Some(r) = found.decode::<PlaceDetails<'_>>()? {
                out.info.country = country(r.country, r.country_code);
                // A Country database is read for the country alone, as on
                // the hot path.
                if kind != DbKind::Country {
                    out.info.location = location(r.location, r.latitude, r.longitude);
                    out.city = owned(r.city.and_then(|c| c.0));
                }
                // Only Enterprise records carry the network in `traits`.
                if let (DbKind::Enterprise, Some(t)) = (kind, r.traits) {
                    fill_network(&mut out, t);
                }
            }
        }
        Family::Network => {
            if let Some(r) = found.decode::<NetworkRec<'_>>()? {
                fill_network(&mut out, r);
            }
        }
        Family::Anonymizer | Family::ResidentialProxy => {
            if let Some(r) = found.decode::<AnonymizerRec<'_>>()? {
                out.info.anonymous = if family == Family::ResidentialProxy {
                    // As on the hot path, which decodes nothing: a hit is the flag.
                    AnonymousFlags::RESIDENTIAL_PROXY
                } else {
                    flags([
                        r.is_anonymous,
                        r.is_anonymous_vpn,
                        r.is_hosting_provider,
                        r.is_public_proxy,
                        r.is_residential_proxy,
                        r.is_tor_exit_node,
                    ])
                };
                out.anonymizer_confidence = uint(r.anonymizer_confidence);
                out.provider_name = owned(r.provider_name);
                out.network_last_seen = owned(r.network_last_seen);
            }
        }
    }
    Ok(out)
}

fn fill_network(out: &mut GeoDetails, r: NetworkRec<'_>) {
    out.info.asn = uint(r.autonomous_system_number).map(Asn);
    out.org = owned(r.autonomous_system_organization).or_else(|| owned(r.organization));
    out.isp = owned(r.isp);
}
