//! Where the client connects from, as resolved upstream or by a lookup.

use std::fmt;
use std::str::FromStr;

use super::FieldError;

/// An ISO 3166-1 alpha-2 country code, stored upper-case (`"de"` -> `DE`).
///
/// ```
/// let c: tollgate::Country = "de".parse()?;
/// assert_eq!(c.as_str(), "DE");
/// # Ok::<(), tollgate::FieldError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Country([u8; 2]);

impl Country {
    /// The two upper-case letters.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl FromStr for Country {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, FieldError> {
        match s.as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Ok(Country([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
            }
            _ => Err(FieldError::new(
                "country",
                "expected two ASCII letters (ISO 3166-1 alpha-2)",
            )),
        }
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Country({})", self.as_str())
    }
}

/// An autonomous system number. Parses `"64500"` and `"AS64500"`.
///
/// ```
/// let asn: tollgate::Asn = "AS64500".parse()?;
/// assert_eq!(asn, tollgate::Asn(64500));
/// assert_eq!(asn.to_string(), "AS64500");
/// # Ok::<(), tollgate::FieldError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Asn(pub u32);

impl FromStr for Asn {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, FieldError> {
        let digits = s.strip_prefix("AS").or_else(|| s.strip_prefix("as")).unwrap_or(s);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FieldError::new("asn", "expected a number, optionally prefixed with AS"));
        }
        digits
            .parse()
            .map(Asn)
            .map_err(|_| FieldError::new("asn", "out of range (32 bits)"))
    }
}

impl fmt::Display for Asn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AS{}", self.0)
    }
}

/// A geographic position with its uncertainty, as a geo database or a CDN
/// reports it.
///
/// ```
/// let berlin = tollgate::Location::new(52.52, 13.405, 20)?;
/// let paris = tollgate::Location::new(48.8566, 2.3522, 20)?;
/// let km = berlin.distance_km(&paris);
/// assert!((km - 878.0).abs() < 5.0, "{km}");
/// # Ok::<(), tollgate::FieldError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Location {
    latitude: f64,
    longitude: f64,
    accuracy_km: u16,
}

/// Mean Earth radius (IUGG), in kilometres.
const EARTH_RADIUS_KM: f64 = 6371.0088;

impl Location {
    /// A position in degrees (latitude −90 to 90, longitude −180 to 180) with
    /// an accuracy radius in kilometres.
    pub fn new(latitude: f64, longitude: f64, accuracy_km: u16) -> Result<Location, FieldError> {
        if !(-90.0..=90.0).contains(&latitude) || !(-180.0..=180.0).contains(&longitude) {
            return Err(FieldError::new(
                "location",
                "latitude must be -90 to 90 and longitude -180 to 180",
            ));
        }
        Ok(Location {
            latitude,
            longitude,
            accuracy_km,
        })
    }

    /// Latitude in degrees.
    pub fn latitude(&self) -> f64 {
        self.latitude
    }

    /// Longitude in degrees.
    pub fn longitude(&self) -> f64 {
        self.longitude
    }

    /// The radius, in kilometres, the true position lies within.
    pub fn accuracy_km(&self) -> u16 {
        self.accuracy_km
    }

    /// Great-circle distance (haversine) in kilometres.
    pub fn distance_km(&self, other: &Location) -> f64 {
        let (lat1, lat2) = (self.latitude.to_radians(), other.latitude.to_radians());
        let dlat = lat2 - lat1;
        let dlon = (other.longitude - self.longitude).to_radians();
        let a = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
    }

    /// The distance that is certain: the great-circle distance minus both
    /// accuracy radii, never below zero.
    pub fn min_distance_km(&self, other: &Location) -> f64 {
        let slack = f64::from(self.accuracy_km) + f64::from(other.accuracy_km);
        (self.distance_km(other) - slack).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_and_asn_reject_garbage() {
        for bad in ["", "D", "DEU", "1A", "é"] {
            assert!(bad.parse::<Country>().is_err(), "{bad}");
        }
        for bad in ["", "AS", "AS-1", "4294967296", "12a"] {
            assert!(bad.parse::<Asn>().is_err(), "{bad}");
        }
        assert_eq!("4294967295".parse::<Asn>().unwrap(), Asn(u32::MAX));
    }
}
