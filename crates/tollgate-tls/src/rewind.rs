//! A stream that first replays bytes already read from it.
//!
//! The acceptor reads the ClientHello off the socket to fingerprint it; the
//! TLS library must still see those bytes, so the connection is handed on
//! as a [`Rewind`] that yields them again before reading the socket.
//!
//! ```
//! use tokio::io::AsyncReadExt;
//! use tollgate_tls::Rewind;
//!
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! let mut stream = Rewind::new(b"hello, ".to_vec(), &b"world"[..]);
//! let mut all = String::new();
//! stream.read_to_string(&mut all).await?;
//! assert_eq!(all, "hello, world");
//! # Ok::<(), std::io::Error>(())
//! # })?;
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::io::forward_async_write;

/// `inner`, preceded by bytes already read from it.
#[derive(Debug)]
pub struct Rewind<IO> {
    prefix: Vec<u8>,
    pos: usize,
    inner: IO,
}

impl<IO> Rewind<IO> {
    /// A stream that yields `prefix`, then reads `inner`.
    pub fn new(prefix: Vec<u8>, inner: IO) -> Self {
        Rewind { prefix, pos: 0, inner }
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &IO {
        &self.inner
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Rewind<IO> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if let Some(rest) = this.prefix.get(this.pos..).filter(|rest| !rest.is_empty()) {
            let n = rest.len().min(buf.remaining());
            buf.put_slice(rest.get(..n).unwrap_or_default());
            this.pos += n;
            if this.pos >= this.prefix.len() {
                // Replayed: give the memory back for the connection's lifetime.
                this.prefix = Vec::new();
                this.pos = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Rewind<IO> {
    forward_async_write!(inner);
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt;

    use super::*;

    #[tokio::test]
    async fn small_reads_see_the_prefix_then_the_stream() {
        let mut stream = Rewind::new(b"abc".to_vec(), &b"def"[..]);
        let mut one = [0u8; 2];
        stream.read_exact(&mut one).await.unwrap();
        assert_eq!(&one, b"ab");
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"cdef");
    }

    #[tokio::test]
    async fn an_empty_prefix_reads_straight_through() {
        let mut stream = Rewind::new(Vec::new(), &b"xyz"[..]);
        let mut all = Vec::new();
        stream.read_to_end(&mut all).await.unwrap();
        assert_eq!(all, b"xyz");
    }
}
