//! What the client software looks like: TLS, HTTP/2 and header fingerprints.

use std::fmt;
use std::str::FromStr;

use super::FieldError;

/// A JA4 TLS client fingerprint, e.g. `t13d1516h2_8daaf6152771_02713d6af862`.
///
/// The form is checked (FoxIO's `a_b_c`: a 10-character prefix — transport,
/// TLS version, SNI flag, cipher and extension counts, ALPN characters — then
/// two 12-digit lowercase hex hashes), so a typo or a JA3 passed by mistake
/// is an error rather than a limiter key nobody else shares. `Copy`, no heap.
///
/// ```
/// use tollgate::Ja4;
///
/// let ja4: Ja4 = "t13d1516h2_8daaf6152771_02713d6af862".parse()?;
/// assert_eq!(ja4.as_str(), "t13d1516h2_8daaf6152771_02713d6af862");
/// assert!("e7d705a3286e19ea42f587b344ee6865".parse::<Ja4>().is_err());
/// # Ok::<(), tollgate::FieldError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ja4([u8; 36]);

impl Ja4 {
    /// Wraps text computed by [`crate::fingerprint`], which only produces
    /// the checked form.
    pub(crate) fn from_computed(text: [u8; 36]) -> Ja4 {
        debug_assert!(std::str::from_utf8(&text).is_ok_and(|s| s.parse::<Ja4>().is_ok()));
        Ja4(text)
    }

    /// The fingerprint text.
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// Whether the hello offered no ALPN (`00` in the first part): every
    /// browser offers `h2` or `http/1.1` over TLS, whatever its release;
    /// HTTP libraries left at their defaults often offer nothing.
    pub(crate) fn without_alpn(&self) -> bool {
        self.0.get(8..10) == Some(b"00".as_slice())
    }

    /// The fingerprint text's bytes, without the UTF-8 check `as_str`
    /// makes: keys hash them on every evaluation.
    pub(crate) fn as_bytes(&self) -> &[u8; 36] {
        &self.0
    }
}

impl FromStr for Ja4 {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, FieldError> {
        let bytes: [u8; 36] = s
            .as_bytes()
            .try_into()
            .map_err(|_| FieldError::new("ja4", "expected 36 characters (a_b_c)"))?;
        let (a, rest) = bytes.split_at(10);
        let prefix_ok = matches!(a.first(), Some(b't' | b'q' | b'd'))
            && a.iter().all(u8::is_ascii_alphanumeric)
            && matches!(a.get(3), Some(b'd' | b'i'))
            && a.get(4..8).is_some_and(|n| n.iter().all(u8::is_ascii_digit));
        if !prefix_ok {
            return Err(FieldError::new("ja4", "malformed 10-character prefix"));
        }
        let hashes_ok = rest.first() == Some(&b'_')
            && rest.get(13) == Some(&b'_')
            && rest
                .iter()
                .enumerate()
                .all(|(i, b)| i == 0 || i == 13 || matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !hashes_ok {
            return Err(FieldError::new("ja4", "expected two 12-digit lowercase hex hashes"));
        }
        Ok(Ja4(bytes))
    }
}

impl fmt::Display for Ja4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Ja4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ja4({})", self.as_str())
    }
}

/// A JA3 TLS client fingerprint: the MD5 of the JA3 string, 32 hex digits.
///
/// ```
/// let ja3: tollgate::Ja3 = "E7D705A3286E19EA42F587B344EE6865".parse()?;
/// assert_eq!(ja3.to_string(), "e7d705a3286e19ea42f587b344ee6865");
/// # Ok::<(), tollgate::FieldError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ja3([u8; 16]);

impl Ja3 {
    /// Wraps an MD5 digest computed by [`crate::fingerprint`].
    pub(crate) fn from_digest(digest: [u8; 16]) -> Ja3 {
        Ja3(digest)
    }

    /// The 16 bytes of the MD5 digest.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl FromStr for Ja3 {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, FieldError> {
        if s.len() != 32 {
            return Err(FieldError::new("ja3", "expected 32 hex digits"));
        }
        let mut out = [0u8; 16];
        for (byte, pair) in out.iter_mut().zip(s.as_bytes().chunks_exact(2)) {
            let pair = std::str::from_utf8(pair).map_err(|_| FieldError::new("ja3", "expected 32 hex digits"))?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| FieldError::new("ja3", "expected 32 hex digits"))?;
        }
        Ok(Ja3(out))
    }
}

impl fmt::Display for Ja3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for Ja3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ja3({self})")
    }
}

macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $field:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Box<str>);

        impl $name {
            /// The longest accepted value, in bytes.
            pub const MAX_LEN: usize = $max;

            /// The fingerprint text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Wraps text this crate rendered. Renderers keep within the
            /// bounds by construction; anything else is dropped here rather
            /// than panicking, so the invariant holds whatever the input.
            pub(crate) fn from_rendered(mut text: String) -> Self {
                text.retain(|c| c.is_ascii_graphic() || c == ' ');
                text.truncate($max);
                if text.is_empty() {
                    text.push('-');
                }
                $name(text.into())
            }
        }

        impl FromStr for $name {
            type Err = FieldError;

            fn from_str(s: &str) -> Result<Self, FieldError> {
                if s.is_empty() || s.len() > $max {
                    return Err(FieldError::new($field, concat!("expected 1 to ", $max, " bytes")));
                }
                if !s.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
                    return Err(FieldError::new($field, "expected printable ASCII"));
                }
                Ok($name(s.into()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.0).finish()
            }
        }
    };
}

bounded_text!(
    /// An HTTP/2 client fingerprint in the Akamai form
    /// `SETTINGS|WINDOW_UPDATE|PRIORITY|pseudo-header order`,
    /// e.g. `1:65536;4:6291456;6:262144|15663105|0|m,a,s,p`.
    /// Printable ASCII, at most 512 bytes.
    Http2Fingerprint,
    "http2",
    512
);

bounded_text!(
    /// A fingerprint of the request's header set (names, order, tell-tale
    /// values), as computed by an adapter or an upstream proxy.
    /// Printable ASCII, at most 128 bytes.
    HeaderFingerprint,
    "header_fp",
    128
);

/// The name of a request header carried in an event, lower-cased.
///
/// Named headers let limits key on values such as an app version or an API
/// client id (`header:x-client-id` in a policy).
///
/// ```
/// let name: tollgate::HeaderName = "X-Client-Id".parse()?;
/// assert_eq!(name.as_str(), "x-client-id");
/// # Ok::<(), tollgate::FieldError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HeaderName(Box<str>);

impl HeaderName {
    /// The lower-case header name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for HeaderName {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, FieldError> {
        // RFC 9110 token characters.
        let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        if s.is_empty() || s.len() > 64 || !s.bytes().all(token) {
            return Err(FieldError::new(
                "header name",
                "expected an HTTP token of 1 to 64 characters",
            ));
        }
        Ok(HeaderName(s.to_ascii_lowercase().into()))
    }
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HeaderName({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ja4_rejects_near_misses() {
        let good = "t13d1516h2_8daaf6152771_02713d6af862";
        assert!(good.parse::<Ja4>().is_ok());
        for bad in [
            "x13d1516h2_8daaf6152771_02713d6af862",
            "t13x1516h2_8daaf6152771_02713d6af862",
            "t13d1516h2_8DAAF6152771_02713d6af862",
            "t13d1516h2-8daaf6152771_02713d6af862",
            "t13d15z6h2_8daaf6152771_02713d6af862",
            "t13d1516h2_8daaf6152771_02713d6af86",
            "t13d1516h2_8daaf6152771_02713d6af86é",
        ] {
            assert!(bad.parse::<Ja4>().is_err(), "{bad}");
        }
    }

    #[test]
    fn ja3_round_trips_lowercase() {
        let ja3: Ja3 = "e7d705a3286e19ea42f587b344ee6865".parse().unwrap();
        assert_eq!(ja3.to_string(), "e7d705a3286e19ea42f587b344ee6865");
        assert!("e7d705a3286e19ea42f587b344ee686g".parse::<Ja3>().is_err());
        assert!("é7d705a3286e19ea42f587b344ee686".parse::<Ja3>().is_err());
    }

    #[test]
    fn bounded_text_limits_length_and_charset() {
        assert!("a".repeat(128).parse::<HeaderFingerprint>().is_ok());
        assert!("a".repeat(129).parse::<HeaderFingerprint>().is_err());
        assert!("".parse::<Http2Fingerprint>().is_err());
        assert!("a\nb".parse::<Http2Fingerprint>().is_err());
    }

    #[test]
    fn header_names_are_tokens() {
        assert!("x client".parse::<HeaderName>().is_err());
        assert!("".parse::<HeaderName>().is_err());
    }
}
