//! Reading the ClientHello off a fresh connection.
//!
//! ```
//! use tollgate_tls::capture::read_client_hello;
//!
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! // Not TLS: the bytes read so far come back with the reason.
//! let mut plain = &b"GET / HTTP/1.1\r\n\r\n"[..];
//! let captured = read_client_hello(&mut plain).await?;
//! assert!(captured.hello.is_err());
//! assert_eq!(captured.bytes, b"GET / HTTP/1.1\r\n\r\n");
//! # Ok::<(), std::io::Error>(())
//! # })?;
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt};
use tollgate::fingerprint::{ClientHello, ClientHelloError, client_hello_len};

/// What [`read_client_hello`] read.
#[derive(Debug)]
#[non_exhaustive]
pub struct Captured {
    /// Every byte read from the stream, to be replayed to the TLS library
    /// (it may hold more than the ClientHello).
    pub bytes: Vec<u8>,
    /// The parsed ClientHello, or why there is none.
    pub hello: Result<ClientHello, ClientHelloError>,
}

/// Reads from `io` until the records carrying the ClientHello are complete,
/// and parses it. Reads at most the few KiB a ClientHello takes, never more
/// than [`MAX_RECORDS_LEN`](tollgate::fingerprint::MAX_RECORDS_LEN); stops
/// early on bytes that cannot be one. An end of stream before the end of
/// the ClientHello gives [`ClientHelloError::Incomplete`]. Only I/O errors
/// are errors: a peer that sends garbage is the TLS library's to refuse.
/// Bound the time it may take with a timeout around the call.
pub async fn read_client_hello<IO: AsyncRead + Unpin>(io: &mut IO) -> io::Result<Captured> {
    let mut bytes = Vec::with_capacity(2048);
    loop {
        let want = match client_hello_len(&bytes) {
            Ok(Some(n)) if bytes.len() >= n => {
                let hello = bytes
                    .get(..n)
                    .map_or(Err(ClientHelloError::Incomplete), ClientHello::parse);
                return Ok(Captured { bytes, hello });
            }
            Ok(Some(n)) => n,
            // Headers incomplete: a record header is 5 bytes, a handshake
            // header 4 more; whatever arrives next is read.
            Ok(None) => bytes.len() + 9,
            Err(e) => return Ok(Captured { bytes, hello: Err(e) }),
        };
        bytes.reserve(want.saturating_sub(bytes.len()));
        let read = io.read_buf(&mut bytes).await?;
        if read == 0 {
            return Ok(Captured {
                bytes,
                hello: Err(ClientHelloError::Incomplete),
            });
        }
    }
}
