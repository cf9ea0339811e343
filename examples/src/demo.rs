//! What the example services share whatever the framework: flags, demo
//! users, demo one-time codes, masking, and building the engine (over the
//! in-process store here, over Redis in [`crate::store`]).

use std::collections::HashMap;
use std::error::Error;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tollgate::geo::{GeoDb, GeoSet};
use tollgate::keys::KeySecret;
use tollgate::net::TrustedProxies;
use tollgate::observe::UserHash;
use tollgate::policy::Policy;
use tollgate::store::{AsyncStore, MemoryStore};
use tollgate::{Channel, E164, Engine, Event, UserId};
use tollgate_axum::RequestContext;

use crate::store::{PowSecretArg, RedisUrl, SecretArg};
use tollgate::pow::{PowConfig, PowSecret};

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

/// A password as the demo keeps it: SHA-256 of a fixed domain prefix and
/// the password. Not a password hash (a real service stores Argon2id,
/// scrypt or bcrypt hashes, salted per user, and never sees plaintext
/// passwords at rest); here it gives every comparison the same length and
/// the same work, whatever the password typed.
type PasswordDigest = [u8; 32];

fn password_digest(password: &str) -> PasswordDigest {
    Sha256::new_with_prefix(b"tollgate-demo-password\0")
        .chain_update(password.as_bytes())
        .finalize()
        .into()
}

/// Usernames and digests of their passwords, in memory only (the plaintext
/// passwords are dropped once digested). `Debug` never shows either.
#[derive(Clone)]
pub struct Users {
    digests: HashMap<String, PasswordDigest>,
    /// What an unknown user's password is checked against.
    dummy: PasswordDigest,
}

impl fmt::Debug for Users {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Users")
            .field("count", &self.digests.len())
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
            digests: pairs
                .into_iter()
                .map(|(u, p)| (u.to_owned(), password_digest(p)))
                .collect(),
            dummy: password_digest("dummy password of users that do not exist"),
        }
    }

    /// Users from JSON `{"username": "password", ...}`.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        let passwords: HashMap<String, String> = serde_json::from_str(text)?;
        Ok(Users::from_pairs(
            passwords.iter().map(|(u, p)| (u.as_str(), p.as_str())),
        ))
    }

    /// How many users there are.
    pub fn len(&self) -> usize {
        self.digests.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// Whether `username` exists (for the service's own bookkeeping; never
    /// told to the client).
    pub fn exists(&self, username: &str) -> bool {
        self.digests.contains_key(username)
    }

    /// Whether `password` is `username`'s. An unknown user costs what a
    /// known user's wrong password costs: the password is digested and
    /// compared in constant time with a dummy digest of the same length,
    /// so the time taken does not tell whether the username exists.
    pub fn check(&self, username: &str, password: &str) -> bool {
        let stored = self.digests.get(username);
        let matches = password_matches(stored.unwrap_or(&self.dummy), password);
        stored.is_some() && matches
    }
}

/// The one password comparison, for known and unknown users alike:
/// SHA-256 of the password, compared with `expected` in constant time.
fn password_matches(expected: &PasswordDigest, password: &str) -> bool {
    #[cfg(test)]
    tests::PASSWORD_CHECKS.with(|n| n.set(n.get() + 1));
    expected.ct_eq(&password_digest(password)).into()
}

/// Pending one-time codes: a user who was "sent" a code may verify
/// [`DEMO_OTP_CODE`] once. Each pending code remembers the number it was
/// sent to, so a verification can name it as the send did.
#[derive(Debug, Default)]
pub struct OtpCodes {
    pending: Mutex<HashMap<String, E164>>,
}

impl OtpCodes {
    /// Records that a code was sent to `username` at `phone` (replacing
    /// any code pending for them).
    pub fn sent(&self, username: &str, phone: E164) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.insert(username.to_owned(), phone);
        }
    }

    /// The number `username`'s pending code was sent to, if a code is pending.
    pub fn phone_of(&self, username: &str) -> Option<E164> {
        self.pending.lock().ok()?.get(username).copied()
    }

    /// Whether `code` is right for `username`; a right code is used up.
    /// The comparison takes the same time for every code of the same length.
    pub fn verify(&self, username: &str, code: &str) -> bool {
        let right: bool = DEMO_OTP_CODE.as_bytes().ct_eq(code.as_bytes()).into();
        match self.pending.lock() {
            Ok(mut pending) => right && pending.remove(username).is_some(),
            Err(_) => false,
        }
    }
}

/// The event of an OTP send or verification, as both services build it:
/// the request's context, the user, and the phone number when the service
/// knows it (the number of a send; for a verification, the number the
/// pending code went to). Sends and verifications of one code then name
/// the same account and number.
pub fn otp_event(event: Event, username: &str, phone: Option<E164>) -> Event {
    let event = event.with_user(username);
    match phone {
        Some(phone) => event.with_phone(phone),
        None => event,
    }
}

/// A username as the example services log it: tollgate's keyed hash of it,
/// the hash [`Observation::user`](tollgate::observe::Observation::user)
/// carries, never the name itself.
pub fn logged_user<S>(engine: &Engine<S>, username: &str) -> UserHash {
    engine.user_hash(&UserId::from(username))
}

/// The log line of a code "sent": the user as its keyed hash, the number
/// masked (as [`E164`] displays it), never the code.
pub fn log_code_sent(user: UserHash, phone: &E164, channel: Channel) {
    tracing::info!(
        %user,
        phone = %phone,
        channel = channel.as_str(),
        "demo: one-time code \"sent\" (nothing is really sent)"
    );
}

/// The log line of an email change: the user as its keyed hash, the
/// address masked.
pub fn log_email_changed(user: UserHash, email: &str) {
    tracing::info!(%user, email = %mask_email(email), "demo: email changed");
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
    build_engine_on(policy, trust_proxies, geo, MemoryStore::default(), None, None)
}

/// [`build_engine`] over `store`, hashing counter keys under `secret`
/// (a random one when `None`; instances sharing a store need the same).
pub fn build_engine_on<S: AsyncStore>(
    mut policy: Policy,
    trust_proxies: &[String],
    geo: Option<GeoSet>,
    store: S,
    secret: Option<KeySecret>,
    pow: Option<PowSecret>,
) -> Result<Engine<S>, BoxError> {
    if !trust_proxies.is_empty() {
        policy.network.trusted_proxies =
            TrustedProxies::parse(trust_proxies).map_err(|e| format!("--trust-proxy: {e}"))?;
    }
    let mut builder = Engine::builder(policy).store(store);
    if let Some(secret) = secret {
        builder = builder.key_secret(secret);
    }
    if let Some(pow) = pow {
        builder = builder.proof_of_work(PowConfig::new(pow));
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
    let pow = args.pow_secret.as_ref().map(PowSecretArg::parse).transpose()?;
    let engine = build_engine_on(policy, &args.trust_proxy, geo, store, secret, pow)?;
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
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::cell::Cell;
    use std::io;

    use super::*;
    use tollgate::policy::Policy;

    thread_local! {
        /// How many times [`password_matches`] ran on this thread.
        pub(super) static PASSWORD_CHECKS: Cell<u32> = const { Cell::new(0) };
    }

    /// The password comparisons `f` makes on this thread.
    fn password_checks(f: impl FnOnce() -> bool) -> (bool, u32) {
        let before = PASSWORD_CHECKS.with(Cell::get);
        let result = f();
        (result, PASSWORD_CHECKS.with(Cell::get) - before)
    }

    #[test]
    fn masks() {
        // Phone numbers log through E164's own Display, which masks them.
        let phone: E164 = "+447700900123".parse().unwrap();
        assert_eq!(phone.to_string(), "+44********23");
        assert_eq!(mask_email("alice@example.com"), "a***@example.com");
    }

    #[test]
    fn unknown_users_cost_the_same_password_check_as_a_wrong_password() {
        let users = Users::demo();
        assert_eq!(password_checks(|| users.check("alice", "correct-horse")), (true, 1));
        assert_eq!(password_checks(|| users.check("alice", "wrong")), (false, 1));
        assert_eq!(password_checks(|| users.check("mallory", "wrong")), (false, 1));
        assert_eq!(password_checks(|| users.check("mallory", "correct-horse")), (false, 1));
        assert_eq!(
            password_checks(|| users.check("mallory", "dummy password of users that do not exist")),
            (false, 1),
            "the dummy digest lets nobody in"
        );
    }

    #[test]
    fn passwords_and_codes() {
        let users = Users::demo();
        assert!(users.check("alice", "correct-horse"));
        assert!(!users.check("alice", "correct-hors"));
        assert!(!users.check("alice", ""));
        assert!(!users.check("bob", "correct-horse"));
        assert!(!format!("{users:?}").contains("horse"));
        let from_json = Users::from_json(r#"{"dave": "pw"}"#).unwrap();
        assert!(from_json.check("dave", "pw") && !from_json.check("dave", "PW"));

        let codes = OtpCodes::default();
        let phone: E164 = "+447700900123".parse().unwrap();
        assert!(!codes.verify("alice", DEMO_OTP_CODE), "nothing sent yet");
        assert_eq!(codes.phone_of("alice"), None);
        codes.sent("alice", phone);
        assert_eq!(codes.phone_of("alice"), Some(phone));
        assert!(!codes.verify("alice", "000000"));
        assert!(!codes.verify("alice", "1234567"));
        assert!(codes.verify("alice", DEMO_OTP_CODE));
        assert!(!codes.verify("alice", DEMO_OTP_CODE), "used up");
        assert_eq!(codes.phone_of("alice"), None);
    }

    #[test]
    fn otp_events_carry_the_number_when_known() {
        let base = || {
            Event::new(
                tollgate::EventKind::OtpVerify { channel: None },
                tollgate::Timestamp::EPOCH,
            )
        };
        let phone: E164 = "+447700900123".parse().unwrap();
        let known = otp_event(base(), "alice", Some(phone));
        assert_eq!(known.user, Some(UserId::from("alice")));
        assert_eq!(known.phone, Some(phone));
        assert_eq!(otp_event(base(), "alice", None).phone, None);
    }

    /// A log sink the test reads back.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn log_lines_name_users_by_their_keyed_hash_only() {
        let engine = Engine::new(Policy::default()).unwrap();
        let captured = Captured::default();
        let sink = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .without_time()
            .finish();
        let user = logged_user(&engine, "alice");
        let phone: E164 = "+447700900123".parse().unwrap();
        tracing::subscriber::with_default(subscriber, || {
            log_code_sent(user, &phone, Channel::Sms);
            log_email_changed(user, "alice@example.com");
        });
        let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert_eq!(user, engine.user_hash(&UserId::from("alice")));
        assert_eq!(logs.matches(&format!("user={user}")).count(), 2, "{logs}");
        assert!(logs.contains("phone=+44********23"), "{logs}");
        assert!(logs.contains("email=a***@example.com"), "{logs}");
        for clear in ["alice", "7700900123", DEMO_OTP_CODE] {
            assert!(!logs.contains(clear), "{clear} in {logs}");
        }
    }
}
