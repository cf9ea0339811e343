//! Building the engine from the flags: the policy and geo files, the
//! trusted proxies, the store and its key secret, the proof-of-work secret,
//! and the users.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tollgate::Engine;
use tollgate::geo::{GeoDb, GeoSet};
use tollgate::keys::KeySecret;
use tollgate::net::TrustedProxies;
use tollgate::policy::Policy;
use tollgate::pow::{PowConfig, PowSecret};
use tollgate::store::{AsyncStore, MemoryStore};

use super::{Args, BoxError, Users};
use crate::store::{PowSecretArg, SecretArg};

/// Reads a policy file: JSON when the name ends in `.json`, else TOML.
pub fn load_policy(path: &Path) -> Result<Policy, BoxError> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_policy(path, bytes)
}

/// The policy in `bytes`, read from `path`: JSON when the name ends in
/// `.json`, else TOML. Errors name the file and, for a bad value, the
/// field. At start-up and on a reload alike, so both read a file the same
/// way.
pub fn parse_policy(path: &Path, bytes: Vec<u8>) -> Result<Policy, BoxError> {
    let text = String::from_utf8(bytes).map_err(|e| format!("{}: {e}", path.display()))?;
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
