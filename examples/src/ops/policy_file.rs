//! The policy file the service was started with ([`PolicyFile`]), read
//! again on a reload, and its version ([`policy_version`]).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tollgate::net::TrustedProxies;
use tollgate::policy::Policy;

use crate::demo::{Args, BoxError};

/// A policy file's version for logs and `tollgate_policy_info`: the first
/// 12 hex digits of the SHA-256 of its bytes. The same file gives the same
/// version on every instance, so a fleet can be checked for one policy.
pub fn policy_version(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// The policy file the service was started with, and the `--trust-proxy`
/// flags that override its proxies (they keep overriding after a reload).
#[derive(Clone, Debug)]
pub struct PolicyFile {
    pub(super) path: PathBuf,
    pub(super) trust_proxy: Vec<String>,
}

impl PolicyFile {
    /// `--policy` and `--trust-proxy` from `args`, or `None` without a
    /// policy file.
    pub fn from_args(args: &Args) -> Option<Self> {
        Some(PolicyFile {
            path: args.policy.clone()?,
            trust_proxy: args.trust_proxy.clone(),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's version, without parsing it.
    pub fn version(&self) -> Result<String, BoxError> {
        let bytes = std::fs::read(&self.path).map_err(|e| format!("{}: {e}", self.path.display()))?;
        Ok(policy_version(&bytes))
    }

    /// The file's policy (validated, proxies overridden as at start-up) and
    /// its version. Errors name the file and, for a bad value, the field
    /// (``policy field `limits[1].burst`: ...``).
    pub fn read(&self) -> Result<(Policy, String), BoxError> {
        let bytes = std::fs::read(&self.path).map_err(|e| format!("{}: {e}", self.path.display()))?;
        let version = policy_version(&bytes);
        let text = String::from_utf8(bytes).map_err(|e| format!("{}: {e}", self.path.display()))?;
        let json = self.path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let mut policy = if json {
            Policy::from_json(&text)
        } else {
            Policy::from_toml(&text)
        }
        .map_err(|e| format!("{}: {e}", self.path.display()))?;
        if !self.trust_proxy.is_empty() {
            policy.network.trusted_proxies =
                TrustedProxies::parse(&self.trust_proxy).map_err(|e| format!("--trust-proxy: {e}"))?;
        }
        Ok((policy, version))
    }
}
