//! `middleware`: what the tollgate layer costs a hello-world axum route.
//!
//! * `middleware/bare`: `GET /hello` answered by `"hello"`, no layer.
//! * `middleware/context_only`: the layer on an unprotected route: it builds
//!   the request context (client IP through trusted proxies, fingerprint
//!   headers) and inserts it, but evaluates nothing.
//! * `middleware/protected`: the route protected as a login: the layer also
//!   runs a pre-authentication `Engine::evaluate` under the default policy
//!   and adds the RateLimit fields to the response.
//! * `middleware/protected_metrics`: `protected` on an engine with
//!   `tollgate-metrics` attached (every decision counted, timed into a
//!   histogram, its reasons counted), as `--metrics` runs the examples. The
//!   ratio to `protected` in the same run is the metrics' cost on the allow
//!   path.
//! * `observer/none`, `observer/noop` and `observer/metrics`: the same login
//!   event straight through `Engine::evaluate`, without an observer, with
//!   one that does nothing (the engine's own share: masking identifiers,
//!   building the observation) and with the metrics observer: the cost per
//!   decision, without the HTTP stack's noise.
//!
//! Requests go through the router in process (`tower::ServiceExt::oneshot`
//! on a current-thread tokio runtime): no socket, so the figure is the
//! layer's own cost, not hidden behind network and HTTP parsing, which make
//! the real ratio smaller. Every request carries `ConnectInfo` (the layer
//! refuses requests without a peer) and peers cycle through 100,000
//! addresses so no per-IP limit is reached.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::routing::get;
use criterion::{Criterion, criterion_group, criterion_main};
use tollgate::policy::Policy;
use tollgate::{Engine, EventKind};
use tower::ServiceExt;

const PEERS: u32 = 100_000;

fn request(i: u32) -> Request<Body> {
    let [_, a, b, c] = i.to_be_bytes();
    let peer = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, a, b, c)), 40_000);
    let mut req = Request::get("/hello").body(Body::empty()).unwrap_or_default();
    req.extensions_mut().insert(ConnectInfo(peer));
    req
}

fn middleware(c: &mut Criterion) {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread().build() else {
        return;
    };
    let Ok(engine) = Engine::new(Policy::default()) else {
        return;
    };
    let engine = Arc::new(engine);
    let Ok(measured) = Engine::new(Policy::default()) else {
        return;
    };
    let measured = Arc::new(measured);
    let mut registry = tollgate_metrics::Registry::default();
    let metrics = tollgate_metrics::TollgateMetrics::new();
    metrics.register(&mut registry);
    metrics.attach(&measured);
    let hello = || Router::new().route("/hello", get(|| async { "hello" }));
    let variants = [
        ("bare", hello()),
        ("context_only", hello().layer(tollgate_axum::layer(Arc::clone(&engine)))),
        (
            "protected",
            hello().layer(tollgate_axum::layer(Arc::clone(&engine)).protect("/hello", EventKind::Login)),
        ),
        (
            "protected_metrics",
            hello().layer(tollgate_axum::layer(Arc::clone(&measured)).protect("/hello", EventKind::Login)),
        ),
    ];
    let mut group = c.benchmark_group("middleware");
    for (name, router) in variants {
        // The allow path is what is measured: a 429 or a 500 would be cheaper.
        let status = rt.block_on(router.clone().oneshot(request(0))).map(|r| r.status());
        assert_eq!(
            status.ok(),
            Some(axum::http::StatusCode::OK),
            "middleware/{name} must answer 200"
        );
        let mut i = 0u32;
        group.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % PEERS;
                let response = rt.block_on(router.clone().oneshot(request(i)));
                black_box(response.map(|r| r.status()))
            });
        });
    }
    group.finish();
    // The counters moved: the variant measured what it claims to.
    let counted = tollgate_metrics::encode(&registry).unwrap_or_default();
    assert!(
        !counted.contains(r#"tollgate_decisions_total{event="login",action="allow"} 0"#),
        "middleware/protected_metrics counted nothing"
    );
}

/// An observer that does nothing: what observing costs the engine itself
/// (masking the event's identifiers, building the observation).
#[derive(Debug)]
struct Noop;

impl tollgate::observe::Observer for Noop {
    fn observe(&self, observation: &tollgate::observe::Observation<'_>) {
        black_box(observation);
    }
}

fn observer(c: &mut Criterion) {
    let (Ok(plain), Ok(noop), Ok(measured)) = (
        Engine::new(Policy::default()),
        Engine::new(Policy::default()),
        Engine::new(Policy::default()),
    ) else {
        return;
    };
    noop.set_observer(Arc::new(Noop), tollgate_metrics::TollgateMetrics::observe_when());
    let mut registry = tollgate_metrics::Registry::default();
    let metrics = tollgate_metrics::TollgateMetrics::new();
    metrics.register(&mut registry);
    metrics.attach(&measured);
    let mut group = c.benchmark_group("observer");
    for (name, engine) in [("none", &plain), ("noop", &noop), ("metrics", &measured)] {
        let mut i = 0u32;
        group.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % PEERS;
                let [_, a, b2, c2] = i.to_be_bytes();
                let at = tollgate::Timestamp::from(std::time::SystemTime::now());
                let event =
                    tollgate::Event::new(EventKind::Login, at).with_ip(IpAddr::V4(Ipv4Addr::new(10, a, b2, c2)));
                black_box(engine.evaluate(&event).action)
            });
        });
    }
    group.finish();
}

criterion_group!(benches, middleware, observer);
criterion_main!(benches);
