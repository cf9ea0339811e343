//! Observing decisions: an [`Observer`] the application registers on the
//! engine receives every decision at or above a threshold, with masked
//! identifiers only, to send on to a log, a SIEM or a queue. The core does
//! no I/O: the observer is called on the deciding thread and should hand
//! the observation off quickly. See `docs/observe.md`.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use tollgate::observe::{Observation, ObserveWhen, Observer};
//! use tollgate::policy::Policy;
//! use tollgate::{Action, Engine, Event, EventKind, Timestamp};
//!
//! #[derive(Debug, Default)]
//! struct Codes(Mutex<Vec<String>>);
//!
//! impl Observer for Codes {
//!     fn observe(&self, o: &Observation<'_>) {
//!         let line = format!("{} {} {} ip={}", o.event_type, o.action.as_str(), o.score, o.ip_prefix.unwrap());
//!         self.0.lock().unwrap().push(line);
//!     }
//! }
//!
//! let codes = Arc::new(Codes::default());
//! let engine = Engine::builder(Policy::default())
//!     .observer(codes.clone(), ObserveWhen::action(Action::Challenge))
//!     .build()?;
//! let login = Event::new(EventKind::Login, Timestamp::EPOCH)
//!     .with_ip("203.0.113.7".parse()?)
//!     .with_compromised_password(true);
//! assert_eq!(engine.evaluate(&login).action, Action::Challenge);
//! assert_eq!(*codes.0.lock().unwrap(), ["login challenge 50 ip=203.0.113.0/24"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
#![doc = include_str!("../../../../docs/observe.md")]

#[cfg(feature = "tracing")]
mod trace;

use std::fmt;

use crate::net::IpNet;
use crate::{Action, Asn, Channel, Country, Decision, E164, EventType, Ja4, Reason, ReasonCode, Timestamp, Verdict};

#[cfg(feature = "tracing")]
pub use trace::TracingObserver;

/// Receives the decisions an engine makes at or above its [`ObserveWhen`].
///
/// Called synchronously from [`Engine::evaluate`](crate::Engine::evaluate)
/// and [`Engine::conclude`](crate::Engine::conclude), once per observed
/// decision, after the decision is made: an observer cannot change it.
/// Keep it quick (push onto a channel, increment a metric); it must not
/// panic.
pub trait Observer: Send + Sync + fmt::Debug {
    /// One observed decision.
    fn observe(&self, observation: &Observation<'_>);

    /// Whether observations carry the event's masked identifiers
    /// ([`Observation::ip_prefix`], `user`, `phone`, `phone_country`,
    /// `country`, `asn`, `ja4`). An observer that only counts (metrics)
    /// returns `false`: the engine then skips masking them on every
    /// evaluation (the user's keyed hash is most of that cost) and those
    /// fields are `None`. Read once, when the observer is registered.
    fn identifiers(&self) -> bool {
        true
    }
}

/// Which decisions are observed: those whose action is at least
/// `min_action` or whose score is at least `min_score` (either suffices;
/// an unset one never matches). With `monitored`, the verdict that
/// monitor-mode rules would have enforced counts too, so a rule under
/// watch is seen before it bites.
///
/// ```
/// use tollgate::Action;
/// use tollgate::observe::ObserveWhen;
///
/// let when = ObserveWhen::action(Action::Deny).or_score(60);
/// assert_eq!(when.min_score, Some(60));
/// assert_eq!(ObserveWhen::default(), ObserveWhen::action(Action::Challenge));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObserveWhen {
    /// Least severe action observed; a throttle matches whatever its wait.
    pub min_action: Option<Action>,
    /// Lowest score observed.
    pub min_score: Option<u8>,
    /// Whether the monitored verdict counts as well as the enforced one.
    pub monitored: bool,
}

impl ObserveWhen {
    /// Decisions at least as severe as `min` (monitored verdicts included).
    pub fn action(min: Action) -> Self {
        ObserveWhen {
            min_action: Some(min),
            min_score: None,
            monitored: true,
        }
    }

    /// Decisions scoring at least `min` (monitored verdicts included).
    pub fn score(min: u8) -> Self {
        ObserveWhen {
            min_action: None,
            min_score: Some(min),
            monitored: true,
        }
    }

    /// Also decisions scoring at least `min`.
    #[must_use]
    pub fn or_score(mut self, min: u8) -> Self {
        self.min_score = Some(min);
        self
    }

    /// Whether monitored verdicts count (default yes).
    #[must_use]
    pub fn with_monitored(mut self, monitored: bool) -> Self {
        self.monitored = monitored;
        self
    }

    /// Whether `decision` is observed.
    pub fn matches(&self, decision: &Decision) -> bool {
        let enforced = Verdict {
            action: decision.action,
            score: decision.score,
        };
        self.verdict(enforced) || (self.monitored && decision.monitored.is_some_and(|v| self.verdict(v)))
    }

    fn verdict(&self, v: Verdict) -> bool {
        self.min_action.is_some_and(|a| severity(v.action) >= severity(a))
            || self.min_score.is_some_and(|s| v.score >= s)
    }
}

impl Default for ObserveWhen {
    /// Challenges, throttles and denials.
    fn default() -> Self {
        ObserveWhen::action(Action::Challenge)
    }
}

fn severity(a: Action) -> u8 {
    match a {
        Action::Allow => 0,
        Action::Challenge => 1,
        Action::Throttle { .. } => 2,
        _ => 3,
    }
}

/// One observed decision and what it was about, identifiers masked: the
/// IP as its network prefix, the user as a keyed hash, the phone number
/// with its middle digits starred. Never a password or a code (events do
/// not carry them).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Observation<'a> {
    /// The event's type.
    pub event_type: EventType,
    /// The OTP channel, for OTP events.
    pub channel: Option<Channel>,
    /// The event's time.
    pub at: Timestamp,
    /// What the decision enforces.
    pub action: Action,
    /// Its score.
    pub score: u8,
    /// What monitored rules would have made it, when any fired.
    pub monitored: Option<Verdict>,
    /// Everything that fired (codes, rules, points, details for operators).
    pub reasons: &'a [Reason],
    /// The client address masked to the policy's `ip_prefix` length
    /// (`keys.ipv4_prefix`, `keys.ipv6_prefix`: /24 and /48 by default).
    pub ip_prefix: Option<IpNet>,
    /// The user, as a keyed hash.
    pub user: Option<UserHash>,
    /// The phone number, masked.
    pub phone: Option<MaskedPhone>,
    /// The phone number's country, for OTP events.
    pub phone_country: Option<Country>,
    /// The client's country.
    pub country: Option<Country>,
    /// The client's network.
    pub asn: Option<Asn>,
    /// The client's TLS fingerprint.
    pub ja4: Option<Ja4>,
}

impl Observation<'_> {
    /// The reasons' codes, in order.
    pub fn reason_codes(&self) -> impl Iterator<Item = ReasonCode> + '_ {
        self.reasons.iter().map(|r| r.code)
    }
}

/// A user id as a keyed hash: the same user gives the same hash for one
/// engine's key secret (for one process, unless the engine has a fixed
/// key seed), and the id cannot be read back. Displays as 16 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserHash(pub(crate) u64);

impl UserHash {
    /// The hash.
    pub fn value(self) -> u64 {
        self.0
    }
}

impl fmt::Display for UserHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl fmt::Debug for UserHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UserHash({self})")
    }
}

/// A phone number masked as [`E164`]'s `Display` masks it (calling code
/// and last two digits shown, `+44********23`). Only the masked text is
/// kept.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MaskedPhone {
    text: [u8; 16],
    len: u8,
}

impl MaskedPhone {
    /// The masked number.
    pub fn as_str(&self) -> &str {
        let text = self.text.get(..usize::from(self.len)).unwrap_or_default();
        std::str::from_utf8(text).unwrap_or_default()
    }
}

impl From<&E164> for MaskedPhone {
    fn from(phone: &E164) -> Self {
        let mut masked = MaskedPhone { text: [0; 16], len: 0 };
        // `+` and at most 15 ASCII characters: the buffer holds them all.
        let _ = fmt::write(&mut masked, format_args!("{phone}"));
        masked
    }
}

impl fmt::Write for MaskedPhone {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for b in s.bytes() {
            let slot = self.text.get_mut(usize::from(self.len)).ok_or(fmt::Error)?;
            *slot = b;
            self.len += 1;
        }
        Ok(())
    }
}

impl fmt::Display for MaskedPhone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for MaskedPhone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MaskedPhone({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_phone_keeps_only_the_mask() {
        let p: E164 = "+447700900123".parse().unwrap();
        let m = MaskedPhone::from(&p);
        assert_eq!(m.as_str(), "+44********23");
        assert_eq!(format!("{m:?}"), "MaskedPhone(+44********23)");
        assert!(!m.text.windows(4).any(|w| w == b"7009"));
        let longest: E164 = "+123456789012345".parse().unwrap();
        assert_eq!(MaskedPhone::from(&longest).as_str().len(), 16);
    }

    #[test]
    fn thresholds_take_either_condition_and_monitored_verdicts() {
        let mut d = Decision::allow();
        let when = ObserveWhen::action(Action::Deny).or_score(60);
        assert!(!when.matches(&d));
        d.score = 60;
        assert!(when.matches(&d));
        d.score = 0;
        d.monitored = Some(Verdict {
            action: Action::Deny,
            score: 0,
        });
        assert!(when.matches(&d));
        assert!(!when.with_monitored(false).matches(&d));
        d.action = Action::Throttle {
            retry_after: std::time::Duration::from_secs(1),
        };
        let throttles = ObserveWhen::action(Action::Throttle {
            retry_after: std::time::Duration::from_secs(60),
        })
        .with_monitored(false);
        assert!(throttles.matches(&d), "any throttle matches a throttle minimum");
    }
}
