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

use super::{Detector, EventFilter, Events, Findings, Reading, Scene, days};
use crate::facts::Facts;
use crate::keys::KeyHasher;
use crate::policy::{Exempt, MatchAction, Points, Policy, PolicyError};
use crate::store::{FamiliarityCounts, FamiliarityKeys, Op, OpResult, StoreKey};
use crate::{Event, EventType, Outcome, Reason, ReasonCode, RiskSignal, UserId};

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
}

/// What a familiarity op reads.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Step {
    /// A scored feature.
    Feature(Feature),
    /// The device's history with the user, for rules sparing known devices.
    KnownDevice,
}

/// Whether any feature was read, and whether the user has any history.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    read: bool,
    known: bool,
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
        Ok(())
    }

    fn compile(policy: &Policy, keys: &KeyHasher) -> Self {
        let sparing = policy.limits.iter().filter(|r| r.except.contains(&Exempt::KnownDevice));
        CompiledFamiliarity {
            seeds: Seeds::new(keys),
            scored: Events::of(&policy.familiarity.events),
            spare_devices: sparing.map(|r| EventFilter::new(&r.events, &r.channels)).collect(),
        }
    }

    /// Scored events, the events of rules sparing known devices, and
    /// successful logins, which teach the history.
    fn events(&self) -> Events {
        let sparing = self.spare_devices.iter().fold(Events::NONE, |e, f| e.with(f.events));
        self.scored.with(sparing).with(Events::of(&[EventType::Login]))
    }

    fn plan(&self, scene: &Scene<'_>, push: &mut impl FnMut(Step, Op)) {
        let (event, facts) = (scene.event, scene.facts);
        let Some(user) = &event.user else {
            return;
        };
        let window = days(scene.policy.familiarity.global_window_days);
        let familiar = self.scored.contains(event.kind.event_type());
        let spares_devices = || self.spare_devices.iter().any(|f| f.applies(&event.kind));
        let known_device = event.device.is_some() && !familiar && spares_devices();
        if !familiar && !known_device {
            return;
        }
        let user = self.seeds.user(scene.keys, user);
        if familiar {
            for feature in Feature::ALL {
                if let Some((keys, member)) = self.seeds.locate(scene.keys, feature, user, event, facts) {
                    push(Step::Feature(feature), Op::Familiarity { keys, member, window });
                }
            }
        }
        // A rule sparing the user's known devices needs the device's history;
        // familiarity has read it already where it runs.
        if known_device {
            if let Some((keys, member)) = self.seeds.locate(scene.keys, Feature::Device, user, event, facts) {
                push(Step::KnownDevice, Op::Familiarity { keys, member, window });
            }
        }
    }

    fn context(&self, step: Step, result: &OpResult, reading: &mut Reading<'_>) {
        if let (Step::Feature(Feature::Device) | Step::KnownDevice, OpResult::Familiarity(counts)) = (step, result) {
            reading.known_device |= reading.device_id && counts.user_count > 0;
            reading.known_client |= counts.user_count > 0;
        }
    }

    fn read(&self, step: Step, result: &OpResult, tally: &mut Tally, reading: &Reading<'_>, out: &mut Findings) -> bool {
        let OpResult::Familiarity(counts) = result else {
            return false;
        };
        if let Step::Feature(feature) = step {
            // An account without history has no client that is not new:
            // flagging all of them would tax every user's first week.
            if feature == Feature::Device && counts.user_count == 0 && counts.user_total > 0 {
                out.signals = out.signals.with(RiskSignal::NewClient);
            }
            tally.read = true;
            tally.known |= counts.user_total > 0;
            let policy = reading.policy;
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
        if tally.read && !tally.known {
            let policy = reading.policy;
            let automated = out.reasons.iter().find(|r| shows_automation(r, reading.shaped)).map(|r| r.code);
            out.reasons.extend(first_seen(&policy.points, &policy.familiarity, automated));
        }
    }

    /// Only successful logins teach what is normal for a user: failures
    /// would let an attacker train the history with their own network.
    fn record(&self, scene: &Scene<'_>, outcome: &Outcome, push: &mut impl FnMut(Op)) {
        let event = scene.event;
        let learns = event.kind.event_type() == EventType::Login && !outcome.is_failure();
        let (true, Some(user)) = (learns, &event.user) else {
            return;
        };
        let settings = &scene.policy.familiarity;
        let user = self.seeds.user(scene.keys, user);
        for feature in Feature::ALL {
            if let Some((keys, member)) = self.seeds.locate(scene.keys, feature, user, event, scene.facts) {
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

/// A familiarity feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Feature {
    Country,
    Asn,
    Device,
    /// The client software's best fingerprint: JA4, else JA3, else HTTP/2.
    Fingerprint,
}

impl Feature {
    const ALL: [Feature; 4] = [Feature::Country, Feature::Asn, Feature::Device, Feature::Fingerprint];

    fn index(self) -> usize {
        self as usize
    }

    fn name(self) -> &'static str {
        match self {
            Feature::Country => "country",
            Feature::Asn => "network",
            Feature::Device => "device",
            Feature::Fingerprint => "fingerprint",
        }
    }

    fn code(self) -> ReasonCode {
        match self {
            Feature::Country => ReasonCode::NewCountry,
            Feature::Asn => ReasonCode::NewAsn,
            Feature::Device => ReasonCode::NewDevice,
            Feature::Fingerprint => ReasonCode::NewFingerprint,
        }
    }

    fn max_points(self, p: &Points) -> u8 {
        match self {
            Feature::Country => p.new_country,
            Feature::Asn => p.new_asn,
            Feature::Device => p.new_device,
            Feature::Fingerprint => p.new_fingerprint,
        }
    }
}

/// Per-engine seeds of the familiarity keys: the user's hash, and for each
/// feature (user history, global value) seeds and the global total's key.
#[derive(Clone, Copy, Debug)]
struct Seeds {
    user: u64,
    features: [[u64; 3]; 4],
}

impl Seeds {
    fn new(keys: &KeyHasher) -> Seeds {
        let seed = |f: Feature, part: &str| keys.rule_seed(&format!("familiarity.{}.{part}", f.name()));
        let total = |f: Feature| keys.hash_of(seed(f, "total"), ());
        Seeds {
            user: keys.rule_seed("familiarity.user"),
            features: Feature::ALL.map(|f| [seed(f, "user"), seed(f, "value"), total(f)]),
        }
    }

    /// The user's hash the history keys of every feature derive from.
    fn user(&self, keys: &KeyHasher, user: &UserId) -> u64 {
        keys.hash_of(self.user, user)
    }

    /// The store keys and member hash of `feature` for this event's user
    /// (its hash from [`Seeds::user`]).
    fn locate(
        &self,
        keys: &KeyHasher,
        feature: Feature,
        user: u64,
        event: &Event,
        facts: &Facts,
    ) -> Option<(FamiliarityKeys, u64)> {
        let [user_seed, value_seed, total] = *self.features.get(feature.index())?;
        let member = match feature {
            Feature::Country => keys.hash_of(value_seed, facts.country?),
            Feature::Asn => keys.hash_of(value_seed, facts.asn?),
            Feature::Device => device(keys, value_seed, event)?,
            Feature::Fingerprint => fingerprint(keys, value_seed, event)?,
        };
        let keys = FamiliarityKeys {
            user: StoreKey(KeyHasher::derive(user_seed, user)),
            global: StoreKey(member),
            total: StoreKey(total),
        };
        Some((keys, member))
    }
}

/// The device: its id when the service tracks one, otherwise what the client
/// software looks like (JA4 and user agent) — a weaker stand-in.
pub(super) fn device(keys: &KeyHasher, seed: u64, event: &Event) -> Option<u64> {
    if let Some(id) = &event.device {
        return Some(keys.hash_of(seed, (0u8, id)));
    }
    if event.ja4.is_none() && event.user_agent.is_none() {
        return None;
    }
    Some(keys.hash_of(seed, (1u8, event.ja4, event.user_agent.as_deref())))
}

/// The client fingerprint: the JA4, lacking one the JA3, lacking both the
/// HTTP/2 fingerprint. One kind per event, so an adapter that starts
/// measuring JA3 too does not make every known client look new.
fn fingerprint(keys: &KeyHasher, seed: u64, event: &Event) -> Option<u64> {
    if let Some(ja4) = event.ja4 {
        return Some(keys.hash_of(seed, (0u8, ja4)));
    }
    if let Some(ja3) = event.ja3 {
        return Some(keys.hash_of(seed, (1u8, ja3)));
    }
    let http2 = event.http2.as_ref()?;
    Some(keys.hash_of(seed, (2u8, http2.as_str())))
}

/// The reason for one feature, if it scores.
fn reason(
    feature: Feature,
    counts: &FamiliarityCounts,
    facts: &Facts,
    points: &Points,
    settings: &Familiarity,
) -> Option<Reason> {
    // No history: every value is new, at the first-seen weight.
    let unfamiliar = if counts.user_total == 0 {
        f64::from(settings.first_seen_percent) / 100.0
    } else {
        1.0 / (1.0 + f64::from(counts.user_count))
    };
    let share = if counts.global_total == 0 {
        0.0
    } else {
        counts.global_count as f64 / counts.global_total as f64
    };
    let rarity = 1.0 - (share * 100.0 / f64::from(settings.common_percent)).min(1.0);
    let score = (f64::from(feature.max_points(points)) * unfamiliar * rarity).round();
    if score < 1.0 {
        return None;
    }
    let value = match feature {
        Feature::Country => facts.country.map(|c| c.to_string()),
        Feature::Asn => facts.asn.map(|a| a.to_string()),
        Feature::Device | Feature::Fingerprint => None,
    };
    let name = format!("{} {}", feature.name(), value.map(|v| v + " ").unwrap_or_default());
    let detail = if counts.user_total == 0 {
        format!("{name}of a user with no login on record; {:.1} % of all logins", share * 100.0)
    } else {
        format!(
            "{name}seen in {} of this user's last {} logins; {:.1} % of all logins",
            counts.user_count,
            counts.user_total,
            share * 100.0
        )
    };
    let mut r = Reason::new(feature.code(), detail);
    r.points = score.min(100.0) as u8;
    Some(r)
}

/// Whether an enforced reason is evidence that the client is automated or
/// hides behind infrastructure rather than a person's own connection. A
/// user-agent mismatch counts only when judged on the handshake's structure
/// (`shaped`): on an exact JA4 it is also what every user of a browser
/// release gets until the release is learned.
fn shows_automation(r: &Reason, shaped: bool) -> bool {
    let weighs = !r.monitor && (r.points > 0 || r.action.is_some_and(|a| a > crate::Action::Allow));
    let automation = match r.code {
        ReasonCode::FingerprintUaMismatch => shaped,
        ReasonCode::FingerprintListed | ReasonCode::Anonymous | ReasonCode::AsnListed => true,
        _ => false,
    };
    weighs && automation
}

/// The reason for a user with no history at all: the policy's points, or
/// its `first_seen_automation` when the client shows automation.
fn first_seen(points: &Points, settings: &Familiarity, automated: Option<ReasonCode>) -> Option<Reason> {
    if let Some(code) = automated {
        let detail = format!("no successful login of this user on record, and {code}");
        return Some(super::matched(
            ReasonCode::FirstSeen,
            detail,
            "familiarity.first_seen",
            settings.first_seen_automation,
            false,
        ));
    }
    (points.first_seen > 0).then(|| {
        let mut r = Reason::new(ReasonCode::FirstSeen, "no successful login of this user on record");
        r.points = points.first_seen;
        r
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Action, Asn, Country, Engine, EventKind, Timestamp};

    fn first_login(ua: &str, ja4: &str) -> Event {
        Event::new(EventKind::Login, Timestamp::EPOCH)
            .with_user("dormant")
            .with_country("US".parse::<Country>().unwrap())
            .with_asn(Asn(16_509))
            .with_user_agent(ua)
            .with_ja4(ja4.parse().unwrap())
    }

    const CHROME_UA: &str =
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36";
    const CHROME_JA4: &str = "t13d1516h2_8daaf6152771_02713d6af862";
    const PYTHON_JA4: &str = "t13i181000_85036bcba153_d41ae481755e";

    #[test]
    fn a_first_seen_account_with_automation_evidence_is_challenged() {
        let engine = Engine::new(Policy::default()).unwrap();
        // python-requests behind a Chrome user agent, on a hosting network.
        let bot = engine.evaluate(&first_login(CHROME_UA, PYTHON_JA4));
        assert_eq!(bot.action, Action::Challenge, "{bot:?}");
        let r = bot.reasons.iter().find(|r| r.code == ReasonCode::FirstSeen).unwrap();
        assert_eq!(r.rule.as_deref(), Some("familiarity.first_seen"));
        assert!(r.detail.ends_with("and geo.asn"), "{}", r.detail);
        // On a residential network, a mismatch judged on an exact JA4 alone
        // is not enough: it is also what a browser release looks like until
        // it is learned (with the handshake's structure it would be).
        let home = engine.evaluate(&first_login(CHROME_UA, PYTHON_JA4).with_asn(Asn(3_320)));
        assert!(home.reasons.iter().any(|r| r.code == ReasonCode::FingerprintUaMismatch));
        assert!(!home.reasons.iter().any(|r| r.code == ReasonCode::FirstSeen), "{home:?}");
        // A real Chrome there is not.
        let person = engine.evaluate(&first_login(CHROME_UA, CHROME_JA4).with_asn(Asn(3_320)));
        assert!(!person.reasons.iter().any(|r| r.code == ReasonCode::FirstSeen), "{person:?}");
    }

    #[test]
    fn history_vouches_and_the_setting_can_score_instead() {
        let engine = Engine::new(Policy::default()).unwrap();
        let bot = first_login(CHROME_UA, PYTHON_JA4);
        engine.record(&Outcome::succeeded(bot.clone()));
        let later = engine.evaluate(&bot);
        assert!(!later.reasons.iter().any(|r| r.code == ReasonCode::FirstSeen), "{later:?}");

        let mut policy = Policy::default();
        policy.familiarity.first_seen_automation = MatchAction::Score(5);
        let engine = Engine::new(policy).unwrap();
        let d = engine.evaluate(&first_login(CHROME_UA, PYTHON_JA4));
        let r = d.reasons.iter().find(|r| r.code == ReasonCode::FirstSeen).unwrap();
        assert_eq!((r.points, r.action), (5, None));
    }

    #[test]
    fn a_first_seen_account_on_a_rare_client_scores_a_share_of_the_points() {
        let mut policy = Policy::default();
        policy.familiarity.first_seen_percent = 25;
        let engine = Engine::new(policy).unwrap();
        // Some common traffic so that shares mean something.
        for i in 0..100 {
            let e = Event::new(EventKind::Login, Timestamp::EPOCH)
                .with_user(format!("u{i}"))
                .with_country("DE".parse::<Country>().unwrap())
                .with_asn(Asn(3_320))
                .with_user_agent(CHROME_UA)
                .with_ja4(CHROME_JA4.parse().unwrap());
            engine.record(&Outcome::succeeded(e));
        }
        let rare = Event::new(EventKind::Login, Timestamp::EPOCH)
            .with_user("newcomer")
            .with_country("BR".parse::<Country>().unwrap())
            .with_asn(Asn(28_573))
            .with_user_agent(CHROME_UA)
            .with_ja4(CHROME_JA4.parse().unwrap());
        let d = engine.evaluate(&rare);
        let points = |code| d.reasons.iter().find(|r| r.code == code).map(|r| r.points);
        // 25 % of 25 and of 15 for a country and network nobody uses.
        assert_eq!(points(ReasonCode::NewCountry), Some(6));
        assert_eq!(points(ReasonCode::NewAsn), Some(4));
        // The browser everyone uses adds nothing.
        assert_eq!(points(ReasonCode::NewFingerprint), None);
        assert!(d.is_allow(), "{d:?}");
    }
}
