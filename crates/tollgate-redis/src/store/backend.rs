//! Where the script calls go: one server's connection manager or a
//! cluster's client, built from a [`RedisConfig`] (URLs, TLS, timeouts).

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::cluster_async::ClusterConnection;
use tokio::sync::OnceCell;

use crate::config::{ConfigError, RedisConfig};

/// Shortest time a connection attempt is given, whatever the call timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// Where the script calls go.
pub(super) enum Backend {
    /// One server: the whole plan in one call.
    Single(ConnectionManager),
    /// A cluster: one call per slot, all in flight together. The client
    /// follows MOVED/ASK and refreshes its slot map after a failover by
    /// itself; the connection is made by the first call that needs it (and
    /// again by the next call if that one failed), so a store can be built
    /// while the cluster is unreachable.
    Cluster(Box<Cluster>),
}

/// A cluster client and its connection, once made.
pub(super) struct Cluster {
    pub(super) client: ClusterClient,
    pub(super) conn: OnceCell<ClusterConnection>,
}

impl Backend {
    /// The backend `config` asks for. Connects to nothing yet.
    pub(super) fn new(config: &RedisConfig) -> Result<Self, ConfigError> {
        if config.cluster {
            Self::cluster(config)
        } else {
            Self::single(config)
        }
    }

    fn single(config: &RedisConfig) -> Result<Self, ConfigError> {
        let url = config.urls.first().ok_or(ConfigError::NoNodes)?;
        let client = if config.tls.is_set() {
            Self::tls_client(url, config)
        } else {
            redis::Client::open(url.as_str())
        }
        .map_err(|e| ConfigError::Url(format!("{:?}", e.kind())))?;
        // Calls give up after the timeout, but a connection attempt goes on
        // (reconnects run in the background) for up to a second: a server
        // that takes longer than one call's timeout to accept (TLS, a far
        // network) is still reached. The caller's timeout and failure policy
        // decide what a failed call means; the next call after a failure
        // starts a reconnect.
        let manager = ConnectionManagerConfig::new()
            .set_number_of_retries(1)
            .set_connection_timeout(Some(config.timeout.max(CONNECT_TIMEOUT)))
            .set_response_timeout(None);
        let conn = ConnectionManager::new_lazy_with_config(client, manager)
            .map_err(|e| ConfigError::Url(format!("{:?}", e.kind())))?;
        Ok(Backend::Single(conn))
    }

    #[cfg(feature = "tls")]
    fn certificates(config: &RedisConfig) -> redis::TlsCertificates {
        redis::TlsCertificates {
            client_tls: config.tls.client.as_ref().map(|(cert, key)| redis::ClientTlsConfig {
                client_cert: cert.clone(),
                client_key: key.clone(),
            }),
            root_cert: config.tls.root_cert.clone(),
        }
    }

    #[cfg(feature = "tls")]
    fn tls_client(url: &str, config: &RedisConfig) -> redis::RedisResult<redis::Client> {
        redis::Client::build_with_tls(url, Self::certificates(config))
    }

    /// Certificates can only be set with the `tls` feature.
    #[cfg(not(feature = "tls"))]
    fn tls_client(url: &str, _config: &RedisConfig) -> redis::RedisResult<redis::Client> {
        redis::Client::open(url)
    }

    fn cluster(config: &RedisConfig) -> Result<Self, ConfigError> {
        // As for one server, connection attempts may take longer than one
        // call. Retries (after MOVED/ASK, or while a failover settles) wait
        // a few milliseconds, not the library's default second and more:
        // a call that cannot finish within its timeout fails anyway and
        // the failure policy decides, and the next call starts afresh.
        let builder = ClusterClientBuilder::new(config.urls.iter().map(String::as_str))
            .connection_timeout(config.timeout.max(CONNECT_TIMEOUT))
            .retries(3)
            .min_retry_wait(2)
            .max_retry_wait(100);
        #[cfg(feature = "tls")]
        let builder = if config.tls.is_set() {
            builder.certs(Self::certificates(config))
        } else {
            builder
        };
        let client = builder
            .build()
            .map_err(|e| ConfigError::Url(format!("{:?}", e.kind())))?;
        Ok(Backend::Cluster(Box::new(Cluster {
            client,
            conn: OnceCell::new(),
        })))
    }
}
