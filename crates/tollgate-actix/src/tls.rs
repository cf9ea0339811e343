//! actix-web over TLS with native fingerprints (feature `tls`).
//!
//! actix-web's own `bind_rustls` hands the raw connection straight to
//! rustls, so nothing can read the ClientHello first. [`listen_tls`] builds
//! the same HTTP service on [`tollgate_tls::Acceptor`] instead: each
//! connection's JA4, JA3 and (HTTP/2) fingerprint become connection data
//! that the [`Tollgate`](crate::Tollgate) middleware reads.
//!
//! ```no_run
//! use std::sync::Arc;
//! use actix_web::{App, HttpResponse, web};
//! use tollgate::{Engine, EventKind, policy::Policy};
//! use tollgate_actix::Tollgate;
//! use tollgate_tls::Acceptor;
//!
//! #[actix_web::main]
//! async fn main() -> std::io::Result<()> {
//!     let engine = Arc::new(Engine::new(Policy::default()).map_err(std::io::Error::other)?);
//!     let tollgate = Tollgate::from_engine(engine).protect("/login", EventKind::Login);
//!     let listener = std::net::TcpListener::bind("127.0.0.1:8443")?;
//!     // A demo certificate; a real service loads its own into a rustls::ServerConfig.
//!     let demo = tollgate_tls::self_signed::SelfSigned::generate(["localhost"]).map_err(std::io::Error::other)?;
//!     let acceptor = Acceptor::new(Arc::new(demo.server_config().map_err(std::io::Error::other)?));
//!     let app = move || App::new().wrap(tollgate.clone()).route("/login", web::post().to(HttpResponse::Ok));
//!     tollgate_actix::tls::listen_tls(actix_web::dev::Server::build(), listener, acceptor, app)?
//!         .run()
//!         .await
//! }
//! ```
//!
//! The app sees `ConnectionInfo::scheme()` as `http`: actix-web offers no
//! public way to tell an app built outside `HttpServer` that its
//! connection is secure.

use std::fmt;
use std::io;
use std::net::TcpListener;

use actix_http::body::MessageBody;
use actix_http::{HttpService, Protocol, Request, Response};
use actix_server::ServerBuilder;
use actix_service::{IntoServiceFactory, Service, ServiceFactory, ServiceFactoryExt, fn_service, map_config};
use actix_web::Error;
use actix_web::dev::AppConfig;
use tokio::net::TcpStream;
use tollgate_tls::{AcceptError, Acceptor, TlsConnection};

/// Why a connection served by [`listen_tls`] ended early.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectionError {
    /// The TLS acceptor refused it (not TLS, handshake failed, too slow).
    #[error("TLS: {0}")]
    Accept(AcceptError),
    /// The HTTP dispatcher failed.
    #[error("HTTP: {0}")]
    Http(actix_http::error::DispatchError),
}

/// Adds `listener` to `builder`, serving the apps `factory` makes over
/// TLS with native fingerprints (HTTP/2 when the client offers `h2` and the
/// acceptor's configuration lists it in its ALPN protocols). Start the
/// server with `builder.run()`.
pub fn listen_tls<F, I, S, B>(
    builder: ServerBuilder,
    listener: TcpListener,
    acceptor: Acceptor,
    factory: F,
) -> io::Result<ServerBuilder>
where
    F: Fn() -> I + Send + Clone + 'static,
    I: IntoServiceFactory<S, Request>,
    S: ServiceFactory<Request, Config = AppConfig> + 'static,
    S::Error: Into<Error> + 'static,
    S::InitError: fmt::Debug,
    S::Response: Into<Response<B>> + 'static,
    <S::Service as Service<Request>>::Future: 'static,
    S::Service: 'static,
    B: MessageBody + 'static,
{
    let addr = listener.local_addr()?;
    builder.listen(format!("tollgate-tls-{addr}"), listener, move || {
        let acceptor = acceptor.clone();
        let accept = fn_service(move |tcp: TcpStream| {
            let acceptor = acceptor.clone();
            async move {
                let peer = tcp.peer_addr().ok();
                let connection = acceptor.accept(tcp).await.map_err(ConnectionError::Accept)?;
                let protocol = if connection.is_http2() {
                    Protocol::Http2
                } else {
                    Protocol::Http1
                };
                Ok::<_, ConnectionError>((connection, protocol, peer))
            }
        });
        let app = factory().into_factory().map_err(|err| err.into().error_response());
        let http = HttpService::build()
            .local_addr(addr)
            .on_connect_ext(|connection: &TlsConnection<TcpStream>, data| {
                data.insert(connection.fingerprints.clone());
            })
            .finish(map_config(app, move |()| AppConfig::default()))
            .map_err(ConnectionError::Http);
        accept.and_then(http)
    })
}
