//! `rediss://` against a local TLS-only redis-server whose certificates are
//! made for the test (openssl: a self-signed CA, a server certificate for
//! 127.0.0.1 and a client certificate it signed; nothing is committed):
//! plans run when the store trusts that CA and presents the client
//! certificate, and fail as `Unavailable` (not a panic, not a hang) when it
//! does not trust the server or the server does not accept it.
//!
//! Runs when `TOLLGATE_REDIS_URL` is set (the sign that Redis tests are
//! wanted) and redis-server and openssl are installed.
#![cfg(feature = "tls")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tollgate::Timestamp;
use tollgate::store::{Op, OpResult, StoreError, StoreKey};
use tollgate_redis::{Clock, RedisConfig, RedisStore};

/// A TLS-only redis-server with freshly made certificates; killed and its
/// files removed on drop.
struct TlsServer {
    child: Child,
    dir: PathBuf,
    port: u16,
}

fn openssl(dir: &Path, args: &[&str]) -> bool {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl TlsServer {
    async fn start() -> Option<TlsServer> {
        common::redis_url()?;
        let dir = std::env::temp_dir().join(common::fresh_prefix("tg-tls").replace(':', "-"));
        std::fs::create_dir_all(&dir).ok()?;
        // Extensions make version 3 certificates, the only version rustls accepts.
        std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").ok()?;
        std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n").ok()?;
        let steps: [&[&str]; 7] = [
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "1",
            ],
            &[
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
            ],
            &["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key"],
            &[
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                "client.key",
                "-out",
                "client.csr",
            ],
            &["x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key"],
            // A second CA the server never heard of.
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "1",
            ],
            &["version"],
        ];
        let tails: [&[&str]; 7] = [
            &["-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=tollgate test CA"],
            &["-subj", "/CN=127.0.0.1"],
            &[
                "-CAcreateserial",
                "-out",
                "server.pem",
                "-days",
                "1",
                "-extfile",
                "san.ext",
            ],
            &["-subj", "/CN=tollgate test client"],
            &[
                "-CAcreateserial",
                "-out",
                "client.pem",
                "-days",
                "1",
                "-extfile",
                "client.ext",
            ],
            &["-keyout", "other.key", "-out", "other.pem", "-subj", "/CN=another CA"],
            &[],
        ];
        for (step, tail) in steps.iter().zip(tails) {
            let args: Vec<&str> = step.iter().chain(tail).copied().collect();
            if !openssl(&dir, &args) {
                println!("skipping: openssl not found or failed ({})", args.join(" "));
                let _ = std::fs::remove_dir_all(&dir);
                return None;
            }
        }
        let port = common::free_port();
        let child = Command::new("redis-server")
            .args(["--port", "0", "--tls-port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(["--tls-cert-file", "server.pem", "--tls-key-file", "server.key"])
            .args(["--tls-ca-cert-file", "ca.pem", "--tls-auth-clients", "yes"])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .spawn();
        let Ok(child) = child else {
            println!("skipping: redis-server not found");
            let _ = std::fs::remove_dir_all(&dir);
            return None;
        };
        let server = TlsServer { child, dir, port };
        // Listening is enough: the handshake itself is what is tested.
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(server);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the TLS redis-server did not start");
    }

    fn url(&self) -> String {
        format!("rediss://127.0.0.1:{}/", self.port)
    }

    fn read(&self, file: &str) -> Vec<u8> {
        std::fs::read(self.dir.join(file)).unwrap()
    }

    fn config(&self) -> RedisConfig {
        RedisConfig::new(self.url())
            .prefix(common::fresh_prefix("tls"))
            .clock(Clock::Redis)
            .timeout(Duration::from_secs(2))
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn add(store: &RedisStore) -> Result<OpResult, StoreError> {
    let ops = [Op::WindowAdd {
        key: StoreKey(1),
        window: Duration::from_secs(60),
        amount: 1,
    }];
    let mut results = [OpResult::Done];
    store
        .execute(Timestamp::from_unix_millis(1_700_000_000_000), &ops, &mut results)
        .await?;
    Ok(results[0])
}

#[tokio::test]
async fn tls_store_trusting_the_ca_runs_plans() {
    let Some(server) = TlsServer::start().await else { return };
    let config = server
        .config()
        .tls_root_cert(server.read("ca.pem"))
        .tls_client_cert(server.read("client.pem"), server.read("client.key"));
    assert!(!format!("{config:?}").contains("PRIVATE"), "{config:?}");
    let store = RedisStore::connect(config).await.unwrap();
    assert_eq!(add(&store).await.unwrap(), OpResult::Count(1));
    assert_eq!(add(&store).await.unwrap(), OpResult::Count(2));
}

#[tokio::test]
async fn tls_store_not_trusting_the_server_is_unavailable() {
    let Some(server) = TlsServer::start().await else { return };
    // The system's roots (the default) and another CA both reject it.
    for config in [server.config(), server.config().tls_root_cert(server.read("other.pem"))] {
        let store = RedisStore::connect(config.tls_client_cert(server.read("client.pem"), server.read("client.key")))
            .await
            .unwrap();
        assert!(matches!(add(&store).await, Err(StoreError::Unavailable(_))));
    }
}

#[tokio::test]
async fn tls_store_without_a_client_certificate_is_refused() {
    let Some(server) = TlsServer::start().await else { return };
    let store = RedisStore::connect(server.config().tls_root_cert(server.read("ca.pem")))
        .await
        .unwrap();
    assert!(matches!(add(&store).await, Err(StoreError::Unavailable(_))));
}

#[tokio::test]
async fn plain_redis_url_to_a_tls_port_is_unavailable() {
    let Some(server) = TlsServer::start().await else { return };
    let config = RedisConfig::new(format!("redis://127.0.0.1:{}/", server.port)).timeout(Duration::from_millis(500));
    let store = RedisStore::connect(config).await.unwrap();
    assert!(matches!(add(&store).await, Err(StoreError::Unavailable(_))));
}
