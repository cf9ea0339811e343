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

use super::{Engine, EngineBuilder};
use crate::facts::Facts;
use crate::keys::{KeyHasher, network};
use crate::net::IpNet;
use crate::observe::{MaskedPhone, Observation, ObserveWhen, Observer, UserHash};
use crate::policy::KeyOptions;
use crate::{Decision, Event, EventType, Timestamp, UserId};

/// An observer and when it is called.
#[derive(Debug)]
pub(super) struct Registered {
    observer: Arc<dyn Observer>,
    when: ObserveWhen,
    /// The observer's [`Observer::identifiers`], read at registration.
    identifiers: bool,
}

impl Registered {
    fn new(observer: Arc<dyn Observer>, when: ObserveWhen) -> Self {
        let identifiers = observer.identifiers();
        Registered {
            observer,
            when,
            identifiers,
        }
    }
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
            user: event.user.as_ref().map(|u| user_hash(keys, u)),
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
        self.observer = Some(Registered::new(observer, when));
        self
    }
}

impl<S> Engine<S> {
    /// Calls `observer` with every decision `when` matches from now on,
    /// replacing any observer registered before.
    pub fn set_observer(&self, observer: Arc<dyn Observer>, when: ObserveWhen) {
        self.observer.store(Some(Arc::new(Registered::new(observer, when))));
    }

    /// Stops observing.
    pub fn remove_observer(&self) {
        self.observer.store(None);
    }

    /// `user` as the keyed hash observations carry ([`Observation::user`]),
    /// for the service's own logs: a line that shows this hash instead of
    /// the username can be matched with tollgate's observations of the
    /// same account, and the username cannot be read back from it. Like
    /// the account's counters, it hashes the canonical form
    /// ([`UserId::canonical`]): every spelling of one account gives one hash.
    ///
    /// The hash is keyed with the engine's key secret: engines built with
    /// the same secret (instances sharing a store) give the same hash; an
    /// engine with a random secret (the default) gives hashes that mean
    /// nothing outside its process.
    ///
    /// ```
    /// use tollgate::policy::Policy;
    /// use tollgate::{Engine, UserId};
    ///
    /// let engine = Engine::new(Policy::default())?;
    /// let hash = engine.user_hash(&UserId::from("alice"));
    /// assert_eq!(hash, engine.user_hash(&UserId::from("alice")));
    /// assert!(!hash.to_string().contains("alice"));
    /// # Ok::<(), tollgate::policy::PolicyError>(())
    /// ```
    pub fn user_hash(&self, user: &UserId) -> UserHash {
        user_hash(&self.keys, user)
    }

    /// The masked identifiers of `event`, when someone is observing (only
    /// its channel for an observer that wants no identifiers).
    pub(super) fn subject(&self, event: &Event, facts: &Facts, opts: &KeyOptions) -> Option<Subject> {
        let registered = self.observer.load();
        if !registered.as_ref()?.identifiers {
            return Some(Subject {
                channel: event.kind.channel(),
                ..Subject::default()
            });
        }
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

/// The one definition of the observed user hash: [`Subject::mask`] and
/// [`Engine::user_hash`] must agree, or logs stop matching observations.
fn user_hash(keys: &KeyHasher, user: &UserId) -> UserHash {
    UserHash(keys.hash_of(keys.rule_seed("observe.user"), user))
}

pub(super) fn registered(observer: Option<Registered>) -> arc_swap::ArcSwapOption<Registered> {
    arc_swap::ArcSwapOption::new(observer.map(Arc::new))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Mutex;

    use super::*;
    use crate::keys::KeySecret;
    use crate::observe::Observation;
    use crate::policy::Policy;
    use crate::{Action, EventKind};

    #[derive(Debug, Default)]
    struct Users(Mutex<Vec<Option<UserHash>>>);

    impl Observer for Users {
        fn observe(&self, o: &Observation<'_>) {
            self.0.lock().unwrap().push(o.user);
        }
    }

    fn engine(secret: [u8; 16]) -> Engine {
        Engine::builder(Policy::default())
            .key_secret(KeySecret::from_bytes(secret))
            .build()
            .unwrap()
    }

    #[test]
    fn user_hash_is_the_observed_hash_under_the_engine_secret() {
        let engine = engine([7; 16]);
        let seen = Arc::new(Users::default());
        engine.set_observer(seen.clone(), ObserveWhen::action(Action::Allow));
        let login = Event::new(EventKind::Login, Timestamp::EPOCH).with_user("alice");
        engine.evaluate(&login);
        let alice = UserId::from("alice");
        assert_eq!(*seen.0.lock().unwrap(), [Some(engine.user_hash(&alice))]);

        assert_ne!(engine.user_hash(&alice), engine.user_hash(&UserId::from("bob")));
        assert_eq!(
            engine.user_hash(&alice),
            engine.user_hash(&UserId::from("ALICE")),
            "one account, one hash, however it is spelt (as its counters)"
        );
        assert_eq!(
            engine.user_hash(&alice),
            self::engine([7; 16]).user_hash(&alice),
            "instances sharing a secret agree"
        );
        assert_ne!(engine.user_hash(&alice), self::engine([8; 16]).user_hash(&alice));
        assert_eq!(engine.user_hash(&alice).to_string().len(), 16);
    }
}
