//! An accept loop serving any tower service (an axum `Router`) over TLS
//! with native fingerprints, on hyper (HTTP/1.1 and HTTP/2 by ALPN).
//!
//! Each request carries, in its extensions, the connection's
//! [`ConnectionFingerprints`], a [`PeerAddr`] and the peer's
//! `SocketAddr`: the tollgate layer reads them from there.
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
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tollgate_tower::{ConnectionFingerprints, PeerAddr};
use tower_service::Service;

use crate::acceptor::Acceptor;

/// Serves `service` on `listener` over TLS until the process ends.
pub async fn serve<S, B>(listener: TcpListener, acceptor: Acceptor, service: S) -> io::Result<()>
where
    S: Service<Request<Incoming>, Response = Response<B>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    serve_with_shutdown(listener, acceptor, service, std::future::pending()).await
}

/// Like [`serve`], until `signal` completes: then it stops accepting, lets
/// the connections finish their requests in flight (for at most
/// `GRACE`, 10 s) and returns.
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
    const GRACE: Duration = Duration::from_secs(10);
    let graceful = GracefulShutdown::new();
    let mut signal = std::pin::pin!(signal);
    loop {
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
        let watcher = graceful.watcher();
        tokio::spawn(async move {
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
            let builder = auto::Builder::new(TokioExecutor::new());
            let conn = builder
                .serve_connection_with_upgrades(TokioIo::new(connection.stream), TowerToHyperService::new(service));
            if let Err(e) = watcher.watch(conn.into_owned()).await {
                tracing::debug!(%peer, error = %e, "tollgate-tls: connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(GRACE, graceful.shutdown()).await.is_err() {
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
