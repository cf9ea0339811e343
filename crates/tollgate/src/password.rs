//! The SHA-1 of a submitted password, for compromised-password lookups.
//!
//! Have I Been Pwned's "Pwned Passwords" corpus and its range API are keyed
//! by the SHA-1 of the password. [`PasswordSha1::of`] hashes the plaintext
//! and keeps only the 20-byte digest: the plaintext is never stored, copied
//! into an event or printed, and the digest's `Debug` shows only the 5-hex
//! prefix (the part the k-anonymity range API sends anyway).
//!
//! The application looks the digest up (an offline filter, or the range
//! API) and reports the answer on the event with
//! [`Event::with_compromised_password`](crate::Event::with_compromised_password);
//! the policy scores it as `credentials.compromised_password`.
//!
//! ```
//! use tollgate::password::PasswordSha1;
//!
//! let hash = PasswordSha1::of("password");
//! assert_eq!(hash.prefix(), "5BAA6");
//! assert_eq!(hash.suffix_hex(), "1E4C9B93F3F0682250B6CF8331B7EE68FD8");
//! assert_eq!(format!("{hash:?}"), "PasswordSha1(5BAA6…)");
//! assert_eq!(PasswordSha1::from_hex("5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8"), Ok(hash));
//! ```

use std::fmt;

use sha1::{Digest, Sha1};

/// The SHA-1 digest of a password; the plaintext it came from is not kept.
///
/// Hex is upper-case, as in the HIBP corpus and API responses.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PasswordSha1([u8; 20]);

/// Why a string is not a SHA-1 in hex.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Sha1HexError {
    /// Not exactly 40 characters.
    #[error("a SHA-1 is 40 hex digits, got {0} characters")]
    Length(usize),
    /// A character that is not a hex digit, at this position.
    #[error("not a hex digit at position {0}")]
    NotHex(usize),
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

impl PasswordSha1 {
    /// Hashes a password. The plaintext is only read, never retained.
    #[must_use]
    pub fn of(password: &str) -> Self {
        Self(Sha1::digest(password.as_bytes()).into())
    }

    /// Wraps a digest computed elsewhere.
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 20]) -> Self {
        Self(bytes)
    }

    /// Parses 40 hex digits, either case.
    ///
    /// # Errors
    /// [`Sha1HexError`] when the length is wrong or a character is not hex.
    pub fn from_hex(hex: &str) -> Result<Self, Sha1HexError> {
        let bytes = hex.as_bytes();
        if bytes.len() != 40 {
            return Err(Sha1HexError::Length(bytes.len()));
        }
        let mut out = [0u8; 20];
        for (i, (slot, pair)) in out.iter_mut().zip(bytes.chunks_exact(2)).enumerate() {
            let (hi, lo) = match pair {
                [hi, lo] => (*hi, *lo),
                _ => return Err(Sha1HexError::Length(bytes.len())),
            };
            let hi = nibble(hi).ok_or(Sha1HexError::NotHex(2 * i))?;
            let lo = nibble(lo).ok_or(Sha1HexError::NotHex(2 * i + 1))?;
            *slot = hi << 4 | lo;
        }
        Ok(Self(out))
    }

    /// The 20 digest bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// The first 8 digest bytes as a big-endian integer: the key of offline
    /// filters (SHA-1 output is already uniform), whose top bits are the
    /// hash prefix.
    #[must_use]
    pub fn key64(&self) -> u64 {
        let [a, b, c, d, e, f, g, h, ..] = self.0;
        u64::from_be_bytes([a, b, c, d, e, f, g, h])
    }

    /// The first 5 hex digits: what the HIBP range API is asked for.
    #[must_use]
    pub fn prefix(&self) -> String {
        self.hex().chars().take(5).collect()
    }

    /// The remaining 35 hex digits, as the range API lists them.
    #[must_use]
    pub fn suffix_hex(&self) -> String {
        self.hex().chars().skip(5).collect()
    }

    /// All 40 hex digits, upper-case.
    #[must_use]
    pub fn hex(&self) -> String {
        let mut out = String::with_capacity(40);
        for byte in self.0 {
            for n in [byte >> 4, byte & 0xf] {
                out.push(HEX.get(usize::from(n)).map_or('0', |&c| char::from(c)));
            }
        }
        out
    }
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Shows the prefix only, so a digest in a log line cannot be matched
/// against the corpus by anyone reading the log.
impl fmt::Debug for PasswordSha1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PasswordSha1({}…)", self.prefix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        // Test vectors from the HIBP range API documentation.
        let p = PasswordSha1::of("P@ssw0rd");
        assert_eq!(p.hex(), "21BD12DC183F740EE76F27B78EB39C8AD972A757");
        assert_eq!(p.prefix(), "21BD1");
        assert_eq!(p.suffix_hex(), "2DC183F740EE76F27B78EB39C8AD972A757");
        assert_eq!(p.key64(), 0x21BD_12DC_183F_740E);
        assert_eq!(PasswordSha1::from_hex(&p.hex()), Ok(p));
    }

    #[test]
    fn bad_hex() {
        assert_eq!(PasswordSha1::from_hex("abc"), Err(Sha1HexError::Length(3)));
        let mut s = "0".repeat(39);
        s.push('g');
        assert_eq!(PasswordSha1::from_hex(&s), Err(Sha1HexError::NotHex(39)));
        assert_eq!(
            PasswordSha1::from_hex("é123456789012345678901234567890123456789"),
            Err(Sha1HexError::Length(41))
        );
    }

    #[test]
    fn debug_hides_all_but_the_prefix() {
        let shown = format!("{:?}", PasswordSha1::of("hunter2"));
        assert!(shown.starts_with("PasswordSha1("));
        assert!(!shown.contains(&PasswordSha1::of("hunter2").suffix_hex()));
    }
}
