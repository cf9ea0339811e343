//! [tollgate] for axum: the tower layer reading the client from
//! axum's `ConnectInfo`, and a [`Guard`] extractor for the business events a
//! handler knows about once it has parsed the body (the username, the phone).
//!
//! ```
//! use std::net::SocketAddr;
//! use std::sync::Arc;
//! use axum::{Json, Router, routing::post};
//! use tollgate::{Engine, EventKind};
//! use tollgate::policy::Policy;
//! use tollgate_axum::{Guard, Refusal};
//!
//! #[derive(serde::Deserialize)]
//! struct Login { username: String, password: String }
//!
//! async fn login(guard: Guard, Json(body): Json<Login>) -> Result<&'static str, Refusal> {
//!     let admitted = guard.evaluate(EventKind::Login, |e| e.with_user(body.username.as_str()))?;
//!     if body.password == "correct horse" {
//!         guard.succeeded_with(admitted.event(), admitted.decision());
//!         Ok("welcome")
//!     } else {
//!         guard.failed(admitted.event());
//!         Ok("no")
//!     }
//! }
//!
//! let engine = Arc::new(Engine::new(Policy::default())?);
//! let app: Router = Router::new()
//!     .route("/login", post(login))
//!     .layer(tollgate_axum::layer(engine).protect("/login", EventKind::Login));
//! // axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
//! # let _ = app.into_make_service_with_connect_info::<SocketAddr>();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Over a networked store
//!
//! An engine over any [`AsyncStore`] (a Redis store, or this stand-in)
//! works the same way: the layer awaits the store on protected routes, and
//! handlers extract `Guard<TheStore>` and use the `*_async` methods. While
//! the store is unavailable, the policy's `[store] on_failure` decides
//! (`docs/architecture.md`).
//!
//! ```
//! use std::sync::Arc;
//! use axum::{Router, routing::post};
//! use tollgate::store::{AsyncStore, Op, OpResult, StoreError};
//! use tollgate::{Engine, EventKind, Timestamp};
//! use tollgate::policy::Policy;
//! use tollgate_axum::{Guard, Refusal};
//!
//! #[derive(Debug)]
//! struct Remote;
//!
//! impl AsyncStore for Remote {
//!     async fn execute(&self, _at: Timestamp, _ops: &[Op], _results: &mut [OpResult]) -> Result<(), StoreError> {
//!         Err(StoreError::Unavailable("not connected".into()))
//!     }
//! }
//!
//! async fn login(guard: Guard<Remote>) -> Result<&'static str, Refusal> {
//!     let admitted = guard.evaluate_async(EventKind::Login, |e| e.with_user("alice")).await?;
//!     guard.failed_async(admitted.event()).await;
//!     Ok("no")
//! }
//!
//! let engine = Arc::new(Engine::builder(Policy::default()).store(Remote).build()?);
//! engine.on_store_transition(tollgate_axum::log_store_transition);
//! let app: Router = Router::new()
//!     .route("/login", post(login))
//!     .layer(tollgate_axum::layer(engine).protect("/login", EventKind::Login));
//! # let _ = app;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::response::{IntoResponse, IntoResponseParts, Response, ResponseParts};
use http::request::Parts;
use http::{Extensions, HeaderValue};
use tollgate::Engine;
use tollgate::store::AsyncStore;
pub use tollgate_tower::context::{ContextConfig, RequestContext};
pub use tollgate_tower::response::{Rejection, ResponseConfig};
pub use tollgate_tower::{
    Adapter, ConnectionFingerprints, GuardCore, PeerAddr, PreAuth, Tollgate, TollgateHandle, TollgateLayer,
    TollgateService, log_store_transition,
};

/// The socket peer as axum's `serve` records it: `ConnectInfo<SocketAddr>`
/// (with `into_make_service_with_connect_info::<SocketAddr>()`), else a
/// [`PeerAddr`] or a bare `SocketAddr` in the extensions.
pub fn connect_info_peer(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .or_else(|| extensions.get::<PeerAddr>().map(|p| p.0))
        .or_else(|| extensions.get::<SocketAddr>().map(SocketAddr::ip))
}

/// A [`TollgateLayer`] over `engine` that reads the peer from axum's
/// connect info ([`connect_info_peer`]). Add routes with
/// [`protect`](TollgateLayer::protect) and apply it with `Router::layer`.
pub fn layer<S: AsyncStore>(engine: Arc<Engine<S>>) -> TollgateLayer<S> {
    TollgateLayer::new(engine).peer(connect_info_peer)
}

tollgate_tower::adapter! {
    /// axum's adapter.
    adapter Axum;
    /// The handler's access to tollgate: the request's context and the
    /// engine, as the [`TollgateLayer`] left them in the extensions.
    /// Extracting it without the layer is a 500 naming the misconfiguration
    /// ([`MissingLayer`]).
    guard Guard;
    /// An evaluation that allowed. As response parts it adds the
    /// `RateLimit` headers.
    admitted Admitted;
    /// An evaluation that refused: a response (429, 403 or 401 with
    /// problem+json, see `docs/http.md`).
    refusal Refusal;
    /// The [`Guard`] was extracted on a route the [`TollgateLayer`] does
    /// not wrap (or for another store type): a server misconfiguration,
    /// answered with a 500 problem+json that says so.
    missing MissingLayer = "tollgate: Guard extracted without TollgateLayer (or for another store type): add tollgate_axum::layer(engine) to the router";
}

impl<St, S> FromRequestParts<St> for Guard<S>
where
    St: Send + Sync,
    S: AsyncStore + 'static,
{
    type Rejection = MissingLayer;

    async fn from_request_parts(parts: &mut Parts, _state: &St) -> Result<Self, Self::Rejection> {
        GuardCore::from_extensions(&parts.extensions)
            .map(Guard)
            .ok_or(MissingLayer(()))
    }
}

impl IntoResponseParts for Admitted {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        for (name, value) in self.0.rate_limit_headers() {
            if let Ok(value) = HeaderValue::from_str(&value) {
                res.headers_mut().insert(name, value);
            }
        }
        Ok(res)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        self.0.into_rejection().into_response()
    }
}

impl IntoResponse for MissingLayer {
    fn into_response(self) -> Response {
        tracing::error!("{}", Self::DETAIL);
        self.rejection().into_response()
    }
}
