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
use tollgate::fingerprint::{ClientHello, ClientHelloError, ClientHelloLen};

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
///
/// Each read only adds to what earlier reads told (a [`ClientHelloLen`]
/// keeps the records already read), so a client that trickles its hello
/// in tiny records costs work in proportion to its bytes.
pub async fn read_client_hello<IO: AsyncRead + Unpin>(io: &mut IO) -> io::Result<Captured> {
    read_with(io, &mut ClientHelloLen::new()).await
}

async fn read_with<IO: AsyncRead + Unpin>(io: &mut IO, framing: &mut ClientHelloLen) -> io::Result<Captured> {
    let mut bytes = Vec::with_capacity(2048);
    loop {
        let want = match framing.update(&bytes) {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use std::pin::Pin;
    use std::task::{Context, Poll};

    use tokio::io::ReadBuf;

    use super::*;

    /// Yields its bytes at most `step` at a time.
    struct Trickle {
        bytes: Vec<u8>,
        pos: usize,
        step: usize,
        reads: usize,
    }

    impl AsyncRead for Trickle {
        fn poll_read(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
            let end = (self.pos + self.step.min(buf.remaining())).min(self.bytes.len());
            buf.put_slice(&self.bytes[self.pos..end]);
            self.pos = end;
            self.reads += 1;
            Poll::Ready(Ok(()))
        }
    }

    /// A ClientHello handshake message with SNI, ALPN and a few hundred
    /// bytes of padding, so it spans many small records.
    fn message() -> Vec<u8> {
        let mut body = vec![0x03, 0x03];
        body.extend([1u8; 32]);
        body.extend([0x00, 0x00, 0x04, 0x13, 0x01, 0x13, 0x02, 0x01, 0x00]);
        let exts: Vec<u8> = [
            &[0x00, 0x00, 0x00, 0x0e, 0x00, 0x0c, 0x00, 0x00, 0x09][..],
            b"localhost",
            &[0x00, 0x10, 0x00, 0x05, 0x00, 0x03, 0x02, b'h', b'2'],
            &[0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04],
            &[0x00, 0x15, 0x01, 0x90],
            &[0u8; 0x190],
        ]
        .concat();
        body.extend(u16::try_from(exts.len()).unwrap().to_be_bytes());
        body.extend(exts);
        let len = u32::try_from(body.len()).unwrap().to_be_bytes();
        [&[0x01, len[1], len[2], len[3]][..], &body].concat()
    }

    fn in_records(message: &[u8], size: usize) -> Vec<u8> {
        message
            .chunks(size)
            .flat_map(|chunk| {
                let len = u16::try_from(chunk.len()).unwrap().to_be_bytes();
                [&[0x16, 0x03, 0x01, len[0], len[1]][..], chunk].concat()
            })
            .collect()
    }

    #[tokio::test]
    async fn tiny_reads_and_records_give_the_same_hello_for_linear_work() {
        let message = message();
        let expected = ClientHello::parse(&message).unwrap();
        assert_eq!(expected.sni(), Some("localhost"));
        for (record_size, step) in [(16_384, 1), (1, 1), (1, 4096), (3, 7), (1, 6)] {
            let input = in_records(&message, record_size);
            let mut io = Trickle {
                bytes: input.clone(),
                pos: 0,
                step,
                reads: 0,
            };
            let mut framing = ClientHelloLen::new();
            let captured = read_with(&mut io, &mut framing).await.unwrap();
            let case = format!("records of {record_size}, reads of {step}");
            assert_eq!(captured.hello.as_ref(), Ok(&expected), "{case}");
            assert_eq!(captured.bytes, input, "{case}");
            // Every header byte is read about once whatever the number of
            // reads; rescanning after each read would cost reads x records.
            assert!(io.reads >= input.len() / step, "{case}");
            assert!(
                framing.scanned() <= 2 * input.len(),
                "{case}: {} header bytes scanned for {} bytes in {} reads",
                framing.scanned(),
                input.len(),
                io.reads
            );
        }
    }
}
