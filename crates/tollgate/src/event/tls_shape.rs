//! The structure of a TLS ClientHello ([`TlsShape`]): what the
//! browser-family check reads where an exact JA4 is not yet known.

use std::fmt;
use std::str::FromStr;

use super::FieldError;

/// The structure of a TLS ClientHello, as a browser-family check needs it:
/// JA4's raw form (`JA4_r`: the prefix, the sorted cipher suites, the
/// sorted extensions without SNI and ALPN, the signature algorithms in the
/// client's order, GREASE removed) and whether the client sent GREASE,
/// which JA4 drops but which tells BoringSSL and Apple's stack from NSS,
/// OpenSSL, Go or Java.
///
/// The text form is the `JA4_r` string, with `+grease` appended when the
/// client sent GREASE. [`ClientHello::shape`](crate::fingerprint::ClientHello::shape)
/// computes it; a proxy that logs `JA4_r` can forward that instead.
///
/// ```
/// use tollgate::TlsShape;
///
/// let text = "t13d1516h2_002f,1301_0005,000a,4469_0403,0804+grease";
/// let shape: TlsShape = text.parse()?;
/// assert!(shape.grease());
/// assert_eq!(shape.cipher_suites(), &[0x002f, 0x1301]);
/// assert_eq!(shape.signature_algorithms(), &[0x0403, 0x0804]);
/// assert_eq!(shape.to_string(), text);
/// # Ok::<(), tollgate::FieldError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TlsShape {
    prefix: [u8; 10],
    grease: bool,
    ciphers: Box<[u16]>,
    extensions: Box<[u16]>,
    signatures: Box<[u16]>,
}

/// The longest list a [`TlsShape`] holds: JA4 counts up to 99, and a
/// ClientHello has at most [`MAX_EXTENSIONS`](crate::fingerprint::MAX_EXTENSIONS)
/// extensions; this bounds what a parsed text can cost.
pub const TLS_SHAPE_MAX_LIST: usize = 256;

impl TlsShape {
    /// A shape from its parts; the lists are taken as given (GREASE is the
    /// caller's to remove). Lists over [`TLS_SHAPE_MAX_LIST`] are cut.
    pub(crate) fn from_parts(
        prefix: [u8; 10],
        grease: bool,
        ciphers: Vec<u16>,
        extensions: Vec<u16>,
        signatures: Vec<u16>,
    ) -> TlsShape {
        let cut = |mut v: Vec<u16>| {
            v.truncate(TLS_SHAPE_MAX_LIST);
            v.into_boxed_slice()
        };
        TlsShape {
            prefix,
            grease,
            ciphers: cut(ciphers),
            extensions: cut(extensions),
            signatures: cut(signatures),
        }
    }

    /// JA4's 10-character `a` part: transport, TLS version, SNI flag,
    /// counts, ALPN characters.
    pub fn prefix(&self) -> &str {
        // Only ASCII is ever stored.
        std::str::from_utf8(&self.prefix).unwrap_or_default()
    }

    /// The transport character: `t` (TCP), `q` (QUIC) or `d` (DTLS).
    pub fn transport(&self) -> u8 {
        self.prefix[0]
    }

    /// The TLS version code of the prefix: `13`, `12`, ...
    pub fn version(&self) -> [u8; 2] {
        [self.prefix[1], self.prefix[2]]
    }

    /// The two ALPN characters of the prefix (`h2`, `h1`, `00` for none).
    pub fn alpn(&self) -> [u8; 2] {
        [self.prefix[8], self.prefix[9]]
    }

    /// Whether the client sent GREASE values.
    pub fn grease(&self) -> bool {
        self.grease
    }

    /// Cipher suites, sorted, GREASE removed.
    pub fn cipher_suites(&self) -> &[u16] {
        &self.ciphers
    }

    /// Extension types, sorted, without GREASE, SNI and ALPN.
    pub fn extensions(&self) -> &[u16] {
        &self.extensions
    }

    /// Signature algorithms in the client's order, GREASE removed.
    pub fn signature_algorithms(&self) -> &[u16] {
        &self.signatures
    }
}

fn hex_list(f: &mut fmt::Formatter<'_>, values: &[u16]) -> fmt::Result {
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            f.write_str(",")?;
        }
        write!(f, "{v:04x}")?;
    }
    Ok(())
}

fn parse_list(text: &str) -> Result<Vec<u16>, FieldError> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let bad = || FieldError::new("tls_shape", "expected comma-separated 4-digit lowercase hex values");
    let values = text
        .split(',')
        .map(|v| {
            let ok = v.len() == 4 && v.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
            if ok {
                u16::from_str_radix(v, 16).map_err(|_| bad())
            } else {
                Err(bad())
            }
        })
        .collect::<Result<Vec<u16>, FieldError>>()?;
    if values.len() > TLS_SHAPE_MAX_LIST {
        return Err(FieldError::new("tls_shape", "list longer than 256 values"));
    }
    Ok(values)
}

impl FromStr for TlsShape {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, FieldError> {
        let (raw, grease) = match s.strip_suffix("+grease") {
            Some(raw) => (raw, true),
            None => (s, false),
        };
        let mut parts = raw.split('_');
        let prefix: [u8; 10] = parts
            .next()
            .and_then(|a| a.as_bytes().try_into().ok())
            .ok_or_else(|| FieldError::new("tls_shape", "expected a 10-character JA4 prefix"))?;
        let prefix_ok = matches!(prefix[0], b't' | b'q' | b'd')
            && prefix.iter().all(u8::is_ascii_alphanumeric)
            && matches!(prefix[3], b'd' | b'i')
            && prefix[4..8].iter().all(u8::is_ascii_digit);
        if !prefix_ok {
            return Err(FieldError::new("tls_shape", "malformed 10-character prefix"));
        }
        let (Some(ciphers), Some(extensions)) = (parts.next(), parts.next()) else {
            return Err(FieldError::new("tls_shape", "expected JA4_r's `a_b_c` parts"));
        };
        let (ciphers, extensions) = (parse_list(ciphers)?, parse_list(extensions)?);
        let signatures = parse_list(parts.next().unwrap_or_default())?;
        if parts.next().is_some() {
            return Err(FieldError::new(
                "tls_shape",
                "expected at most four `_`-separated parts",
            ));
        }
        Ok(TlsShape {
            prefix,
            grease,
            ciphers: ciphers.into(),
            extensions: extensions.into(),
            signatures: signatures.into(),
        })
    }
}

impl fmt::Display for TlsShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix())?;
        f.write_str("_")?;
        hex_list(f, &self.ciphers)?;
        f.write_str("_")?;
        hex_list(f, &self.extensions)?;
        if !self.signatures.is_empty() {
            f.write_str("_")?;
            hex_list(f, &self.signatures)?;
        }
        if self.grease {
            f.write_str("+grease")?;
        }
        Ok(())
    }
}

impl fmt::Debug for TlsShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TlsShape({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_shape_reads_ja4_r_and_rejects_garbage() {
        let firefox = "t13d1715h2_002f,0035,009c,009d,1301,1302,1303,c009,c00a,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0015,0017,001c,0022,0023,002b,002d,0033,ff01_0403,0503,0603,0804,0805,0806,0401,0501,0601,0203,0201";
        let shape: TlsShape = firefox.parse().unwrap();
        assert!(!shape.grease());
        assert_eq!(
            (shape.transport(), shape.version(), shape.alpn()),
            (b't', *b"13", *b"h2")
        );
        assert_eq!(shape.cipher_suites().len(), 17);
        assert_eq!(shape.to_string(), firefox);
        let bare: TlsShape = "t12i010000_c02f_".parse().unwrap();
        assert_eq!(bare.to_string(), "t12i010000_c02f_");
        for bad in [
            "",
            "t13d1715h2",
            "x13d1715h2_002f_",
            "t13d1715h2_002F_",
            "t13d1715h2_02f_",
            "t13d1715h2_002f_0005_0403_0000",
            "t13d1715h2_002f,_",
            "t13d1715h2_002f_+grease+grease",
        ] {
            assert!(bad.parse::<TlsShape>().is_err(), "{bad}");
        }
        let long = vec!["0001"; TLS_SHAPE_MAX_LIST + 1].join(",");
        assert!(format!("t13d1715h2_{long}_").parse::<TlsShape>().is_err());
    }
}
