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

mod metrics;
mod policy_file;
mod reload;
mod reload_task;

pub use metrics::{BUILT_IN_VERSION, Exporter, instrument, metrics_for};
pub use policy_file::{PolicyFile, policy_version};
pub use reload::{Reloaded, Reloader};
pub use reload_task::{WATCH_INTERVAL, reload_task};
