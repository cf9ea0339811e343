//! The engine's side of observation: registering an observer, masking an
//! event's identifiers when it is prepared, notifying after `conclude`.
//!
//! ```
//! use std::sync::Arc;
//! use tollgate::observe::{Observation, ObserveWhen, Observer};
//! use tollgate::policy::Policy;
//! use tollgate::{Engine, Event, EventKind, Timestamp};
//!
//! #[derive(Debug)]
//! struct Nothing;
//! impl Observer for Nothing {
//!     fn observe(&self, _: &Observation<'_>) {}
//! }
//!
//! let engine = Engine::new(Policy::default())?;
//! engine.set_observer(Arc::new(Nothing), ObserveWhen::score(1));
//! engine.evaluate(&Event::new(EventKind::Login, Timestamp::EPOCH));
//! engine.remove_observer();
//! # Ok::<(), tollgate::policy::PolicyError>(())
//! ```

use std::sync::Arc;

use super::facts::Facts;
use super::{Engine, EngineBuilder};
use crate::limiter::key::{KeyHasher, network};
use crate::net::IpNet;
use crate::observe::{MaskedPhone, Observation, ObserveWhen, Observer, UserHash};
use crate::policy::KeyOptions;
use crate::{Decision, Event, EventType, Timestamp};

/// An observer and when it is called.
#[derive(Debug)]
pub(super) struct Registered {
    observer: Arc<dyn Observer>,
    when: ObserveWhen,
}

/// An event's identifiers, masked when the plan is made (only while an
/// observer is registered), so the plan never holds them in clear.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Subject {
    channel: Option<crate::Channel>,
    ip_prefix: Option<IpNet>,
    user: Option<UserHash>,
    phone: Option<MaskedPhone>,
    phone_country: Option<crate::Country>,
    country: Option<crate::Country>,
    asn: Option<crate::Asn>,
    ja4: Option<crate::Ja4>,
}

impl Subject {
    fn mask(keys: &KeyHasher, event: &Event, facts: &Facts, opts: &KeyOptions) -> Self {
        let ip_prefix = event.ip.and_then(|ip| {
            let net = network(ip, opts);
            let len = if net.is_ipv4() {
                opts.ipv4_prefix
            } else {
                opts.ipv6_prefix
            };
            IpNet::new(net, len).ok()
        });
        Subject {
            channel: event.kind.channel(),
            ip_prefix,
            user: event
                .user
                .as_ref()
                .map(|u| UserHash(keys.hash_of(keys.rule_seed("observe.user"), u))),
            phone: event.phone.as_ref().map(MaskedPhone::from),
            phone_country: facts.phone.and_then(|p| p.country),
            country: facts.country,
            asn: facts.asn,
            ja4: event.ja4,
        }
    }
}

impl<S> EngineBuilder<S> {
    /// Calls `observer` with every decision `when` matches.
    pub fn observer(mut self, observer: Arc<dyn Observer>, when: ObserveWhen) -> Self {
        self.observer = Some(Registered { observer, when });
        self
    }
}

impl<S> Engine<S> {
    /// Calls `observer` with every decision `when` matches from now on,
    /// replacing any observer registered before.
    pub fn set_observer(&self, observer: Arc<dyn Observer>, when: ObserveWhen) {
        self.observer.store(Some(Arc::new(Registered { observer, when })));
    }

    /// Stops observing.
    pub fn remove_observer(&self) {
        self.observer.store(None);
    }

    /// The masked identifiers of `event`, when someone is observing.
    pub(super) fn subject(&self, event: &Event, facts: &Facts, opts: &KeyOptions) -> Option<Subject> {
        self.observer.load().as_ref()?;
        Some(Subject::mask(&self.keys, event, facts, opts))
    }

    /// Hands `decision` to the observer if it is observed. Costs a load
    /// and a comparison otherwise.
    pub(super) fn notify(&self, event_type: EventType, at: Timestamp, subject: Option<Subject>, decision: &Decision) {
        let registered = self.observer.load();
        let Some(registered) = registered.as_ref().filter(|r| r.when.matches(decision)) else {
            return;
        };
        let subject = subject.unwrap_or_default();
        let observation = Observation {
            event_type,
            channel: subject.channel,
            at,
            action: decision.action,
            score: decision.score,
            monitored: decision.monitored,
            reasons: &decision.reasons,
            ip_prefix: subject.ip_prefix,
            user: subject.user,
            phone: subject.phone,
            phone_country: subject.phone_country,
            country: subject.country,
            asn: subject.asn,
            ja4: subject.ja4,
        };
        registered.observer.observe(&observation);
    }
}

pub(super) fn registered(observer: Option<Registered>) -> arc_swap::ArcSwapOption<Registered> {
    arc_swap::ArcSwapOption::new(observer.map(Arc::new))
}
