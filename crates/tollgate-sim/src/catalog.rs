//! The simulated world: regions, their networks and phone plans (cities
//! are in [`places`], client software in [`software`](super::software)).
//!
//! AS numbers are those of real operators, for flavour; the addresses are
//! synthetic. Each fixed-line ISP gets a made-up /15 (512 /24 networks, so
//! neighbours share a /24 the way customers of a real ISP do) and each
//! mobile carrier a carrier-grade-NAT pool of 16 /24 networks that all its
//! subscribers' sessions come out of.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rand::Rng;
use tollgate::password::PasswordSha1;
use tollgate::{Country, Ja4, Location, TlsShape};

use super::places::{self, CITIES, Place};
use super::sampling::{between, weighted};
use super::software::SOFTWARE;
use crate::Error;

/// How an ISP connects its customers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// Home and office broadband: a stable address per line.
    Fixed,
    /// Mobile data behind carrier-grade NAT: a pooled address per session.
    Mobile,
}

/// One network operator.
#[derive(Debug)]
pub(crate) struct Isp {
    /// Index into [`REGIONS`].
    pub(crate) region: u8,
    pub(crate) asn: u32,
    /// First two octets of the ISP's synthetic IPv4 range.
    v4: [u8; 2],
    pub(crate) access: Access,
}

/// A country the simulation knows.
#[derive(Debug)]
pub(crate) struct Region {
    pub(crate) code: &'static str,
    /// Share of the legitimate population living there (0: attack traffic only).
    pub(crate) population: u32,
    /// Leading digits of mobile numbers (country code included).
    phone_prefixes: &'static [u64],
    /// Digits that follow a prefix.
    phone_rest: u32,
}

const fn isp(region: u8, asn: u32, a: u8, b: u8, access: Access) -> Isp {
    Isp {
        region,
        asn,
        v4: [a, b],
        access,
    }
}

use Access::{Fixed, Mobile};

pub(crate) const REGIONS: [Region; 16] = [
    region("US", 38, &[1_201, 1_212, 1_310, 1_312, 1_404, 1_415, 1_617, 1_702], 7),
    region("GB", 14, &[447], 9),
    region("DE", 14, &[49_151, 49_160, 49_170, 49_176], 8),
    region("FR", 12, &[336, 337], 8),
    region("IN", 14, &[916, 917, 918, 919], 9),
    region("LV", 8, &[3_712], 7),
    region("BR", 0, &[55_119], 8),
    region("VN", 0, &[849], 8),
    region("ID", 0, &[6_281], 9),
    region("TR", 0, &[905], 9),
    region("PL", 0, &[485], 8),
    region("IT", 0, &[393], 9),
    region("ES", 0, &[346], 8),
    region("MX", 0, &[521], 10),
    region("CA", 0, &[1_416, 1_604], 7),
    region("RO", 0, &[407], 8),
];

const fn region(code: &'static str, population: u32, phone_prefixes: &'static [u64], phone_rest: u32) -> Region {
    Region {
        code,
        population,
        phone_prefixes,
        phone_rest,
    }
}

pub(crate) const ISPS: [Isp; 38] = [
    isp(0, 7922, 73, 40, Fixed),     // Comcast
    isp(0, 20115, 24, 160, Fixed),   // Charter
    isp(0, 7018, 99, 30, Fixed),     // AT&T
    isp(0, 701, 71, 170, Fixed),     // Verizon
    isp(0, 21928, 172, 56, Mobile),  // T-Mobile US
    isp(0, 22394, 174, 200, Mobile), // Verizon Wireless
    isp(1, 2856, 86, 140, Fixed),    // BT
    isp(1, 5607, 90, 200, Fixed),    // Sky
    isp(1, 5089, 82, 20, Fixed),     // Virgin Media
    isp(1, 12576, 31, 94, Mobile),   // EE
    isp(1, 25135, 80, 40, Mobile),   // Vodafone UK
    isp(2, 3320, 79, 200, Fixed),    // Deutsche Telekom
    isp(2, 3209, 88, 64, Fixed),     // Vodafone DE
    isp(2, 6805, 89, 12, Mobile),    // Telefonica DE
    isp(3, 3215, 90, 10, Fixed),     // Orange FR
    isp(3, 12322, 82, 64, Fixed),    // Free
    isp(3, 15557, 109, 8, Fixed),    // SFR
    isp(3, 5410, 176, 128, Mobile),  // Bouygues
    isp(4, 24560, 122, 160, Fixed),  // Airtel
    isp(4, 9829, 117, 200, Fixed),   // BSNL
    isp(4, 55836, 49, 36, Mobile),   // Jio
    isp(5, 12578, 85, 254, Fixed),   // Tet
    isp(5, 24921, 212, 93, Mobile),  // LMT
    isp(6, 26599, 177, 50, Fixed),   // Vivo
    isp(6, 28573, 179, 200, Fixed),  // Claro BR
    isp(6, 7738, 187, 10, Fixed),    // Oi
    isp(7, 7552, 27, 64, Fixed),     // Viettel
    isp(7, 45899, 113, 160, Fixed),  // VNPT
    isp(8, 7713, 36, 64, Fixed),     // Telkom Indonesia
    isp(9, 9121, 78, 160, Fixed),    // Turk Telekom
    isp(10, 5617, 83, 0, Fixed),     // Orange PL
    isp(11, 3269, 79, 0, Fixed),     // TIM
    isp(12, 3352, 81, 32, Fixed),    // Telefonica ES
    isp(13, 8151, 187, 130, Fixed),  // Telmex
    isp(14, 812, 99, 224, Fixed),    // Rogers
    isp(14, 577, 142, 112, Fixed),   // Bell Canada
    isp(15, 8708, 86, 120, Fixed),   // RCS & RDS
    isp(15, 8953, 5, 12, Mobile),    // Orange RO
];

/// The tables in the engine's types, checked once so building events
/// later cannot fail.
#[derive(Debug)]
pub(crate) struct Catalog {
    pub(crate) countries: Vec<Country>,
    pub(crate) ja4: Vec<Ja4>,
    /// Per software, the handshake's structure when it sends one.
    pub(crate) shapes: Vec<Option<TlsShape>>,
    /// The SHA-1s of [`SPRAYED_PASSWORDS`](super::traffic::SPRAYED_PASSWORDS).
    pub(crate) sprayed: Vec<PasswordSha1>,
    /// Whether events carry their handshake's structure, as a server
    /// terminating TLS itself gives it; off, they carry the JA4 only, as
    /// from a proxy that forwards nothing else.
    pub(crate) forward_shapes: bool,
    /// ISP indices per region, fixed-line and mobile.
    fixed: Vec<Vec<u8>>,
    mobile: Vec<Vec<u8>>,
    /// City indices per region, and their weights.
    cities: Vec<(Vec<u8>, Vec<u32>)>,
    /// Each city's position (accuracy 0).
    locations: Vec<Location>,
}

impl Catalog {
    pub(crate) fn new() -> Result<Catalog, Error> {
        let bad = |what: &str, e: tollgate::FieldError| Error::Tables(format!("{what}: {e}"));
        let countries = REGIONS
            .iter()
            .map(|r| r.code.parse::<Country>().map_err(|e| bad(r.code, e)))
            .collect::<Result<_, _>>()?;
        let shapes: Vec<Option<TlsShape>> = SOFTWARE
            .iter()
            .map(|s| {
                s.shape
                    .map(|t| t.parse::<TlsShape>().map_err(|e| bad(t, e)))
                    .transpose()
            })
            .collect::<Result<_, _>>()?;
        let ja4 = SOFTWARE
            .iter()
            .zip(&shapes)
            .map(|(s, shape)| match shape {
                Some(shape) => Ok(shape.ja4()),
                None => s.ja4.parse::<Ja4>().map_err(|e| bad(s.ja4, e)),
            })
            .collect::<Result<_, _>>()?;
        let mut fixed = vec![Vec::new(); REGIONS.len()];
        let mut mobile = vec![Vec::new(); REGIONS.len()];
        for (index, isp) in ISPS.iter().enumerate() {
            let lists = if isp.access == Fixed { &mut fixed } else { &mut mobile };
            let list = lists
                .get_mut(usize::from(isp.region))
                .ok_or_else(|| Error::Tables(format!("AS{} has no region", isp.asn)))?;
            list.push(u8::try_from(index).map_err(|_| Error::Tables("too many ISPs".into()))?);
        }
        if let Some(r) = REGIONS.iter().zip(&fixed).find(|(_, f)| f.is_empty()) {
            return Err(Error::Tables(format!("{} has no fixed-line ISP", r.0.code)));
        }
        let mut cities = vec![(Vec::new(), Vec::new()); REGIONS.len()];
        let mut locations = Vec::with_capacity(CITIES.len());
        for (index, city) in CITIES.iter().enumerate() {
            let (list, weights) = cities
                .get_mut(usize::from(city.region))
                .ok_or_else(|| Error::Tables(format!("{} has no region", city.name)))?;
            list.push(u8::try_from(index).map_err(|_| Error::Tables("too many cities".into()))?);
            weights.push(city.weight);
            locations.push(Location::new(city.latitude, city.longitude, 0).map_err(|e| bad(city.name, e))?);
        }
        if let Some(r) = REGIONS.iter().zip(&cities).find(|(_, c)| c.0.is_empty()) {
            return Err(Error::Tables(format!("{} has no city", r.0.code)));
        }
        Ok(Catalog {
            countries,
            ja4,
            shapes,
            forward_shapes: true,
            sprayed: super::traffic::SPRAYED_PASSWORDS.map(PasswordSha1::of).to_vec(),
            fixed,
            mobile,
            cities,
            locations,
        })
    }

    /// A city of `region`, in proportion to the cities' weights.
    pub(crate) fn city_in(&self, rng: &mut impl Rng, region: u8) -> u8 {
        self.cities
            .get(usize::from(region))
            .and_then(|(list, weights)| list.get(weighted(rng, weights)).copied())
            .unwrap_or(0)
    }

    /// The cities of `region`.
    pub(crate) fn cities(&self, region: u8) -> &[u8] {
        self.cities.get(usize::from(region)).map_or(&[], |c| c.0.as_slice())
    }

    /// Where a geo database would put `place`.
    pub(crate) fn location(&self, place: Place) -> Option<Location> {
        let city = self.locations.get(usize::from(place.city))?;
        Location::new(city.latitude(), city.longitude(), place.accuracy_km).ok()
    }

    /// The fixed-line ISPs of a region.
    pub(crate) fn fixed(&self, region: u8) -> &[u8] {
        self.fixed.get(usize::from(region)).map_or(&[], Vec::as_slice)
    }

    /// The mobile carriers of a region (may be empty).
    pub(crate) fn mobile(&self, region: u8) -> &[u8] {
        self.mobile.get(usize::from(region)).map_or(&[], Vec::as_slice)
    }
}

/// A residential proxy exit on a subscriber line of `isp`: its address and
/// where a geo database puts it.
pub(crate) fn proxy_exit(rng: &mut impl Rng, catalog: &Catalog, isp: u8) -> (IpAddr, Place) {
    let (region, access) = ISPS.get(usize::from(isp)).map_or((0, Fixed), |i| (i.region, i.access));
    let city = catalog.city_in(rng, region);
    match access {
        Mobile => (
            mobile_v4(rng, isp),
            Place {
                city,
                accuracy_km: places::MOBILE_ACCURACY_KM,
            },
        ),
        Fixed => (
            fixed_v4(rng, isp),
            Place {
                city,
                accuracy_km: places::fixed_accuracy(rng),
            },
        ),
    }
}

/// Any ISP: where a rotating proxy network hands out its next exit.
pub(crate) fn any_isp(rng: &mut impl Rng) -> u8 {
    u8::try_from(between(rng, 0, ISPS.len() as u64 - 1)).unwrap_or(0)
}

/// A home or office line's IPv4 address in `isp`'s range.
pub(crate) fn fixed_v4(rng: &mut impl Rng, isp: u8) -> IpAddr {
    let [a, b] = ISPS.get(usize::from(isp)).map_or([192, 0], |i| i.v4);
    let b = b.wrapping_add(rng.random_range(0..2));
    IpAddr::V4(Ipv4Addr::new(a, b, rng.random(), rng.random_range(1..255)))
}

/// A carrier-grade-NAT address of `isp`: many subscribers share each one.
pub(crate) fn mobile_v4(rng: &mut impl Rng, isp: u8) -> IpAddr {
    let [a, b] = ISPS.get(usize::from(isp)).map_or([192, 0], |i| i.v4);
    IpAddr::V4(Ipv4Addr::new(a, b, rng.random_range(0..16), rng.random_range(1..255)))
}

/// A household's IPv6 /64 in `isp`'s (synthetic) /32, as its four high segments.
pub(crate) fn household_v6(rng: &mut impl Rng, isp: u8) -> [u16; 4] {
    [
        0x2a02,
        0x1000 + u16::from(isp),
        rng.random(),
        rng.random::<u16>() & 0xff00,
    ]
}

/// An address in a household /64 with a fresh interface id, as privacy
/// extensions hand out.
pub(crate) fn v6_host(rng: &mut impl Rng, net: [u16; 4]) -> IpAddr {
    let [a, b, c, d] = net;
    IpAddr::V6(Ipv6Addr::new(
        a,
        b,
        c,
        d,
        rng.random(),
        rng.random(),
        rng.random(),
        rng.random(),
    ))
}

/// A mobile number of `region`, as E.164 digits.
pub(crate) fn phone_number(rng: &mut impl Rng, region: u8) -> Option<u64> {
    let r = REGIONS.get(usize::from(region))?;
    let prefix = *r
        .phone_prefixes
        .get(rng.random_range(0..r.phone_prefixes.len().max(1)))?;
    let span = 10u64.checked_pow(r.phone_rest)?;
    prefix.checked_mul(span)?.checked_add(rng.random_range(0..span))
}

/// The region whose mobile numbers [`phone_number`] draws `digits` from.
pub(crate) fn phone_region(digits: u64) -> Option<u8> {
    REGIONS
        .iter()
        .position(|r| {
            10u64
                .checked_pow(r.phone_rest)
                .is_some_and(|span| r.phone_prefixes.contains(&(digits / span)))
        })
        .and_then(|i| u8::try_from(i).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_consistent() {
        let c = Catalog::new().unwrap();
        assert_eq!(c.countries.len(), REGIONS.len());
        let mut ranges: Vec<[u8; 2]> = ISPS.iter().map(|i| i.v4).collect();
        ranges.sort_unstable();
        assert!(ranges.windows(2).all(|w| w[0][0] != w[1][0] || w[1][1] - w[0][1] >= 2));
        for region in 0..REGIONS.len() as u8 {
            assert!(!c.fixed(region).is_empty());
            assert!(!c.cities(region).is_empty());
        }
        for (i, city) in CITIES.iter().enumerate() {
            let place = Place {
                city: i as u8,
                accuracy_km: 10,
            };
            let at = c.location(place).unwrap();
            assert_eq!(at.accuracy_km(), 10, "{}", city.name);
            // A typo in a coordinate would put a city outside its country.
            let first = c.cities(city.region)[0];
            let capital = c.location(Place { city: first, ..place }).unwrap();
            assert!(at.distance_km(&capital) < 4_500.0, "{}", city.name);
        }
        let london = c
            .location(Place {
                city: 6,
                accuracy_km: 0,
            })
            .unwrap();
        let new_york = c
            .location(Place {
                city: 0,
                accuracy_km: 0,
            })
            .unwrap();
        assert!((london.distance_km(&new_york) - 5_570.0).abs() < 30.0);
    }

    #[test]
    fn phone_numbers_are_valid_e164() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for region in 0..REGIONS.len() as u8 {
            let digits = phone_number(&mut rng, region).unwrap();
            assert_eq!(phone_region(digits), Some(region));
            let e164: tollgate::E164 = format!("+{digits}").parse().unwrap();
            assert!(e164.digits().len() >= 10, "{}", e164.digits());
        }
    }

    use rand::SeedableRng;
}
