//! TLS client fingerprints, JA4 and JA3, computed from the raw ClientHello
//! bytes a server receives, with no TLS library.
//!
//! ```
//! use tollgate::fingerprint::{ClientHello, Transport, client_hello_len};
//!
//! // What a TLS 1.2 client sent: one record holding the ClientHello.
//! let mut record = vec![0x16, 0x03, 0x01, 0x00, 0x2d, 0x01, 0x00, 0x00, 0x29, 0x03, 0x03];
//! record.extend([0u8; 32]);
//! record.extend([0x00, 0x00, 0x02, 0xc0, 0x2f, 0x01, 0x00]);
//!
//! assert_eq!(client_hello_len(&record)?, Some(record.len()));
//! let hello = ClientHello::parse(&record)?;
//! assert_eq!(hello.ja4(Transport::Tcp).as_str(), "t12i010000_f06271c2b022_000000000000");
//! assert_eq!(hello.ja3_string(), "771,49199,,,");
//! # Ok::<(), tollgate::fingerprint::ClientHelloError>(())
//! ```
//!
//! * [`ClientHello::parse`] takes TLS records or a bare handshake message
//!   and never panics; a prefix gives [`ClientHelloError::Incomplete`].
//! * [`client_hello_len`] tells a network reader how many bytes to wait for;
//!   [`ClientHelloLen`] does so across reads without scanning twice.
//! * [`ClientHello::ja4`], [`ClientHello::ja4_r`], [`ClientHello::ja3`],
//!   [`ClientHello::ja3_string`] compute the fingerprints.

mod client_hello;
mod error;
mod grease;
mod ja3;
mod ja4;
mod reader;
mod records;

pub use client_hello::{ClientHello, MAX_EXTENSIONS};
pub use error::ClientHelloError;
pub use grease::is_grease;
pub use ja4::Transport;
pub use records::{ClientHelloLen, MAX_CLIENT_HELLO_LEN, MAX_RECORDS_LEN, client_hello_len};
