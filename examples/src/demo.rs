//! What the example services share whatever the framework: flags, demo
//! users, demo one-time codes, masking, and building the engine (over the
//! in-process store here, over Redis in [`crate::store`]).

use std::collections::{HashMap, HashSet};
use std::error::Error;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tollgate::Engine;
use tollgate::geo::{GeoDb, GeoSet};
use tollgate::limiter::KeySecret;
use tollgate::net::TrustedProxies;
use tollgate::policy::Policy;
use tollgate::store::{AsyncStore, MemoryStore};
use tollgate_axum::RequestContext;

use crate::store::{RedisUrl, SecretArg};

/// The users known when no `--users` file is given (username, password).
pub const DEMO_USERS: &[(&str, &str)] = &[
    ("alice", "correct-horse"),
    ("bob", "battery-staple"),
    ("carol", "hunter2-but-longer"),
];

/// The one-time code every demo "send" delivers (nothing is really sent).
pub const DEMO_OTP_CODE: &str = "123456";

/// An error for the operator: what went wrong, naming the file.
pub type BoxError = Box<dyn Error + Send + Sync>;

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
}

/// The rustls configuration for `--tls`: a fresh self-signed certificate
/// for `localhost` and the listen address, ALPN `h2` and `http/1.1`.
pub fn demo_tls(listen: SocketAddr) -> Result<rustls::ServerConfig, BoxError> {
    let names = ["localhost".to_owned(), listen.ip().to_string()];
    let cert = tollgate_tls::self_signed::SelfSigned::generate(names)?;
    Ok(cert.server_config()?)
}

/// The body of `GET /whoami`: what tollgate sees of the caller — the client
/// address and the fingerprints from the connection (`--tls`) or a trusted
/// proxy's headers. A demo aid: a production service would not tell
/// clients what it fingerprints.
pub fn whoami(cx: &RequestContext) -> serde_json::Value {
    serde_json::json!({
        "ip": cx.client.addr.to_string(),
        "ja4": cx.ja4.map(|v| v.to_string()),
        "ja3": cx.ja3.map(|v| v.to_string()),
        "http2": cx.http2.as_ref().map(ToString::to_string),
    })
}

/// Usernames and passwords, in memory only. `Debug` never shows passwords.
#[derive(Clone)]
pub struct Users {
    passwords: HashMap<String, String>,
}

impl fmt::Debug for Users {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Users")
            .field("count", &self.passwords.len())
            .finish_non_exhaustive()
    }
}

impl Users {
    /// The built-in demo users ([`DEMO_USERS`]).
    pub fn demo() -> Self {
        Users::from_pairs(DEMO_USERS.iter().copied())
    }

    /// Users from `(username, password)` pairs.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Users {
            passwords: pairs.into_iter().map(|(u, p)| (u.to_owned(), p.to_owned())).collect(),
        }
    }

    /// Users from JSON `{"username": "password", ...}`.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        Ok(Users {
            passwords: serde_json::from_str(text)?,
        })
    }

    /// How many users there are.
    pub fn len(&self) -> usize {
        self.passwords.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.passwords.is_empty()
    }

    /// Whether `username` exists (for the service's own bookkeeping; never
    /// told to the client).
    pub fn exists(&self, username: &str) -> bool {
        self.passwords.contains_key(username)
    }

    /// Whether `password` is `username`'s. An unknown user is compared
    /// against a dummy password, so both cases take about the same time.
    pub fn check(&self, username: &str, password: &str) -> bool {
        const DUMMY: &str = "dummy-password-for-unknown-users";
        match self.passwords.get(username) {
            Some(stored) => constant_time_eq(stored.as_bytes(), password.as_bytes()),
            None => {
                let _ = constant_time_eq(DUMMY.as_bytes(), password.as_bytes());
                false
            }
        }
    }
}

/// Compares two byte strings in time depending only on the longer length.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= std::hint::black_box(x ^ y);
    }
    diff == 0
}

/// Pending one-time codes: a user who was "sent" a code may verify
/// [`DEMO_OTP_CODE`] once.
#[derive(Debug, Default)]
pub struct OtpCodes {
    pending: Mutex<HashSet<String>>,
}

impl OtpCodes {
    /// Records that a code was sent to `username`.
    pub fn sent(&self, username: &str) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.insert(username.to_owned());
        }
    }

    /// Whether `code` is right for `username`; a right code is used up.
    pub fn verify(&self, username: &str, code: &str) -> bool {
        let right = constant_time_eq(DEMO_OTP_CODE.as_bytes(), code.as_bytes());
        match self.pending.lock() {
            Ok(mut pending) => right && pending.remove(username),
            Err(_) => false,
        }
    }
}

/// An email address for logs: first character and domain kept (`a***@example.com`).
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

/// Reads a policy file: JSON when the name ends in `.json`, else TOML.
pub fn load_policy(path: &Path) -> Result<Policy, BoxError> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let policy = if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
        Policy::from_json(&text)
    } else {
        Policy::from_toml(&text)
    };
    policy.map_err(|e| format!("{}: {e}", path.display()).into())
}

/// Reads MaxMind-format databases into one set.
pub fn load_geo(paths: &[PathBuf]) -> Result<GeoSet, BoxError> {
    let mut set = GeoSet::new();
    for path in paths {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let db = GeoDb::from_bytes(bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        set.insert(db);
    }
    Ok(set)
}

/// An engine over `policy` and the in-process store, trusting
/// `trust_proxies` (when any: they replace the policy's list) and looking
/// addresses up in `geo`.
pub fn build_engine(policy: Policy, trust_proxies: &[String], geo: Option<GeoSet>) -> Result<Engine, BoxError> {
    build_engine_on(policy, trust_proxies, geo, MemoryStore::default(), None)
}

/// [`build_engine`] over `store`, hashing counter keys under `secret`
/// (a random one when `None`; instances sharing a store need the same).
pub fn build_engine_on<S: AsyncStore>(
    mut policy: Policy,
    trust_proxies: &[String],
    geo: Option<GeoSet>,
    store: S,
    secret: Option<KeySecret>,
) -> Result<Engine<S>, BoxError> {
    if !trust_proxies.is_empty() {
        policy.network.trusted_proxies =
            TrustedProxies::parse(trust_proxies).map_err(|e| format!("--trust-proxy: {e}"))?;
    }
    let mut builder = Engine::builder(policy).store(store);
    if let Some(secret) = secret {
        builder = builder.key_secret(secret);
    }
    let engine = builder.build()?;
    if geo.is_some() {
        engine.set_geo(geo);
    }
    Ok(engine)
}

/// The engine over the in-process store and the users the flags describe
/// (`--redis` is [`crate::store::redis_engine`]'s).
pub fn load(args: &Args) -> Result<(Arc<Engine>, Users), BoxError> {
    let secret = args.key_secret.as_ref().map(SecretArg::parse).transpose()?;
    load_on(args, MemoryStore::default(), secret)
}

/// The engine over `store` (keys hashed under `secret`) and the users the
/// flags describe.
pub fn load_on<S: AsyncStore>(
    args: &Args,
    store: S,
    secret: Option<KeySecret>,
) -> Result<(Arc<Engine<S>>, Users), BoxError> {
    let policy = match &args.policy {
        Some(path) => load_policy(path)?,
        None => Policy::default(),
    };
    let geo = if args.mmdb.is_empty() {
        None
    } else {
        Some(load_geo(&args.mmdb)?)
    };
    let engine = build_engine_on(policy, &args.trust_proxy, geo, store, secret)?;
    let users = match &args.users {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            Users::from_json(&text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => Users::demo(),
    };
    Ok((Arc::new(engine), users))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tollgate::E164;

    #[test]
    fn masks() {
        // Phone numbers log through E164's own Display, which masks them.
        let phone: E164 = "+447700900123".parse().unwrap_or_else(|_| unreachable!());
        assert_eq!(phone.to_string(), "+44********23");
        assert_eq!(mask_email("alice@example.com"), "a***@example.com");
    }

    #[test]
    fn passwords_and_codes() {
        let users = Users::demo();
        assert!(users.check("alice", "correct-horse"));
        assert!(!users.check("alice", "correct-hors"));
        assert!(!users.check("mallory", "correct-horse"));
        assert!(!format!("{users:?}").contains("horse"));
        let codes = OtpCodes::default();
        assert!(!codes.verify("alice", DEMO_OTP_CODE), "nothing sent yet");
        codes.sent("alice");
        assert!(!codes.verify("alice", "000000"));
        assert!(codes.verify("alice", DEMO_OTP_CODE));
        assert!(!codes.verify("alice", DEMO_OTP_CODE), "used up");
    }
}
