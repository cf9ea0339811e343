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
