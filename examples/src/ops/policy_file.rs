//! The policy file the service was started with ([`PolicyFile`]), read
//! again on a reload, and its version ([`policy_version`]).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tollgate::net::TrustedProxies;
use tollgate::policy::Policy;

use crate::demo::{Args, BoxError, parse_policy};

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
        let (version, policy) = self.read_versioned()?;
        Ok((policy?, version))
    }

    /// The file's version, and its policy or why it has none, from one
    /// read of the file: a reload must not judge one version and install
    /// another written in between. `Err` when the file cannot be read.
    pub fn read_versioned(&self) -> Result<(String, Result<Policy, BoxError>), BoxError> {
        let bytes = std::fs::read(&self.path).map_err(|e| format!("{}: {e}", self.path.display()))?;
        let version = policy_version(&bytes);
        let policy = parse_policy(&self.path, bytes).and_then(|mut policy| {
            if !self.trust_proxy.is_empty() {
                policy.network.trusted_proxies =
                    TrustedProxies::parse(&self.trust_proxy).map_err(|e| format!("--trust-proxy: {e}"))?;
            }
            Ok(policy)
        });
        Ok((version, policy))
    }
}
