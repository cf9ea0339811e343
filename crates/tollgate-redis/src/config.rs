//! How to reach Redis and how the store uses it: [`RedisConfig`], [`Clock`].
//!
//! ```
//! use std::time::Duration;
//! use tollgate_redis::{Clock, RedisConfig};
//!
//! let config = RedisConfig::new("redis://127.0.0.1:6379/")
//!     .prefix("login-svc")
//!     .timeout(Duration::from_millis(10))
//!     .clock(Clock::Event);
//! assert_eq!(config.get_prefix(), "login-svc");
//! assert_eq!(config.get_timeout(), Duration::from_millis(10));
//! ```

use std::time::Duration;

/// Which clock the store's operations run on.
///
/// Counters compare the current time with times stored earlier, possibly
/// by another instance. With [`Clock::Redis`] (the default) every instance
/// uses one clock, Redis's, so limits do not depend on each host's clock
/// discipline. With [`Clock::Event`] operations run at the event's own
/// timestamp, exactly as the in-process store does; an instance whose
/// clock runs `Δ` ahead then sees every bucket refill and every lockout
/// end `Δ` early. See `docs/deployment.md`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Clock {
    /// The Redis server's `TIME`: every script call returns it, the store
    /// keeps the offset to its host's clock, and runs each call at host
    /// time plus that offset (accurate to half a round trip). The event's
    /// timestamp is ignored for counters.
    #[default]
    Redis,
    /// The event's timestamp (`Plan::at`, the outcome's event time), as
    /// the in-process store. Deterministic: replays give the same results.
    Event,
}

/// Settings of a [`RedisStore`](crate::RedisStore).
#[derive(Clone, PartialEq, Eq)]
#[must_use]
pub struct RedisConfig {
    /// The server's URL, or a cluster's seed nodes.
    pub(crate) urls: Vec<String>,
    pub(crate) cluster: bool,
    pub(crate) prefix: String,
    pub(crate) timeout: Duration,
    pub(crate) clock: Clock,
    pub(crate) tls: Tls,
}

/// Certificates for `rediss://` beyond the defaults.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Tls {
    /// PEM roots to trust instead of the system's.
    pub(crate) root_cert: Option<Vec<u8>>,
    /// PEM client certificate chain and private key, for servers that
    /// authenticate clients (`tls-auth-clients yes`).
    pub(crate) client: Option<(Vec<u8>, Vec<u8>)>,
}

impl Tls {
    pub(crate) fn is_set(&self) -> bool {
        self.root_cert.is_some() || self.client.is_some()
    }
}

impl std::fmt::Debug for RedisConfig {
    // The URL may carry a password: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisConfig")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("clock", &self.clock)
            .field("cluster", &self.cluster)
            .field("nodes", &self.urls.len())
            // Whether certificates are set, never the key.
            .field("tls_root_cert", &self.tls.root_cert.is_some())
            .field("tls_client_cert", &self.tls.client.is_some())
            .finish_non_exhaustive()
    }
}

impl RedisConfig {
    /// The default key prefix.
    pub const DEFAULT_PREFIX: &'static str = "tollgate";
    /// The default bound on one call, connection included.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(5);

    /// Settings for the server at `url` (`redis://[:password@]host:port/db`,
    /// `rediss://` for TLS if the `redis` crate was built with it), with the
    /// default prefix, timeout and clock.
    pub fn new(url: impl Into<String>) -> Self {
        RedisConfig {
            urls: vec![url.into()],
            cluster: false,
            prefix: Self::DEFAULT_PREFIX.to_owned(),
            timeout: Self::DEFAULT_TIMEOUT,
            clock: Clock::default(),
            tls: Tls::default(),
        }
    }

    /// Settings for a Redis Cluster reached through `seed_nodes` (URLs of
    /// some of its nodes, `redis://host:port/` or `rediss://`; the client
    /// learns the rest of the cluster from them), with the default prefix,
    /// timeout and clock. Keys get a hash tag
    /// ([`cluster_key_name`](crate::cluster_key_name)) and a plan's
    /// operations run as one script call per slot.
    ///
    /// ```
    /// use tollgate_redis::RedisConfig;
    ///
    /// let config = RedisConfig::cluster(["redis://10.0.0.1:6379/", "redis://10.0.0.2:6379/"]);
    /// assert!(config.is_cluster());
    /// ```
    pub fn cluster<I, S>(seed_nodes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        RedisConfig {
            urls: seed_nodes.into_iter().map(Into::into).collect(),
            cluster: true,
            ..RedisConfig::new(String::new())
        }
    }

    /// Whether this is a Redis Cluster's configuration ([`RedisConfig::cluster`]).
    pub fn is_cluster(&self) -> bool {
        self.cluster
    }

    /// Namespace of every key: `<prefix>:<key hash>:<kind>`. One to 64
    /// characters from `A-Z a-z 0-9 _ - . :`.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Bounds each [`execute`](crate::RedisStore::execute) call; past it the
    /// call fails with `StoreError::Unavailable`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The clock operations run on.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// For `rediss://` URLs: trust the certificates in `pem` (one or more
    /// PEM certificates, e.g. a private CA's) instead of the system's roots.
    /// The server's certificate must name the URL's host (a DNS name or IP
    /// address in its subject alternative names).
    #[cfg(feature = "tls")]
    pub fn tls_root_cert(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.tls.root_cert = Some(pem.into());
        self
    }

    /// For `rediss://` URLs to servers that authenticate clients
    /// (`tls-auth-clients yes`): present the PEM certificate chain
    /// `cert_pem` with its PEM private key `key_pem`.
    #[cfg(feature = "tls")]
    pub fn tls_client_cert(mut self, cert_pem: impl Into<Vec<u8>>, key_pem: impl Into<Vec<u8>>) -> Self {
        self.tls.client = Some((cert_pem.into(), key_pem.into()));
        self
    }

    /// The key prefix.
    pub fn get_prefix(&self) -> &str {
        &self.prefix
    }

    /// The per-call timeout.
    pub fn get_timeout(&self) -> Duration {
        self.timeout
    }

    /// The clock.
    pub fn get_clock(&self) -> Clock {
        self.clock
    }

    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':');
        if self.prefix.is_empty() || self.prefix.len() > 64 || !self.prefix.chars().all(valid) {
            return Err(ConfigError::Prefix);
        }
        if self.timeout.is_zero() {
            return Err(ConfigError::Timeout);
        }
        if self.urls.is_empty() {
            return Err(ConfigError::NoNodes);
        }
        Ok(())
    }
}

/// A [`RedisConfig`] that cannot work.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The URL does not parse as a Redis URL (the message omits the URL).
    #[error("invalid Redis URL: {0}")]
    Url(String),
    /// The prefix is empty, too long, or has characters outside `A-Z a-z 0-9 _ - . :`.
    #[error("invalid key prefix: 1 to 64 characters from A-Z a-z 0-9 _ - . :")]
    Prefix,
    /// The timeout is zero.
    #[error("the per-call timeout must be above zero")]
    Timeout,
    /// A cluster configuration without any seed node.
    #[error("a Redis Cluster needs at least one seed node URL")]
    NoNodes,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_checked_and_urls_never_printed() {
        let config = RedisConfig::new("redis://:hunter2@127.0.0.1/");
        assert!(config.check().is_ok());
        assert!(!format!("{config:?}").contains("hunter2"));
        for bad in ["", "a b", "{tag}", &"x".repeat(65)] {
            assert!(
                matches!(config.clone().prefix(bad).check(), Err(ConfigError::Prefix)),
                "{bad}"
            );
        }
        assert!(matches!(
            config.timeout(Duration::ZERO).check(),
            Err(ConfigError::Timeout)
        ));
        let none: [&str; 0] = [];
        assert!(matches!(RedisConfig::cluster(none).check(), Err(ConfigError::NoNodes)));
        let cluster = RedisConfig::cluster(["redis://:hunter2@127.0.0.1:7000/"]);
        assert!(cluster.check().is_ok() && cluster.is_cluster());
        assert!(!format!("{cluster:?}").contains("hunter2"));
    }
}
