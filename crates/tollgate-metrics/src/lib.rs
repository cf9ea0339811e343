//! Prometheus metrics for [tollgate]: what the engine decides and why, how
//! long deciding takes, and the health of its counter store.
//!
//! The core stays sans-IO: [`TollgateMetrics`] is an
//! [`Observer`](tollgate::observe::Observer) the engine calls with every
//! decision, and counts in memory; [`register_memory_store`] reads the
//! in-process store's own counters when scraped. Serving them is the
//! host's: [`encode`] writes the Prometheus text format for its `GET
//! /metrics` handler (the example services do it with `--metrics`).
//!
//! ```
//! use std::sync::Arc;
//! use tollgate::policy::Policy;
//! use tollgate::{Engine, Event, EventKind, Timestamp};
//! use tollgate_metrics::{Registry, TollgateMetrics, encode, register_memory_store};
//!
//! let engine = Arc::new(Engine::new(Policy::default())?);
//! let mut registry = Registry::default();
//! let metrics = TollgateMetrics::new();
//! metrics.register(&mut registry);
//! metrics.attach(&engine);
//! register_memory_store(&mut registry, Arc::clone(&engine));
//!
//! let login = Event::new(EventKind::Login, Timestamp::from(std::time::SystemTime::now()))
//!     .with_ip("203.0.113.7".parse()?);
//! engine.evaluate(&login);
//!
//! let text = encode(&registry)?;
//! assert!(text.contains(r#"tollgate_decisions_total{event="login",action="allow"} 1"#));
//! assert!(text.contains(r#"tollgate_evaluation_seconds_count{event="login"} 1"#));
//! assert!(text.contains("tollgate_store_available 1"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The series
//!
//! | series | labels | what |
//! | --- | --- | --- |
//! | `tollgate_decisions_total` | `event`, `action` | decisions, by event type and enforced action |
//! | `tollgate_reasons_total` | `code`, `rule`, `mode` | reasons in decisions: reason code, policy rule (empty for codes without one), `enforce` or `monitor` |
//! | `tollgate_evaluation_seconds` | `event` | histogram: from the event's timestamp to its decision |
//! | `tollgate_store_available` | | 1 while the counter store answers, 0 while it fails |
//! | `tollgate_store_transitions_total` | `to` | changes of store health, `failing` or `recovered` |
//! | `tollgate_policy_info` | `version` | 1 for the policy version in force (set by the host) |
//! | `tollgate_policy_reloads_total` | `result` | policy reloads, `applied` or `rejected` (counted by the host) |
//! | `tollgate_store_keys`, `tollgate_store_max_keys` | | in-process store: keys tracked, and its cap |
//! | `tollgate_store_sweeps_total` | | in-process store: times it reached its cap and swept |
//! | `tollgate_store_evictions_total` | `state` | in-process store: keys swept, `idle` (no decision changed) or `live` (state forgotten under the cap) |
//! | `tollgate_attack_mode_scopes` | `level`, `warm` | scopes attack mode reads ([`register_status`]): `site`, `country` or `network`, baseline warm or not |
//! | `tollgate_attack_mode_campaigns` | `level` | of them, those with a campaign on: new clients are being stepped up there |
//! | `tollgate_attack_mode_site_ratio` | `share`, `of` | the site's failed and unknown-username shares (`failure`, `unknown_user`), last window and baseline (`window`, `baseline`), 0 to 1 |
//! | `tollgate_site_settled` | | 1 while the site is settled (strangers to any account stepped up), 0 while not; absent before the first verdict |
//! | `tollgate_site_stranger_ratio` | `span` | strangers' share of successful logins, `yesterday` and over the `week`, at the last verdict |
//!
//! Every decision the engine makes is counted, the layer's and the
//! handler's alike: a protected route the layer admits is decided twice
//! (first without the user, then by the handler with it), so decisions
//! per request are between one and two.
//!
//! # Cardinality
//!
//! Labels take values from closed sets only: event types, actions and
//! reason codes are enums of the core; `rule` is a rule name from the
//! policy, written by the operator, never by a client. No label ever
//! holds a user, an address, a phone number or a fingerprint. Rule names
//! are still unbounded over time (each policy reload may rename rules,
//! and old series stay until the process restarts), so the number of
//! `(code, rule, mode)` series is capped
//! ([`MetricsBuilder::max_reason_series`], default
//! [`DEFAULT_MAX_REASON_SERIES`]); past the cap, new rules are counted
//! under `rule="_other"`.
//!
//! # Evaluation time
//!
//! The observer runs when the decision is made; the adapters stamp each
//! event with the system clock right before evaluating it, so the time
//! from [`Observation::at`](tollgate::observe::Observation::at) to the observer's call is the evaluation:
//! preparing, the store's round trip, concluding. Events stamped with
//! another time (a replay of old traffic) would give meaningless
//! durations: observations stamped in the future or more than
//! [`MAX_EVALUATION`] in the past are not timed, and a replaying engine
//! should turn timing off ([`MetricsBuilder::timing`]).
//!
//! # Why `prometheus-client` and not the `metrics` facade
//!
//! The `metrics` facade sends to a process-global recorder that the
//! application installs; handles taken before it is installed stay
//! no-ops for good, and its Prometheus exporter keeps raw histogram
//! samples until a scrape or an upkeep task drains them. A library
//! embedded in someone else's service should not depend on start-up
//! order or on a background task to bound its memory. `prometheus-client`
//! (the Prometheus project's Rust client) has an explicit [`Registry`]
//! the host owns (several engines, several registries, tests in parallel),
//! collectors that read values at scrape time (the evaluation histogram
//! is fixed-size atomics of this crate's, so deciding takes no lock), the
//! text format built in, and four small dependencies. An application that reports through
//! another system (StatsD, OpenTelemetry) implements
//! [`Observer`](tollgate::observe::Observer) itself: [`TollgateMetrics`]'s
//! source is the pattern.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod histogram;
mod labels;
mod metrics;
mod reasons;
mod status;
mod store;
#[cfg(test)]
mod tests;

use std::fmt;
use std::time::Duration;

pub use metrics::{MetricsBuilder, TollgateMetrics};
pub use prometheus_client::registry::Registry;
pub use status::register_status;
pub use store::register_memory_store;

/// The `Content-Type` of what [`encode`] writes: the Prometheus text
/// format, version 0.0.4.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// How many `(code, rule, mode)` series `tollgate_reasons_total` holds
/// before new rules are counted as `rule="_other"`.
pub const DEFAULT_MAX_REASON_SERIES: usize = 1000;

/// The longest time from an event's timestamp to its decision that is
/// taken for an evaluation time; anything older is not timed.
pub const MAX_EVALUATION: Duration = Duration::from_secs(60);

/// The metrics in `registry` in the Prometheus text format (version
/// 0.0.4, [`CONTENT_TYPE`]), for a `GET /metrics` handler.
pub fn encode(registry: &Registry) -> Result<String, fmt::Error> {
    let mut text = String::new();
    prometheus_client::encoding::prometheus_text::encode(&mut text, registry)?;
    Ok(text)
}
