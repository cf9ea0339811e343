//! The tower layer: context for every request, pre-authentication limits
//! for the protected routes.

use std::fmt;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Extensions, HeaderName, HeaderValue, Request, Response};
use tollgate::Engine;
use tollgate::store::{AsyncStore, MemoryStore};
use tower::{Layer, Service};

use crate::config::MiddlewareConfig;
use crate::context::ContextConfig;
use crate::fingerprints::ConnectionFingerprints;
use crate::response::rate_limit_header_values;
use crate::shared::TollgateHandle;

/// The socket peer of a connection, for servers that do not put a
/// `SocketAddr` in the request extensions themselves: insert one per
/// request (or configure [`TollgateLayer::peer`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PeerAddr(pub IpAddr);

/// The default peer extractor: a [`PeerAddr`], else a bare [`SocketAddr`]
/// in the extensions.
fn default_peer(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<PeerAddr>()
        .map(|p| p.0)
        .or_else(|| extensions.get::<SocketAddr>().map(SocketAddr::ip))
}

type Config<S> = MiddlewareConfig<S, fn(&Extensions) -> Option<IpAddr>>;

crate::middleware! {
    /// A tower [`Layer`] that, for every request:
    ///
    /// 1. reads the socket peer from the request extensions (see
    ///    [`TollgateLayer::peer`]; without a peer the request is answered with a
    ///    500 naming the misconfiguration),
    /// 2. builds the [`RequestContext`](crate::context::RequestContext)
    ///    (client IP through the trusted proxies, fingerprints from [`ConnectionFingerprints`] or a trusted
    ///    proxy's headers (their last lines: see
    ///    [`FingerprintHeaders`](crate::context::FingerprintHeaders)), the
    ///    headers the policy names) and inserts it, and a
    ///    [`TollgateHandle`], into the extensions,
    /// 3. on the routes given to [`protect`](TollgateLayer::protect), evaluates
    ///    the route's event without a user (pre-authentication limits: IP,
    ///    prefix, ASN, country, fingerprints, headers), inserts the
    ///    [`Decision`](tollgate::Decision) and a [`PreAuth`](crate::PreAuth)
    ///    into the extensions, and answers a refusal itself (429, 403 or 401, see
    ///    [`response`](crate::response)) without calling the inner service; on
    ///    allow it adds the `RateLimit` headers to the inner service's response.
    ///
    /// Paths are matched on the request URI's path, which is what axum's
    /// router matches (below a `Router::nest` the prefix is already stripped).
    /// The default peer is a [`PeerAddr`], else a `SocketAddr`, in the
    /// extensions; axum keeps it in `ConnectInfo<SocketAddr>`:
    /// `tollgate-axum` configures that. Bodies are never read or buffered.
    /// The response body type must implement `From<String>` (axum's `Body`,
    /// `String`, `Full<Bytes>`, ...).
    ///
    /// The store may be any [`AsyncStore`]: on protected routes the evaluation
    /// is awaited before the inner service is called, so the inner service must
    /// be `Clone + Send` (as axum's routers are) and the request body `Send`;
    /// that path boxes one future per request. Other routes are passed on
    /// without one.
    pub struct TollgateLayer { peer: fn(&Extensions) -> Option<IpAddr> = default_peer, method: http::Method }
}

impl<S: AsyncStore> TollgateLayer<S> {
    /// A layer over `engine`, trusting the proxies of the engine's policy
    /// and keeping the headers its limits name
    /// ([`ContextConfig::from_policy`]), protecting no route yet.
    pub fn new(engine: Arc<Engine<S>>) -> Self {
        let context = ContextConfig::from_policy(&engine.policy());
        TollgateLayer::from_handle(TollgateHandle::new(engine), context)
    }
}

impl<S, Inner> Layer<Inner> for TollgateLayer<S> {
    type Service = TollgateService<Inner, S>;

    fn layer(&self, inner: Inner) -> Self::Service {
        TollgateService {
            inner,
            config: Arc::clone(&self.config),
        }
    }
}

/// The service [`TollgateLayer`] wraps around an inner service.
pub struct TollgateService<Inner, S = MemoryStore> {
    inner: Inner,
    config: Arc<Config<S>>,
}

impl<Inner: Clone, S> Clone for TollgateService<Inner, S> {
    fn clone(&self) -> Self {
        TollgateService {
            inner: self.inner.clone(),
            config: Arc::clone(&self.config),
        }
    }
}

impl<Inner: fmt::Debug, S> fmt::Debug for TollgateService<Inner, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TollgateService")
            .field("inner", &self.inner)
            .field("config", &self.config)
            .finish()
    }
}

/// A boxed response future: a protected route's, which awaits the store
/// before calling the inner service.
type Deciding<B, E> = Pin<Box<dyn Future<Output = Result<Response<B>, E>> + Send>>;

pin_project_lite::pin_project! {
    /// The future of [`TollgateService`]. `E` is the inner service's error
    /// (axum's is `Infallible`, the default).
    #[project = ResponseFutureProj]
    #[allow(missing_docs, unreachable_pub)]
    pub enum ResponseFuture<F, B, E = std::convert::Infallible> {
        /// The inner service's response, to which the headers are added.
        Inner {
            #[pin]
            future: F,
            headers: Option<[(HeaderName, HeaderValue); 2]>,
        },
        /// The layer's own response.
        Ready {
            response: Option<Response<B>>,
        },
        /// A protected route: the evaluation, then the inner service.
        Deciding {
            future: Deciding<B, E>,
        },
    }
}

impl<F, B, E> fmt::Debug for ResponseFuture<F, B, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseFuture::Inner { headers, .. } => f.debug_struct("Inner").field("headers", headers).finish(),
            ResponseFuture::Ready { .. } => f.debug_struct("Ready").finish(),
            ResponseFuture::Deciding { .. } => f.debug_struct("Deciding").finish(),
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F, B, E>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            ResponseFutureProj::Inner { future, headers } => {
                let mut response = std::task::ready!(future.poll(cx))?;
                add_missing(&mut response, headers.take());
                Poll::Ready(Ok(response))
            }
            ResponseFutureProj::Deciding { future } => future.as_mut().poll(cx),
            ResponseFutureProj::Ready { response } => match response.take() {
                Some(response) => Poll::Ready(Ok(response)),
                None => Poll::Pending,
            },
        }
    }
}

/// Adds the layer's `RateLimit` headers; a handler's own evaluation (with
/// the user) may have set tighter ones: those stay.
fn add_missing<B>(response: &mut Response<B>, headers: Option<[(HeaderName, HeaderValue); 2]>) {
    for (name, value) in headers.into_iter().flatten() {
        if let http::header::Entry::Vacant(slot) = response.headers_mut().entry(name) {
            slot.insert(value);
        }
    }
}

/// Protected routes await the store before the inner service runs, so the
/// service is cloned into their future (the usual tower pattern: the clone
/// that was made ready is the one called).
impl<Inner, S, ReqBody, ResBody> Service<Request<ReqBody>> for TollgateService<Inner, S>
where
    Inner: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    Inner::Future: Send,
    Inner::Error: 'static,
    S: AsyncStore + 'static,
    ReqBody: Send + 'static,
    ResBody: From<String> + 'static,
{
    type Response = Response<ResBody>;
    type Error = Inner::Error;
    type Future = ResponseFuture<Inner::Future, ResBody, Inner::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let config = &*self.config;
        let Some(peer) = (config.peer)(request.extensions()) else {
            let rejection =
                config.missing_peer("in the request extensions (serve with connect info, or insert a PeerAddr)");
            return ResponseFuture::Ready {
                response: Some(rejection.into_response()),
            };
        };
        let headers = request
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes()));
        let context = config.context(peer, headers, request.extensions().get::<ConnectionFingerprints>());
        let route = config.routes.find(request.method().as_str(), request.uri().path());
        request.extensions_mut().insert(config.tollgate.clone());
        let Some(kind) = route else {
            request.extensions_mut().insert(context);
            return ResponseFuture::Inner {
                future: self.inner.call(request),
                headers: None,
            };
        };
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let tollgate = config.tollgate.clone();
        ResponseFuture::Deciding {
            future: Box::pin(async move {
                let pre = match tollgate.pre_auth_async(&context, kind).await {
                    Ok(pre) => pre,
                    Err(rejection) => return Ok(rejection.into_response()),
                };
                let rate_limit = pre.decision.rate_limit.as_ref().and_then(rate_limit_header_values);
                request.extensions_mut().insert(pre.decision.clone());
                request.extensions_mut().insert(pre);
                request.extensions_mut().insert(context);
                let mut response = inner.call(request).await?;
                add_missing(&mut response, rate_limit);
                Ok(response)
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use tollgate::policy::Policy;
    use tollgate::{Channel, Decision, EventKind, Timestamp};
    use tower::ServiceExt;

    use super::*;
    use crate::context::RequestContext;

    const JA4: &str = "t13d1516h2_8daaf6152771_02713d6af862";

    fn fixed_clock() -> Timestamp {
        Timestamp::from_unix_millis(1_700_000_000_000)
    }

    fn layer(policy: &str) -> TollgateLayer {
        let engine = Arc::new(Engine::new(Policy::from_toml(policy).unwrap()).unwrap());
        TollgateLayer::new(engine).clock(fixed_clock)
    }

    async fn call(
        layer: &TollgateLayer,
        method: &str,
        path: &str,
        ext: impl FnOnce(&mut Extensions),
    ) -> Response<String> {
        let service = layer.layer(tower::service_fn(|request: Request<()>| async move {
            let cx = request.extensions().get::<RequestContext>().unwrap();
            let decided = request.extensions().get::<Decision>().is_some();
            let handle = request.extensions().get::<TollgateHandle>().is_some();
            Ok::<_, Infallible>(Response::new(format!("{} {decided} {handle}", cx.client.addr)))
        }));
        let mut request = Request::builder().method(method).uri(path).body(()).unwrap();
        ext(request.extensions_mut());
        service.oneshot(request).await.unwrap()
    }

    const LOGIN_IP: &str = "[[limits]]\nname = \"login-ip\"\nevents = [\"login\", \"otp_send\"]\nkey = [\"ip\"]\nrate = \"1/min\"\nburst = 1\n";

    #[tokio::test]
    async fn protected_routes_are_evaluated_others_only_get_the_context() {
        let layer = layer(LOGIN_IP).protect("/login", EventKind::Login);
        let peer = |e: &mut Extensions| {
            e.insert(PeerAddr("198.51.100.7".parse().unwrap()));
        };
        let first = call(&layer, "POST", "/login", peer).await;
        assert_eq!(first.status(), 200);
        assert_eq!(first.body(), "198.51.100.7 true true");
        assert_eq!(first.headers()["ratelimit"], "\"login-ip\";r=0;t=60");
        let second = call(&layer, "POST", "/login", peer).await;
        assert_eq!(second.status(), 429);
        assert_eq!(second.headers()["retry-after"], "60");
        let other = call(&layer, "POST", "/login/other", peer).await;
        assert_eq!(other.body(), "198.51.100.7 false true", "exact paths match exactly");
    }

    #[tokio::test]
    async fn prefixes_and_methods() {
        let layer = layer(LOGIN_IP).protect_method(
            http::Method::POST,
            "/otp/*",
            EventKind::OtpSend { channel: Channel::Sms },
        );
        let sock = |e: &mut Extensions| {
            e.insert(SocketAddr::from(([203, 0, 113, 5], 4321)));
        };
        assert_eq!(
            call(&layer, "GET", "/otp/send", sock).await.body(),
            "203.0.113.5 false true"
        );
        assert_eq!(call(&layer, "POST", "/otp/send", sock).await.status(), 200);
        assert_eq!(call(&layer, "POST", "/otp/again", sock).await.status(), 429);
    }

    #[tokio::test]
    async fn native_fingerprints_are_believed_from_any_peer() {
        let policy = "[[limits]]\nname = \"ja4\"\nevents = [\"login\"]\nkey = [\"ja4\"]\nrate = \"1/min\"\nburst = 1\n";
        let layer = layer(policy).protect("/login", EventKind::Login);
        let native = |e: &mut Extensions| {
            e.insert(PeerAddr("198.51.100.7".parse().unwrap()));
            e.insert(ConnectionFingerprints::new(Some(JA4.parse().unwrap()), None, None));
        };
        assert_eq!(call(&layer, "POST", "/login", native).await.status(), 200);
        assert_eq!(call(&layer, "POST", "/login", native).await.status(), 429);
    }

    #[tokio::test]
    async fn a_missing_peer_is_a_500() {
        let layer = layer(LOGIN_IP).protect("/login", EventKind::Login);
        let response = call(&layer, "POST", "/login", |_| {}).await;
        assert_eq!(response.status(), 500);
        assert!(response.body().contains("PeerAddr"));
    }

    #[test]
    fn the_guard_reuses_what_the_layer_spent() {
        let engine = Arc::new(Engine::new(Policy::from_toml(LOGIN_IP).unwrap()).unwrap());
        let tollgate = TollgateHandle::new(engine).with_clock(fixed_clock);
        let event = tollgate::Event::new(EventKind::Login, fixed_clock()).with_ip("198.51.100.7".parse().unwrap());
        let pre = tollgate.evaluate_pre_auth(&event);
        assert!(pre.decision.is_allow());
        let with_user = event.clone().with_user("alice");
        assert!(
            tollgate.evaluate(&with_user, Some(&pre)).is_allow(),
            "the IP's unit is not spent twice"
        );
        assert!(
            !tollgate.evaluate(&with_user, None).is_allow(),
            "without the layer's record it is"
        );
    }
}
