//! Why bytes could not be read as a TLS ClientHello.
//!
//! ```
//! use tollgate::fingerprint::{ClientHello, ClientHelloError};
//!
//! // A record header announcing a handshake, and nothing else yet.
//! assert_eq!(ClientHello::parse(&[0x16, 0x03, 0x01]).unwrap_err(), ClientHelloError::Incomplete);
//! // Plain HTTP is not TLS.
//! assert_eq!(ClientHello::parse(b"GET / HTTP/1.1\r\n").unwrap_err(), ClientHelloError::NotHandshake);
//! ```

/// Why bytes could not be read as a TLS ClientHello.
///
/// Only [`Incomplete`](ClientHelloError::Incomplete) means "read more and
/// retry"; every other variant is final for the connection.
#[non_exhaustive]
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum ClientHelloError {
    /// The bytes are a consistent prefix of a ClientHello: more are needed.
    #[error("incomplete ClientHello: more bytes needed")]
    Incomplete,
    /// The bytes start neither a TLS handshake record (`0x16 0x03`) nor a
    /// handshake message.
    #[error("not a TLS handshake")]
    NotHandshake,
    /// A handshake, but its first message is not a ClientHello.
    #[error("handshake message type {0} is not a ClientHello")]
    NotClientHello(u8),
    /// A length or field is inconsistent; `what` names the part.
    #[error("malformed ClientHello: {what}")]
    Malformed {
        /// The part that is inconsistent, e.g. `"cipher_suites"`.
        what: &'static str,
    },
    /// The ClientHello, or the records carrying it, exceed the hard caps
    /// [`MAX_CLIENT_HELLO_LEN`](super::MAX_CLIENT_HELLO_LEN) and
    /// [`MAX_RECORDS_LEN`](super::MAX_RECORDS_LEN).
    #[error("ClientHello larger than the accepted maximum")]
    TooLarge,
    /// The ClientHello lists more than
    /// [`MAX_EXTENSIONS`](super::MAX_EXTENSIONS) extensions.
    #[error("ClientHello with more extensions than the accepted maximum")]
    TooManyExtensions,
}

impl ClientHelloError {
    pub(super) const fn malformed(what: &'static str) -> Self {
        ClientHelloError::Malformed { what }
    }
}
