//! Running the example services in production: `--metrics` (Prometheus
//! text at `GET /metrics`) and live policy reload (`SIGHUP`, and with
//! `--watch-policy` a change of the file). `docs/operations.md` tells
//! operators and library users how both work.
//!
//! ```
//! use std::sync::Arc;
//! use tollgate::Engine;
//! use tollgate::policy::Policy;
//! use tollgate_examples::ops::{Exporter, instrument, policy_version};
//!
//! let engine = Arc::new(Engine::new(Policy::default())?);
//! let mut registry = tollgate_metrics::Registry::default();
//! let metrics = instrument(&engine, &mut registry);
//! tollgate_metrics::register_memory_store(&mut registry, Arc::clone(&engine));
//! let text = tollgate_metrics::encode(&registry)?;
//! assert!(text.contains(r#"tollgate_policy_info{version="built-in"} 1"#));
//! metrics.policy_applied(&policy_version(b""));
//! let text = Exporter::new(registry).render()?;
//! assert!(text.contains("tollgate_store_available 1"));
//! assert!(text.contains(r#"tollgate_policy_info{version="e3b0c44298fc"} 1"#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tollgate::Engine;
use tollgate::net::TrustedProxies;
use tollgate::policy::Policy;
use tollgate::store::MemoryStore;
use tollgate_metrics::{Registry, TollgateMetrics};

use crate::demo::{Args, BoxError};

/// How often `--watch-policy` looks at the policy file.
pub const WATCH_INTERVAL: Duration = Duration::from_secs(2);

/// The registry the `/metrics` route renders, shared by every worker.
#[derive(Clone, Debug)]
pub struct Exporter(Arc<Registry>);

impl Exporter {
    /// An exporter of everything in `registry`.
    pub fn new(registry: Registry) -> Self {
        Exporter(Arc::new(registry))
    }

    /// The metrics in the Prometheus text format
    /// ([`tollgate_metrics::CONTENT_TYPE`]).
    pub fn render(&self) -> Result<String, fmt::Error> {
        tollgate_metrics::encode(&self.0)
    }
}

/// The policy version reported while the built-in policy is in force.
pub const BUILT_IN_VERSION: &str = "built-in";

/// Metrics for `engine`, registered in `registry`: the engine's observer,
/// its store-transition hook counting changes of store health as well
/// as logging them (the hook is one slot, so one closure does both), and
/// attack mode's and the settled-site test's gauges by the system clock. The
/// policy version reads [`BUILT_IN_VERSION`] until a [`Reloader`] names
/// the file's.
pub fn instrument<S>(engine: &Arc<Engine<S>>, registry: &mut Registry) -> Arc<TollgateMetrics>
where
    S: Send + Sync + 'static,
{
    tollgate_metrics::register_status(registry, Arc::clone(engine), || {
        tollgate::Timestamp::from(std::time::SystemTime::now())
    });
    let metrics = TollgateMetrics::new();
    metrics.register(registry);
    metrics.attach(engine);
    metrics.policy_applied(BUILT_IN_VERSION);
    let counted = Arc::clone(&metrics);
    engine.on_store_transition(move |transition| {
        tollgate_axum::log_store_transition(transition);
        counted.store_transition(transition);
    });
    metrics
}

/// With `--metrics`: [`instrument`]ed metrics for `engine` and the
/// registry they are in, with the in-process store's series when `store`
/// is that engine over a [`MemoryStore`]; `None` without the flag.
pub fn metrics_for<S>(
    args: &Args,
    engine: &Arc<Engine<S>>,
    store: Option<Arc<Engine<MemoryStore>>>,
) -> Option<(Arc<TollgateMetrics>, Registry)>
where
    S: Send + Sync + 'static,
{
    if !args.metrics {
        return None;
    }
    let mut registry = Registry::default();
    if let Some(store) = store {
        tollgate_metrics::register_memory_store(&mut registry, store);
    }
    Some((instrument(engine, &mut registry), registry))
}

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
    path: PathBuf,
    trust_proxy: Vec<String>,
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

/// What a reload did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reloaded {
    /// The new version is in force.
    Applied {
        /// The version in force before.
        previous: String,
        /// The version in force now.
        live: String,
    },
    /// The file has the version already in force: nothing was done.
    Unchanged(String),
}

/// What a [`Reloader`] knows of the file's versions.
#[derive(Debug)]
struct Versions {
    /// The version in force.
    live: String,
    /// The version last read, applied or not: a watch does not retry a
    /// broken file until it changes again.
    seen: String,
    /// A new version a watch saw once: it reloads when the next look sees
    /// the same, so a file caught half-written (an empty file is a valid,
    /// all-default policy) is not applied.
    pending: Option<String>,
}

/// Reloads a service's policy from its file into its engine. Counters,
/// familiarity and learned state are the store's and stay
/// ([`Engine::set_policy`] keeps them; a renamed rule starts afresh); a
/// file that does not read, parse or validate leaves the running policy in
/// force.
pub struct Reloader<S> {
    engine: Arc<Engine<S>>,
    file: PolicyFile,
    metrics: Option<Arc<TollgateMetrics>>,
    versions: Mutex<Versions>,
}

impl<S> fmt::Debug for Reloader<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reloader")
            .field("file", &self.file)
            .field("live", &self.live())
            .finish_non_exhaustive()
    }
}

impl<S> Reloader<S> {
    /// A reloader for `engine`, whose policy in force was read from `file`
    /// (its version is read now, logged, and set in `metrics`).
    pub fn new(
        engine: Arc<Engine<S>>,
        file: PolicyFile,
        metrics: Option<Arc<TollgateMetrics>>,
    ) -> Result<Self, BoxError> {
        let live = file.version()?;
        tracing::info!(policy = %file.path.display(), policy_version = %live, "policy version {live} live");
        if let Some(metrics) = &metrics {
            metrics.policy_applied(&live);
        }
        Ok(Reloader {
            engine,
            file,
            metrics,
            versions: Mutex::new(Versions {
                live: live.clone(),
                seen: live,
                pending: None,
            }),
        })
    }

    /// The version in force.
    pub fn live(&self) -> String {
        self.versions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .live
            .clone()
    }

    /// Reads the file and installs its policy if its version is not the
    /// one in force, logging the outcome (`trigger` says why: `SIGHUP`, a
    /// file change). On error the running policy stays and the error,
    /// which names the field, is logged and returned.
    pub fn reload(&self, trigger: &str) -> Result<Reloaded, BoxError> {
        let mut versions = self.versions.lock().unwrap_or_else(PoisonError::into_inner);
        // Remembered before parsing: a broken file counts as seen too.
        if let Ok(seen) = self.file.version() {
            versions.seen = seen;
        }
        let result = self.file.read().and_then(|(policy, version)| {
            if version == versions.live {
                return Ok(Reloaded::Unchanged(version));
            }
            self.engine
                .set_policy(policy)
                .map_err(|e| format!("{}: {e}", self.file.path.display()))?;
            let previous = std::mem::replace(&mut versions.live, version.clone());
            Ok(Reloaded::Applied {
                previous,
                live: version,
            })
        });
        let live = versions.live.clone();
        drop(versions);
        match &result {
            Ok(Reloaded::Applied { previous, live }) => {
                tracing::info!(
                    trigger,
                    policy_version = %live,
                    previous_version = %previous,
                    "policy reloaded: version {live} live (counters and learned state kept)"
                );
                if let Some(metrics) = &self.metrics {
                    metrics.policy_applied(live);
                    metrics.policy_reload(true);
                }
            }
            Ok(Reloaded::Unchanged(version)) => {
                tracing::info!(trigger, policy_version = %version, "policy file unchanged: version {version} stays live");
            }
            Err(error) => {
                tracing::warn!(
                    trigger,
                    %error,
                    policy_version = %live,
                    "policy reload rejected: version {live} stays live"
                );
                if let Some(metrics) = &self.metrics {
                    metrics.policy_reload(false);
                }
            }
        }
        result
    }

    /// Whether the file has changed since it was last read and has stayed
    /// the same since the previous look (a watch's cheap check: policy
    /// files are small). Write policy files atomically all the same (write
    /// a new file, rename it over the old one).
    pub fn file_changed(&self) -> bool {
        // A file that cannot be read now (being replaced) is looked at again next time.
        let Ok(now) = self.file.version() else {
            return false;
        };
        let mut versions = self.versions.lock().unwrap_or_else(PoisonError::into_inner);
        if now == versions.seen {
            versions.pending = None;
            return false;
        }
        if versions.pending.as_ref() == Some(&now) {
            return true;
        }
        versions.pending = Some(now);
        false
    }
}

/// The task that reloads on `SIGHUP` and, with `watch`, when the file
/// changes (looked at every [`WATCH_INTERVAL`]). The signal handler is
/// installed before this returns, so a `SIGHUP` that arrives once the
/// service is up never takes the default action (ending the process).
/// Spawn the future on the service's runtime; it runs until the process
/// ends.
#[cfg(unix)]
pub fn reload_task<S: Send + Sync + 'static>(
    reloader: Option<Arc<Reloader<S>>>,
    watch: bool,
) -> Result<impl Future<Output = ()>, BoxError> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangup = signal(SignalKind::hangup()).map_err(|e| format!("SIGHUP handler: {e}"))?;
    Ok(async move {
        let mut ticks = watch.then(|| tokio::time::interval(WATCH_INTERVAL));
        loop {
            let tick = async {
                match &mut ticks {
                    Some(ticks) => {
                        ticks.tick().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                received = hangup.recv() => {
                    if received.is_none() {
                        return;
                    }
                    match &reloader {
                        // Logged inside; the service goes on either way.
                        Some(reloader) => { let _ = reloader.reload("SIGHUP"); }
                        None => tracing::info!("SIGHUP: no --policy file, nothing to reload"),
                    }
                }
                () = tick => {
                    if let Some(reloader) = reloader.as_ref().filter(|r| r.file_changed()) {
                        let _ = reloader.reload("file change");
                    }
                }
            }
        }
    })
}

/// Without Unix signals only `--watch-policy` reloads.
#[cfg(not(unix))]
pub fn reload_task<S: Send + Sync + 'static>(
    reloader: Option<Arc<Reloader<S>>>,
    watch: bool,
) -> Result<impl Future<Output = ()>, BoxError> {
    Ok(async move {
        let (Some(reloader), true) = (reloader, watch) else {
            return;
        };
        let mut ticks = tokio::time::interval(WATCH_INTERVAL);
        loop {
            ticks.tick().await;
            if reloader.file_changed() {
                let _ = reloader.reload("file change");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use tollgate::{Action, Event, EventKind, Timestamp};

    const LIMIT: &str = r#"
        [[limits]]
        name = "login-ip"
        events = ["login"]
        key = ["ip"]
        rate = "1/h"
        burst = 2
    "#;

    fn temp_policy(name: &str, text: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!("tollgate-ops-{}-{name}.toml", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn reloads_keep_counters_and_reject_bad_files_naming_the_field() {
        let path = temp_policy("reload", LIMIT);
        let file = PolicyFile {
            path: path.clone(),
            trust_proxy: vec!["10.0.0.0/8".into()],
        };
        let (policy, first) = file.read().unwrap();
        let engine = Arc::new(Engine::new(policy).unwrap());
        let reloader = Reloader::new(Arc::clone(&engine), file, None).unwrap();
        assert_eq!(reloader.live(), first);
        let login =
            Event::new(EventKind::Login, Timestamp::from_unix_millis(1_000)).with_ip("192.0.2.1".parse().unwrap());
        assert_eq!(engine.evaluate(&login).action, Action::Allow);
        assert_eq!(reloader.reload("test").unwrap(), Reloaded::Unchanged(first.clone()));

        // Same rule, one more zone: the bucket spent before is still spent.
        std::fs::write(
            &path,
            format!("{LIMIT}\n[[zones]]\nname = \"z\"\ncidrs = [\"198.51.100.0/24\"]\naction = \"deny\"\n"),
        )
        .unwrap();
        assert!(!reloader.file_changed(), "seen once: maybe half-written");
        assert!(reloader.file_changed(), "the same twice: complete");
        let Reloaded::Applied { previous, live } = reloader.reload("test").unwrap() else {
            panic!("not applied")
        };
        assert_eq!(previous, first);
        assert_ne!(live, first);
        assert!(!reloader.file_changed());
        assert!(engine.policy().zones.iter().any(|z| z.name == "z"));
        assert!(
            engine
                .policy()
                .network
                .trusted_proxies
                .is_trusted("10.1.2.3".parse().unwrap())
        );
        assert_eq!(engine.evaluate(&login).action, Action::Allow);
        assert!(
            matches!(engine.evaluate(&login).action, Action::Throttle { .. }),
            "burst of 2 spent across the reload"
        );

        std::fs::write(&path, LIMIT.replace("burst = 2", "burst = 0")).unwrap();
        let error = reloader.reload("test").unwrap_err().to_string();
        assert!(error.contains("limits[0].burst"), "{error}");
        assert_eq!(reloader.live(), live, "the running policy stays");
        assert!(engine.policy().zones.iter().any(|z| z.name == "z"));
        assert!(
            !reloader.file_changed(),
            "a rejected file is not retried until it changes"
        );
        std::fs::write(&path, "limits = 3").unwrap();
        assert!(reloader.reload("test").is_err());
        assert_eq!(reloader.live(), live);
        std::fs::remove_file(&path).unwrap();
    }
}
