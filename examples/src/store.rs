//! Where the example services keep tollgate's counters: in the process by
//! default, or with `--redis URL` in Redis, shared by every instance started
//! with the same URL, `--redis-prefix` and `--key-secret`, so a client
//! gets one budget across all of them, not one per instance.
//!
//! ```
//! use clap::Parser;
//! use tollgate_examples::demo::Args;
//! use tollgate_examples::store::{RedisUrl, redis_engine};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // Without a key secret the instances could not find each other's counters.
//! let args = Args::parse_from(["axum_login", "--redis", "redis://127.0.0.1:6379/"]);
//! if args.key_secret.is_none() {
//!     let err = redis_engine(&args).await.unwrap_err();
//!     assert!(err.to_string().contains("openssl rand -hex 16"));
//! }
//! // Passwords in the URL are never shown.
//! let url = RedisUrl::from("redis://:hunter2@10.0.0.5:6379/0".to_owned());
//! assert_eq!(url.redacted(), "redis://***@10.0.0.5:6379/0");
//! # }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tollgate::Engine;
use tollgate::keys::KeySecret;
use tollgate_redis::{ConfigError, RedisConfig, RedisStore};

use crate::demo::{Args, BoxError, Users, load_on};

/// What an operator is told when `--redis` comes without a key secret
/// (before the engine builder, which refuses a shared store without one
/// too, in terms of its API).
const NO_SECRET: &str = "--redis needs a key secret shared by every instance: \
make one with `openssl rand -hex 16` and pass it to each instance as \
TOLLGATE_KEY_SECRET=<hex> (or --key-secret <hex>)";

/// A Redis URL from the command line. Its `Debug` shows it
/// [`redacted`](RedisUrl::redacted).
#[derive(Clone)]
pub struct RedisUrl(String);

impl From<String> for RedisUrl {
    fn from(url: String) -> Self {
        RedisUrl(url)
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RedisUrl").field(&self.redacted()).finish()
    }
}

impl RedisUrl {
    /// The URL as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL for logs: user and password replaced by `***`, query
    /// (where `redis+unix://` URLs carry a password) and fragment dropped.
    pub fn redacted(&self) -> String {
        let Some((scheme, rest)) = self.0.split_once("://") else {
            return "***".to_owned();
        };
        // The last `@` ends the user part, whatever the password holds
        // (`/`, `?`, `#` included); a query or fragment after it goes too.
        let (user, host) = match rest.rsplit_once('@') {
            Some((_, host)) => ("***@", host),
            None => ("", rest),
        };
        let host = host.split(['?', '#']).next().unwrap_or_default();
        format!("{scheme}://{user}{host}")
    }
}

/// A key secret from `--key-secret` or `TOLLGATE_KEY_SECRET`, parsed when
/// used so that no error message (clap's included) ever quotes it. Its
/// `Debug` hides it.
#[derive(Clone)]
pub struct SecretArg(String);

impl From<String> for SecretArg {
    fn from(hex: String) -> Self {
        SecretArg(hex)
    }
}

impl fmt::Debug for SecretArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretArg(..)")
    }
}

impl SecretArg {
    /// The secret, or an error that does not quote the input.
    pub fn parse(&self) -> Result<KeySecret, BoxError> {
        self.0.parse().map_err(|_| {
            "--key-secret / TOLLGATE_KEY_SECRET: not 32 hexadecimal digits \
             (make one with `openssl rand -hex 16`)"
                .into()
        })
    }
}

/// `--pow-secret` / `TOLLGATE_POW_SECRET`: hexadecimal, never printed.
#[derive(Clone)]
pub struct PowSecretArg(String);

impl From<String> for PowSecretArg {
    fn from(hex: String) -> Self {
        PowSecretArg(hex)
    }
}

impl fmt::Debug for PowSecretArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PowSecretArg(..)")
    }
}

impl PowSecretArg {
    /// The secret, or an error that does not quote the input.
    pub fn parse(&self) -> Result<tollgate::pow::PowSecret, BoxError> {
        const WHAT: &str = "--pow-secret / TOLLGATE_POW_SECRET";
        let hex = self.0.trim().as_bytes();
        if hex.len() % 2 != 0 {
            return Err(
                format!("{WHAT}: not hexadecimal digits in pairs (make one with `openssl rand -hex 32`)").into(),
            );
        }
        let digit = |c: u8| char::from(c).to_digit(16);
        let bytes = hex
            .chunks_exact(2)
            .map(|pair| match pair {
                [hi, lo] => Some((digit(*hi)? << 4 | digit(*lo)?) as u8),
                _ => None,
            })
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| format!("{WHAT}: not hexadecimal (make one with `openssl rand -hex 32`)"))?;
        tollgate::pow::PowSecret::new(bytes).map_err(|e| format!("{WHAT}: {e}").into())
    }
}

/// The Redis settings the flags describe, or `None` without `--redis`.
pub fn redis_config(args: &Args) -> Result<Option<(RedisConfig, KeySecret)>, BoxError> {
    let Some(url) = &args.redis else {
        return Ok(None);
    };
    let secret = args.key_secret.as_ref().ok_or(NO_SECRET)?.parse()?;
    let mut config = RedisConfig::new(url.as_str()).prefix(args.redis_prefix.as_str());
    if let Some(ms) = args.redis_timeout_ms {
        config = config.timeout(Duration::from_millis(ms));
    }
    Ok(Some((config, secret)))
}

/// With `--redis`: the engine over Redis (its store health changes logged
/// once each) and the users the flags describe; `None` without it (then
/// [`load`](crate::demo::load) builds the in-process engine). Connects
/// lazily: Redis being down at start-up is not an error; until it answers,
/// the policy's `[store] on_failure` decides. Must run inside tokio.
pub async fn redis_engine(args: &Args) -> Result<Option<(Arc<Engine<RedisStore>>, Users)>, BoxError> {
    let Some((config, secret)) = redis_config(args)? else {
        return Ok(None);
    };
    let store = RedisStore::connect(config).await.map_err(|e| match e {
        ConfigError::Prefix => format!("--redis-prefix: {e}"),
        ConfigError::Timeout => format!("--redis-timeout-ms: {e}"),
        _ => {
            let url = args.redis.as_ref().map(RedisUrl::redacted).unwrap_or_default();
            format!("--redis {url}: {e}")
        }
    })?;
    let (engine, users) = load_on(args, store, Some(secret))?;
    engine.on_store_transition(tollgate_axum::log_store_transition);
    Ok(Some((engine, users)))
}

/// The store the flags choose, for the start-up log (no password).
pub fn describe(args: &Args) -> String {
    match &args.redis {
        Some(url) => format!("redis {} prefix {}", url.redacted(), args.redis_prefix),
        None => "memory (this process only)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redacted(url: &str) -> String {
        RedisUrl::from(url.to_owned()).redacted()
    }

    #[test]
    fn urls_are_redacted() {
        assert_eq!(redacted("redis://127.0.0.1:6379/"), "redis://127.0.0.1:6379/");
        assert_eq!(redacted("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        assert_eq!(redacted("redis://:pw@host:6379/2"), "redis://***@host:6379/2");
        assert_eq!(redacted("rediss://user:p@ss@host/"), "rediss://***@host/");
        assert_eq!(
            redacted("redis+unix:///run/redis.sock?pass=pw"),
            "redis+unix:///run/redis.sock"
        );
        assert_eq!(redacted("redis://:a/b?c#d@host/"), "redis://***@host/");
        assert_eq!(redacted("pw-without-scheme"), "***");
        let url = RedisUrl::from("redis://:hunter2@host/".to_owned());
        assert!(!format!("{url:?}").contains("hunter2"));
    }

    #[test]
    fn secrets_never_show() {
        let secret = SecretArg::from("000102030405060708090a0b0c0d0e0f".to_owned());
        assert!(secret.parse().is_ok());
        assert_eq!(format!("{secret:?}"), "SecretArg(..)");
        let err = SecretArg::from("not-the-secret".to_owned()).parse().unwrap_err();
        assert!(!err.to_string().contains("not-the-secret"), "{err}");
        assert!(err.to_string().contains("openssl rand -hex 16"), "{err}");
    }
}
