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
