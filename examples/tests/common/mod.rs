//! Client helpers shared by the example services' tests: the demo policy,
//! the servers on 127.0.0.1:0, and a real HTTP client.

#![allow(dead_code, unreachable_pub)]

pub mod process;
pub mod webdriver;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use axum::body::Bytes;
use http::{HeaderMap, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tollgate::Engine;
use tollgate::store::AsyncStore;
use tollgate_examples::demo::{Users, build_engine, load_policy};

/// `examples/demo-policy.toml`.
pub fn demo_policy() -> tollgate::policy::Policy {
    load_policy(&Path::new(env!("CARGO_MANIFEST_DIR")).join("demo-policy.toml")).unwrap()
}

/// An engine over the demo policy, trusting `trust_proxies`.
pub fn demo_engine(trust_proxies: &[&str]) -> Arc<Engine> {
    let trust: Vec<String> = trust_proxies.iter().map(|s| (*s).to_owned()).collect();
    Arc::new(build_engine(demo_policy(), &trust, None).unwrap())
}

/// The axum example behind `axum::serve` on 127.0.0.1:0, in this runtime.
pub async fn serve_axum(trust_proxies: &[&str]) -> SocketAddr {
    serve_axum_on(demo_engine(trust_proxies)).await
}

/// The axum example over `engine` (any store) behind `axum::serve` on
/// 127.0.0.1:0, in this runtime.
pub async fn serve_axum_on<S: AsyncStore + 'static>(engine: Arc<Engine<S>>) -> SocketAddr {
    serve_axum_app(tollgate_examples::axum_login::app(engine, Users::demo())).await
}

/// `app` behind `axum::serve` on 127.0.0.1:0, in this runtime.
pub async fn serve_axum_app(app: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .await
            .unwrap();
    });
    addr
}

/// The actix example behind `HttpServer` on 127.0.0.1:0, one worker, in
/// its own thread and actix system (it lives until the test process ends).
pub fn serve_actix(trust_proxies: &[&str]) -> SocketAddr {
    serve_actix_on(demo_engine(trust_proxies))
}

/// The actix example over `engine` (any store), as [`serve_actix`].
pub fn serve_actix_on<S: AsyncStore + 'static>(engine: Arc<Engine<S>>) -> SocketAddr {
    serve_actix_service(tollgate_examples::actix_login::LoginService::new(engine, Users::demo()))
}

/// `service` behind `HttpServer`, as [`serve_actix`].
pub fn serve_actix_service<S: AsyncStore + 'static>(
    service: tollgate_examples::actix_login::LoginService<S>,
) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = actix_web::HttpServer::new(move || service.clone().app())
                .workers(1)
                .disable_signals()
                .bind("127.0.0.1:0")
                .unwrap();
            tx.send(server.addrs()[0]).unwrap();
            server.run().await.unwrap();
        });
    });
    rx.recv().unwrap()
}

/// The axum example over TLS with native fingerprints
/// (`tollgate_tls::serve`), as `axum_login --tls` runs it; returns the
/// address and the certificate to trust.
pub async fn serve_axum_tls() -> (SocketAddr, rustls::pki_types::CertificateDer<'static>) {
    let (config, cert) = tls_config();
    let app = tollgate_examples::axum_login::app(demo_engine(&[]), Users::demo());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = tollgate_tls::Acceptor::new(Arc::new(config));
    tokio::spawn(tollgate_tls::serve::serve(listener, acceptor, app));
    (addr, cert)
}

/// The actix example over TLS (`tollgate_actix::tls::listen_tls`), as
/// `actix_login --tls` runs it, in its own thread and actix system.
pub fn serve_actix_tls() -> (SocketAddr, rustls::pki_types::CertificateDer<'static>) {
    let (config, cert) = tls_config();
    let engine = demo_engine(&[]);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let service = tollgate_examples::actix_login::LoginService::new(engine, Users::demo());
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let acceptor = tollgate_tls::Acceptor::new(Arc::new(config));
            let builder = actix_web::dev::Server::build().workers(1).disable_signals();
            tollgate_actix::tls::listen_tls(builder, listener, acceptor, move || service.clone().app())
                .unwrap()
                .run()
                .await
                .unwrap();
        });
    });
    (rx.recv().unwrap(), cert)
}

fn tls_config() -> (rustls::ServerConfig, rustls::pki_types::CertificateDer<'static>) {
    let cert = tollgate_tls::self_signed::SelfSigned::generate(["localhost"]).unwrap();
    (cert.server_config().unwrap(), cert.certificate().clone())
}

/// A response, body read.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

/// Sends a request; `content-type: application/json` unless `headers`
/// carry a content type of their own.
pub async fn send(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = Request::builder().method(method).uri(format!("http://{addr}{path}"));
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"))
    {
        request = request.header("content-type", "application/json");
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = client
        .request(request.body(Full::new(Bytes::from(body.to_owned()))).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

pub async fn post(addr: SocketAddr, path: &str, body: serde_json::Value) -> Reply {
    send(addr, "POST", path, &[], &body.to_string()).await
}

pub async fn login(addr: SocketAddr, username: &str, password: &str) -> Reply {
    post(
        addr,
        "/login",
        serde_json::json!({"username": username, "password": password}),
    )
    .await
}

/// A problem+json refusal of `status` and `kind` that names no signal.
pub fn assert_problem(reply: &Reply, status: u16, kind: &str) {
    assert_eq!(reply.status, status, "{reply:?}");
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json"),
        "{reply:?}"
    );
    let body = reply.json();
    assert_eq!(body["status"], status);
    assert_eq!(body["type"], format!("urn:tollgate:problem/{kind}"));
    for secret in ["demo-blocked", "login-", "otp-", "credential-change", "203.0.113"] {
        assert!(!reply.body.contains(secret), "the body names no signal: {reply:?}");
    }
}
