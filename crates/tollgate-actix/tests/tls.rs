//! actix-web over `tollgate_actix::tls::listen_tls`: real rustls clients
//! (HTTP/1.1 and HTTP/2) on 127.0.0.1, and the handler's request context
//! carries the JA4/JA3 of the ClientHello the client sent and, over HTTP/2,
//! the fingerprint of its first frames. The expectations are computed from
//! the recorded client bytes (see tollgate-tls's `tests/native.rs`).
#![cfg(feature = "tls")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::sync::Arc;

use actix_web::{App, HttpMessage, HttpRequest, web};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tollgate::fingerprint::{ClientHello, Http2Preface, Transport};
use tollgate::policy::Policy;
use tollgate::{Engine, EventKind};
use tollgate_actix::{RequestContext, Tollgate};
use tollgate_tls::Acceptor;
use tollgate_tls::self_signed::SelfSigned;

#[path = "../../tollgate-tls/tests/support/mod.rs"]
mod support;
use support::{client_config, connect, http2_recorded, lines};

async fn whoami(request: HttpRequest) -> String {
    let extensions = request.extensions();
    let cx = extensions.get::<RequestContext>().unwrap();
    let ja4 = cx.ja4.map(|j| j.to_string()).unwrap_or_default();
    let ja3 = cx.ja3.map(|j| j.to_string()).unwrap_or_default();
    let http2 = cx.http2.as_ref().map(|h| h.to_string()).unwrap_or_default();
    format!("{ja4}\n{ja3}\n{http2}\n{}", cx.client.addr)
}

#[actix_web::test]
async fn actix_handlers_see_native_fingerprints_over_http1_and_http2() {
    let cert = SelfSigned::generate(["localhost"]).unwrap();
    let acceptor = Acceptor::new(Arc::new(cert.server_config().unwrap()));
    let engine = Arc::new(Engine::new(Policy::default()).unwrap());
    let tollgate = Tollgate::from_engine(engine).protect("/login", EventKind::Login);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let app = move || {
        App::new()
            .wrap(tollgate.clone())
            .route("/whoami", web::get().to(whoami))
            .route("/login", web::get().to(whoami))
    };
    let server = tollgate_actix::tls::listen_tls(actix_web::dev::Server::build().workers(1), listener, acceptor, app)
        .unwrap()
        .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    // HTTP/1.1, on an unprotected and a protected route.
    let (tls, wire) = connect(addr, client_config(cert.certificate(), &[b"http/1.1"])).await;
    let hello = ClientHello::parse(&wire.lock().unwrap()).unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await.unwrap();
    actix_web::rt::spawn(conn);
    for path in ["/whoami", "/login"] {
        let request = http::Request::get(path)
            .header("host", "localhost")
            .body(Empty::<Bytes>::new())
            .unwrap();
        // The connection takes the next request only once the last
        // response has been read to the end.
        sender.ready().await.unwrap();
        let response = sender.send_request(request).await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let seen = lines(&response.into_body().collect().await.unwrap().to_bytes());
        assert_eq!(seen[0], hello.ja4(Transport::Tcp).to_string(), "{path}");
        assert_eq!(seen[1], hello.ja3().to_string(), "{path}");
        assert_eq!(seen[2], "");
        assert_eq!(seen[3], "127.0.0.1");
    }

    // HTTP/2.
    let (tls, wire) = connect(addr, client_config(cert.certificate(), &[b"h2"])).await;
    let hello = ClientHello::parse(&wire.lock().unwrap()).unwrap();
    let (mut sender, frames) = http2_recorded(tls).await;
    let request = http::Request::get("https://localhost/login")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let seen = lines(&response.into_body().collect().await.unwrap().to_bytes());
    let expected = Http2Preface::new().feed(&frames.lock().unwrap()).unwrap().unwrap();
    assert_eq!(seen[0], hello.ja4(Transport::Tcp).to_string());
    assert_eq!(seen[2], expected.to_string());

    // Not graceful: the clients keep their connections open.
    handle.stop(false).await;
}
