//! Native client fingerprints for Rust TLS servers.
//!
//! A TLS-terminating proxy in front of a service can pass the client's
//! JA4 in a header; a service that terminates TLS itself has no one to ask.
//! [`Acceptor`] reads the ClientHello off each TCP connection before
//! rustls does (without consuming it: the bytes are replayed), computes
//! JA4 and JA3 with tollgate's own parser, completes the handshake with
//! rustls, and — when the client negotiated HTTP/2 — reads the Akamai
//! HTTP/2 fingerprint from the client's first frames as the HTTP server
//! reads them ([`Http2Sniffer`]). The fingerprints travel with the
//! connection as a [`ConnectionFingerprints`], which the tollgate layers
//! (tower/axum, actix-web) read from each request.
//!
//! * [`Acceptor`]: accept one connection (any `AsyncRead + AsyncWrite`).
//! * [`serve`] (feature `serve`): an accept loop on hyper for any tower
//!   service, e.g. an axum `Router`, HTTP/1.1 and HTTP/2, with bounds on
//!   every connection (handshake 10 s, request head 10 s, idle 60 s) and
//!   on their number (1024, 100 HTTP/2 streams each), configurable with
//!   [`ServeConfig`].
//! * [`self_signed`] (feature `self-signed`): a throw-away certificate for
//!   demos and tests.
//! * actix-web: `tollgate-actix` (feature `tls`) builds its server on this
//!   acceptor.
//!
//! ```
//! use std::sync::Arc;
//! use tollgate_tls::Acceptor;
//!
//! let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
//!     .with_safe_default_protocol_versions()?
//!     .with_no_client_auth()
//!     .with_cert_resolver(Arc::new(rustls::server::ResolvesServerCertUsingSni::new()));
//! let acceptor = Acceptor::new(Arc::new(config));
//! assert_eq!(format!("{acceptor:?}"), "Acceptor { handshake_timeout: 10s, .. }");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! rustls uses the `ring` crypto provider here: rustls' default,
//! aws-lc-rs, needs cmake and a C toolchain to build.
//!
//! [`serve`]: crate::serve
//! [`self_signed`]: crate::self_signed
//! [`ServeConfig`]: crate::serve::ServeConfig
//! [`ConnectionFingerprints`]: tollgate_tower::ConnectionFingerprints

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod acceptor;
pub mod capture;
#[cfg(feature = "serve")]
mod idle;
mod io;
mod rewind;
#[cfg(feature = "self-signed")]
pub mod self_signed;
#[cfg(feature = "serve")]
pub mod serve;
mod sniff;

pub use acceptor::{AcceptError, Acceptor, FingerprintedStream, TlsConnection};
pub use rewind::Rewind;
pub use sniff::Http2Sniffer;
