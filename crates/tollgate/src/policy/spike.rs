//! Event-rate spikes (`[spike]`): the rate of one event type, overall and
//! per client country and per network (ASN), against its own baseline.
//!
//! ```
//! use tollgate::policy::Policy;
//!
//! let policy = Policy::from_toml("[spike]\nfactor = 8\ncountry = { min_events = 30, points = 20 }")?;
//! assert_eq!(policy.spike.country.min_events, 30);
//! assert_eq!(policy.spike.asn.points, 10);
//! let err = Policy::from_toml("[spike]\nwindow_secs = 3600\nbaseline_hours = 4\nwarmup_hours = 1").unwrap_err();
//! assert_eq!(err.field(), Some("spike.factor"));
//! # Ok::<(), tollgate::policy::PolicyError>(())
//! ```

use super::PolicyError;
use crate::EventType;

/// Spike detection on event rates. See `docs/spike.md`.
///
/// Every evaluated event of a type in `events` counts (attempts, not
/// recorded outcomes: a spike of attack traffic is a spike of attempts,
/// refused ones included) in a short window of `window_secs` and in a
/// baseline of `baseline_hours`, once for its type, once for its type and
/// client country, once for its type and ASN. A level fires
/// `spike.event_rate` when the short window holds at least its
/// `min_events` and its rate is more than `factor` times the baseline's.
/// Nothing fires until the type's baseline has seen events in at least
/// `warmup_hours` distinct hours, so a fresh store (a restart of an
/// in-process one) does not take its first busy minutes for a spike.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Spike {
    /// Event types watched (default login, sign-up and OTP send; empty
    /// turns spike detection off).
    pub events: Vec<EventType>,
    /// The short window, in seconds (default 600; 60 to 3600).
    pub window_secs: u32,
    /// The baseline's sliding window, in hours (default 24; 1 to 720).
    pub baseline_hours: u32,
    /// Distinct hours with events the baseline needs before spikes are
    /// reported (default 6; 0 to 64 and at most `baseline_hours`).
    pub warmup_hours: u32,
    /// How many times the baseline's rate makes a spike (default 5; at
    /// least 2, and below the baseline's length in short windows, since the
    /// baseline includes the short window).
    pub factor: u32,
    /// Per event type (default 200 events, 10 points).
    pub kind: SpikeLevel,
    /// Per event type and client country (default 50 events, 10 points).
    pub country: SpikeLevel,
    /// Per event type and network (default 50 events, 10 points).
    pub asn: SpikeLevel,
    /// Report without enforcing.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "std::ops::Not::not"))]
    pub monitor: bool,
}

/// One level of spike detection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct SpikeLevel {
    /// Events in the short window below which nothing is a spike (at
    /// least 1): keeps quiet services from alarming on a handful.
    pub min_events: u32,
    /// Points of a spike (0 turns the level off and saves its counters).
    pub points: u8,
}

impl SpikeLevel {
    /// A level firing from `min_events` with `points`.
    pub fn new(min_events: u32, points: u8) -> Self {
        SpikeLevel { min_events, points }
    }
}

impl Default for Spike {
    fn default() -> Self {
        Spike {
            events: vec![EventType::Login, EventType::Signup, EventType::OtpSend],
            window_secs: 600,
            baseline_hours: 24,
            warmup_hours: 6,
            factor: 5,
            kind: SpikeLevel::new(200, 10),
            country: SpikeLevel::new(50, 10),
            asn: SpikeLevel::new(50, 10),
            monitor: false,
        }
    }
}

pub(super) fn validate(s: &Spike) -> Result<(), PolicyError> {
    let field = |f: &str| format!("spike.{f}");
    if s.events
        .iter()
        .enumerate()
        .any(|(i, e)| s.events.iter().skip(i + 1).any(|o| o == e))
    {
        return Err(PolicyError::invalid(field("events"), "lists an event type twice"));
    }
    if !(60..=3600).contains(&s.window_secs) {
        return Err(PolicyError::invalid(field("window_secs"), "must be 60 to 3600"));
    }
    if !(1..=720).contains(&s.baseline_hours) {
        return Err(PolicyError::invalid(field("baseline_hours"), "must be 1 to 720"));
    }
    if s.warmup_hours > 64 || s.warmup_hours > s.baseline_hours {
        return Err(PolicyError::invalid(
            field("warmup_hours"),
            "must be 0 to 64 and at most baseline_hours",
        ));
    }
    let windows = u64::from(s.baseline_hours) * 3600 / u64::from(s.window_secs);
    if s.factor < 2 || u64::from(s.factor) >= windows {
        return Err(PolicyError::invalid(
            field("factor"),
            "must be at least 2 and below baseline_hours * 3600 / window_secs",
        ));
    }
    for (name, level) in [("kind", s.kind), ("country", s.country), ("asn", s.asn)] {
        if level.min_events == 0 {
            return Err(PolicyError::invalid(
                field(&format!("{name}.min_events")),
                "must be at least 1",
            ));
        }
        if level.points > 100 {
            return Err(PolicyError::invalid(
                field(&format!("{name}.points")),
                "must be 0 to 100",
            ));
        }
    }
    Ok(())
}
