//! Who an event is about: the account, the device and the phone number.

use std::fmt;
use std::str::FromStr;

use super::{Country, FieldError};
use crate::phone::PhoneError;

macro_rules! opaque_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Box<str>);

        impl $name {
            /// Wraps an identifier. Any string is accepted: it is only ever hashed
            /// and compared, never interpreted.
            pub fn new(id: impl Into<String>) -> Self {
                $name(id.into().into_boxed_str())
            }

            /// The identifier as given.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name::new(s)
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name::new(s)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.0).finish()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

opaque_id!(
    /// The account an event concerns: a username, email or internal user id.
    ///
    /// ```
    /// let user = tollgate::UserId::from("alice");
    /// assert_eq!(user.as_str(), "alice");
    /// ```
    UserId
);

opaque_id!(
    /// A device identifier the service already tracks (a long-lived cookie,
    /// an app installation id).
    DeviceId
);

/// A phone number in E.164 form: `+`, a country calling code and the
/// subscriber number, 6 to 15 digits in all, not starting with `0` (the
/// shortest numbers in service, such as Iran's 4-digit UANs, have 6).
///
/// `FromStr` accepts only the canonical form; [`E164::parse_lenient`] reads
/// what users type. The number is kept as digits. `Debug` and `Display` mask
/// it (the country calling code and the last two digits shown, or only the
/// first digit when the code is unassigned), so an `E164` can be logged;
/// [`E164::digits`] gives the number in clear.
///
/// ```
/// use tollgate::E164;
///
/// let phone: E164 = "+447700900123".parse()?;
/// assert_eq!(phone.digits(), "447700900123");
/// assert_eq!(phone.to_string(), "+44********23");
/// assert!("0044 7700".parse::<E164>().is_err());
/// assert_eq!(E164::parse_lenient("0044 7700 900123", None)?, phone);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct E164 {
    digits: [u8; 15],
    len: u8,
}

impl E164 {
    const MIN_DIGITS: usize = 6;
    const MAX_DIGITS: usize = 15;

    /// Reads a number as users type it: separators, `00`/`011` or the
    /// default region's international prefix, national trunk prefixes.
    /// The same as [`phone::normalize`](crate::phone::normalize).
    pub fn parse_lenient(input: &str, default_region: Option<Country>) -> Result<E164, PhoneError> {
        crate::phone::normalize(input, default_region)
    }

    /// From the digits after the `+`, checked as `FromStr` checks them.
    pub(crate) fn from_ascii_digits(digits: &[u8]) -> Result<E164, FieldError> {
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(FieldError::new("phone", "only digits may follow '+'"));
        }
        if !(Self::MIN_DIGITS..=Self::MAX_DIGITS).contains(&digits.len()) {
            return Err(FieldError::new("phone", "expected 6 to 15 digits"));
        }
        if digits.first() == Some(&b'0') {
            return Err(FieldError::new("phone", "country code cannot start with 0"));
        }
        let mut stored = [0u8; 15];
        for (slot, &b) in stored.iter_mut().zip(digits) {
            *slot = b;
        }
        Ok(E164 {
            digits: stored,
            len: u8::try_from(digits.len()).unwrap_or(0),
        })
    }

    /// The digits after the `+`, in clear.
    pub fn digits(&self) -> &str {
        let digits = self.digits.get(..usize::from(self.len)).unwrap_or_default();
        // Only ASCII digits are ever stored.
        std::str::from_utf8(digits).unwrap_or_default()
    }

    /// The number with its last `n` digits removed: the number block it
    /// belongs to, used to spot pumping across sequential numbers.
    pub fn prefix_without_last(&self, n: usize) -> &str {
        let d = self.digits();
        d.get(..d.len().saturating_sub(n)).unwrap_or_default()
    }
}

impl FromStr for E164 {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, FieldError> {
        let rest = s
            .strip_prefix('+')
            .ok_or(FieldError::new("phone", "must start with '+'"))?;
        E164::from_ascii_digits(rest.as_bytes())
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.digits().as_bytes();
        let code = crate::phone::calling_code_len(d).max(1);
        f.write_str("+")?;
        for (i, b) in d.iter().enumerate() {
            let shown = i < code || i + 2 >= d.len();
            let c = if shown { char::from(*b) } else { '*' };
            fmt::Write::write_char(f, c)?;
        }
        Ok(())
    }
}

impl fmt::Debug for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "E164({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_is_masked_in_debug_and_display() {
        let p: E164 = "+15551234567".parse().unwrap();
        assert_eq!(format!("{p:?}"), "E164(+1********67)");
        assert!(!format!("{p:?}{p}").contains("555123"));
        let p: E164 = "+262262123456".parse().unwrap();
        assert_eq!(p.to_string(), "+262*******56");
        let p: E164 = "+9991234567".parse().unwrap();
        assert_eq!(p.to_string(), "+9*******67");
    }

    #[test]
    fn phone_rejects_bad_forms() {
        for bad in [
            "",
            "+",
            "15551234567",
            "+1555abc4567",
            "+0123456789",
            "+12345",
            "+1234567890123456",
        ] {
            assert!(bad.parse::<E164>().is_err(), "{bad}");
        }
    }

    #[test]
    fn phone_prefix_drops_last_digits() {
        let p: E164 = "+15551234567".parse().unwrap();
        assert_eq!(p.prefix_without_last(3), "15551234");
        assert_eq!(p.prefix_without_last(99), "");
    }
}
