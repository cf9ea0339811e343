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
mod settled;
mod typos;

pub(crate) use feature::Feature;
use keys::Seeds;
pub use settled::Settled;
use settled::{Gate, Reads, Series, Span};
use typos::Typos;
pub(super) use keys::device;
use score::{first_seen, reason, shows_automation, stranger};
use super::{Detector, EventFilter, Events, Findings, Reading, Scene, days};
use crate::keys::KeyHasher;
use crate::policy::{Exempt, MatchAction, Policy, PolicyError};
use crate::store::{Op, OpResult};
use crate::{EventType, Outcome, RiskSignal};

/// Per-user familiarity, after Freeman et al., "Who Are You? A Statistical
/// Approach to Measuring User Authenticity" (NDSS 2016). See
/// `docs/familiarity.md`.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Familiarity {
    /// Event types scored for familiarity (empty: off). Histories learn from
    /// successful logins only, whatever this says.
    pub events: Vec<EventType>,
    /// Values kept per user and feature (1 to 32); the least recently seen
    /// value goes first.
    pub history_size: u8,
    /// Days over which global popularity is counted (1 to 365).
    pub global_window_days: u16,
    /// A value used by at least this percentage of all successful logins
    /// is common: being new to it adds no points (1 to 100).
    pub common_percent: u8,
    /// How much of a feature's points a user with no history at all gets,
    /// in percent (0 to 100; default 0: off): with no history every value
    /// is new, so a first-seen account can be scored on how rare its
    /// country, network, device and client fingerprint are. Off by default
    /// because rarity means nothing until the global counts have filled:
    /// on a fresh store every value is rare.
    pub first_seen_percent: u8,
    /// What a user with no history gets when the client shows automation
    /// (`fingerprint.ua_mismatch`, `fingerprint.listed`, `geo.anonymous`, or
    /// a network on an ASN rule such as the hosting list): challenge
    /// (default), deny, or a score. Familiarity cannot vouch for such an
    /// account, so the client's evidence decides on its own.
    pub first_seen_automation: MatchAction,
    /// Successful logins on record from which an account is established
    /// (0: off, the default; 3 is the measured choice when on): a login to
    /// it from a client it never used, on a network prefix it never signed
    /// in from, gets `familiarity.stranger` whether or not attack mode is
    /// on. A stolen password typed into a fresh browser on a residential
    /// line sets off nothing else; a person on a new device at home, or on
    /// their own device id anywhere, is spared. Young accounts, whose
    /// owners are still adding devices, are left to attack mode. Off by
    /// default because the step-up comes before the password check and
    /// names nobody for a username with no account: a fresh client learns
    /// which usernames are established accounts (see `docs/familiarity.md`).
    pub stranger_after: u16,
    /// What `familiarity.stranger` does: challenge (default; an
    /// account-risk reason, so a second factor), deny, or a score.
    pub stranger: MatchAction,
    /// Usernames one device id may name in a day (its own included) and
    /// still pass, on a username without history, as a person mistyping
    /// theirs: attack mode and `familiarity.stranger` leave such a login
    /// alone when its device id signed in here before (0 to 64; default 8,
    /// counted over the day and the day before; 0: never). Past it, one signed-in cookie no longer tells which
    /// usernames have accounts, nor lets a stolen password of a dormant
    /// account in without a step-up.
    pub typo_usernames: u8,
    /// When a stranger to any account gets `familiarity.stranger`, not
    /// only one to an established account: while strangers were a small
    /// share of the site's successful logins the day before.
    pub settled: Settled,
}

impl Default for Familiarity {
    fn default() -> Self {
        Familiarity {
            events: vec![EventType::Login, EventType::CredentialChange],
            history_size: 8,
            global_window_days: 30,
            common_percent: 5,
            first_seen_percent: 0,
            first_seen_automation: MatchAction::Challenge,
            stranger_after: 0,
            stranger: MatchAction::Challenge,
            typo_usernames: 8,
            settled: Settled::default(),
        }
    }
}

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
    let f = &policy.familiarity;
    if crate::policy::validate::has_duplicates(&f.events) {
        return Err(PolicyError::invalid("familiarity.events", "lists an event type twice"));
    }
    if !(1..=crate::policy::HISTORY_MAX).contains(&usize::from(f.history_size)) {
        return Err(PolicyError::invalid("familiarity.history_size", "must be 1 to 32"));
    }
    if !(1..=365).contains(&f.global_window_days) {
        return Err(PolicyError::invalid(
            "familiarity.global_window_days",
            "must be 1 to 365",
        ));
    }
    if !(1..=100).contains(&f.common_percent) {
        return Err(PolicyError::invalid("familiarity.common_percent", "must be 1 to 100"));
    }
    if f.first_seen_percent > 100 {
        return Err(PolicyError::invalid("familiarity.first_seen_percent", "must be 0 to 100"));
    }
    crate::policy::validate::action(f.first_seen_automation, false)
        .map_err(|m| PolicyError::invalid("familiarity.first_seen_automation", m))?;
    crate::policy::validate::action(f.stranger, false).map_err(|m| PolicyError::invalid("familiarity.stranger", m))?;
        if usize::from(f.typo_usernames) > crate::store::DISTINCT_EXACT_UP_TO {
            return Err(PolicyError::invalid("familiarity.typo_usernames", "must be 0 to 64"));
        }
        f.settled.validate()
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
        if let Step::Feature(feature) = step {
            // Every client of an account without history is new, and goes
            // on probation like one (post_login); the second signal lets a
            // password change from it through (a first week's reset).
            // A device the service vouches for is not new to the account,
            // whatever this history has seen so far.
            let vouched = feature == Feature::Device && reading.host_known_device;
            if feature == Feature::Device && counts.user_count == 0 && !vouched {
                out.signals = out.signals.with(RiskSignal::NewClient);
                if counts.user_total == 0 {
                    out.signals = out.signals.with(RiskSignal::FirstSeenAccount);
                }
            }
            tally.read = true;
            tally.known |= counts.user_total > 0;
            // Every feature's history counts the same logins; take the
            // largest, so that a login without a client (no device id, user
            // agent or JA4) still knows the account's.
            tally.logins = tally.logins.max(counts.user_total);
            let policy = reading.policy;
            if vouched {
                return true;
            }
            out.reasons.extend(reason(
                feature,
                counts,
                reading.facts,
                &policy.points,
                &policy.familiarity,
            ));
        }
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
        if is_stranger {
            out.signals = out.signals.with(RiskSignal::Stranger);
            let established = settings.stranger_after > 0 && tally.logins >= u32::from(settings.stranger_after);
            let settled = self.gate.verdict(now).filter(|v| v.settled);
            if established || settled.is_some() {
                out.reasons.push(stranger(settings, tally.logins, settled));
            }
        }
        if tally.read && !tally.known {
            let policy = reading.policy;
            let automated = out.reasons.iter().find(|r| shows_automation(r, reading.shaped, reading.without_alpn)).map(|r| r.code);
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
