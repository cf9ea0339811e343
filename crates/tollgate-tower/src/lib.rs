//! HTTP glue for [tollgate]: a tower [`TollgateLayer`] that builds
//! each request's [`RequestContext`](context::RequestContext) and enforces
//! pre-authentication limits on the routes it protects, and the responses
//! decisions turn into, the same in every adapter.
//!
//! ```
//! use std::time::Duration;
//! use tollgate::{Action, Decision};
//! use tollgate_tower::response::{Rejection, ResponseConfig};
//!
//! let mut decision = Decision::allow();
//! decision.action = Action::Throttle { retry_after: Duration::from_millis(300) };
//! let rejection = Rejection::from_decision(&decision, &ResponseConfig::default()).unwrap();
//! assert_eq!(rejection.status, 429);
//! assert!(rejection.headers.iter().any(|(name, value)| *name == "retry-after" && value == "1"));
//! ```
//!
//! The layer over any tower service of `http` requests and responses (the
//! response body must implement `From<String>`, as axum's `Body` does):
//!
//! ```
//! use std::sync::Arc;
//! use tollgate::{Engine, EventKind};
//! use tollgate::policy::Policy;
//! use tollgate_tower::TollgateLayer;
//!
//! let engine = Arc::new(Engine::new(Policy::default())?);
//! let layer = TollgateLayer::new(engine)
//!     .protect("/login", EventKind::Login)
//!     .protect("/signup/*", EventKind::Signup);
//! # let _ = layer;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Everything is generic over the engine's store, any
//! [`AsyncStore`](tollgate::store::AsyncStore) (the in-process
//! `MemoryStore` by default, or a networked one such as Redis): the layer
//! awaits the store on protected routes, and the `*_async` methods of
//! [`TollgateHandle`] and [`GuardCore`] evaluate and record over it, deciding per
//! the policy's `[store] on_failure` while it is unavailable. The plain
//! (synchronous) methods remain for in-process stores.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod adapter;
mod config;
pub mod context;
mod fingerprints;
pub mod guard;
mod layer;
pub mod response;
pub mod routes;
mod shared;

pub use config::MiddlewareConfig;
pub use fingerprints::ConnectionFingerprints;
pub use guard::{Adapter, Admitted, GuardCore, Neutral, Refused};
pub use layer::{PeerAddr, ResponseFuture, TollgateLayer, TollgateService};

/// The tollgate middleware, by the name it has in every adapter (actix-web's
/// `Tollgate` is its counterpart there): in tower, the [`TollgateLayer`].
pub type Tollgate<S = tollgate::store::MemoryStore> = TollgateLayer<S>;
pub use shared::{PreAuth, TollgateHandle, log_store_transition};

/// What [`adapter!`] expands to names.
#[doc(hidden)]
pub mod __private {
    pub use tollgate::store::{AsyncStore, MemoryStore};
    pub use tollgate::{EventKind, Timestamp};
}
