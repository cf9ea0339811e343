//! Client fingerprints computed from what the client sent: the TLS
//! ClientHello (JA4, JA3).
//!
//! ```
//! use tollgate::fingerprint::{ClientHello, ClientHelloError};
//!
//! // A handshake record header and nothing more: read more and retry.
//! assert_eq!(ClientHello::parse(&[0x16, 0x03, 0x01, 0x02, 0x00]), Err(ClientHelloError::Incomplete));
//! ```

mod tls;

pub use tls::{
    ClientHello, ClientHelloError, MAX_CLIENT_HELLO_LEN, MAX_RECORDS_LEN, Transport, client_hello_len, is_grease,
};
