//! [`Args`]: the command-line flags both example services take.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::store::{PowSecretArg, RedisUrl, SecretArg};

/// Command-line flags of the example login services.
#[derive(clap::Parser, Clone, Debug)]
#[command(about = "A demo login service protected by tollgate (see docs/login-service.md)")]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,
    /// Policy file (TOML, or JSON when it ends in `.json`); default: the built-in policy.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// MaxMind-format geo database (.mmdb); repeat for several (country, city, ASN, anonymizer).
    #[arg(long, value_name = "FILE")]
    pub mmdb: Vec<PathBuf>,
    /// A proxy whose X-Forwarded-For and fingerprint headers (x-ja4, x-ja3,
    /// x-http2-fingerprint) are believed; repeatable. Replaces the policy's
    /// `[network] trusted_proxies`.
    #[arg(long = "trust-proxy", value_name = "CIDR")]
    pub trust_proxy: Vec<String>,
    /// Users file: JSON `{"username": "password", ...}`; default: the demo users.
    #[arg(long, value_name = "FILE")]
    pub users: Option<PathBuf>,
    /// Serve HTTPS (HTTP/1.1 and HTTP/2) with a self-signed certificate made
    /// at start-up, fingerprinting each client's TLS ClientHello (JA4, JA3)
    /// and HTTP/2 frames natively. Clients must accept the certificate
    /// (`curl -k`).
    #[arg(long)]
    pub tls: bool,
    /// Keep tollgate's counters in Redis (`redis://[:password@]host:port/db`),
    /// shared by every instance given the same URL, `--redis-prefix` and
    /// `--key-secret`. Default: in this process only.
    #[arg(long, value_name = "URL")]
    pub redis: Option<RedisUrl>,
    /// The secret counter keys are hashed under: 32 hexadecimal digits
    /// (`openssl rand -hex 16`), the same on every instance sharing Redis.
    /// Required with `--redis`; prefer the environment variable to the flag
    /// (command lines are visible to other local users).
    #[arg(long, value_name = "HEX", env = "TOLLGATE_KEY_SECRET", hide_env_values = true)]
    pub key_secret: Option<SecretArg>,
    /// The namespace of the service's keys in Redis.
    #[arg(long, value_name = "PREFIX", default_value = tollgate_redis::RedisConfig::DEFAULT_PREFIX)]
    pub redis_prefix: String,
    /// How long one Redis call may take before the policy's `[store]
    /// on_failure` decides (default 5).
    #[arg(long, value_name = "MS")]
    pub redis_timeout_ms: Option<u64>,
    /// Serve tollgate's metrics (decisions, reasons, evaluation time, store
    /// health) in the Prometheus text format at `GET /metrics`, on the same
    /// listener: expose it to the scraper only (docs/operations.md).
    #[arg(long)]
    pub metrics: bool,
    /// Reload `--policy` when the file changes (looked at every 2 s), as on
    /// `SIGHUP`.
    #[arg(long, requires = "policy")]
    pub watch_policy: bool,
    /// Append every challenge, throttle and denial (and what monitored
    /// rules would have refused) to FILE as JSON lines, identifiers masked,
    /// for `tollgate score` to replay under another policy
    /// (docs/decision-log.md).
    #[arg(long, value_name = "FILE")]
    pub decision_log: Option<PathBuf>,
    /// Offer a proof of work (ALTCHA's format, docs/challenges.md) for
    /// challenges that automation-class reasons caused, signed with this
    /// secret: at least 32 hexadecimal digits (`openssl rand -hex 32`), the
    /// same on every instance. Prefer the environment variable. Without it,
    /// every challenge is a plain 401.
    #[arg(long, value_name = "HEX", env = "TOLLGATE_POW_SECRET", hide_env_values = true)]
    pub pow_secret: Option<PowSecretArg>,
}
