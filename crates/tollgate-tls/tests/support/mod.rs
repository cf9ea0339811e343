//! The client side of the native-fingerprint tests, shared with
//! `tollgate-actix`'s TLS test (included there by path): a rustls client
//! that records what it writes, so the test can compute the fingerprints
//! the server should have seen from the very bytes that were sent.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::indexing_slicing)]

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use hyper::body::Bytes;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Records every byte written through it.
pub struct Recorder<IO> {
    pub inner: IO,
    pub written: Arc<Mutex<Vec<u8>>>,
}

impl<IO: AsyncRead + Unpin> AsyncRead for Recorder<IO> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Recorder<IO> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            self.written.lock().unwrap().extend_from_slice(&buf[..n]);
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

pub fn client_config(cert: &CertificateDer<'static>, alpn: &[&[u8]]) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    config
}

pub type Tls = tokio_rustls::client::TlsStream<Recorder<TcpStream>>;

/// Connects with `config`; returns the TLS stream and what went on the wire.
pub async fn connect(addr: SocketAddr, config: rustls::ClientConfig) -> (Tls, Arc<Mutex<Vec<u8>>>) {
    let wire = Arc::new(Mutex::new(Vec::new()));
    let tcp = TcpStream::connect(addr).await.unwrap();
    let recorder = Recorder {
        inner: tcp,
        written: Arc::clone(&wire),
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), recorder)
        .await
        .unwrap();
    (tls, wire)
}

/// An HTTP/2 client connection over `tls` that records the decrypted
/// bytes it writes (preface, SETTINGS, WINDOW_UPDATE, HEADERS...).
pub async fn http2_recorded<B>(tls: Tls) -> (hyper::client::conn::http2::SendRequest<B>, Arc<Mutex<Vec<u8>>>)
where
    B: hyper::body::Body + Unpin + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let frames = Arc::new(Mutex::new(Vec::new()));
    let recorded = Recorder {
        inner: tls,
        written: Arc::clone(&frames),
    };
    let (sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(recorded))
        .await
        .unwrap();
    tokio::spawn(conn);
    (sender, frames)
}

pub fn lines(body: &Bytes) -> Vec<String> {
    String::from_utf8(body.to_vec())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}
