//! The engine: policy + store + the decision path.

mod asynchronous;
mod compiled;
mod import;
mod observe;
mod plan;
mod record;
mod screen;
mod verdict;

use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;
use smallvec::SmallVec;

pub use asynchronous::StoreTransition;
pub use import::{ImportError, LoginShares};
pub use plan::{Ops, Plan};

use crate::detect::Scene;
use crate::facts::Facts;
#[cfg(feature = "geo")]
use crate::geo::GeoSet;
use crate::keys::KeyHasher;
use crate::keys::KeySecret;
use crate::net::IpSet;
use crate::policy::RiskTier;
use crate::policy::{FingerprintList, Policy, PolicyError};
use crate::pow::PowConfig;
use crate::status::Status;
use crate::store::{AsyncStore, MemoryStore, OpResult, Store};
use crate::{Decision, E164, Event, Timestamp};
use compiled::{Active, Lists};

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
    store: S,
    health: asynchronous::Health,
    observer: arc_swap::ArcSwapOption<observe::Registered>,
    pow: Option<PowConfig>,
    /// Mixed into claim keys of proof-of-work solutions.
    pow_seed: u64,
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
            pow: None,
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
    pow: Option<PowConfig>,
}

impl<S: AsyncStore> EngineBuilder<S> {
    /// Uses `store` for counters.
    pub fn store<T: AsyncStore>(self, store: T) -> EngineBuilder<T> {
        EngineBuilder {
            policy: self.policy,
            store,
            key_secret: self.key_secret,
            observer: self.observer,
            pow: self.pow,
        }
    }

    /// Offers a proof of work for challenges that only automation-class
    /// reasons asked for ([`StepUp::ProofOfWork`](crate::StepUp)): such a
    /// decision carries a [`pow`](Decision::pow) challenge, and an event
    /// carrying a valid, unused solution ([`Event::with_pow`]) is decided
    /// without those reasons. Without it, no challenge is issued and
    /// solutions are ignored. There is no default secret: build the
    /// configuration from [`PowSecret::new`](crate::pow::PowSecret::new),
    /// which refuses a missing or short one. Every instance sharing a
    /// store needs the same secret.
    pub fn proof_of_work(mut self, config: PowConfig) -> Self {
        self.pow = Some(config);
        self
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
        let pow_seed = keys.rule_seed("\0proof-of-work");
        let active = Active::compile(Arc::new(self.policy), &keys, &Lists::default())?;
        Ok(Engine {
            active: ArcSwap::from_pointee(active),
            lists: Mutex::new(Lists::default()),
            #[cfg(feature = "geo")]
            geo: arc_swap::ArcSwapOption::empty(),
            keys,
            store: self.store,
            health: asynchronous::Health::default(),
            observer: observe::registered(self.observer),
            pow: self.pow,
            pow_seed,
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

    /// The proof-of-work configuration, when the engine offers one.
    pub fn pow(&self) -> Option<&PowConfig> {
        self.pow.as_ref()
    }

    /// The policy in force.
    pub fn policy(&self) -> Arc<Policy> {
        Arc::clone(&self.active.load().policy)
    }

    /// The risk tier of a destination number under the policy in force.
    pub fn risk_tier(&self, phone: &E164) -> RiskTier {
        self.active.load().tiers.tier(&crate::phone::classify(phone))
    }

    /// What attack mode and the settled-site test believe as of `now`, on
    /// this instance (see [`status`](crate::status)): each instance reads
    /// the shared counts on its own, so a fleet's instances agree within
    /// a read interval.
    pub fn status(&self, now: Timestamp) -> Status {
        let active = self.active.load();
        Status {
            attack_mode: active.detectors.campaign.status(now.as_unix_millis()),
            settled: active.detectors.familiarity.settled_status(),
        }
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
        let policy = &active.policy;
        let scene = Scene::new(&self.keys, event, &facts, policy);
        let mask = active.detectors.mask(event.kind.event_type());
        let screen = screen::screen(&active, &scene, mask);
        let subject = self.subject(event, &facts, &policy.keys);
        let mut plan = Plan::new(Arc::clone(&active), event, facts, screen.reasons);
        plan.subject = subject;
        if !screen.allowed {
            active.detectors.plan(mask, &scene, &mut |step, op| plan.push(step, op));
            if let (Some(config), Some(solution)) = (&self.pow, event.pow.as_deref()) {
                plan.claim_pow(
                    config.verify(solution, event.kind.event_type(), event.at),
                    self.pow_seed,
                );
            }
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
        let mut decision = plan.conclude(results);
        plan.settle_pow(self.pow.as_ref(), results, &mut decision);
        self.notify(plan.event_type, plan.at, plan.subject.take(), &decision);
        decision
    }
}
