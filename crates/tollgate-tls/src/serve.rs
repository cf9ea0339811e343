//! An accept loop serving any tower service (an axum `Router`) over TLS
//! with native fingerprints, on hyper (HTTP/1.1 and HTTP/2 by ALPN).
//!
//! Each request carries, in its extensions, the connection's
//! [`ConnectionFingerprints`], a [`PeerAddr`] and the peer's
//! `SocketAddr`: the tollgate layer reads them from there.
//!
//! Every connection is bounded, so that clients that connect and stall
//! (slowloris) cannot hold the server's connections for ever. The defaults
//! ([`ServeConfig::default`]); [`serve_with`] takes others:
//!
//! | limit | default | what happens |
//! |---|---|---|
//! | TLS handshake | 10 s (the [`Acceptor`]'s) | ClientHello and handshake not done: closed |
//! | HTTP/1.1 request head | 10 s | head not read whole, or no next request on a kept-alive connection: closed |
//! | idle | 60 s | no byte read or written while the server waits on the client: closed |
//! | HTTP/2 keep-alive | off; 20 s for the ping's answer when on | a peer that does not answer a ping: closed |
//! | concurrent connections | 1024 | more wait in the listen backlog (not accepted) until one ends |
//! | HTTP/2 streams per connection | 100 | more are refused by the HTTP/2 layer |
//! | shutdown grace | 10 s | connections still open then are dropped |
//!
//! ```no_run
//! use std::sync::Arc;
//! use axum::{Router, routing::get};
//! use tollgate::{Engine, EventKind, policy::Policy};
//! use tollgate_tls::{Acceptor, serve::serve};
//!
//! # async fn run(tls: rustls::ServerConfig) -> Result<(), Box<dyn std::error::Error>> {
//! let engine = Arc::new(Engine::new(Policy::default())?);
//! let app = Router::new()
//!     .route("/login", get(|| async { "ok" }))
//!     .layer(tollgate_axum::layer(engine).protect("/login", EventKind::Login));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8443").await?;
//! serve(listener, Acceptor::new(Arc::new(tls)), app).await?;
//! # Ok(())
//! # }
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tollgate_tower::{ConnectionFingerprints, PeerAddr};
use tower_service::Service;

use crate::acceptor::Acceptor;
use crate::idle::IdleTimeout;

/// The bounds [`serve_with`] puts on each connection and on their number.
///
/// ```
/// use std::time::Duration;
/// use tollgate_tls::serve::ServeConfig;
///
/// let config = ServeConfig::default()
///     .with_max_connections(10_000)
///     .with_idle_timeout(Duration::from_secs(120));
/// assert_eq!(config.max_connections(), 10_000);
/// assert_eq!(config.header_read_timeout(), Duration::from_secs(10));
/// ```
#[derive(Debug, Clone)]
pub struct ServeConfig {
    handshake_timeout: Option<Duration>,
    header_read_timeout: Duration,
    idle_timeout: Duration,
    http2_keep_alive_interval: Option<Duration>,
    http2_keep_alive_timeout: Duration,
    max_connections: usize,
    max_concurrent_streams: u32,
    shutdown_grace: Duration,
}

impl Default for ServeConfig {
    /// The defaults in the [module documentation](self).
    fn default() -> Self {
        ServeConfig {
            handshake_timeout: None,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            http2_keep_alive_interval: None,
            http2_keep_alive_timeout: Duration::from_secs(20),
            max_connections: 1024,
            max_concurrent_streams: 100,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

impl ServeConfig {
    /// Bounds the ClientHello plus the TLS handshake, in place of the
    /// [`Acceptor`]'s own bound (10 s unless set with
    /// [`Acceptor::with_handshake_timeout`]). A client that connects and
    /// sends nothing is closed after it.
    #[must_use]
    pub fn with_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = Some(timeout);
        self
    }

    /// Bounds reading an HTTP/1.1 request head (default 10 s); on a
    /// kept-alive connection the wait for the next request counts, so it
    /// is also the HTTP/1.1 keep-alive timeout.
    #[must_use]
    pub fn with_header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Closes a connection once no byte has been read from or written to
    /// it for `timeout` while the server waits on the client (default
    /// 60 s). It covers what the head timeout does not: silence after the
    /// handshake, a stalled HTTP/2 preface or request body, a client that
    /// stops reading responses. A handler that runs longer than this
    /// without sending anything is cut off with its connection.
    #[must_use]
    pub fn with_idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Sends HTTP/2 pings every `interval` and closes the connection when
    /// one is not answered within `timeout` (default: no pings; 20 s).
    /// Answered pings are traffic, so they keep a connection open past the
    /// idle timeout: turn them on for long quiet streams (server-sent
    /// events), where a dead peer should still be noticed.
    #[must_use]
    pub fn with_http2_keep_alive(mut self, interval: Duration, timeout: Duration) -> Self {
        self.http2_keep_alive_interval = Some(interval);
        self.http2_keep_alive_timeout = timeout;
        self
    }

    /// The most connections served at once, handshakes included (default
    /// 1024, at least 1). Past it the server stops accepting: new clients
    /// wait in the listen backlog, then the kernel refuses them, until a
    /// connection ends.
    #[must_use]
    pub fn with_max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// The most concurrent HTTP/2 streams a client may open on one
    /// connection (default 100).
    #[must_use]
    pub fn with_max_concurrent_streams(mut self, max: u32) -> Self {
        self.max_concurrent_streams = max;
        self
    }

    /// How long a shutdown waits for requests in flight (default 10 s).
    #[must_use]
    pub fn with_shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// The handshake bound, when it replaces the acceptor's.
    pub fn handshake_timeout(&self) -> Option<Duration> {
        self.handshake_timeout
    }

    /// The HTTP/1.1 request head bound.
    pub fn header_read_timeout(&self) -> Duration {
        self.header_read_timeout
    }

    /// The idle bound.
    pub fn idle_timeout(&self) -> Duration {
        self.idle_timeout
    }

    /// The HTTP/2 ping interval (`None`: no pings) and answer bound.
    pub fn http2_keep_alive(&self) -> (Option<Duration>, Duration) {
        (self.http2_keep_alive_interval, self.http2_keep_alive_timeout)
    }

    /// The bound on concurrent connections.
    pub fn max_connections(&self) -> usize {
        self.max_connections
    }

    /// The bound on concurrent HTTP/2 streams per connection.
    pub fn max_concurrent_streams(&self) -> u32 {
        self.max_concurrent_streams
    }

    /// The shutdown grace period.
    pub fn shutdown_grace(&self) -> Duration {
        self.shutdown_grace
    }

    fn http(&self) -> auto::Builder<TokioExecutor> {
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(self.header_read_timeout);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_concurrent_streams(self.max_concurrent_streams)
            .keep_alive_interval(self.http2_keep_alive_interval)
            .keep_alive_timeout(self.http2_keep_alive_timeout);
        builder
    }
}

/// Serves `service` on `listener` over TLS until the process ends, with
/// the default [`ServeConfig`].
pub async fn serve<S, B>(listener: TcpListener, acceptor: Acceptor, service: S) -> io::Result<()>
where
    S: Service<Request<Incoming>, Response = Response<B>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    serve_with(
        listener,
        acceptor,
        service,
        ServeConfig::default(),
        std::future::pending(),
    )
    .await
}

/// Like [`serve`], until `signal` completes: then it stops accepting, lets
/// the connections finish their requests in flight (for at most the
/// default grace, 10 s) and returns.
pub async fn serve_with_shutdown<S, B>(
    listener: TcpListener,
    acceptor: Acceptor,
    service: S,
    signal: impl Future<Output = ()>,
) -> io::Result<()>
where
    S: Service<Request<Incoming>, Response = Response<B>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    serve_with(listener, acceptor, service, ServeConfig::default(), signal).await
}

/// Serves `service` on `listener` over TLS with the bounds of `config`,
/// until `signal` completes (`std::future::pending()` for never): then it
/// stops accepting, lets the connections finish their requests in flight
/// for at most [`ServeConfig::shutdown_grace`] and returns.
pub async fn serve_with<S, B>(
    listener: TcpListener,
    acceptor: Acceptor,
    service: S,
    config: ServeConfig,
    signal: impl Future<Output = ()>,
) -> io::Result<()>
where
    S: Service<Request<Incoming>, Response = Response<B>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let acceptor = match config.handshake_timeout {
        Some(timeout) => acceptor.with_handshake_timeout(timeout),
        None => acceptor,
    };
    let http = config.http();
    // A slot is taken before accepting, so past the bound clients wait in
    // the kernel's backlog and cost this process nothing.
    let slots = Arc::new(Semaphore::new(config.max_connections));
    let graceful = GracefulShutdown::new();
    let mut signal = std::pin::pin!(signal);
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                // Never closed while this loop holds it.
                Err(_) => break,
            },
            () = &mut signal => break,
        };
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of descriptors and the like: back off, keep serving.
                    tracing::warn!(error = %e, "tollgate-tls: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut signal => break,
        };
        let acceptor = acceptor.clone();
        let service = service.clone();
        let http = http.clone();
        let idle_timeout = config.idle_timeout;
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _slot = slot;
            let connection = match acceptor.accept(tcp).await {
                Ok(c) => c,
                Err(e) => {
                    tracing::debug!(%peer, error = %e, "tollgate-tls: connection not accepted");
                    return;
                }
            };
            let service = WithConnection {
                inner: service,
                fingerprints: connection.fingerprints,
                peer,
            };
            let io = TokioIo::new(IdleTimeout::new(connection.stream, idle_timeout));
            let conn = http.serve_connection_with_upgrades(io, TowerToHyperService::new(service));
            if let Err(e) = watcher.watch(conn.into_owned()).await {
                tracing::debug!(%peer, error = %e, "tollgate-tls: connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(config.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("tollgate-tls: connections still open after the grace period");
    }
    Ok(())
}

/// Puts the connection's fingerprints and peer into each request.
#[derive(Clone, Debug)]
struct WithConnection<S> {
    inner: S,
    fingerprints: ConnectionFingerprints,
    peer: SocketAddr,
}

impl<S, ReqBody> Service<Request<ReqBody>> for WithConnection<S>
where
    S: Service<Request<ReqBody>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let extensions = request.extensions_mut();
        extensions.insert(self.fingerprints.clone());
        extensions.insert(PeerAddr(self.peer.ip()));
        extensions.insert(self.peer);
        self.inner.call(request)
    }
}
