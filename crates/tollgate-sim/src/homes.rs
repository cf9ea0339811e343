//! Where and on what the legitimate population connects: homes and offices
//! (shared between people now and then) and devices.

use std::net::IpAddr;

use rand::Rng;

use super::catalog::{self, Catalog};
use super::places::{self, CITIES, Place};
use super::sampling::{chance, pick, weighted};
use super::software::sw;

const SHARED_HOME_SHARE: f64 = 0.08;
const IPV6_HOME_SHARE: f64 = 0.25;
const PHONE_SHARE: f64 = 0.60;
const PEOPLE_PER_OFFICE: f64 = 20.0;
/// Desktop browsers: Chrome, Edge, Firefox, Safari.
const DESKTOP: [(u8, u32); 4] = [
    (sw::CHROME_DESKTOP, 58),
    (sw::EDGE, 10),
    (sw::FIREFOX, 10),
    (sw::SAFARI_MAC, 22),
];

/// Remembers homes and offices per city, so later people can share them.
#[derive(Debug)]
pub(crate) struct Neighbourhood {
    homes: Vec<Vec<Home>>,
    offices: Vec<Vec<Line>>,
}

/// A fixed line (or a mobile session): its ISP, IPv4 address and where a
/// geo database puts it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Line {
    pub(crate) isp: u8,
    pub(crate) ip: IpAddr,
    pub(crate) place: Place,
}

/// A household's line, and its IPv6 /64 if it has one.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Home {
    pub(crate) line: Line,
    pub(crate) v6: Option<[u16; 4]>,
}

/// A computer or phone, known to the service by its device cookie.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Device {
    pub(crate) id: u64,
    pub(crate) software: u8,
    pub(crate) phone: bool,
}

impl Neighbourhood {
    pub(crate) fn new() -> Self {
        Neighbourhood {
            homes: vec![Vec::new(); CITIES.len()],
            offices: vec![Vec::new(); CITIES.len()],
        }
    }

    /// A home line in `city`: now and then one an earlier person already lives on.
    pub(crate) fn home(&mut self, rng: &mut impl Rng, catalog: &Catalog, city: u8) -> Home {
        let homes = self.homes.get(usize::from(city));
        let shared = match homes {
            Some(homes) if !homes.is_empty() && chance(rng, SHARED_HOME_SHARE) => pick(rng, homes),
            _ => None,
        };
        if let Some(home) = shared {
            return home;
        }
        let line = fixed_line(rng, catalog, city);
        let home = Home {
            line,
            v6: chance(rng, IPV6_HOME_SHARE).then(|| catalog::household_v6(rng, line.isp)),
        };
        if let Some(homes) = self.homes.get_mut(usize::from(city)) {
            homes.push(home);
        }
        home
    }

    /// An office NAT in `city`, new for about one person in [`PEOPLE_PER_OFFICE`].
    pub(crate) fn office(&mut self, rng: &mut impl Rng, catalog: &Catalog, city: u8) -> Option<Line> {
        let offices = self.offices.get_mut(usize::from(city))?;
        if offices.is_empty() || chance(rng, 1.0 / PEOPLE_PER_OFFICE) {
            offices.push(fixed_line(rng, catalog, city));
        }
        pick(rng, offices)
    }
}

/// A new fixed line in `city`, from one of its country's ISPs.
fn fixed_line(rng: &mut impl Rng, catalog: &Catalog, city: u8) -> Line {
    let isp = pick(rng, catalog.fixed(places::city_of(city).region)).unwrap_or(0);
    Line {
        isp,
        ip: catalog::fixed_v4(rng, isp),
        place: Place {
            city,
            accuracy_km: places::fixed_accuracy(rng),
        },
    }
}

/// A computer and, for most, a phone; a tenth of phone owners use nothing else.
pub(crate) fn devices(rng: &mut impl Rng, next_id: &mut u64) -> [Option<Device>; 2] {
    let mut device = |software, phone| {
        *next_id += 1;
        Device {
            id: *next_id,
            software,
            phone,
        }
    };
    let phone_software = if chance(rng, 0.55) {
        sw::SAFARI_IOS
    } else {
        sw::CHROME_ANDROID
    };
    let desktop_software = DESKTOP
        .get(weighted(rng, &DESKTOP.map(|(_, w)| w)))
        .map_or(sw::CHROME_DESKTOP, |d| d.0);
    match (chance(rng, PHONE_SHARE), chance(rng, 0.1)) {
        (true, true) => [Some(device(phone_software, true)), None],
        (true, false) => [
            Some(device(desktop_software, false)),
            Some(device(phone_software, true)),
        ],
        (false, _) => [Some(device(desktop_software, false)), None],
    }
}
