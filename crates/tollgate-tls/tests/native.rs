//! End to end: real TLS clients (rustls, with hyper on top) connect to a
//! server on 127.0.0.1 that uses the native acceptor, and the handler sees
//! the fingerprints of exactly the bytes the client sent.
//!
//! The client records what it writes: below TLS (the ClientHello) and, for
//! HTTP/2, above TLS (the preface, SETTINGS, WINDOW_UPDATE and HEADERS
//! frames). The expected JA4/JA3 and HTTP/2 fingerprints are computed from
//! those recordings with tollgate's parsers, whose correctness the reference
//! vectors in the core crate establish; this test proves the plumbing: the
//! acceptor reads the same bytes, the stream still works after the replay,
//! and the values reach the handler's `RequestContext`.
#![cfg(all(feature = "serve", feature = "self-signed"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Extension;
use axum::{Router, routing::get};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tollgate::fingerprint::{ClientHello, Http2Preface, Transport};
use tollgate::policy::Policy;
use tollgate::{Engine, EventKind};
use tollgate_axum::RequestContext;
use tollgate_tls::self_signed::SelfSigned;
use tollgate_tls::{AcceptError, Acceptor};

mod support;
use support::{client_config, connect, http2_recorded, lines};

async fn whoami(Extension(cx): Extension<RequestContext>) -> String {
    let ja4 = cx.ja4.map(|j| j.to_string()).unwrap_or_default();
    let ja3 = cx.ja3.map(|j| j.to_string()).unwrap_or_default();
    let http2 = cx.http2.map(|h| h.to_string()).unwrap_or_default();
    let shape = cx.tls_shape.map(|s| s.to_string()).unwrap_or_default();
    format!("{ja4}\n{ja3}\n{http2}\n{}\n{shape}", cx.client.addr)
}

struct Server {
    addr: SocketAddr,
    cert: SelfSigned,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn server() -> Server {
    let cert = SelfSigned::generate(["localhost"]).unwrap();
    let acceptor = Acceptor::new(Arc::new(cert.server_config().unwrap()));
    let engine = Arc::new(Engine::new(Policy::default()).unwrap());
    let app = Router::new()
        .route("/whoami", get(whoami))
        .route("/login", get(whoami))
        .layer(tollgate_axum::layer(engine).protect("/login", EventKind::Login));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel();
    tokio::spawn(tollgate_tls::serve::serve_with_shutdown(
        listener,
        acceptor,
        app,
        async {
            let _ = stopped.await;
        },
    ));
    Server {
        addr,
        cert,
        stop: Some(stop),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http1_handler_sees_the_clients_ja4_and_ja3() {
    let server = server().await;
    let (tls, wire) = connect(server.addr, client_config(server.cert.certificate(), &[b"http/1.1"])).await;
    let hello = ClientHello::parse(&wire.lock().unwrap()).expect("the client's first flight is its ClientHello");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await.unwrap();
    tokio::spawn(conn);
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
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let seen = lines(&body);
        assert_eq!(seen[0], hello.ja4(Transport::Tcp).to_string(), "{path}");
        assert_eq!(seen[1], hello.ja3().to_string(), "{path}");
        assert_eq!(seen[2], "", "no HTTP/2 fingerprint on HTTP/1.1");
        assert_eq!(seen[3], "127.0.0.1");
        // The structure the browser-family check judges reaches the events.
        assert_eq!(seen[4], hello.shape(Transport::Tcp).to_string(), "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_handler_sees_the_http2_fingerprint() {
    let server = server().await;
    let (tls, wire) = connect(server.addr, client_config(server.cert.certificate(), &[b"h2"])).await;
    let hello = ClientHello::parse(&wire.lock().unwrap()).unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut sender, frames) = http2_recorded(tls).await;
    let request = http::Request::get("https://localhost/whoami")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let seen = lines(&body);
    let expected = Http2Preface::new()
        .feed(&frames.lock().unwrap())
        .unwrap()
        .expect("the client wrote its first HEADERS block");
    assert_eq!(seen[0], hello.ja4(Transport::Tcp).to_string());
    assert_eq!(seen[2], expected.to_string());
    // The h2 crate writes the pseudo-headers as method, scheme, authority,
    // path, and disables server push in its first SETTINGS.
    assert!(seen[2].starts_with("2:0;"), "{}", seen[2]);
    assert!(seen[2].ends_with("|m,s,a,p"), "{}", seen[2]);
}

#[tokio::test]
async fn garbage_and_silence_are_refused_and_the_server_keeps_serving() {
    let server = server().await;
    let mut plain = TcpStream::connect(server.addr).await.unwrap();
    plain.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
    let mut buf = Vec::new();
    let _ = tokio::io::AsyncReadExt::read_to_end(&mut plain, &mut buf).await;

    let cert = SelfSigned::generate(["localhost"]).unwrap();
    let acceptor =
        Acceptor::new(Arc::new(cert.server_config().unwrap())).with_handshake_timeout(Duration::from_millis(50));
    let (_client, silent) = tokio::io::duplex(64);
    assert!(matches!(acceptor.accept(silent).await, Err(AcceptError::Timeout(_))));

    let (tls, _) = connect(server.addr, client_config(server.cert.certificate(), &[b"http/1.1"])).await;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await.unwrap();
    tokio::spawn(conn);
    let request = http::Request::get("/whoami")
        .header("host", "localhost")
        .body(Empty::<Bytes>::new())
        .unwrap();
    assert_eq!(sender.send_request(request).await.unwrap().status(), 200);
}
