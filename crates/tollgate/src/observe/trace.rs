//! Observed decisions as `tracing` events (feature `tracing`).
//!
//! ```
//! use std::sync::Arc;
//! use tollgate::observe::{ObserveWhen, TracingObserver};
//! use tollgate::policy::Policy;
//! use tollgate::Engine;
//!
//! let engine = Engine::builder(Policy::default())
//!     .observer(Arc::new(TracingObserver), ObserveWhen::default())
//!     .build()?;
//! # let _ = engine;
//! # Ok::<(), tollgate::policy::PolicyError>(())
//! ```

use std::fmt;

use super::{Observation, Observer};
use crate::Action;

/// Emits one `tracing` event per observed decision, target
/// [`TracingObserver::TARGET`], at `WARN` for a denial or throttle and
/// `INFO` otherwise, with the fields `event_type`, `channel`, `action`,
/// `retry_after_secs`, `score`, `monitored_action`, `monitored_score`,
/// `reasons` (the codes, comma-separated), `rules`, `ip_prefix`, `user` (a
/// keyed hash), `phone` (masked), `phone_country`, `country`, `asn` and
/// `ja4`; fields without a value are left out.
#[derive(Clone, Copy, Debug, Default)]
pub struct TracingObserver;

impl TracingObserver {
    /// The events' target.
    pub const TARGET: &'static str = "tollgate::decision";
}

/// The reasons' codes (or rule names), comma-separated, written lazily.
struct Codes<'a>(&'a Observation<'a>, bool);

impl fmt::Display for Codes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = self.0.reasons.iter().filter_map(|r| match self.1 {
            false => Some(r.code.as_str()),
            true => r.rule.as_deref(),
        });
        for (i, name) in names.enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(name)?;
        }
        Ok(())
    }
}

macro_rules! emit {
    ($level:expr, $o:expr) => {{
        let o = $o;
        tracing::event!(
            target: TracingObserver::TARGET,
            $level,
            event_type = o.event_type.as_str(),
            channel = o.channel.map(|c| c.as_str()),
            action = o.action.as_str(),
            retry_after_secs = o.action.retry_after_secs(),
            score = o.score,
            monitored_action = o.monitored.map(|v| v.action.as_str()),
            monitored_score = o.monitored.map(|v| v.score),
            reasons = %Codes(o, false),
            rules = %Codes(o, true),
            ip_prefix = o.ip_prefix.map(tracing::field::display),
            user = o.user.map(tracing::field::display),
            phone = o.phone.map(tracing::field::display),
            phone_country = o.phone_country.map(tracing::field::display),
            country = o.country.map(tracing::field::display),
            asn = o.asn.map(|a| a.0),
            ja4 = o.ja4.map(tracing::field::display),
            "tollgate decision"
        )
    }};
}

impl Observer for TracingObserver {
    fn observe(&self, o: &Observation<'_>) {
        match o.action {
            Action::Deny | Action::Throttle { .. } => emit!(tracing::Level::WARN, o),
            _ => emit!(tracing::Level::INFO, o),
        }
    }
}
