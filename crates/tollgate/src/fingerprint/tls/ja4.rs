//! JA4, FoxIO's TLS client fingerprint, from a parsed ClientHello.
//!
//! `a_b_c`: `a` is transport, TLS version, SNI flag, cipher and extension
//! counts and two ALPN characters; `b` the truncated SHA-256 of the sorted
//! cipher suites; `c` that of the sorted extensions (without SNI and ALPN)
//! and the signature algorithms in the client's order. GREASE is ignored
//! everywhere. `docs/ja4.md` gives the details, and the one place where we
//! follow FoxIO's reference tools rather than the specification text: a
//! non-ASCII end of the first ALPN value prints `9`.
//!
//! ```
//! use tollgate::fingerprint::{ClientHello, Transport};
//!
//! let mut hello = vec![0x01, 0x00, 0x00, 0x29, 0x03, 0x03];
//! hello.extend([0u8; 32]);
//! hello.extend([0x00, 0x00, 0x02, 0xc0, 0x2f, 0x01, 0x00]);
//! let hello = ClientHello::parse(&hello)?;
//! assert_eq!(hello.ja4_r(Transport::Tcp), "t12i010000_c02f_");
//! assert_eq!(hello.ja4(Transport::Tcp).as_str(), "t12i010000_f06271c2b022_000000000000");
//! # Ok::<(), tollgate::fingerprint::ClientHelloError>(())
//! ```

use sha2::{Digest, Sha256};

use super::ClientHello;
use super::grease::is_grease;
use crate::{Ja4, TlsShape};

const EXT_SERVER_NAME: u16 = 0x0000;
const EXT_ALPN: u16 = 0x0010;
const EMPTY_HASH: [u8; 12] = *b"000000000000";

/// How the ClientHello travelled: the first character of JA4. The parser
/// cannot tell, so the caller says.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// TLS over TCP (`t`).
    Tcp,
    /// QUIC (`q`): the ClientHello from the Initial packets' CRYPTO frames.
    Quic,
}

impl Transport {
    fn marker(self) -> u8 {
        match self {
            Transport::Tcp => b't',
            Transport::Quic => b'q',
        }
    }
}

impl ClientHello {
    /// The JA4 fingerprint, e.g. `t13d1516h2_8daaf6152771_02713d6af862`.
    pub fn ja4(&self, transport: Transport) -> Ja4 {
        let (ciphers, extensions) = self.ja4_lists();
        let mut text = [0u8; 36];
        let (a, rest) = text.split_at_mut(10);
        a.copy_from_slice(&self.ja4_a(transport));
        let (b, c) = rest.split_at_mut(13);
        for (part, list) in [(b, &ciphers), (c, &extensions)] {
            let (sep, hash) = part.split_at_mut(1);
            sep.copy_from_slice(b"_");
            hash.copy_from_slice(&hash12(list));
        }
        Ja4::from_computed(text)
    }

    /// JA4_r, the raw form: the same `a`, then the lists themselves instead
    /// of their hashes (the `b` and `c` parts may be empty).
    pub fn ja4_r(&self, transport: Transport) -> String {
        let (ciphers, extensions) = self.ja4_lists();
        let a = self.ja4_a(transport);
        let mut out = String::with_capacity(12 + ciphers.len() + extensions.len());
        out.extend(a.iter().map(|b| char::from(*b)));
        out.push('_');
        out.push_str(&ciphers);
        out.push('_');
        out.push_str(&extensions);
        out
    }

    /// The handshake's structure for a browser-family check: JA4_r's
    /// parts as numbers, and whether the client sent GREASE (in its cipher
    /// suites, extensions, groups, versions or signature algorithms).
    pub fn shape(&self, transport: Transport) -> TlsShape {
        let (ciphers, extensions) = self.ja4_code_points();
        let signatures = self
            .signature_algorithms
            .iter()
            .copied()
            .filter(|v| !is_grease(*v))
            .collect();
        let grease = [
            &self.cipher_suites,
            &self.extensions,
            &self.supported_groups,
            &self.supported_versions,
            &self.signature_algorithms,
        ]
        .iter()
        .any(|list| list.iter().any(|v| is_grease(*v)));
        TlsShape::from_parts(self.ja4_a(transport), grease, ciphers, extensions, signatures)
    }

    fn ja4_a(&self, transport: Transport) -> [u8; 10] {
        let ciphers = count(&self.cipher_suites);
        let extensions = count(&self.extensions);
        let sni = if self.extensions.contains(&EXT_SERVER_NAME) {
            b'd'
        } else {
            b'i'
        };
        let [v1, v2] = version_code(self.version());
        let [l1, l2] = alpn_chars(self.alpn.first().map(Vec::as_slice));
        [
            transport.marker(),
            v1,
            v2,
            sni,
            ciphers[0],
            ciphers[1],
            extensions[0],
            extensions[1],
            l1,
            l2,
        ]
    }

    /// The highest non-GREASE supported_versions entry, else legacy_version.
    fn version(&self) -> u16 {
        self.supported_versions
            .iter()
            .copied()
            .filter(|v| !is_grease(*v))
            .max()
            .unwrap_or(self.legacy_version)
    }

    /// The sorted cipher suites and extensions JA4 hashes.
    fn ja4_code_points(&self) -> (Vec<u16>, Vec<u16>) {
        let mut ciphers: Vec<u16> = self.cipher_suites.iter().copied().filter(|v| !is_grease(*v)).collect();
        ciphers.sort_unstable();
        let mut extensions: Vec<u16> = self
            .extensions
            .iter()
            .copied()
            .filter(|v| !is_grease(*v) && *v != EXT_SERVER_NAME && *v != EXT_ALPN)
            .collect();
        extensions.sort_unstable();
        (ciphers, extensions)
    }

    /// The `b` and `c` lists as JA4_r prints them.
    fn ja4_lists(&self) -> (String, String) {
        let (ciphers, extensions) = self.ja4_code_points();
        let mut c = hex_list(&extensions);
        let signatures: Vec<u16> = self
            .signature_algorithms
            .iter()
            .copied()
            .filter(|v| !is_grease(*v))
            .collect();
        if !signatures.is_empty() {
            c.push('_');
            c.push_str(&hex_list(&signatures));
        }
        (hex_list(&ciphers), c)
    }
}

impl TlsShape {
    /// The JA4 of the handshake this shape describes: its prefix and the
    /// hashes of its lists, as [`ClientHello::ja4`] computes them.
    ///
    /// ```
    /// use tollgate::TlsShape;
    ///
    /// let shape: TlsShape = "t12i010000_c02f_".parse()?;
    /// assert_eq!(shape.ja4().as_str(), "t12i010000_f06271c2b022_000000000000");
    /// # Ok::<(), tollgate::FieldError>(())
    /// ```
    pub fn ja4(&self) -> Ja4 {
        let mut c = hex_list(self.extensions());
        if !self.signature_algorithms().is_empty() {
            c.push('_');
            c.push_str(&hex_list(self.signature_algorithms()));
        }
        let mut text = [0u8; 36];
        let (a, rest) = text.split_at_mut(10);
        a.copy_from_slice(self.prefix().as_bytes().get(..10).unwrap_or(b"t000000000"));
        let (b, c_part) = rest.split_at_mut(13);
        for (part, list) in [(b, &hex_list(self.cipher_suites())), (c_part, &c)] {
            let (sep, hash) = part.split_at_mut(1);
            sep.copy_from_slice(b"_");
            hash.copy_from_slice(&hash12(list));
        }
        Ja4::from_computed(text)
    }
}

/// A non-GREASE count as two digits, capped at 99.
fn count(values: &[u16]) -> [u8; 2] {
    let n = values.iter().filter(|v| !is_grease(**v)).count().min(99);
    // n < 100, so both digits are in range.
    [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8]
}

fn version_code(version: u16) -> [u8; 2] {
    match version {
        0x0304 => *b"13",
        0x0303 => *b"12",
        0x0302 => *b"11",
        0x0301 => *b"10",
        0x0300 => *b"s3",
        0x0002 => *b"s2",
        0xfeff => *b"d1",
        0xfefd => *b"d2",
        0xfefc => *b"d3",
        _ => *b"00",
    }
}

/// The first and last characters of the first ALPN protocol.
///
/// Alphanumeric ends are used as they are; a one-byte value gives its
/// character twice; no ALPN or an empty first value gives `00`. For other
/// ends the specification prints the first and last hex digits of the
/// value, which we do when both ends are ASCII. When an end is not ASCII
/// we follow FoxIO's tools instead (and their published expected values):
/// that end becomes `9`; an ASCII end beside it stays as it is when
/// alphanumeric, else becomes its hex digit.
fn alpn_chars(first: Option<&[u8]>) -> [u8; 2] {
    let (Some(&head), Some(&tail)) = (first.and_then(<[u8]>::first), first.and_then(<[u8]>::last)) else {
        return *b"00";
    };
    let digit = |byte: u8| hex(u16::from(byte));
    if head.is_ascii_alphanumeric() && tail.is_ascii_alphanumeric() {
        return [head, tail];
    }
    if head.is_ascii() && tail.is_ascii() {
        return [digit(head >> 4), digit(tail)];
    }
    let head = match head {
        h if !h.is_ascii() => b'9',
        h if h.is_ascii_alphanumeric() => h,
        h => digit(h >> 4),
    };
    let tail = match tail {
        t if !t.is_ascii() => b'9',
        t if t.is_ascii_alphanumeric() => t,
        t => digit(t),
    };
    [head, tail]
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn hex_list(values: &[u16]) -> String {
    let mut out = String::with_capacity(values.len() * 5);
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        for shift in [12, 8, 4, 0] {
            out.push(char::from(hex(*v >> shift)));
        }
    }
    out
}

/// The lowercase hex digit of the low four bits.
fn hex(nibble: u16) -> u8 {
    HEX.get(usize::from(nibble & 0x0f)).copied().unwrap_or(b'0')
}

/// The first 12 hex digits of the SHA-256 of `list`; zeros for an empty list.
fn hash12(list: &str) -> [u8; 12] {
    if list.is_empty() {
        return EMPTY_HASH;
    }
    let digest = Sha256::digest(list.as_bytes());
    let mut out = [0u8; 12];
    for (pair, byte) in out.chunks_exact_mut(2).zip(digest.iter()) {
        for (slot, nibble) in pair.iter_mut().zip([byte >> 4, *byte]) {
            *slot = hex(u16::from(nibble));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpn_characters() {
        let cases: [(&[u8], &[u8; 2]); 9] = [
            (b"h2", b"h2"),
            (b"http/1.1", b"h1"),
            (b"h", b"hh"),
            (b"", b"00"),
            // Specification text, ASCII ends: hex digits of the whole value.
            (&[0x30, 0x2f], b"3f"),
            (b"/x", b"28"),
            // FoxIO's tools: a non-ASCII end is '9' (tls-non-ascii-alpn.pcapng gives "99").
            (&[0xba, 0xad], b"99"),
            (&[b'h', 0xad], b"h9"),
            (&[0x80], b"99"),
        ];
        for (value, want) in cases {
            assert_eq!(&alpn_chars(Some(value)), want, "{value:02x?}");
        }
        assert_eq!(&alpn_chars(None), b"00");
    }

    #[test]
    fn spec_example_hashes() {
        // The worked example in FoxIO's technical_details/JA4.md.
        let ciphers = "002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9";
        assert_eq!(&hash12(ciphers), b"8daaf6152771");
        let exts = "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01";
        assert_eq!(&hash12(exts), b"6d807ffa2a79");
        assert_eq!(&hash12(""), b"000000000000");
    }
}
