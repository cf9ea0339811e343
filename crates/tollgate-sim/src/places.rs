//! Where people live and where proxy exits sit: two to six real cities per
//! catalog country, with their coordinates and local time, and the
//! accuracy radius a geo database reports for a network there.
//!
//! A geo database places an address at its city's centre with a radius:
//! here 5, 10, 20 or 50 km for a fixed line (drawn once per line, weights
//! 1:3:4:2) and 100 km for a mobile carrier's CGNAT pool, whose exits serve
//! a whole metropolitan area. Every address of a line geolocates to the
//! line's city: the simulation does not model databases that misplace
//! networks.

use rand::Rng;

use super::sampling::weighted;

/// One city.
#[derive(Debug)]
pub(crate) struct City {
    pub(crate) name: &'static str,
    /// Index into [`REGIONS`](super::catalog::REGIONS).
    pub(crate) region: u8,
    pub(crate) latitude: f64,
    pub(crate) longitude: f64,
    /// Offset of local time from UTC on 2024-03-04 (before any DST change).
    pub(crate) utc_offset_min: i64,
    /// Relative share of its country's people living there.
    pub(crate) weight: u32,
}

/// Where a geo database puts a connection: a city and a radius around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Place {
    /// Index into [`CITIES`].
    pub(crate) city: u8,
    pub(crate) accuracy_km: u16,
}

/// The radius a geo database reports for a carrier's CGNAT pool.
pub(crate) const MOBILE_ACCURACY_KM: u16 = 100;
/// Radii reported for fixed lines, and their weights.
const FIXED_ACCURACY_KM: [(u16, u32); 4] = [(5, 1), (10, 3), (20, 4), (50, 2)];

/// The radius of a fixed line, drawn once when the line is created.
pub(crate) fn fixed_accuracy(rng: &mut impl Rng) -> u16 {
    FIXED_ACCURACY_KM
        .get(weighted(rng, &FIXED_ACCURACY_KM.map(|(_, w)| w)))
        .map_or(20, |a| a.0)
}

const fn city(name: &'static str, region: u8, latitude: f64, longitude: f64, utc_offset_min: i64, weight: u32) -> City {
    City {
        name,
        region,
        latitude,
        longitude,
        utc_offset_min,
        weight,
    }
}

pub(crate) const CITIES: [City; 43] = [
    city("New York", 0, 40.7128, -74.0060, -300, 30),
    city("Miami", 0, 25.7617, -80.1918, -300, 10),
    city("Chicago", 0, 41.8781, -87.6298, -360, 20),
    city("Houston", 0, 29.7604, -95.3698, -360, 15),
    city("Los Angeles", 0, 34.0522, -118.2437, -480, 25),
    city("Seattle", 0, 47.6062, -122.3321, -480, 10),
    city("London", 1, 51.5074, -0.1278, 0, 60),
    city("Manchester", 1, 53.4808, -2.2426, 0, 25),
    city("Edinburgh", 1, 55.9533, -3.1883, 0, 15),
    city("Berlin", 2, 52.5200, 13.4050, 60, 35),
    city("Munich", 2, 48.1351, 11.5820, 60, 25),
    city("Hamburg", 2, 53.5511, 9.9937, 60, 20),
    city("Frankfurt", 2, 50.1109, 8.6821, 60, 20),
    city("Paris", 3, 48.8566, 2.3522, 60, 60),
    city("Lyon", 3, 45.7640, 4.8357, 60, 20),
    city("Marseille", 3, 43.2965, 5.3698, 60, 20),
    city("Mumbai", 4, 19.0760, 72.8777, 330, 30),
    city("Delhi", 4, 28.6139, 77.2090, 330, 30),
    city("Bengaluru", 4, 12.9716, 77.5946, 330, 25),
    city("Chennai", 4, 13.0827, 80.2707, 330, 15),
    city("Riga", 5, 56.9496, 24.1052, 120, 80),
    city("Daugavpils", 5, 55.8747, 26.5362, 120, 20),
    city("São Paulo", 6, -23.5505, -46.6333, -180, 60),
    city("Rio de Janeiro", 6, -22.9068, -43.1729, -180, 40),
    city("Hanoi", 7, 21.0278, 105.8342, 420, 50),
    city("Ho Chi Minh City", 7, 10.8231, 106.6297, 420, 50),
    city("Jakarta", 8, -6.2088, 106.8456, 420, 70),
    city("Surabaya", 8, -7.2575, 112.7521, 420, 30),
    city("Istanbul", 9, 41.0082, 28.9784, 180, 70),
    city("Ankara", 9, 39.9334, 32.8597, 180, 30),
    city("Warsaw", 10, 52.2297, 21.0122, 60, 60),
    city("Kraków", 10, 50.0647, 19.9450, 60, 40),
    city("Rome", 11, 41.9028, 12.4964, 60, 50),
    city("Milan", 11, 45.4642, 9.1900, 60, 50),
    city("Madrid", 12, 40.4168, -3.7038, 60, 55),
    city("Barcelona", 12, 41.3874, 2.1686, 60, 45),
    city("Mexico City", 13, 19.4326, -99.1332, -360, 70),
    city("Guadalajara", 13, 20.6597, -103.3496, -360, 30),
    city("Toronto", 14, 43.6532, -79.3832, -300, 50),
    city("Montreal", 14, 45.5017, -73.5673, -300, 25),
    city("Vancouver", 14, 49.2827, -123.1207, -480, 25),
    city("Bucharest", 15, 44.4268, 26.1025, 120, 60),
    city("Cluj-Napoca", 15, 46.7712, 23.6236, 120, 40),
];

/// The city of a place (the first city for an out-of-range index).
pub(crate) fn city_of(index: u8) -> &'static City {
    CITIES.get(usize::from(index)).unwrap_or(&CITIES[0])
}
