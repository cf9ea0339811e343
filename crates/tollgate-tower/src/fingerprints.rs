//! Fingerprints captured from the connection itself rather than from
//! headers: the TLS acceptor's ClientHello (JA4, JA3) and the client's first
//! HTTP/2 frames.
//!
//! A server that captures them (e.g. with `tollgate-tls`) puts a
//! [`ConnectionFingerprints`] into each request's extensions (actix-web:
//! the connection data) before the layer runs; its values win over the
//! fingerprint headers of a trusted proxy.
//!
//! ```
//! use std::sync::{Arc, OnceLock};
//! use tollgate_tower::ConnectionFingerprints;
//!
//! // The HTTP/2 fingerprint is known only once the client's first HEADERS
//! // frame has been read: the acceptor hands out a slot it fills later.
//! let slot = Arc::new(OnceLock::new());
//! let native = ConnectionFingerprints::new(Some("t13d1516h2_8daaf6152771_02713d6af862".parse()?), None, None)
//!     .with_http2_slot(Arc::clone(&slot));
//! assert!(native.http2().is_none());
//! let _ = slot.set("1:65536;4:6291456;6:262144|15663105|0|m,a,s,p".parse()?);
//! assert!(native.http2().is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::{Arc, OnceLock};

use tollgate::{Http2Fingerprint, Ja3, Ja4, TlsShape};

use crate::context::RequestContext;

/// Fingerprints of the connection a request arrived on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectionFingerprints {
    /// JA4 of the ClientHello.
    pub ja4: Option<Ja4>,
    /// JA3 of the ClientHello.
    pub ja3: Option<Ja3>,
    /// HTTP/2 fingerprint of the connection, when known up front.
    pub http2: Option<Http2Fingerprint>,
    /// The ClientHello's structure, for the browser-family check that
    /// survives browser releases (`docs/fingerprint-signals.md`).
    pub tls_shape: Option<TlsShape>,
    http2_slot: Option<Arc<OnceLock<Http2Fingerprint>>>,
}

impl ConnectionFingerprints {
    /// Fingerprints with the given values.
    pub fn new(ja4: Option<Ja4>, ja3: Option<Ja3>, http2: Option<Http2Fingerprint>) -> Self {
        ConnectionFingerprints {
            ja4,
            ja3,
            http2,
            tls_shape: None,
            http2_slot: None,
        }
    }

    /// Adds the ClientHello's structure (`ClientHello::shape` in `tollgate::fingerprint`).
    #[must_use]
    pub fn with_tls_shape(mut self, shape: TlsShape) -> Self {
        self.tls_shape = Some(shape);
        self
    }

    /// Reads the HTTP/2 fingerprint from `slot` when it is not given up
    /// front: a connection reader fills it once it has seen the client's
    /// first HEADERS frame, which is before the first request is handed on.
    #[must_use]
    pub fn with_http2_slot(mut self, slot: Arc<OnceLock<Http2Fingerprint>>) -> Self {
        self.http2_slot = Some(slot);
        self
    }

    /// The HTTP/2 fingerprint, given or filled in by now.
    pub fn http2(&self) -> Option<&Http2Fingerprint> {
        self.http2
            .as_ref()
            .or_else(|| self.http2_slot.as_ref().and_then(|slot| slot.get()))
    }

    /// Puts these fingerprints into `context`, over the ones a trusted
    /// proxy's headers gave.
    pub fn apply(&self, context: &mut RequestContext) {
        context.ja4 = self.ja4.or(context.ja4);
        context.ja3 = self.ja3.or(context.ja3);
        if let Some(shape) = &self.tls_shape {
            context.tls_shape = Some(shape.clone());
        }
        if let Some(http2) = self.http2() {
            context.http2 = Some(http2.clone());
        }
    }
}
