//! Legitimate travellers, who never move faster than a plane.
//!
//! * 2 % of people are **away** all day: they arrived before it began and
//!   do everything from a hotel line in a city of another country, following
//!   its local time; where that country has a mobile carrier here, half of
//!   their phone sessions use it (a local SIM or travel eSIM).
//! * 1 % of existing members **fly** today: 70 % abroad, 30 % to another
//!   city of their own country where it has one. The plane leaves at a
//!   uniform time between 03:00 UTC and the latest departure that still
//!   lands by 22:00 UTC, and takes the great-circle distance at 800 km/h
//!   plus 30 minutes of taxiing and climbing. A flyer has at least two
//!   sessions: one at home that starts 1.5 to 7.5 hours before take-off and
//!   one at the destination 45 minutes to 6 hours after landing (hotel line,
//!   or the phone on a local network as above); further sessions are dropped
//!   when they would start in between (on the way to the airport, in the
//!   air, at passport control).
//!
//! A session lasts at most about 35 minutes, so between the last event at
//! home and the first at the destination a flyer covers the distance at
//! under 800 km/h: below the engine's 1,000 km/h, and the positions the
//! engine sees are the two cities' centres, each with its radius.

use rand::Rng;

use super::catalog::{self, Catalog, REGIONS};
use super::homes::Line;
use super::places::{self, MOBILE_ACCURACY_KM, Place};
use super::sampling::{between, chance, daytime, pick};
use super::traffic::{DAY_MS, HOUR_MS};

const CRUISE_KMH: f64 = 800.0;
/// Taxiing, climbing and approach on top of the cruise time.
const GROUND_MS: u64 = 30 * 60_000;
const EARLIEST_DEPARTURE_MS: u64 = 3 * HOUR_MS;
const LATEST_LANDING_MS: u64 = DAY_MS - 2 * HOUR_MS;
/// The last session at home starts at least this long before take-off.
const BEFORE_MS: u64 = 90 * 60_000;
/// The first session at the destination starts at least this long after landing.
const AFTER_MS: u64 = 45 * 60_000;
const DOMESTIC_SHARE: f64 = 0.30;
/// Phone sessions abroad that use a local network rather than the hotel's.
const LOCAL_MOBILE_SHARE: f64 = 0.5;

/// Where a traveller stays.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stay {
    pub(crate) city: u8,
    hotel: Line,
    /// A mobile carrier of the country, if the catalog has one.
    carrier: Option<u8>,
}

/// A legitimate traveller's day.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Trip {
    /// At the destination all day.
    Away(Stay),
    /// At home until `leaves`, at the destination from `lands` (ms of the day).
    Flight { leaves: u64, lands: u64, stay: Stay },
}

impl Trip {
    /// Where the traveller is at `at`: `None` while at home.
    pub(crate) fn stay_at(&self, at: u64) -> Option<&Stay> {
        match self {
            Trip::Away(stay) => Some(stay),
            Trip::Flight { lands, stay, .. } => (at >= *lands).then_some(stay),
        }
    }

    /// Whether `at` is after today's flight landed.
    pub(crate) fn landed(&self, at: u64) -> bool {
        matches!(self, Trip::Flight { lands, .. } if at >= *lands)
    }

    /// The UTC offset the day's rhythm follows.
    pub(crate) fn day_offset(&self, home_offset: i64) -> i64 {
        match self {
            Trip::Away(stay) => places::city_of(stay.city).utc_offset_min,
            Trip::Flight { .. } => home_offset,
        }
    }

    /// Start times of the day's sessions, `sessions` drawn beforehand.
    pub(crate) fn session_times(&self, rng: &mut impl Rng, sessions: u32, home_offset: i64) -> Vec<u64> {
        let offset = self.day_offset(home_offset);
        let Trip::Flight { leaves, lands, .. } = *self else {
            return (0..sessions).map(|_| daytime(rng, offset)).collect();
        };
        let home_until = leaves.saturating_sub(BEFORE_MS);
        let away_from = lands + AFTER_MS;
        let mut times = vec![
            between(rng, home_until.saturating_sub(6 * HOUR_MS), home_until),
            between(rng, away_from, (away_from + 6 * HOUR_MS).min(DAY_MS - HOUR_MS)),
        ];
        for _ in 2..sessions.max(2) {
            let at = daytime(rng, offset);
            if at <= home_until || at >= away_from {
                times.push(at);
            }
        }
        times
    }
}

impl Stay {
    /// The connection used at the destination.
    pub(crate) fn connect(&self, rng: &mut impl Rng, on_phone: bool) -> Line {
        match self.carrier {
            Some(isp) if on_phone && chance(rng, LOCAL_MOBILE_SHARE) => Line {
                isp,
                ip: catalog::mobile_v4(rng, isp),
                place: Place {
                    city: self.city,
                    accuracy_km: MOBILE_ACCURACY_KM,
                },
            },
            _ => self.hotel,
        }
    }
}

/// A stay in `city` of `region`, on a hotel line of one of its ISPs.
fn stay(rng: &mut impl Rng, catalog: &Catalog, region: u8, city: u8) -> Option<Stay> {
    let isp = pick(rng, catalog.fixed(region))?;
    Some(Stay {
        city,
        hotel: Line {
            isp,
            ip: catalog::fixed_v4(rng, isp),
            place: Place {
                city,
                accuracy_km: places::fixed_accuracy(rng),
            },
        },
        carrier: pick(rng, catalog.mobile(region)),
    })
}

/// A city in a country other than `home_region`.
fn abroad(rng: &mut impl Rng, catalog: &Catalog, home_region: u8) -> Option<(u8, u8)> {
    let regions: Vec<u8> = (0..REGIONS.len() as u8).filter(|&r| r != home_region).collect();
    let region = pick(rng, &regions)?;
    Some((region, catalog.city_in(rng, region)))
}

/// Someone who spends the whole day abroad.
pub(crate) fn away(rng: &mut impl Rng, catalog: &Catalog, home_region: u8) -> Option<Trip> {
    let (region, city) = abroad(rng, catalog, home_region)?;
    stay(rng, catalog, region, city).map(Trip::Away)
}

/// Someone who flies from `home_city` today, if a destination drawn fits
/// the day (eight tries).
pub(crate) fn flight(rng: &mut impl Rng, catalog: &Catalog, home_city: u8) -> Option<Trip> {
    let home_region = places::city_of(home_city).region;
    let from = catalog.location(Place {
        city: home_city,
        accuracy_km: 0,
    })?;
    for _ in 0..8 {
        let domestic: Vec<u8> = catalog
            .cities(home_region)
            .iter()
            .copied()
            .filter(|&c| c != home_city)
            .collect();
        let (region, city) = match pick(rng, &domestic) {
            Some(city) if chance(rng, DOMESTIC_SHARE) => (home_region, city),
            _ => abroad(rng, catalog, home_region)?,
        };
        let to = catalog.location(Place { city, accuracy_km: 0 })?;
        let flying = (from.distance_km(&to) / CRUISE_KMH * HOUR_MS as f64) as u64 + GROUND_MS;
        let Some(latest) = LATEST_LANDING_MS.checked_sub(flying) else {
            continue;
        };
        if latest < EARLIEST_DEPARTURE_MS {
            continue;
        }
        let leaves = between(rng, EARLIEST_DEPARTURE_MS, latest);
        let stay = stay(rng, catalog, region, city)?;
        return Some(Trip::Flight {
            leaves,
            lands: leaves + flying,
            stay,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::super::legit;
    use super::super::traffic::{SimEvent, Tag};
    use super::*;

    /// Every legitimate person's events in time order, with the speed the
    /// engine would compute between each and the next.
    fn speeds(catalog: &Catalog, events: &[SimEvent]) -> Vec<(f64, f64, Tag)> {
        let mut by_person: HashMap<_, Vec<&SimEvent>> = HashMap::new();
        for e in events {
            by_person.entry(e.account).or_default().push(e);
        }
        let mut out = Vec::new();
        for day in by_person.values_mut() {
            day.sort_by_key(|e| e.at_ms);
            for pair in day.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                let km = catalog
                    .location(a.client.place)
                    .unwrap()
                    .min_distance_km(&catalog.location(b.client.place).unwrap());
                let hours = (b.at_ms - a.at_ms) as f64 / HOUR_MS as f64;
                let kmh = if km == 0.0 { 0.0 } else { km / hours };
                out.push((kmh, km, b.tag));
            }
        }
        out
    }

    #[test]
    fn travellers_never_outpace_a_plane() {
        let catalog = Catalog::new().unwrap();
        let mut events = Vec::new();
        legit::generate(&mut ChaCha8Rng::seed_from_u64(2), &catalog, 100_000, &mut events);
        let speeds = speeds(&catalog, &events);
        let fastest = speeds.iter().map(|s| s.0).fold(0.0, f64::max);
        assert!(fastest <= 900.0, "{fastest} km/h");
        // Not vacuous: people do fly, some of them far, at speed.
        let flights: Vec<_> = speeds.iter().filter(|s| s.1 > 0.0).collect();
        assert!(flights.iter().all(|s| s.2 == Tag::Landed));
        assert!(flights.len() >= 50, "{}", flights.len());
        assert!(flights.iter().any(|s| s.1 > 5_000.0));
        assert!(fastest > 500.0, "{fastest} km/h");
    }

    #[test]
    fn flights_fit_the_day_and_leave_room_at_both_ends() {
        let catalog = Catalog::new().unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for home in 0..places::CITIES.len() as u8 {
            for _ in 0..20 {
                let trip = flight(&mut rng, &catalog, home).unwrap();
                let Trip::Flight { leaves, lands, stay } = trip else {
                    panic!("{trip:?}")
                };
                assert!(leaves >= EARLIEST_DEPARTURE_MS && lands <= LATEST_LANDING_MS);
                assert_ne!(stay.city, home);
                let times = trip.session_times(&mut rng, 5, 0);
                assert!(times.len() >= 2);
                assert!(times.iter().any(|&t| t + BEFORE_MS <= leaves));
                assert!(times.iter().any(|&t| t >= lands + AFTER_MS));
                assert!(times.iter().all(|&t| t + BEFORE_MS <= leaves || t >= lands + AFTER_MS));
            }
        }
    }
}
