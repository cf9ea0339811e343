//! Client fingerprints computed from what the client sent, in process and
//! without a TLS or HTTP library:
//!
//! * [`ClientHello`] parses a TLS ClientHello (records or a bare handshake
//!   message) and gives JA4, JA4_r and JA3 (see `docs/ja4.md`).
//! * [`Http2Preface`] reads the Akamai HTTP/2 fingerprint from the first
//!   frames a client sends.
//! * [`header_fingerprint`] computes tollgate's own `hf1` fingerprint of a
//!   request's header names.
//!
//! All are sans-IO and never panic: malformed input is a typed error or,
//! for headers, simply part of the fingerprint.
//!
//! ```
//! use tollgate::fingerprint::{ClientHello, ClientHelloError, Http2Preface, header_fingerprint};
//!
//! // A handshake record header and nothing more: read more and retry.
//! assert_eq!(ClientHello::parse(&[0x16, 0x03, 0x01, 0x02, 0x00]), Err(ClientHelloError::Incomplete));
//!
//! let mut reader = Http2Preface::new();
//! assert!(reader.feed(b"GET / HTTP/1.1\r\n").is_err());
//! let fp = header_fingerprint([("host", &b"example.com"[..])]);
//! assert!(fp.as_str().starts_with("hf1."));
//! ```

mod headers;
mod http2;
mod tls;

pub use headers::header_fingerprint;
pub use http2::{HpackError, Http2FingerprintError, Http2Preface, MAX_PREFACE_BYTES, MAX_PREFACE_FRAMES};
pub use tls::{
    ClientHello, ClientHelloError, ClientHelloLen, MAX_CLIENT_HELLO_LEN, MAX_EXTENSIONS, MAX_RECORDS_LEN, Transport,
    client_hello_len, is_grease,
};
