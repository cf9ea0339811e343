//! GREASE values (RFC 8701): random-looking code points clients send so that
//! servers tolerate unknown ones. Fingerprints ignore them, since a client
//! picks a different one on every connection.
//!
//! ```
//! use tollgate::fingerprint::is_grease;
//!
//! assert!(is_grease(0x0a0a) && is_grease(0xfafa));
//! assert!(!is_grease(0x0a1a) && !is_grease(0x1301));
//! ```

/// Whether a 16-bit TLS code point (cipher suite, extension, group,
/// version, signature algorithm) is a GREASE value: `0x?a?a` with both
/// bytes equal.
pub fn is_grease(value: u16) -> bool {
    let [hi, lo] = value.to_be_bytes();
    hi == lo && lo & 0x0f == 0x0a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_sixteen_grease_values() {
        let all: Vec<u16> = (0..=u16::MAX).filter(|v| is_grease(*v)).collect();
        assert_eq!(all.len(), 16);
        assert_eq!(all.first(), Some(&0x0a0a));
        assert_eq!(all.last(), Some(&0xfafa));
    }
}
