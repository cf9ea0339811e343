//! The engine: policy + store + the decision path.

mod asynchronous;
mod compiled;
mod conversion;
mod cross;
mod familiarity;
mod fingerprints;
mod live;
mod observe;
mod otp;
mod plan;
mod post_login;
mod record;
mod relay;
mod resend;
mod screen;
mod spend;
mod spike;
mod stuffing;
mod travel;
mod verdict;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use arc_swap::ArcSwap;
use smallvec::SmallVec;

pub use asynchronous::StoreTransition;
pub use plan::{Ops, Plan};

use crate::facts::Facts;
#[cfg(feature = "geo")]
use crate::geo::GeoSet;
use crate::keys::KeyHasher;
use crate::keys::KeySecret;
use crate::net::IpSet;
use crate::policy::RiskTier;
use crate::policy::{Exempt, FingerprintList, Policy, PolicyError};
use crate::store::{AsyncStore, CapMode, MemoryStore, Op, OpResult, Store, StoreKey};
use crate::{Decision, E164, Event};
use compiled::{Active, Lists};
use familiarity::{Feature, Seeds};
use plan::Step;

/// Decides on events, learns from outcomes.
///
/// One engine serves the whole process: it is `Send + Sync`, lock-free on
/// the policy (arc-swap) and sharded on the counters. Two drivers share
/// one path: [`evaluate`](Engine::evaluate) runs it against the engine's own
/// store; [`prepare`](Engine::prepare) and [`conclude`](Engine::conclude)
/// split it around a store the caller runs, such as a networked one;
/// [`evaluate_async`](Engine::evaluate_async) runs that split over an
/// [`AsyncStore`], with the policy's `[store] on_failure` while it fails.
///
/// ```
/// use tollgate::{Action, Engine, Event, EventKind, Timestamp};
/// use tollgate::policy::{Dimension, LimitRule, Policy};
///
/// let mut policy = Policy::default();
/// policy.limits = vec![LimitRule::new("login-ip", &[tollgate::EventType::Login], &[Dimension::Ip], "2/min".parse()?, 2)];
/// let engine = Engine::new(policy)?;
///
/// let at = Timestamp::from_unix_millis(1_700_000_000_000);
/// let login = Event::new(EventKind::Login, at).with_ip("203.0.113.7".parse::<std::net::IpAddr>()?);
/// assert_eq!(engine.evaluate(&login).action, Action::Allow);
/// assert_eq!(engine.evaluate(&login).action, Action::Allow);
/// let third = engine.evaluate(&login);
/// assert_eq!(third.action.retry_after_secs(), Some(30));
/// assert_eq!(third.reasons[0].code.as_str(), "limit.exceeded");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Engine<S = MemoryStore> {
    active: ArcSwap<Active>,
    /// Lists zones and fingerprint rules refer to by name, as the host
    /// last attached them.
    lists: Mutex<Lists>,
    #[cfg(feature = "geo")]
    geo: arc_swap::ArcSwapOption<GeoSet>,
    keys: KeyHasher,
    seeds: Seeds,
    travel_seed: u64,
    store: S,
    health: asynchronous::Health,
    observer: arc_swap::ArcSwapOption<observe::Registered>,
}

impl Engine<MemoryStore> {
    /// An engine with an in-process store of the default size.
    pub fn new(policy: Policy) -> Result<Self, PolicyError> {
        Engine::builder(policy).build()
    }

    /// Starts an engine with more options than [`Engine::new`].
    ///
    /// ```
    /// use tollgate::Engine;
    /// use tollgate::policy::Policy;
    /// use tollgate::store::MemoryStore;
    ///
    /// let engine = Engine::builder(Policy::default())
    ///     .store(MemoryStore::new(100_000))
    ///     .key_seed(42)
    ///     .build()?;
    /// assert_eq!(engine.store().max_keys(), 100_000);
    /// # Ok::<(), tollgate::policy::PolicyError>(())
    /// ```
    pub fn builder(policy: Policy) -> EngineBuilder<MemoryStore> {
        EngineBuilder {
            policy,
            store: MemoryStore::default(),
            key_secret: None,
            observer: None,
        }
    }
}

/// Options for an [`Engine`]; the policy is validated once, in
/// [`build`](EngineBuilder::build).
#[derive(Debug)]
#[must_use]
pub struct EngineBuilder<S> {
    policy: Policy,
    store: S,
    key_secret: Option<KeySecret>,
    observer: Option<observe::Registered>,
}

impl<S: AsyncStore> EngineBuilder<S> {
    /// Uses `store` for counters.
    pub fn store<T: AsyncStore>(self, store: T) -> EngineBuilder<T> {
        EngineBuilder {
            policy: self.policy,
            store,
            key_secret: self.key_secret,
            observer: self.observer,
        }
    }

    /// Hashes counter keys under `secret` instead of a random one. Every
    /// instance that shares a store must use the same secret (and policy
    /// rule names) to find the same counters; keep it as secret as a
    /// session key: whoever knows it can aim hash collisions at other
    /// clients' counters and test guesses of identifiers against keys.
    pub fn key_secret(mut self, secret: KeySecret) -> Self {
        self.key_secret = Some(secret);
        self
    }

    /// Derives counter keys from `seed` ([`KeySecret::from_seed`]), so two
    /// runs on the same traffic evict the same keys: for simulations and
    /// replays. In production use [`key_secret`](Self::key_secret), or
    /// leave both unset (a random secret) when no other process shares the
    /// store.
    pub fn key_seed(self, seed: u64) -> Self {
        self.key_secret(KeySecret::from_seed(seed))
    }

    /// Validates the policy and builds the engine.
    ///
    /// Fails with [`PolicyError::SharedStoreWithoutSecret`] when the store
    /// [is shared](AsyncStore::is_shared) and neither
    /// [`key_secret`](Self::key_secret) nor [`key_seed`](Self::key_seed)
    /// was set: a random secret per instance would give every instance
    /// its own counters.
    pub fn build(self) -> Result<Engine<S>, PolicyError> {
        let secret = match self.key_secret {
            Some(secret) => secret,
            None if self.store.is_shared() => return Err(PolicyError::SharedStoreWithoutSecret),
            None => KeySecret::random(),
        };
        let keys = KeyHasher::with_secret(&secret);
        let active = Active::compile(Arc::new(self.policy), &keys, &Lists::default())?;
        Ok(Engine {
            active: ArcSwap::from_pointee(active),
            lists: Mutex::new(Lists::default()),
            #[cfg(feature = "geo")]
            geo: arc_swap::ArcSwapOption::empty(),
            seeds: Seeds::new(&keys),
            travel_seed: keys.rule_seed("travel.last_login"),
            keys,
            store: self.store,
            health: asynchronous::Health::default(),
            observer: observe::registered(self.observer),
        })
    }
}

impl<S> Engine<S> {
    /// An engine over the given store.
    pub fn with_store(policy: Policy, store: S) -> Result<Self, PolicyError>
    where
        S: AsyncStore,
    {
        Engine::builder(policy).store(store).build()
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The policy in force.
    pub fn policy(&self) -> Arc<Policy> {
        Arc::clone(&self.active.load().policy)
    }

    /// The risk tier of a destination number under the policy in force.
    pub fn risk_tier(&self, phone: &E164) -> RiskTier {
        self.active.load().otp.tier(&crate::phone::classify(phone))
    }

    /// Validates and installs a new policy. Counters carry over: a rule's
    /// counters are found by its name, so renaming a rule starts it afresh.
    /// Events already being decided finish under the old policy.
    pub fn set_policy(&self, policy: Policy) -> Result<(), PolicyError> {
        let lists = self.lists.lock().unwrap_or_else(PoisonError::into_inner);
        let active = Active::compile(Arc::new(policy), &self.keys, &lists)?;
        self.active.store(Arc::new(active));
        Ok(())
    }

    /// Attaches (or replaces) the list `name` that zones refer to, e.g. a
    /// blocklist file the host read and parsed with
    /// [`IpSet::parse_list`]. Counters are kept; events already being
    /// decided finish with the old list.
    ///
    /// ```
    /// use tollgate::{Action, Engine, Event, EventKind, Timestamp};
    /// use tollgate::net::IpSet;
    /// use tollgate::policy::Policy;
    ///
    /// let policy = Policy::from_toml(r#"
    ///     [[zones]]
    ///     name = "drop"
    ///     lists = ["spamhaus-drop"]
    ///     action = "deny"
    /// "#)?;
    /// let engine = Engine::new(policy)?;
    /// engine.set_list("spamhaus-drop", IpSet::parse_list("192.0.2.0/24 ; SBL1\n")?);
    /// let login = Event::new(EventKind::Login, Timestamp::EPOCH).with_ip("192.0.2.9".parse()?);
    /// assert_eq!(engine.evaluate(&login).action, Action::Deny);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_list(&self, name: &str, list: IpSet) {
        let mut lists = self.lists.lock().unwrap_or_else(PoisonError::into_inner);
        lists.ip.insert(name.to_owned(), list);
        self.recompile(&lists);
    }

    /// Detaches the list `name`; zones naming it match nothing through it.
    pub fn remove_list(&self, name: &str) {
        let mut lists = self.lists.lock().unwrap_or_else(PoisonError::into_inner);
        if lists.ip.remove(name).is_some() {
            self.recompile(&lists);
        }
    }

    /// Attaches (or replaces) the fingerprint list `name` that fingerprint
    /// rules (`lists`) and the browser table (`fingerprints.browser_lists`)
    /// refer to, e.g. a file the host read and parsed with
    /// [`FingerprintList::parse`]. Fingerprint lists and IP lists have
    /// separate names. Events already being decided finish with the old list.
    ///
    /// ```
    /// use tollgate::{Action, Engine, Event, EventKind, Timestamp};
    /// use tollgate::policy::{FingerprintList, Policy};
    ///
    /// let policy = Policy::from_toml(r#"
    ///     [[fingerprints.rules]]
    ///     name = "bots"
    ///     lists = ["bot-ja4"]
    ///     action = "deny"
    /// "#)?;
    /// let engine = Engine::new(policy)?;
    /// engine.set_fingerprint_list("bot-ja4", FingerprintList::parse("t13d190900_9dc949149365_97f8aa674fd9\n")?);
    /// let login = Event::new(EventKind::Login, Timestamp::EPOCH)
    ///     .with_ja4("t13d190900_9dc949149365_97f8aa674fd9".parse()?);
    /// assert_eq!(engine.evaluate(&login).action, Action::Deny);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_fingerprint_list(&self, name: &str, list: FingerprintList) {
        let mut lists = self.lists.lock().unwrap_or_else(PoisonError::into_inner);
        lists.fingerprints.insert(name.to_owned(), Arc::new(list));
        self.recompile(&lists);
    }

    /// Detaches the fingerprint list `name`; rules naming it match nothing
    /// through it, and the browser table loses its entries.
    pub fn remove_fingerprint_list(&self, name: &str) {
        let mut lists = self.lists.lock().unwrap_or_else(PoisonError::into_inner);
        if lists.fingerprints.remove(name).is_some() {
            self.recompile(&lists);
        }
    }

    fn recompile(&self, lists: &Lists) {
        let policy = Arc::clone(&self.active.load().policy);
        // The policy in force was validated when it was installed.
        if let Ok(active) = Active::compile(policy, &self.keys, lists) {
            self.active.store(Arc::new(active));
        }
    }

    /// Installs (or with `None` removes) the geo databases used to resolve
    /// country, ASN, position and anonymizer flags of events that do not
    /// carry them. Takes effect for the next event.
    #[cfg(feature = "geo")]
    pub fn set_geo(&self, geo: Option<GeoSet>) {
        self.geo.store(geo.map(Arc::new));
    }

    fn facts(&self, event: &Event) -> Facts {
        #[cfg(feature = "geo")]
        {
            let geo = self.geo.load();
            Facts::gather(event, geo.as_deref())
        }
        #[cfg(not(feature = "geo"))]
        Facts::gather(event, None)
    }

    /// Decides on an event, running its counter operations in the engine's store.
    pub fn evaluate(&self, event: &Event) -> Decision
    where
        S: Store,
    {
        let mut plan = self.prepare(event);
        let mut results: SmallVec<[OpResult; plan::INLINE_OPS]> = SmallVec::from_elem(OpResult::Done, plan.ops().len());
        match self.store.execute(plan.at(), plan.ops(), &mut results) {
            Ok(()) => self.conclude_in_place(&mut plan, &results),
            Err(_) => self.conclude_in_place(&mut plan, &[]),
        }
    }

    /// First half of the split path: the counter operations this event needs.
    pub fn prepare(&self, event: &Event) -> Plan {
        let active = self.active.load_full();
        let facts = self.facts(event);
        let screen = screen::screen(&active, event, &facts);
        let mut plan = Plan::new(Arc::clone(&active), event, facts, screen.reasons);
        plan.subject = self.subject(event, &facts, &active.policy.keys);
        if screen.allowed {
            return plan;
        }
        let policy = &active.policy;
        for (index, rule) in active.rules.iter().enumerate() {
            if !rule.applies(&event.kind) {
                continue;
            }
            if let Some(key) = self.keys.key(rule.seed, &rule.spec.key, event, &facts, &policy.keys) {
                let op = Op::Gcra {
                    key,
                    params: rule.params,
                    mode: plan::mode(rule.spec.counts),
                };
                plan.push(Step::Limit(u32::try_from(index).unwrap_or(u32::MAX)), op);
            }
        }
        for (index, op) in active.otp.cap_ops(&self.keys, &event.kind, CapMode::Check) {
            plan.push(Step::Cap(index), op);
        }
        for (index, op) in active.otp.resend.send_ops(&self.keys, event, &facts, &policy.keys) {
            plan.push(Step::Backoff(index), op);
        }
        for (index, op) in active.otp.spend.ops(&self.keys, event, &facts, CapMode::Check) {
            plan.push(Step::Spend(index), op);
        }
        for (slot, op) in active.otp.conversion.read_ops(&self.keys, event, &facts) {
            plan.push(Step::Conversion(slot), op);
        }
        for (counter, op) in active.otp.live.read_ops(&self.keys, event, &facts, &policy.keys) {
            plan.push(Step::Live(counter), op);
        }
        for (check, op) in active.otp.cross.read_ops(&self.keys, event, &facts, &policy.keys) {
            plan.push(Step::Cross(check), op);
        }
        for (counter, op) in active.stuffing.read_ops(&self.keys, event, &facts, &policy.keys) {
            plan.push(Step::Stuffing(counter), op);
        }
        for (counter, op) in active.spike.ops(&self.keys, event.kind.event_type(), event.at, &facts) {
            plan.push(Step::Spike(counter), op);
        }
        for (scope, op) in active.otp.resend.verify_ops(&self.keys, event, &policy.keys) {
            plan.push(Step::VerifyCode(scope), op);
        }
        if let Some(op) = active.post_login.read_op(&self.keys, event) {
            plan.push(Step::PostLogin, op);
        }
        if let Some((probe, op)) = active.relay.read_op(&self.keys, event, &facts, &policy.keys) {
            plan.push(Step::Relay(probe), op);
        }
        let Some(user) = &event.user else {
            return plan;
        };
        let event_type = event.kind.event_type();
        let window = days(policy.familiarity.global_window_days);
        let familiar = policy.familiarity.events.contains(&event_type);
        if familiar {
            for feature in Feature::ALL {
                if let Some((keys, member)) = self.seeds.locate(&self.keys, feature, user, event, &facts) {
                    plan.push(Step::Familiar(feature), Op::Familiarity { keys, member, window });
                }
            }
        }
        // A rule sparing the user's known devices needs the device's history;
        // familiarity has read it already where it runs.
        let spares_devices = || {
            let mut applicable = active.rules.iter().filter(|r| r.applies(&event.kind));
            applicable.any(|r| r.spares(Exempt::KnownDevice))
        };
        if event.device.is_some() && !familiar && spares_devices() {
            if let Some((keys, member)) = self.seeds.locate(&self.keys, Feature::Device, user, event, &facts) {
                plan.push(Step::KnownDevice, Op::Familiarity { keys, member, window });
            }
        }
        if policy.travel.events.contains(&event_type) && policy.points.impossible_travel > 0 && facts.location.is_some()
        {
            let key = StoreKey(self.keys.hash_of(self.travel_seed, user));
            plan.push(Step::Travel, Op::RegisterGet { key });
        }
        plan
    }

    /// Second half of the split path: the decision, from the results of
    /// running [`Plan::ops`] (one result per op, in order).
    ///
    /// Every decision passes here ([`evaluate`](Engine::evaluate) too):
    /// a registered [`Observer`](crate::observe::Observer) sees it.
    pub fn conclude(&self, mut plan: Plan, results: &[OpResult]) -> Decision {
        self.conclude_in_place(&mut plan, results)
    }

    pub(super) fn conclude_in_place(&self, plan: &mut Plan, results: &[OpResult]) -> Decision {
        let decision = plan.conclude(results);
        self.notify(plan.event_type, plan.at, plan.subject.take(), &decision);
        decision
    }
}

pub(super) fn days(n: u16) -> Duration {
    Duration::from_secs(u64::from(n) * 86_400)
}
