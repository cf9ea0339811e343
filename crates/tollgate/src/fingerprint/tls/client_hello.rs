//! The TLS ClientHello, parsed from raw bytes into the fields fingerprints
//! use.
//!
//! ```
//! use tollgate::fingerprint::ClientHello;
//!
//! // A minimal TLS 1.2 ClientHello: one cipher suite, no extensions.
//! let mut hello = vec![0x01, 0x00, 0x00, 0x29, 0x03, 0x03];
//! hello.extend([0u8; 32]); // random
//! hello.extend([0x00, 0x00, 0x02, 0xc0, 0x2f, 0x01, 0x00]);
//! let parsed = ClientHello::parse(&hello)?;
//! assert_eq!(parsed.cipher_suites(), &[0xc02f]);
//! assert_eq!(parsed.sni(), None);
//! # Ok::<(), tollgate::fingerprint::ClientHelloError>(())
//! ```

use std::borrow::Cow;

use super::ClientHelloError;
use super::reader::{Reader, u16_list};
use super::records::{CONTENT_HANDSHAKE, HANDSHAKE_CLIENT_HELLO, HANDSHAKE_HEADER_LEN, handshake_bytes, message_len};

const EXT_SERVER_NAME: u16 = 0x0000;
const EXT_SUPPORTED_GROUPS: u16 = 0x000a;
const EXT_EC_POINT_FORMATS: u16 = 0x000b;
const EXT_SIGNATURE_ALGORITHMS: u16 = 0x000d;
const EXT_ALPN: u16 = 0x0010;
const EXT_SUPPORTED_VERSIONS: u16 = 0x002b;

/// The most extensions a ClientHello may list (GREASE and repeats
/// included): 256. Browsers send under 30 and JA4 prints counts only up to
/// 99; the cap bounds the work and memory a hostile hello costs (64 KiB
/// hold 16,384 empty extensions). A hello over it gives
/// [`ClientHelloError::TooManyExtensions`].
pub const MAX_EXTENSIONS: usize = 256;

/// A parsed TLS ClientHello: the code points in the order the client sent
/// them, GREASE values included (the fingerprints drop them).
///
/// Owned, so it can outlive the read buffer. Extensions whose content
/// matters here (server name, ALPN, supported versions, signature
/// algorithms, groups, point formats) are parsed strictly; any other
/// extension is only listed by type. When an extension occurs twice, its
/// first occurrence gives the content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello {
    pub(super) legacy_version: u16,
    pub(super) cipher_suites: Vec<u16>,
    pub(super) extensions: Vec<u16>,
    pub(super) server_name: Option<String>,
    pub(super) alpn: Vec<Vec<u8>>,
    pub(super) supported_versions: Vec<u16>,
    pub(super) signature_algorithms: Vec<u16>,
    pub(super) supported_groups: Vec<u16>,
    pub(super) ec_point_formats: Vec<u8>,
}

impl ClientHello {
    /// Parses one or more TLS records (content type `0x16`; the handshake
    /// message may span records) or a bare handshake message (starting with
    /// the type byte `0x01`, as QUIC CRYPTO frames carry it).
    ///
    /// A hello listing more than [`MAX_EXTENSIONS`] extensions gives
    /// [`ClientHelloError::TooManyExtensions`]; the work is linear in the
    /// bytes either way.
    ///
    /// Bytes after the ClientHello are ignored. Returns
    /// [`ClientHelloError::Incomplete`] when the bytes are a consistent
    /// prefix of a ClientHello, so a network reader can read more and retry;
    /// [`client_hello_len`](super::client_hello_len) says how many bytes to
    /// wait for.
    pub fn parse(bytes: &[u8]) -> Result<ClientHello, ClientHelloError> {
        let message: Cow<'_, [u8]> = match bytes.first() {
            None => return Err(ClientHelloError::Incomplete),
            Some(&CONTENT_HANDSHAKE) => handshake_bytes(bytes)?,
            Some(&HANDSHAKE_CLIENT_HELLO) => Cow::Borrowed(bytes),
            Some(_) => return Err(ClientHelloError::NotHandshake),
        };
        let header = message.get(..HANDSHAKE_HEADER_LEN).unwrap_or(&message);
        let body_len = message_len(header)?.saturating_sub(HANDSHAKE_HEADER_LEN);
        let body = message.get(HANDSHAKE_HEADER_LEN..).unwrap_or_default();
        let body = body.get(..body_len).unwrap_or(body);
        parse_body(Reader::truncated(body, body_len))
    }

    /// The `legacy_version` field (`0x0303` for TLS 1.2 and 1.3 clients).
    pub fn legacy_version(&self) -> u16 {
        self.legacy_version
    }

    /// Cipher suites in the client's order.
    pub fn cipher_suites(&self) -> &[u16] {
        &self.cipher_suites
    }

    /// Extension types in the client's order.
    pub fn extensions(&self) -> &[u16] {
        &self.extensions
    }

    /// The first `host_name` of the server_name extension, when it is UTF-8.
    pub fn sni(&self) -> Option<&str> {
        self.server_name.as_deref()
    }

    /// The ALPN protocol names in the client's order (e.g. `h2`,
    /// `http/1.1`); empty without the extension.
    pub fn alpn(&self) -> &[Vec<u8>] {
        &self.alpn
    }

    /// The supported_versions extension's list (TLS 1.3 clients).
    pub fn supported_versions(&self) -> &[u16] {
        &self.supported_versions
    }

    /// The signature_algorithms extension's list, in the client's order.
    pub fn signature_algorithms(&self) -> &[u16] {
        &self.signature_algorithms
    }

    /// The supported_groups (formerly elliptic_curves) extension's list.
    pub fn supported_groups(&self) -> &[u16] {
        &self.supported_groups
    }

    /// The ec_point_formats extension's list.
    pub fn ec_point_formats(&self) -> &[u8] {
        &self.ec_point_formats
    }
}

fn parse_body(mut r: Reader<'_>) -> Result<ClientHello, ClientHelloError> {
    let legacy_version = r.u16("legacy_version")?;
    r.take(32, "random")?;
    if r.vec8("legacy_session_id")?.len() > 32 {
        return Err(ClientHelloError::malformed("legacy_session_id"));
    }
    let cipher_suites = u16_list(r.vec16("cipher_suites")?, "cipher_suites")?;
    r.vec8("legacy_compression_methods")?;
    let mut hello = ClientHello {
        legacy_version,
        cipher_suites,
        extensions: Vec::new(),
        server_name: None,
        alpn: Vec::new(),
        supported_versions: Vec::new(),
        signature_algorithms: Vec::new(),
        supported_groups: Vec::new(),
        ec_point_formats: Vec::new(),
    };
    // SSL 3.0-era clients may end the message before the extensions block.
    if r.is_at_end() {
        return Ok(hello);
    }
    let mut extensions = Reader::complete(r.vec16("extensions")?);
    if !r.is_at_end() {
        return Err(ClientHelloError::malformed("bytes after the extensions"));
    }
    // Only the extensions read for their content need to know whether they
    // came before: one bit each, so a long list costs no search.
    let mut read = 0u8;
    while !extensions.is_at_end() {
        if hello.extensions.len() >= MAX_EXTENSIONS {
            return Err(ClientHelloError::TooManyExtensions);
        }
        let kind = extensions.u16("extension type")?;
        let data = extensions.vec16("extension length")?;
        if let Some(bit) = content_bit(kind) {
            if read & bit == 0 {
                read |= bit;
                read_extension(&mut hello, kind, data)?;
            }
        }
        hello.extensions.push(kind);
    }
    Ok(hello)
}

/// The bit marking `kind` as read, for the extensions whose content is kept.
fn content_bit(kind: u16) -> Option<u8> {
    let index = match kind {
        EXT_SERVER_NAME => 0,
        EXT_ALPN => 1,
        EXT_SUPPORTED_VERSIONS => 2,
        EXT_SIGNATURE_ALGORITHMS => 3,
        EXT_SUPPORTED_GROUPS => 4,
        EXT_EC_POINT_FORMATS => 5,
        _ => return None,
    };
    Some(1 << index)
}

fn read_extension(hello: &mut ClientHello, kind: u16, data: &[u8]) -> Result<(), ClientHelloError> {
    let mut r = Reader::complete(data);
    match kind {
        EXT_SERVER_NAME => hello.server_name = server_name(&mut r)?,
        EXT_ALPN => {
            let mut names = Reader::complete(r.vec16("alpn")?);
            while !names.is_at_end() {
                hello.alpn.push(names.vec8("alpn")?.to_vec());
            }
        }
        EXT_SUPPORTED_VERSIONS => {
            hello.supported_versions = u16_list(r.vec8("supported_versions")?, "supported_versions")?
        }
        EXT_SIGNATURE_ALGORITHMS => {
            hello.signature_algorithms = u16_list(r.vec16("signature_algorithms")?, "signature_algorithms")?;
        }
        EXT_SUPPORTED_GROUPS => hello.supported_groups = u16_list(r.vec16("supported_groups")?, "supported_groups")?,
        EXT_EC_POINT_FORMATS => hello.ec_point_formats = r.vec8("ec_point_formats")?.to_vec(),
        _ => return Ok(()),
    }
    if r.is_at_end() {
        Ok(())
    } else {
        Err(ClientHelloError::malformed("bytes after an extension's content"))
    }
}

/// The first `host_name` entry. An empty extension (no list) is accepted:
/// it still marks the connection as addressed by name.
fn server_name(r: &mut Reader<'_>) -> Result<Option<String>, ClientHelloError> {
    if r.is_at_end() {
        return Ok(None);
    }
    let mut list = Reader::complete(r.vec16("server_name")?);
    let mut first = None;
    while !list.is_at_end() {
        let name_type = list.u8("server_name")?;
        let name = list.vec16("server_name")?;
        if name_type == 0 && first.is_none() {
            first = std::str::from_utf8(name).ok().map(str::to_owned);
        }
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A TLS 1.3-style hello: session id, two suites, SNI, ALPN, versions.
    fn sample() -> Vec<u8> {
        let mut body = vec![0x03, 0x03];
        body.extend([7u8; 32]);
        body.extend([0x01, 0xaa]);
        body.extend([0x00, 0x04, 0x0a, 0x0a, 0x13, 0x01, 0x01, 0x00]);
        let exts: Vec<u8> = [
            &[0x00, 0x00, 0x00, 0x0e, 0x00, 0x0c, 0x00, 0x00, 0x09][..],
            b"localhost",
            &[0x00, 0x10, 0x00, 0x05, 0x00, 0x03, 0x02, b'h', b'2'],
            &[0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04],
        ]
        .concat();
        body.extend(u16::try_from(exts.len()).unwrap().to_be_bytes());
        body.extend(exts);
        let len = u32::try_from(body.len()).unwrap().to_be_bytes();
        [&[0x01, len[1], len[2], len[3]][..], &body].concat()
    }

    /// A bare ClientHello with one suite and the extensions `(type, data)`.
    fn with_extensions(extensions: &[(u16, &[u8])]) -> Vec<u8> {
        let mut body = vec![0x03, 0x03];
        body.extend([0u8; 32]);
        body.extend([0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00]);
        let block: Vec<u8> = extensions
            .iter()
            .flat_map(|(kind, data)| {
                let len = u16::try_from(data.len()).unwrap().to_be_bytes();
                [&kind.to_be_bytes()[..], &len, data].concat()
            })
            .collect();
        body.extend(u16::try_from(block.len()).unwrap().to_be_bytes());
        body.extend(block);
        let len = u32::try_from(body.len()).unwrap().to_be_bytes();
        [&[0x01, len[1], len[2], len[3]][..], &body].concat()
    }

    #[test]
    fn extension_count_is_capped() {
        let many: Vec<(u16, &[u8])> = (0..u16::try_from(MAX_EXTENSIONS).unwrap())
            .map(|i| (0x0100 + i, &[][..]))
            .collect();
        let hello = ClientHello::parse(&with_extensions(&many)).unwrap();
        assert_eq!(hello.extensions().len(), MAX_EXTENSIONS);
        let over = [&many[..], &[(0x0000, &[][..])]].concat();
        assert_eq!(
            ClientHello::parse(&with_extensions(&over)),
            Err(ClientHelloError::TooManyExtensions)
        );
        // Repeats count: the cap is on the list, not on distinct types.
        let repeated = vec![(0x0017, &[][..]); MAX_EXTENSIONS + 1];
        assert_eq!(
            ClientHello::parse(&with_extensions(&repeated)),
            Err(ClientHelloError::TooManyExtensions)
        );
    }

    #[test]
    fn a_repeated_extension_keeps_its_first_content() {
        let first: &[u8] = &[0x00, 0x06, 0x00, 0x00, 0x03, b'o', b'n', b'e'];
        let second: &[u8] = &[0x00, 0x06, 0x00, 0x00, 0x03, b't', b'w', b'o'];
        let hello = ClientHello::parse(&with_extensions(&[
            (0x0000, first),
            (0x002b, &[0x02, 0x03, 0x04]),
            (0x0000, second),
            (0x002b, &[0x02, 0x03, 0x03]),
            // A later copy is not read, so its content may even be invalid.
            (0x0010, &[0x00, 0x03, 0x02, b'h', b'2']),
            (0x0010, &[0xff]),
        ]))
        .unwrap();
        assert_eq!(hello.sni(), Some("one"));
        assert_eq!(hello.supported_versions(), &[0x0304]);
        assert_eq!(hello.alpn(), &[b"h2".to_vec()]);
        assert_eq!(hello.extensions(), &[0x0000, 0x002b, 0x0000, 0x002b, 0x0010, 0x0010]);
    }

    #[test]
    fn parses_fields_in_order() {
        let hello = ClientHello::parse(&sample()).unwrap();
        assert_eq!(hello.cipher_suites(), &[0x0a0a, 0x1301]);
        assert_eq!(hello.extensions(), &[0x0000, 0x0010, 0x002b]);
        assert_eq!(hello.sni(), Some("localhost"));
        assert_eq!(hello.alpn(), &[b"h2".to_vec()]);
        assert_eq!(hello.supported_versions(), &[0x0304]);
    }

    #[test]
    fn every_prefix_is_incomplete_and_records_agree() {
        let message = sample();
        for cut in 0..message.len() {
            assert_eq!(
                ClientHello::parse(&message[..cut]),
                Err(ClientHelloError::Incomplete),
                "cut {cut}"
            );
        }
        let len = u16::try_from(message.len()).unwrap().to_be_bytes();
        let record = [&[0x16, 0x03, 0x01, len[0], len[1]][..], &message].concat();
        for cut in 0..record.len() {
            assert_eq!(
                ClientHello::parse(&record[..cut]),
                Err(ClientHelloError::Incomplete),
                "cut {cut}"
            );
        }
        let mut with_more = record.clone();
        with_more.extend([0x17, 0x03, 0x03, 0x00, 0x01, 0x00]);
        assert_eq!(ClientHello::parse(&with_more), ClientHello::parse(&message));
    }

    #[test]
    fn inconsistent_lengths_are_malformed_even_when_truncated() {
        let mut message = sample();
        // Cipher suites length 0x0400 overruns the declared message.
        message[4 + 2 + 32 + 2] = 0x04;
        assert!(matches!(
            ClientHello::parse(&message[..50]),
            Err(ClientHelloError::Malformed { .. })
        ));
        let mut odd = sample();
        odd[4 + 2 + 32 + 3] = 0x03;
        assert!(matches!(
            ClientHello::parse(&odd),
            Err(ClientHelloError::Malformed { .. })
        ));
    }
}
