//! How the adaptive attackers pass for members: a real browser drawn like
//! the legitimate population's, a residential proxy exit in the victim's
//! country (or city), and the login such a client sends. The spread toll
//! fraud (`spread`) uses the same browsers and exits.

use std::net::IpAddr;

use rand::Rng;

use crate::catalog::{self, Catalog};
use crate::places::{self, MOBILE_ACCURACY_KM, Place};
use crate::sampling::{chance, pick, weighted};
use crate::software::sw;
use crate::traffic::{Account, Client, Scenario, SimEvent, Step, Tag, Truth};

/// Real browsers, in about the legitimate population's proportions.
pub(super) const BROWSERS: [(u8, u32); 6] = [
    (sw::CHROME_DESKTOP, 35),
    (sw::CHROME_ANDROID, 20),
    (sw::SAFARI_IOS, 22),
    (sw::SAFARI_MAC, 10),
    (sw::FIREFOX, 6),
    (sw::EDGE, 7),
];
/// Share of residential exits on mobile carriers (where the country has one).
const MOBILE_EXIT_SHARE: f64 = 0.2;

/// A real browser, drawn like the legitimate population's.
pub(crate) fn real_browser(rng: &mut impl Rng) -> u8 {
    BROWSERS
        .get(weighted(rng, &BROWSERS.map(|(_, w)| w)))
        .map_or(sw::CHROME_DESKTOP, |b| b.0)
}

/// A residential proxy exit in `region`, placed in `city` when given (a
/// city of that region) or in one of the region's cities.
pub(crate) fn residential_exit(
    rng: &mut impl Rng,
    catalog: &Catalog,
    region: u8,
    city: Option<u8>,
) -> (u8, IpAddr, Place) {
    let city = city.unwrap_or_else(|| catalog.city_in(rng, region));
    let mobile = pick(rng, catalog.mobile(region)).filter(|_| chance(rng, MOBILE_EXIT_SHARE));
    match mobile {
        Some(isp) => (
            isp,
            catalog::mobile_v4(rng, isp),
            Place {
                city,
                accuracy_km: MOBILE_ACCURACY_KM,
            },
        ),
        None => {
            let isp = pick(rng, catalog.fixed(region)).unwrap_or(0);
            (
                isp,
                catalog::fixed_v4(rng, isp),
                Place {
                    city,
                    accuracy_km: places::fixed_accuracy(rng),
                },
            )
        }
    }
}

/// A login attempt of an attacker's, from a real browser at `exit`.
pub(crate) fn browser_login(
    scenario: Scenario,
    at_ms: u64,
    account: Account,
    (isp, ip, place): (u8, IpAddr, Place),
    software: u8,
    device: u64,
    truth: Truth,
) -> SimEvent {
    SimEvent {
        at_ms,
        scenario,
        step: Step::Login,
        account: Some(account),
        client: Client {
            ip,
            isp,
            software,
            place,
            device: Some(device),
        },
        phone: None,
        truth,
        tag: Tag::Plain,
        pwned: false,
        sprayed: None,
    }
}
