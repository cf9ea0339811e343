//! Reading the HTTP/2 fingerprint from the client's first frames as the
//! HTTP server reads them.
//!
//! [`Http2Sniffer`] sits between the decrypted stream and the HTTP/2
//! server: every byte the server reads also goes to a
//! [`Http2Preface`](tollgate::fingerprint::Http2Preface) until the first
//! HEADERS block is complete, and the fingerprint lands in a slot shared
//! with the connection's [`ConnectionFingerprints`]. The server parses the
//! HEADERS frame only after reading it, so by the time the first request
//! reaches a handler the slot is filled. Nothing is buffered or delayed.
//!
//! ```
//! use std::sync::{Arc, OnceLock};
//! use tokio::io::AsyncReadExt;
//! use tollgate_tls::Http2Sniffer;
//!
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! let slot = Arc::new(OnceLock::new());
//! let mut stream = Http2Sniffer::new(&b"GET / HTTP/1.1\r\n\r\n"[..], Arc::clone(&slot));
//! let mut all = Vec::new();
//! stream.read_to_end(&mut all).await?;
//! assert_eq!(all, b"GET / HTTP/1.1\r\n\r\n", "passed through untouched");
//! assert!(slot.get().is_none(), "not HTTP/2: no fingerprint");
//! # Ok::<(), std::io::Error>(())
//! # })?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! [`ConnectionFingerprints`]: tollgate_tower::ConnectionFingerprints

use std::io;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use tollgate::Http2Fingerprint;
use tollgate::fingerprint::Http2Preface;

use crate::io::forward_async_write;

/// A stream that fingerprints the HTTP/2 frames read through it.
#[derive(Debug)]
pub struct Http2Sniffer<IO> {
    inner: IO,
    /// `None` once the fingerprint is known or the bytes are not HTTP/2.
    reader: Option<Box<Http2Preface>>,
    slot: Arc<OnceLock<Http2Fingerprint>>,
}

impl<IO> Http2Sniffer<IO> {
    /// Wraps `inner`; the fingerprint, once read, goes into `slot`.
    pub fn new(inner: IO, slot: Arc<OnceLock<Http2Fingerprint>>) -> Self {
        Http2Sniffer {
            inner,
            reader: Some(Box::new(Http2Preface::new())),
            slot,
        }
    }

    /// A stream that reads nothing (for connections that are not HTTP/2).
    pub fn passthrough(inner: IO, slot: Arc<OnceLock<Http2Fingerprint>>) -> Self {
        Http2Sniffer {
            inner,
            reader: None,
            slot,
        }
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &IO {
        &self.inner
    }

    fn observe(&mut self, bytes: &[u8]) {
        let Some(reader) = self.reader.as_mut() else {
            return;
        };
        match reader.feed(bytes) {
            Ok(None) => {}
            Ok(Some(fingerprint)) => {
                let _ = self.slot.set(fingerprint);
                self.reader = None;
            }
            Err(e) => {
                // The HTTP/2 server will answer the protocol error itself.
                tracing::debug!(error = %e, "tollgate-tls: no HTTP/2 fingerprint for this connection");
                self.reader = None;
            }
        }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Http2Sniffer<IO> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            if let Some(new) = buf.filled().get(before..) {
                this.observe(new);
            }
        }
        polled
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Http2Sniffer<IO> {
    forward_async_write!(inner);
}
