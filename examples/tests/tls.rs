#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
//! `--tls` on both example services: HTTPS with native fingerprints. A
//! rustls client (HTTP/1.1 and HTTP/2, through hyper) asks `GET /whoami`
//! and gets back the JA4/JA3 of the ClientHello it sent and, over HTTP/2,
//! the fingerprint of its first frames — computed here from the recorded
//! client bytes (see tollgate-tls's `tests/native.rs`). Then the login
//! contract over TLS: three wrong passwords, then a 429, on both.

mod common;

use std::net::SocketAddr;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls::pki_types::CertificateDer;
use tollgate::fingerprint::{ClientHello, Http2Preface, Transport};

#[path = "../../crates/tollgate-tls/tests/support/mod.rs"]
mod support;
use support::{client_config, connect, http2_recorded};

async fn get_json<S>(sender: &mut S, uri: &str) -> serde_json::Value
where
    S: Sender,
{
    let request = http::Request::get(uri)
        .header("host", "localhost")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let (status, body) = sender.send(request).await;
    assert_eq!(status, 200, "{uri}");
    serde_json::from_slice(&body).unwrap()
}

/// hyper's HTTP/1 and HTTP/2 senders behind one method.
trait Sender {
    async fn send(&mut self, request: http::Request<Full<Bytes>>) -> (u16, Bytes);
}

impl Sender for hyper::client::conn::http1::SendRequest<Full<Bytes>> {
    async fn send(&mut self, request: http::Request<Full<Bytes>>) -> (u16, Bytes) {
        self.ready().await.unwrap();
        let response = self.send_request(request).await.unwrap();
        (
            response.status().as_u16(),
            response.into_body().collect().await.unwrap().to_bytes(),
        )
    }
}

impl Sender for hyper::client::conn::http2::SendRequest<Full<Bytes>> {
    async fn send(&mut self, request: http::Request<Full<Bytes>>) -> (u16, Bytes) {
        let response = self.send_request(request).await.unwrap();
        (
            response.status().as_u16(),
            response.into_body().collect().await.unwrap().to_bytes(),
        )
    }
}

async fn check_service(name: &str, addr: SocketAddr, cert: &CertificateDer<'static>) {
    // HTTP/1.1: JA4 and JA3, no HTTP/2 fingerprint.
    let (tls, wire) = connect(addr, client_config(cert, &[b"http/1.1"])).await;
    let hello = ClientHello::parse(&wire.lock().unwrap()).unwrap();
    let (mut h1, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await.unwrap();
    tokio::spawn(conn);
    let seen = get_json(&mut h1, "/whoami").await;
    assert_eq!(seen["ja4"], hello.ja4(Transport::Tcp).to_string(), "{name}");
    assert_eq!(seen["ja3"], hello.ja3().to_string(), "{name}");
    assert_eq!(seen["http2"], serde_json::Value::Null, "{name}");
    assert_eq!(seen["ip"], "127.0.0.1", "{name}");

    // The login contract over TLS.
    for expected in [401, 401, 401, 429] {
        let request = http::Request::post("/login")
            .header("host", "localhost")
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(r#"{"username":"alice","password":"wrong"}"#)))
            .unwrap();
        assert_eq!(h1.send(request).await.0, expected, "{name}");
    }

    // HTTP/2: the fingerprint of the frames the client wrote.
    let (tls, wire) = connect(addr, client_config(cert, &[b"h2"])).await;
    let hello = ClientHello::parse(&wire.lock().unwrap()).unwrap();
    let (mut h2, frames) = http2_recorded(tls).await;
    let seen = get_json(&mut h2, "https://localhost/whoami").await;
    let expected = Http2Preface::new().feed(&frames.lock().unwrap()).unwrap().unwrap();
    assert_eq!(seen["ja4"], hello.ja4(Transport::Tcp).to_string(), "{name}");
    assert_eq!(seen["http2"], expected.to_string(), "{name}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_services_see_native_fingerprints_and_keep_the_contract_over_tls() {
    let (axum_addr, axum_cert) = common::serve_axum_tls().await;
    check_service("axum", axum_addr, &axum_cert).await;
    let (actix_addr, actix_cert) = common::serve_actix_tls();
    check_service("actix", actix_addr, &actix_cert).await;
}
