//! When the policy reloads: [`reload_task`] runs a [`Reloader`]'s reload
//! on `SIGHUP` and, with `--watch-policy`, when the file changes.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::Reloader;
use crate::demo::BoxError;

/// How often `--watch-policy` looks at the policy file.
pub const WATCH_INTERVAL: Duration = Duration::from_secs(2);

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
