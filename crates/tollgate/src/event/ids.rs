//! Who an event is about: the account, the device and the phone number.

use std::fmt;
use std::str::FromStr;

use super::FieldError;

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
/// subscriber number, 7 to 15 digits in all, not starting with `0`.
///
/// Only the canonical form is accepted here; the number is kept as digits.
/// `Debug` and `Display` mask it (first digit and last two digits shown), so
/// an `E164` can be logged; [`E164::digits`] gives the number in clear.
///
/// ```
/// use tollgate::E164;
///
/// let phone: E164 = "+447700900123".parse()?;
/// assert_eq!(phone.digits(), "447700900123");
/// assert_eq!(phone.to_string(), "+4*********23");
/// assert!("0044 7700".parse::<E164>().is_err());
/// # Ok::<(), tollgate::FieldError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct E164 {
    digits: [u8; 15],
    len: u8,
}

impl E164 {
    const MIN_DIGITS: usize = 7;
    const MAX_DIGITS: usize = 15;

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
        if !rest.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FieldError::new("phone", "only digits may follow '+'"));
        }
        if !(Self::MIN_DIGITS..=Self::MAX_DIGITS).contains(&rest.len()) {
            return Err(FieldError::new("phone", "expected 7 to 15 digits"));
        }
        if rest.starts_with('0') {
            return Err(FieldError::new("phone", "country code cannot start with 0"));
        }
        let mut digits = [0u8; 15];
        for (slot, b) in digits.iter_mut().zip(rest.bytes()) {
            *slot = b;
        }
        Ok(E164 {
            digits,
            len: rest.len() as u8,
        })
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.digits().as_bytes();
        f.write_str("+")?;
        for (i, b) in d.iter().enumerate() {
            let shown = i == 0 || i + 2 >= d.len();
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
    }

    #[test]
    fn phone_rejects_bad_forms() {
        for bad in [
            "",
            "+",
            "15551234567",
            "+1555abc4567",
            "+0123456789",
            "+123456",
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
