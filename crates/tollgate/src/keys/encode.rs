//! The byte encoding of the values store keys are hashed from.
//!
//! `std::hash::Hash` is not meant to be stable: its output may change
//! between Rust releases and integer writes are native-endian. Keys shared
//! between instances (a Redis store) must agree on every machine and every
//! build, so each keyed value writes explicit bytes here: integers
//! little-endian at a fixed width, strings length-prefixed, options with a
//! presence byte. Two different values of one type never encode to the same
//! bytes, and the call sites fix the types, so concatenation is unambiguous.

use std::net::IpAddr;

use super::StoreKey;
use crate::{
    Asn, Channel, Country, DeviceId, E164, EventType, HeaderFingerprint, HeaderName, Http2Fingerprint, Ja3, Ja4, UserId,
};

/// Receives the bytes of a key.
pub(crate) trait KeySink {
    fn put(&mut self, bytes: &[u8]);
}

/// A value that can be part of a store key.
pub(crate) trait KeyPart {
    /// Writes the value's encoding.
    fn encode<K: KeySink>(&self, out: &mut K);
}

macro_rules! fixed_width {
    ($($ty:ty),*) => {
        $(impl KeyPart for $ty {
            fn encode<K: KeySink>(&self, out: &mut K) {
                out.put(&self.to_le_bytes());
            }
        })*
    };
}

fixed_width!(u8, u16, u32, u64);

impl KeyPart for str {
    fn encode<K: KeySink>(&self, out: &mut K) {
        text(self.as_bytes(), out);
    }
}

/// Text as keys encode it: its length, then its bytes.
fn text<K: KeySink>(bytes: &[u8], out: &mut K) {
    // Key values are short; a length past u32 cannot come from an event.
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.put(&len.to_le_bytes());
    out.put(bytes);
}

impl KeyPart for () {
    fn encode<K: KeySink>(&self, _: &mut K) {}
}

impl<T: KeyPart + ?Sized> KeyPart for &T {
    fn encode<K: KeySink>(&self, out: &mut K) {
        (**self).encode(out);
    }
}

impl<T: KeyPart> KeyPart for Option<T> {
    fn encode<K: KeySink>(&self, out: &mut K) {
        match self {
            None => out.put(&[0]),
            Some(value) => {
                out.put(&[1]);
                value.encode(out);
            }
        }
    }
}

macro_rules! tuple {
    ($($name:ident),+) => {
        impl<$($name: KeyPart),+> KeyPart for ($($name,)+) {
            #[allow(non_snake_case)]
            fn encode<K: KeySink>(&self, out: &mut K) {
                let ($($name,)+) = self;
                $($name.encode(out);)+
            }
        }
    };
}

tuple!(A, B);
tuple!(A, B, C);
tuple!(A, B, C, D);

impl KeyPart for IpAddr {
    fn encode<K: KeySink>(&self, out: &mut K) {
        match self {
            IpAddr::V4(v4) => {
                out.put(&[4]);
                out.put(&v4.octets());
            }
            IpAddr::V6(v6) => {
                out.put(&[6]);
                out.put(&v6.octets());
            }
        }
    }
}

impl KeyPart for StoreKey {
    fn encode<K: KeySink>(&self, out: &mut K) {
        self.0.encode(out);
    }
}

impl KeyPart for Asn {
    fn encode<K: KeySink>(&self, out: &mut K) {
        self.0.encode(out);
    }
}

impl KeyPart for Ja3 {
    fn encode<K: KeySink>(&self, out: &mut K) {
        out.put(self.as_bytes());
    }
}

impl KeyPart for Ja4 {
    /// As its text, without re-checking that it is text.
    fn encode<K: KeySink>(&self, out: &mut K) {
        text(self.as_bytes(), out);
    }
}

/// The digest's 20 bytes; keys are a keyed hash of them, so the digest
/// (one dictionary lookup from a common password) is never stored.
impl KeyPart for crate::password::PasswordSha1 {
    fn encode<K: KeySink>(&self, out: &mut K) {
        out.put(self.as_bytes());
    }
}

impl KeyPart for E164 {
    fn encode<K: KeySink>(&self, out: &mut K) {
        self.digits().encode(out);
    }
}

macro_rules! as_text {
    ($($ty:ty),*) => {
        $(impl KeyPart for $ty {
            fn encode<K: KeySink>(&self, out: &mut K) {
                self.as_str().encode(out);
            }
        })*
    };
}

/// Keys hold the account's canonical form, so every spelling of one
/// account shares its counters.
impl KeyPart for UserId {
    fn encode<K: KeySink>(&self, out: &mut K) {
        self.canonical().encode(out);
    }
}

as_text!(
    EventType,
    Channel,
    DeviceId,
    Country,
    Http2Fingerprint,
    HeaderFingerprint,
    HeaderName
);

#[cfg(test)]
mod tests {
    use super::*;

    impl KeySink for Vec<u8> {
        fn put(&mut self, bytes: &[u8]) {
            self.extend_from_slice(bytes);
        }
    }

    fn bytes(value: impl KeyPart) -> Vec<u8> {
        let mut out = Vec::new();
        value.encode(&mut out);
        out
    }

    #[test]
    fn encodings_are_explicit_and_little_endian() {
        assert_eq!(bytes(0x0102_u16), [2, 1]);
        assert_eq!(bytes(7u64), [7, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(bytes("ab"), [2, 0, 0, 0, b'a', b'b']);
        assert_eq!(bytes(None::<u8>), [0]);
        assert_eq!(bytes(Some(9u8)), [1, 9]);
        assert_eq!(bytes((1u8, "x")), [1, 1, 0, 0, 0, b'x']);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(bytes(ip), [4, 192, 0, 2, 1]);
        assert_eq!(bytes(Asn(0x0102_0304)), [4, 3, 2, 1]);
        let phone: E164 = "+447700900123".parse().unwrap();
        assert_eq!(bytes(phone), bytes("447700900123"));
        let ja4: Ja4 = "t13d1516h2_8daaf6152771_02713d6af862".parse().unwrap();
        assert_eq!(bytes(ja4), bytes(ja4.as_str()), "a JA4 hashes as its text");
    }

    #[test]
    fn adjacent_strings_do_not_run_together() {
        assert_ne!(bytes(("ab", "c")), bytes(("a", "bc")));
        assert_ne!(bytes((Some("a"), None::<&str>)), bytes((None::<&str>, Some("a"))));
    }
}
