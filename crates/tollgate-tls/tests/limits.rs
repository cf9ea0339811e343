//! The bounds `serve_with` puts on connections, tried the way an attacker
//! would: TLS clients that send half a request (or nothing) and stall must
//! be dropped while fresh clients are still served, and the connection and
//! HTTP/2 stream bounds must hold. Timeouts are configured at 1 s so the
//! tests are quick; the waits below are generous upper bounds, never
//! measurements.
#![cfg(all(feature = "serve", feature = "self-signed"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::{Router, routing::get};
use http_body_util::Empty;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tollgate_tls::Acceptor;
use tollgate_tls::self_signed::SelfSigned;
use tollgate_tls::serve::{ServeConfig, serve_with};

mod support;
use support::{Tls, client_config, connect};

/// Generous: the configured timeouts are 1 s.
const DROPPED_WITHIN: Duration = Duration::from_secs(15);

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

async fn server(config: ServeConfig) -> Server {
    let cert = SelfSigned::generate(["localhost"]).unwrap();
    let acceptor = Acceptor::new(Arc::new(cert.server_config().unwrap()));
    // POST reads the whole body, as a login form handler does.
    let app = Router::new().route("/", get(|| async { "ok" }).post(|body: String| async move { body }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel();
    let shutdown = async {
        let _ = stopped.await;
    };
    tokio::spawn(serve_with(listener, acceptor, app, config, shutdown));
    Server {
        addr,
        cert,
        stop: Some(stop),
    }
}

async fn tls(server: &Server, alpn: &[u8]) -> Tls {
    connect(server.addr, client_config(server.cert.certificate(), &[alpn]))
        .await
        .0
}

/// One HTTP/1.1 request on a fresh connection; its status.
async fn fetch(server: &Server) -> u16 {
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls(server, b"http/1.1").await))
        .await
        .unwrap();
    tokio::spawn(conn);
    let request = http::Request::get("/")
        .header("host", "localhost")
        .body(Empty::<Bytes>::new())
        .unwrap();
    sender.send_request(request).await.unwrap().status().as_u16()
}

/// Reads until the server ends the connection (EOF or an error); panics
/// if it is still open after [`DROPPED_WITHIN`].
async fn dropped(mut stream: impl AsyncRead + Unpin, what: &str) {
    let mut sink = Vec::new();
    let ended = tokio::time::timeout(DROPPED_WITHIN, stream.read_to_end(&mut sink)).await;
    assert!(ended.is_ok(), "{what}: still connected after {DROPPED_WITHIN:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_clients_are_dropped_and_fresh_ones_served() {
    let second = Duration::from_secs(1);
    let server = server(
        ServeConfig::default()
            .with_handshake_timeout(second)
            .with_header_read_timeout(second)
            .with_idle_timeout(second),
    )
    .await;
    let mut half_heads = Vec::new();
    for _ in 0..5 {
        let mut stream = tls(&server, b"http/1.1").await;
        stream
            .write_all(b"POST / HTTP/1.1\r\nhost: localhost\r\ncontent-le")
            .await
            .unwrap();
        stream.flush().await.unwrap();
        half_heads.push(stream);
    }
    let mut half_body = tls(&server, b"http/1.1").await;
    half_body
        .write_all(b"POST / HTTP/1.1\r\nhost: localhost\r\ncontent-length: 100\r\n\r\nuser=al")
        .await
        .unwrap();
    half_body.flush().await.unwrap();
    let mut half_preface = tls(&server, b"h2").await;
    half_preface.write_all(b"PRI * HTTP/2.0\r\n").await.unwrap();
    half_preface.flush().await.unwrap();
    let silent_after_tls = tls(&server, b"http/1.1").await;
    let silent_tcp = TcpStream::connect(server.addr).await.unwrap();
    let mut half_hello = TcpStream::connect(server.addr).await.unwrap();
    half_hello
        .write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
        .await
        .unwrap();

    assert_eq!(fetch(&server).await, 200, "a fresh client is served meanwhile");

    for (i, stream) in half_heads.into_iter().enumerate() {
        dropped(stream, &format!("half a request head #{i}")).await;
    }
    dropped(half_body, "half a request body").await;
    dropped(half_preface, "half the HTTP/2 preface").await;
    dropped(silent_after_tls, "silence after the handshake").await;
    dropped(silent_tcp, "silence before the handshake").await;
    dropped(half_hello, "half a ClientHello").await;
    assert_eq!(fetch(&server).await, 200, "and after");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_bound_holds_and_frees() {
    let server = server(ServeConfig::default().with_max_connections(2)).await;
    let first = tls(&server, b"http/1.1").await;
    let _second = tls(&server, b"http/1.1").await;
    let addr = server.addr;
    let config = client_config(server.cert.certificate(), &[b"http/1.1"]);
    let third = tokio::spawn(async move { connect(addr, config).await.0 });
    // Not accepted while both slots are held (this can only pass wrongly
    // on a slow machine, never fail wrongly).
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !third.is_finished(),
        "a third connection was accepted over a bound of 2"
    );
    drop(first);
    let third = tokio::time::timeout(DROPPED_WITHIN, third)
        .await
        .expect("accepted once a slot is free")
        .unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(third))
        .await
        .unwrap();
    tokio::spawn(conn);
    let request = http::Request::get("/")
        .header("host", "localhost")
        .body(Empty::<Bytes>::new())
        .unwrap();
    assert_eq!(sender.send_request(request).await.unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_clients_are_told_the_stream_bound() {
    let server = server(ServeConfig::default().with_max_concurrent_streams(7)).await;
    let mut stream = tls(&server, b"h2").await;
    // The preface and an empty SETTINGS frame.
    stream
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .await
        .unwrap();
    stream.flush().await.unwrap();
    let mut header = [0u8; 9];
    stream.read_exact(&mut header).await.unwrap();
    assert_eq!(header[3], 0x04, "the server's first frame is its SETTINGS");
    let mut payload = vec![0u8; usize::from(header[1]) * 256 + usize::from(header[2])];
    stream.read_exact(&mut payload).await.unwrap();
    let max_streams = payload
        .chunks_exact(6)
        .find(|s| s[..2] == [0x00, 0x03])
        .map(|s| u32::from_be_bytes([s[2], s[3], s[4], s[5]]));
    assert_eq!(max_streams, Some(7));
}
