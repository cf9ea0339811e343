//! The [`Tollgate`] middleware: request context for every request,
//! pre-authentication limits on the routes it protects. It behaves as
//! `tollgate_tower::TollgateLayer` does, on actix-web's types.

use std::fmt;
use std::future::{Future, Ready, ready};
use std::net::IpAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::HttpMessage;
use actix_web::body::EitherBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::Method;
use tollgate::Engine;
use tollgate::store::{AsyncStore, MemoryStore};
use tollgate_tower::context::ContextConfig;
use tollgate_tower::{ConnectionFingerprints, MiddlewareConfig};

use crate::TollgateHandle;
use crate::response::{add_rate_limit_headers, rejection_response};

type Config<S> = MiddlewareConfig<S, fn(&ServiceRequest) -> Option<IpAddr>>;

/// The default peer: the connection's socket peer address.
pub fn socket_peer(req: &ServiceRequest) -> Option<IpAddr> {
    req.peer_addr().map(|addr| addr.ip())
}

tollgate_tower::middleware! {
    /// The middleware: `App::new().wrap(Tollgate::new(engine, context))`.
    ///
    /// It does for every request what
    /// [`TollgateLayer`](tollgate_tower::TollgateLayer) does (see there), on
    /// actix-web's types: the peer is [`ServiceRequest::peer_addr`] (or what
    /// [`peer`](Tollgate::peer) reads; without one, a 500 naming the
    /// misconfiguration), native fingerprints come from the connection data
    /// ([`ConnectionFingerprints`]) or the extensions, and the
    /// [`RequestContext`](tollgate_tower::context::RequestContext) and a
    /// [`TollgateHandle`] go into the request extensions for the
    /// [`Guard`](crate::Guard). Paths are full paths (a scope's prefix
    /// included), matched on the decoded path actix-web's router matches
    /// (as a `NormalizePath` that ran before rewrote it). Protected routes
    /// are evaluated before the handler: a refusal is answered at once, an
    /// allow adds its `RateLimit` headers to the handler's response (unless
    /// it set its own).
    pub struct Tollgate { peer: fn(&ServiceRequest) -> Option<IpAddr> = socket_peer, method: Method }
}

impl<S: AsyncStore> Tollgate<S> {
    /// Middleware over a shared engine, building contexts with `context`
    /// (e.g. [`ContextConfig::from_policy`], or your own trusted proxies),
    /// writing rejections with the default
    /// [`ResponseConfig`](tollgate_tower::response::ResponseConfig), reading the
    /// system clock. No route is protected yet.
    pub fn new(engine: Arc<Engine<S>>, context: ContextConfig) -> Self {
        Tollgate::from_handle(TollgateHandle::new(engine), context)
    }

    /// Middleware trusting the proxies of the engine's policy and keeping
    /// the headers its limits name ([`ContextConfig::from_policy`]).
    pub fn from_engine(engine: Arc<Engine<S>>) -> Self {
        let context = ContextConfig::from_policy(&engine.policy());
        Tollgate::new(engine, context)
    }
}

impl<Svc, B, S> Transform<Svc, ServiceRequest> for Tollgate<S>
where
    Svc: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
    S: AsyncStore + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = TollgateMiddleware<Svc, S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: Svc) -> Self::Future {
        ready(Ok(TollgateMiddleware {
            service: Rc::new(service),
            config: Arc::clone(&self.config),
        }))
    }
}

/// The service [`Tollgate`] wraps around an app, scope or resource.
pub struct TollgateMiddleware<Svc, S = MemoryStore> {
    service: Rc<Svc>,
    config: Arc<Config<S>>,
}

impl<Svc, S> fmt::Debug for TollgateMiddleware<Svc, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TollgateMiddleware")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

impl<Svc, B, S> Service<ServiceRequest> for TollgateMiddleware<Svc, S>
where
    Svc: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
    S: AsyncStore + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let config = &*self.config;
        let Some(peer) = (config.peer)(&req) else {
            let rejection = config.missing_peer(
                "for the request (a Unix socket or a test request without a peer): configure Tollgate::peer",
            );
            return Box::pin(ready(Ok(req
                .into_response(rejection_response(rejection))
                .map_into_right_body())));
        };
        let native = req
            .conn_data::<ConnectionFingerprints>()
            .cloned()
            .or_else(|| req.extensions().get::<ConnectionFingerprints>().cloned());
        let headers = req
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes()));
        let context = config.context(peer, headers, native.as_ref());
        // The path the router matches: percent-decoded except `%`, `/` and
        // `+` (and rewritten by a `NormalizePath` that ran before us);
        // `req.path()` is still encoded.
        let route = config.routes.find(req.method().as_str(), req.match_info().as_str());
        let tollgate = config.tollgate.clone();
        let service = Rc::clone(&self.service);
        Box::pin(async move {
            let pre = match route {
                Some(kind) => match tollgate.pre_auth_async(&context, kind).await {
                    Ok(pre) => Some(pre),
                    Err(rejection) => {
                        return Ok(req.into_response(rejection_response(rejection)).map_into_right_body());
                    }
                },
                None => None,
            };
            let rate_limit = pre.as_ref().and_then(|pre| pre.decision.rate_limit.clone());
            {
                let mut extensions = req.extensions_mut();
                if let Some(pre) = pre {
                    extensions.insert(pre.decision.clone());
                    extensions.insert(pre);
                }
                extensions.insert(context);
                extensions.insert(tollgate);
            }
            let mut response = service.call(req).await?;
            if let Some(info) = &rate_limit {
                add_rate_limit_headers(response.headers_mut(), info);
            }
            Ok(response.map_into_left_body())
        })
    }
}
