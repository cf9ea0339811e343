//! The fingerprinting TLS acceptor: ClientHello first, then rustls.
//!
//! ```no_run
//! use std::sync::Arc;
//! use tollgate_tls::Acceptor;
//!
//! # async fn run(config: rustls::ServerConfig) -> Result<(), Box<dyn std::error::Error>> {
//! let acceptor = Acceptor::new(Arc::new(config));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8443").await?;
//! let (tcp, peer) = listener.accept().await?;
//! let connection = acceptor.accept(tcp).await?;
//! println!("{peer}: {:?}", connection.fingerprints.ja4);
//! // Serve HTTP on `connection.stream`; put `connection.fingerprints`
//! // into each request's extensions (the `serve` feature does both).
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tollgate::fingerprint::{ClientHello, ClientHelloError, Transport};
use tollgate_tower::ConnectionFingerprints;

use crate::capture::read_client_hello;
use crate::io::forward_async_write;
use crate::rewind::Rewind;
use crate::sniff::Http2Sniffer;

/// The decrypted stream of an accepted connection.
pub type FingerprintedStream<IO> = Http2Sniffer<tokio_rustls::server::TlsStream<Rewind<IO>>>;

/// Why a connection was not accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AcceptError {
    /// Reading the ClientHello failed (the peer went away, a socket error).
    #[error("reading the ClientHello: {0}")]
    Read(#[source] io::Error),
    /// rustls refused the handshake, or the connection failed during it.
    #[error("TLS handshake: {0}")]
    Handshake(#[source] io::Error),
    /// The ClientHello and the handshake took longer than the timeout.
    #[error("TLS handshake not finished within {0:?}")]
    Timeout(Duration),
}

/// A TLS connection accepted by [`Acceptor::accept`].
#[non_exhaustive]
pub struct TlsConnection<IO> {
    /// The decrypted stream: serve HTTP on it.
    pub stream: FingerprintedStream<IO>,
    /// JA4 and JA3 of the ClientHello (`None` when it could not be parsed,
    /// though rustls accepted it), and the HTTP/2 fingerprint once the
    /// client's first HEADERS frame has been read (negotiated `h2` only).
    pub fingerprints: ConnectionFingerprints,
    /// The parsed ClientHello, for SNI, ALPN and the raw lists.
    pub client_hello: Option<ClientHello>,
}

impl<IO> fmt::Debug for TlsConnection<IO> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConnection")
            .field("fingerprints", &self.fingerprints)
            .field("client_hello", &self.client_hello)
            .finish_non_exhaustive()
    }
}

/// The connection reads and writes as its decrypted [`stream`](TlsConnection::stream),
/// so it can be handed whole to an HTTP server that needs the fingerprints
/// from the connection object (actix-web's `on_connect`).
impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsConnection<IO> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsConnection<IO> {
    forward_async_write!(stream);
}

impl<IO> TlsConnection<IO> {
    /// Whether the client and server agreed on HTTP/2 by ALPN.
    pub fn is_http2(&self) -> bool {
        self.stream.get_ref().get_ref().1.alpn_protocol() == Some(b"h2")
    }
}

/// Accepts TLS connections with rustls, fingerprinting each client's
/// ClientHello on the way: the bytes are read off the socket, parsed, and
/// replayed to rustls, which sees the connection unchanged.
#[derive(Clone)]
pub struct Acceptor {
    tls: tokio_rustls::TlsAcceptor,
    handshake_timeout: Duration,
}

impl fmt::Debug for Acceptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acceptor")
            .field("handshake_timeout", &self.handshake_timeout)
            .finish_non_exhaustive()
    }
}

impl Acceptor {
    /// The default bound on reading the ClientHello plus the handshake.
    pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

    /// An acceptor with `config`. Offer `h2` in its ALPN protocols to get
    /// HTTP/2 fingerprints.
    pub fn new(config: Arc<ServerConfig>) -> Self {
        Acceptor {
            tls: tokio_rustls::TlsAcceptor::from(config),
            handshake_timeout: Self::DEFAULT_HANDSHAKE_TIMEOUT,
        }
    }

    /// Bounds the time from the first byte read to the finished handshake,
    /// so a slow client cannot hold a connection open half-way.
    #[must_use]
    pub fn with_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Reads the ClientHello from `io`, completes the TLS handshake with
    /// rustls, and returns the decrypted stream with the fingerprints.
    pub async fn accept<IO>(&self, io: IO) -> Result<TlsConnection<IO>, AcceptError>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        tokio::time::timeout(self.handshake_timeout, self.accept_unbounded(io))
            .await
            .unwrap_or(Err(AcceptError::Timeout(self.handshake_timeout)))
    }

    async fn accept_unbounded<IO>(&self, mut io: IO) -> Result<TlsConnection<IO>, AcceptError>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let captured = read_client_hello(&mut io).await.map_err(AcceptError::Read)?;
        let client_hello = match captured.hello {
            Ok(hello) => Some(hello),
            Err(e) => {
                log_unparsed(&e);
                None
            }
        };
        let tls = self
            .tls
            .accept(Rewind::new(captured.bytes, io))
            .await
            .map_err(AcceptError::Handshake)?;
        let slot = Arc::new(OnceLock::new());
        let mut fingerprints = ConnectionFingerprints::new(
            client_hello.as_ref().map(|h| h.ja4(Transport::Tcp)),
            client_hello.as_ref().map(ClientHello::ja3),
            None,
        )
        .with_http2_slot(Arc::clone(&slot));
        if let Some(hello) = &client_hello {
            fingerprints = fingerprints.with_tls_shape(hello.shape(Transport::Tcp));
        }
        let stream = if tls.get_ref().1.alpn_protocol() == Some(b"h2") {
            Http2Sniffer::new(tls, slot)
        } else {
            Http2Sniffer::passthrough(tls, slot)
        };
        Ok(TlsConnection {
            stream,
            fingerprints,
            client_hello,
        })
    }
}

fn log_unparsed(error: &ClientHelloError) {
    // rustls decides whether the bytes are a handshake it accepts; a
    // ClientHello we cannot parse only means no fingerprint.
    tracing::debug!(%error, "tollgate-tls: ClientHello not fingerprinted");
}
