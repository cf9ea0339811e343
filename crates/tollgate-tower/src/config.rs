//! What a tollgate middleware holds, whatever the framework: the shared
//! handle, how contexts are built, the protected routes, and how the
//! socket peer is read. The tower [`TollgateLayer`](crate::TollgateLayer)
//! and actix-web's `Tollgate` are each a builder around one of these.

use std::fmt;
use std::net::IpAddr;

use smallvec::SmallVec;
use tollgate::EventKind;
use tollgate::store::AsyncStore;

use crate::context::{ContextConfig, RequestContext};
use crate::fingerprints::ConnectionFingerprints;
use crate::response::Rejection;
use crate::routes::Routes;
use crate::shared::{PreAuth, TollgateHandle};

/// A middleware's configuration; `Peer` reads the socket peer from the
/// framework's request (a function pointer).
pub struct MiddlewareConfig<S, Peer> {
    /// The handle inserted into every request (engine, responses, clock).
    pub tollgate: TollgateHandle<S>,
    /// How the request context is built.
    pub context: ContextConfig,
    /// The routes evaluated before the handler.
    pub routes: Routes,
    /// Reads the socket peer from the framework's request.
    pub peer: Peer,
}

impl<S, Peer: Clone> Clone for MiddlewareConfig<S, Peer> {
    fn clone(&self) -> Self {
        MiddlewareConfig {
            tollgate: self.tollgate.clone(),
            context: self.context.clone(),
            routes: self.routes.clone(),
            peer: self.peer.clone(),
        }
    }
}

impl<S, Peer> fmt::Debug for MiddlewareConfig<S, Peer> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("context", &self.context)
            .field("routes", &self.routes)
            .finish_non_exhaustive()
    }
}

impl<S, Peer> MiddlewareConfig<S, Peer> {
    /// Over `tollgate`, building contexts with `context`, reading the peer
    /// with `peer`, protecting no route yet.
    pub fn new(tollgate: TollgateHandle<S>, context: ContextConfig, peer: Peer) -> Self {
        MiddlewareConfig {
            tollgate,
            context,
            routes: Routes::default(),
            peer,
        }
    }

    /// The request's context from its socket peer, its headers and the
    /// connection's native fingerprints, if the server measured them.
    pub fn context<'h>(
        &self,
        peer: IpAddr,
        headers: impl Iterator<Item = (&'h str, &'h [u8])>,
        native: Option<&ConnectionFingerprints>,
    ) -> RequestContext {
        // The context needs a re-startable iterator, which `HeaderMap`'s is
        // not; a stack buffer holds a typical request's headers without a
        // heap allocation.
        let headers = headers.collect::<SmallVec<[_; 24]>>();
        let mut context = RequestContext::new(peer, headers.iter().copied(), &self.context);
        if let Some(native) = native {
            native.apply(&mut context);
        }
        context
    }

    /// The 500 answered when the request has no socket peer: a misconfigured
    /// server, never the client's fault. `fix` says what to configure.
    pub fn missing_peer(&self, fix: &str) -> Rejection {
        tracing::error!("tollgate: no socket peer address for the request; refusing with 500");
        Rejection::misconfigured(&format!("tollgate: no socket peer address {fix}"))
    }
}

impl<S: AsyncStore> TollgateHandle<S> {
    /// The layer's evaluation of a protected route's event `kind` for the
    /// request in `context`: what it spent, or the response refusing it.
    pub async fn pre_auth_async(&self, context: &RequestContext, kind: EventKind) -> Result<PreAuth, Rejection> {
        let pre = self.evaluate_pre_auth_async(&context.event(kind, self.now())).await;
        match self.rejection(&pre.decision) {
            Some(rejection) => Err(rejection),
            None => Ok(pre),
        }
    }
}

/// Declares a middleware type over a [`MiddlewareConfig`] and the builder
/// every adapter's middleware has (`from_handle`, `protect`,
/// `protect_method`, `peer`, `context_config`, `responses`, `clock`,
/// `handle`), so that the tower layer and actix-web's middleware are
/// configured alike. `peer` is the framework's peer reader and its
/// default, `method` its HTTP method type; the framework adds its own
/// constructors and its service glue.
#[macro_export]
macro_rules! middleware {
    (
        $(#[$doc:meta])*
        pub struct $name:ident { peer: $peer:ty = $default_peer:path, method: $method:ty }
    ) => {
        $(#[$doc])*
        pub struct $name<S = $crate::__private::MemoryStore> {
            config: ::std::sync::Arc<$crate::MiddlewareConfig<S, $peer>>,
        }

        impl<S> ::std::clone::Clone for $name<S> {
            fn clone(&self) -> Self {
                $name {
                    config: ::std::sync::Arc::clone(&self.config),
                }
            }
        }

        impl<S> ::std::fmt::Debug for $name<S> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(stringify!($name)).field("config", &self.config).finish()
            }
        }

        impl<S: $crate::__private::AsyncStore> $name<S> {
            /// Over a prepared handle (responses, clock) and context
            /// configuration, protecting no route yet.
            pub fn from_handle(tollgate: $crate::TollgateHandle<S>, context: $crate::context::ContextConfig) -> Self {
                $name {
                    config: ::std::sync::Arc::new($crate::MiddlewareConfig::new(tollgate, context, $default_peer)),
                }
            }

            fn edit(mut self, f: impl FnOnce(&mut $crate::MiddlewareConfig<S, $peer>)) -> Self {
                f(::std::sync::Arc::make_mut(&mut self.config));
                self
            }

            /// Evaluates `kind` before the handler on requests to `path`,
            /// whatever the method: an exact path (`"/login"`), or a prefix
            /// when it ends in `*` (`"/otp/*"` matches `/otp/send` and
            /// `/otp/verify`). The first matching route wins. Paths are
            /// matched on the path the framework's router matches (see the
            /// type's documentation) and, failing that, on a canonical form
            /// (percent-escapes decoded, slashes merged, dot segments
            /// resolved), so no spelling a router or path normaliser accepts
            /// passes unevaluated: see [`Routes`]($crate::routes::Routes).
            #[must_use]
            pub fn protect(self, path: &str, kind: $crate::__private::EventKind) -> Self {
                self.edit(|c| c.routes.add(None, path, kind))
            }

            /// Like `protect`, for one method only (`GET` also takes
            /// `HEAD`, which routers hand to GET handlers).
            #[must_use]
            pub fn protect_method(self, method: $method, path: &str, kind: $crate::__private::EventKind) -> Self {
                self.edit(|c| c.routes.add(Some(method.as_str()), path, kind))
            }

            /// Reads the client's socket peer with `peer` instead of the
            /// default (see the type's documentation).
            #[must_use]
            pub fn peer(self, peer: $peer) -> Self {
                self.edit(|c| c.peer = peer)
            }

            /// Builds contexts with `context`.
            #[must_use]
            pub fn context_config(self, context: $crate::context::ContextConfig) -> Self {
                self.edit(|c| c.context = context)
            }

            /// Writes rejections with `responses` (step-up methods, problem
            /// types).
            #[must_use]
            pub fn responses(self, responses: $crate::response::ResponseConfig) -> Self {
                self.edit(|c| c.tollgate = c.tollgate.clone().with_responses(responses))
            }

            /// Reads the time from `clock` instead of the system clock.
            #[must_use]
            pub fn clock(self, clock: fn() -> $crate::__private::Timestamp) -> Self {
                self.edit(|c| c.tollgate = c.tollgate.clone().with_clock(clock))
            }

            /// The handle inserted into request extensions.
            pub fn handle(&self) -> &$crate::TollgateHandle<S> {
                &self.config.tollgate
            }
        }
    };
}
