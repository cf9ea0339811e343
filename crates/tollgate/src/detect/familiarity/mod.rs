//! Per-user familiarity of country, network, device and client fingerprint, after Freeman et
//! al., "Who Are You? A Statistical Approach to Measuring User
//! Authenticity" (NDSS 2016).
//!
//! For each feature the store keeps a bounded history per user (value,
//! count, last seen) and global sliding-window counts per value. A value
//! scores `max_points × U × R`:
//!
//! * `U = 1 / (1 + n)`, where `n` is how often this user was seen with the
//!   value: 1 for a new value, ½ after one sighting, and so on — the
//!   smoothed estimate of how unlikely the value is for this user;
//! * `R = 1 − min(1, share / common)`, where `share` is the value's share of
//!   all successful logins in the window and `common` the policy's
//!   `common_percent`: a value everyone uses says little, a rare one a lot.
//!
//! Histories learn from successful logins only, so failed attempts cannot
//! teach the engine that an attacker's network is normal.
//!
//! ```
//! use tollgate::{Asn, Country, Engine, Event, EventKind, Outcome, ReasonCode, Timestamp};
//! use tollgate::policy::Policy;
//!
//! let mut policy = Policy::default();
//! policy.limits.clear();
//! let engine = Engine::new(policy)?;
//! let login = |day: u64, country: &str| {
//!     Event::new(EventKind::Login, Timestamp::from_unix_millis(1_700_000_000_000 + day * 86_400_000))
//!         .with_user("alice")
//!         .with_country(country.parse::<Country>().unwrap())
//!         .with_asn(Asn(3320))
//!         .with_device("laptop")
//! };
//! for day in 0..5 {
//!     engine.record(&Outcome::succeeded(login(day, "DE")));
//! }
//! let home = engine.evaluate(&login(6, "DE"));
//! assert!(home.reasons.iter().all(|r| r.code != ReasonCode::NewCountry));
//! let abroad = engine.evaluate(&login(6, "BR"));
//! assert!(abroad.reasons.iter().any(|r| r.code == ReasonCode::NewCountry));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod feature;
mod keys;
mod score;
mod settings;
mod settled;
mod typos;

pub(crate) use feature::Feature;
use keys::Seeds;
pub use settings::Familiarity;
pub use settled::Settled;
use settled::{Gate, Reads, Series, Span};
use typos::Typos;
pub(super) use keys::device;
use score::{automated_new_client, first_seen, reason, shows_automation, stranger};
use super::{Detector, EventFilter, Events, Findings, Reading, Scene, days};
use crate::keys::KeyHasher;
use crate::policy::{Exempt, Policy, PolicyError};
use crate::store::{FamiliarityKeys, Op, OpResult};
use crate::{EventType, Outcome, Reason, RiskSignal};

/// Familiarity of the user's history, compiled.
#[derive(Debug)]
pub(crate) struct CompiledFamiliarity {
    seeds: Seeds,
    /// The event types whose familiarity is scored.
    scored: Events,
    /// The limit rules that spare the user's known devices: events they
    /// cover need the device's history even where familiarity is not scored.
    spare_devices: Vec<EventFilter>,
    /// Whether the site is settled, read once a day.
    gate: Gate,
    /// Usernames per device id, for the typo pass.
    typos: Typos,
}

/// What a familiarity op reads.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Step {
    /// A scored feature.
    Feature(Feature),
    /// The device's history with the user, for rules sparing known devices.
    KnownDevice,
    /// A count of one of the settled test's series.
    Settled((Series, Span)),
    /// The usernames the event's device id named today.
    DeviceUsernames,
}

/// Whether any feature was read, whether the user has any history, and
/// how many logins it holds.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    read: bool,
    known: bool,
    logins: u32,
    /// The settled test's series, when this login read them.
    settled: Reads,
}

impl Detector for CompiledFamiliarity {
    type Step = Step;
    type Tally = Tally;

    fn validate(policy: &Policy) -> Result<(), PolicyError> {
        policy.familiarity.validate()
    }

    fn compile(policy: &Policy, keys: &KeyHasher) -> Self {
        CompiledFamiliarity {
            seeds: Seeds::new(keys),
            scored: Events::of(&policy.familiarity.events),
            spare_devices: sparing_known_devices(policy),
            gate: Gate::new(&policy.familiarity.settled, keys),
            typos: Typos::new(keys),
        }
    }

    /// Scored events, the events of rules sparing known devices, and
    /// successful logins, which teach the history.
    fn events(&self) -> Events {
        let sparing = self.spare_devices.iter().fold(Events::NONE, |e, f| e.with(f.events));
        self.scored.with(sparing).with(Events::of(&[EventType::Login]))
    }

    fn plan(&self, scene: &Scene<'_>, push: &mut impl FnMut(Step, Op)) {
        let event = scene.event;
        let window = days(scene.policy.familiarity.global_window_days);
        let familiar = self.scored.contains(event.kind.event_type());
        let spares_devices = || self.spare_devices.iter().any(|f| f.applies(&event.kind));
        let known_device = event.device.is_some() && !familiar && spares_devices();
        if !familiar && !known_device {
            return;
        }
        let Some(user) = self.seeds.user(&scene.keys) else {
            return;
        };
        if familiar {
            for feature in Feature::ALL {
                if let Some((keys, member)) = self.seeds.locate(&scene.keys, feature, user, event) {
                    push(Step::Feature(feature), Op::Familiarity { keys, member, window });
                }
            }
        }
        // A rule sparing the user's known devices needs the device's history;
        // familiarity has read it already where it runs.
        if known_device {
            if let Some((keys, member)) = self.seeds.locate(&scene.keys, Feature::Device, user, event) {
                push(Step::KnownDevice, Op::Familiarity { keys, member, window });
            }
        }
        let login = familiar && event.kind.event_type() == EventType::Login;
        if login && scene.policy.familiarity.typo_usernames > 0 {
            if let Some(op) = self.typos.op(&scene.keys, user) {
                push(Step::DeviceUsernames, op);
            }
        }
        if login && self.gate.stale(event.at.as_unix_millis()) {
            for (read, op) in self.gate.reads(&scene.keys) {
                push(Step::Settled(read), op);
            }
        }
    }

    fn context(&self, step: Step, result: &OpResult, reading: &mut Reading<'_>) {
        match (step, result) {
            (Step::Feature(Feature::Device) | Step::KnownDevice, OpResult::Familiarity(counts)) => {
                reading.known_device |= reading.device_id && counts.user_count > 0;
                reading.known_client |= counts.user_count > 0;
                reading.account_without_history |= counts.user_total == 0;
                reading.returning_device |= reading.device_id && counts.global_count > 0;
            }
            (Step::Feature(Feature::Prefix), OpResult::Familiarity(counts)) => {
                reading.known_prefix |= counts.user_count > 0;
            }
            (Step::DeviceUsernames, OpResult::Count(n)) => {
                reading.device_usernames = Some(*n);
            }
            _ => {}
        }
    }

    fn read(&self, step: Step, result: &OpResult, tally: &mut Tally, reading: &Reading<'_>, out: &mut Findings) -> bool {
        if let (Step::Settled(read), OpResult::Series(s)) = (step, result) {
            tally.settled.set(read, s);
            return true;
        }
        if let (Step::DeviceUsernames, OpResult::Count(_)) = (step, result) {
            return true;
        }
        let OpResult::Familiarity(counts) = result else {
            return false;
        };
        let Step::Feature(feature) = step else {
            return true;
        };
        tally.read = true;
        tally.known |= counts.user_total > 0;
        // Every feature's history counts the same logins; take the largest,
        // so that a login without a client (no device id, user agent or
        // JA4) still knows the account's.
        tally.logins = tally.logins.max(counts.user_total);
        // A device the service vouches for is not new to the account,
        // whatever this history has seen so far: no signal, no points.
        if feature == Feature::Device && reading.host_known_device {
            return true;
        }
        // Every client of an account without history is new, and goes on
        // probation like one (post_login); the second signal lets a
        // password change from it through (a first week's reset).
        if feature == Feature::Device && counts.user_count == 0 {
            out.signals = out.signals.with(RiskSignal::NewClient);
            if counts.user_total == 0 {
                out.signals = out.signals.with(RiskSignal::FirstSeenAccount);
            }
        }
        let policy = reading.policy;
        out.reasons.extend(reason(
            feature,
            counts,
            reading.facts,
            &policy.points,
            &policy.familiarity,
        ));
        true
    }

    fn finish(&self, tally: Tally, reading: &Reading<'_>, out: &mut Findings) {
        let settings = &reading.policy.familiarity;
        let now = reading.at.as_unix_millis();
        self.gate.observe(now, tally.settled);
        // A browser that signs in here naming a username without history
        // is a person mistyping theirs (as in attack mode), not a stranger.
        let is_stranger = tally.read
            && reading.event_type == EventType::Login
            && reading.stranger()
            && !reading.mistyped_username();
        // Automation on a client the account never used decides on its
        // own, as on an account without history (below), whatever the
        // network: a mobile carrier's CGNAT /24 is shared by thousands.
        let new_client =
            tally.known && reading.event_type == EventType::Login && out.signals.contains(RiskSignal::NewClient);
        let shown = |r: &&Reason| shows_automation(r, reading.shaped, reading.without_alpn);
        let automated = (tally.read && (!tally.known || new_client))
            .then(|| out.reasons.iter().find(shown).map(|r| r.code))
            .flatten();
        let automated_new = automated.filter(|_| new_client);
        if let Some(code) = automated_new {
            out.reasons.push(automated_new_client(settings, tally.logins, code));
        }
        if is_stranger {
            out.signals = out.signals.with(RiskSignal::Stranger);
            let established = settings.stranger_after > 0 && tally.logins >= u32::from(settings.stranger_after);
            let settled = self.gate.verdict(now).filter(|v| v.settled);
            if automated_new.is_none() && (established || settled.is_some()) {
                out.reasons.push(stranger(settings, tally.logins, settled));
            }
        }
        if tally.read && !tally.known {
            let policy = reading.policy;
            out.reasons.extend(first_seen(&policy.points, &policy.familiarity, automated));
        }
    }

    /// Only successful logins teach what is normal for a user: failures
    /// would let an attacker train the history with their own network.
    fn record(&self, scene: &Scene<'_>, outcome: &Outcome, push: &mut impl FnMut(Op)) {
        let event = scene.event;
        let learns = event.kind.event_type() == EventType::Login && !outcome.is_failure();
        if !learns {
            return;
        }
        // Only where logins are scored: elsewhere nothing reads the counts.
        let scored = self.scored.contains(EventType::Login);
        if let (true, true, Some(decision)) = (self.gate.enabled(), scored, outcome.decision()) {
            push(self.gate.count(&scene.keys, Series::Logins));
            if decision.signals.contains(RiskSignal::Stranger) {
                push(self.gate.count(&scene.keys, Series::Strangers));
            }
        }
        self.learn(scene, push);
    }
}

impl CompiledFamiliarity {
    /// This instance's latest settled-site verdict.
    pub(crate) fn settled_status(&self) -> Option<crate::status::SettledStatus> {
        self.gate.latest()
    }

    /// The reads an imported login needs before it is learnt: the account's
    /// history of its device and network prefix, which say whether it was
    /// a stranger.
    pub(crate) fn import_reads(&self, scene: &Scene<'_>, push: &mut impl FnMut(Op)) {
        let window = days(scene.policy.familiarity.global_window_days);
        for (keys, member) in self.probes(scene).into_iter().flatten() {
            push(Op::Familiarity { keys, member, window });
        }
    }

    /// An imported successful login: learnt as a recorded one is, and
    /// counted in the settled test's daily series as a stranger or not on
    /// what `reads` ([`Self::import_reads`], in order) found, so that the
    /// day after an imported log can already be settled.
    pub(crate) fn import(&self, scene: &Scene<'_>, reads: &[OpResult], push: &mut impl FnMut(Op)) {
        let mut found = reads.iter();
        let mut seen = [false; 2];
        for (slot, probe) in seen.iter_mut().zip(self.probes(scene)) {
            if probe.is_some() {
                *slot = matches!(found.next(), Some(OpResult::Familiarity(c)) if c.user_count > 0);
            }
        }
        let [device, prefix] = seen;
        let stranger = crate::detect::reading::stranger(prefix, device, scene.event.device.is_some());
        if self.gate.enabled() && self.scored.contains(EventType::Login) {
            push(self.gate.count(&scene.keys, Series::Logins));
            if stranger {
                push(self.gate.count(&scene.keys, Series::Strangers));
            }
        }
        self.learn(scene, push);
    }

    /// Where the account's history of the event's device and prefix lives.
    fn probes(&self, scene: &Scene<'_>) -> [Option<(FamiliarityKeys, u64)>; 2] {
        let Some(user) = self.seeds.user(&scene.keys) else {
            return [None, None];
        };
        [Feature::Device, Feature::Prefix].map(|f| self.seeds.locate(&scene.keys, f, user, scene.event))
    }

    /// Adds a successful login to the account's history: what a recorded
    /// success teaches, and what an imported one from the service's own
    /// log does ([`Engine::import_login`](crate::Engine::import_login)).
    pub(crate) fn learn(&self, scene: &Scene<'_>, push: &mut impl FnMut(Op)) {
        let event = scene.event;
        let settings = &scene.policy.familiarity;
        let Some(user) = self.seeds.user(&scene.keys) else {
            return;
        };
        for feature in Feature::ALL {
            if let Some((keys, member)) = self.seeds.locate(&scene.keys, feature, user, event) {
                push(Op::Learn {
                    keys,
                    member,
                    window: days(settings.global_window_days),
                    capacity: settings.history_size,
                });
            }
        }
    }
}

/// The events of every control that spares known devices (limits with
/// `except`, stuffing detectors, spraying, the country budget): where
/// familiarity does not score an event, it still reads the device's
/// history for them, so that an exemption never depends on what
/// familiarity happens to score.
fn sparing_known_devices(policy: &Policy) -> Vec<EventFilter> {
    let spares = |except: &[Exempt]| except.contains(&Exempt::KnownDevice);
    let limits = policy.limits.iter().filter(|r| spares(&r.except));
    let mut filters: Vec<EventFilter> = limits.map(|r| EventFilter::new(&r.events, &r.channels)).collect();
    let login = policy.stuffing.iter().any(|d| spares(&d.except))
        || (policy.spraying.enabled && spares(&policy.spraying.except));
    if login {
        filters.push(EventFilter::new(&[EventType::Login], &[]));
    }
    let budget = &policy.otp.budget;
    if budget.enabled && spares(&budget.except) {
        filters.push(EventFilter::new(&[EventType::OtpSend], &[]));
    }
    filters
}
