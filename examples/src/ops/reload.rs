//! Reloading the policy: a [`Reloader`] installs its file's policy in the
//! engine when the version changed, keeping the running policy when the
//! file is bad, and tells a watch when the file has changed.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use tollgate::Engine;
use tollgate_metrics::TollgateMetrics;

use super::PolicyFile;
use crate::demo::BoxError;

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
        let result = self.file.read_versioned().and_then(|(version, policy)| {
            // Seen before it is parsed: a broken file counts as seen too.
            versions.seen = version.clone();
            let policy = policy?;
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::path::PathBuf;

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
