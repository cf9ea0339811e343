//! Credential-stuffing detectors: distinct usernames per key (a sampled
//! distinct count taken on evaluation) and the failure ratio per key (from
//! recorded outcomes, only read on evaluation). See `docs/stuffing.md`.
//!
//! ```
//! use tollgate::policy::{Dimension, MatchAction, Policy, StuffingDetector};
//! use tollgate::{Action, Engine, Event, EventKind, Outcome, Timestamp};
//!
//! let mut policy = Policy::default();
//! policy.stuffing = vec![StuffingDetector::new("prefix", &[Dimension::IpPrefix], 3600, MatchAction::Challenge)
//!     .failure_ratio(50, 4)];
//! let engine = Engine::new(policy)?;
//! for user in ["a", "b", "c", "d"] {
//!     let login = Event::new(EventKind::Login, Timestamp::EPOCH).with_user(user).with_ip("192.0.2.1".parse()?);
//!     engine.record(&Outcome::failed(login));
//! }
//! let next = Event::new(EventKind::Login, Timestamp::EPOCH).with_user("e").with_ip("192.0.2.9".parse()?);
//! assert_eq!(engine.evaluate(&next).action, Action::Challenge);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Credential-stuffing detectors: many usernames, or mostly failures,
//! behind one key that does not rotate (a network, a client stack).
//!
//! ```
//! use tollgate::policy::Policy;
//!
//! let policy = Policy::from_toml(r#"
//!     [[stuffing]]
//!     name = "ja4-asn"
//!     key = ["ja4", "asn"]
//!     window_secs = 3600
//!     distinct_users = 400
//!     failure_percent = 60
//!     min_attempts = 200
//!     action = "challenge"
//! "#)?;
//! assert_eq!(policy.stuffing[0].distinct_users, 400);
//! # Ok::<(), tollgate::policy::PolicyError>(())
//! ```

use std::sync::Arc;
use std::time::Duration;
use super::{Detector, Events, Findings, Reading, Scene};

use crate::keys::{EventKeys, KeyHasher};
use crate::policy::Policy;
use crate::store::{Lane, Op, OpResult, StoreKey};
use crate::{Event, EventType, Outcome, Reason, ReasonCode};
use crate::policy::{Dimension, Exempt, MatchAction, PolicyError};

/// One stuffing detector over login events. See `docs/stuffing.md`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct StuffingDetector {
    /// Unique name, shown in reasons; it identifies the counters.
    pub name: String,
    /// The fields whose combined value is the key; a login lacking one is
    /// not counted.
    #[cfg_attr(feature = "serde", serde(with = "crate::policy::limit::dimension_list"))]
    pub key: Vec<Dimension>,
    /// Sliding window, in seconds (60 to 604,800).
    pub window_secs: u32,
    /// Distinct usernames per key and window that fire
    /// `stuffing.distinct_users` (0: off). Estimated from a 1-in-8 hash
    /// sample of usernames, so meaningful from about 100 up to 500.
    #[cfg_attr(feature = "serde", serde(default))]
    pub distinct_users: u32,
    /// Percentage of recorded login outcomes that failed, per key and
    /// window, that fires `stuffing.failure_ratio` (0: off).
    #[cfg_attr(feature = "serde", serde(default))]
    pub failure_percent: u8,
    /// Recorded outcomes a key needs before its failure ratio counts.
    #[cfg_attr(feature = "serde", serde(default))]
    pub min_attempts: u32,
    /// What a firing detector does (challenge, deny or a score).
    pub action: MatchAction,
    /// Report without enforcing.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "std::ops::Not::not"))]
    pub monitor: bool,
    /// Clients the detector does not step up: `known_device` (a device id
    /// seen in one of the user's successful logins). A key shared by
    /// many people (a browser's JA4, a carrier's network) fires for all of
    /// them when a bot hides behind it; their own devices keep working,
    /// and a bot has none of them. Their logins still count.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub except: Vec<Exempt>,
}

impl StuffingDetector {
    /// A detector that fires on neither signal until one is set.
    pub fn new(name: impl Into<String>, key: &[Dimension], window_secs: u32, action: MatchAction) -> Self {
        StuffingDetector {
            name: name.into(),
            key: key.to_vec(),
            window_secs,
            distinct_users: 0,
            failure_percent: 0,
            min_attempts: 0,
            action,
            monitor: false,
            except: Vec::new(),
        }
    }

    /// Spares `clients` (see [`except`](Self::except)).
    #[must_use]
    pub fn except(mut self, clients: &[Exempt]) -> Self {
        self.except = clients.to_vec();
        self
    }

    /// Fires at `threshold` distinct usernames per window.
    #[must_use]
    pub fn distinct_users(mut self, threshold: u32) -> Self {
        self.distinct_users = threshold;
        self
    }

    /// Fires when at least `percent` of at least `min_attempts` recorded
    /// outcomes failed.
    #[must_use]
    pub fn failure_ratio(mut self, percent: u8, min_attempts: u32) -> Self {
        self.failure_percent = percent;
        self.min_attempts = min_attempts;
        self
    }
}

fn validate(detectors: &[StuffingDetector]) -> Result<(), PolicyError> {
    crate::policy::validate::unique_names("stuffing", detectors.iter().map(|d| d.name.as_str()))?;
    for (i, d) in detectors.iter().enumerate() {
        let field = |f: &str| format!("stuffing[{i}].{f}");
        crate::policy::validate::name(&d.name).map_err(|m| PolicyError::invalid(field("name"), m))?;
        if d.key.is_empty() {
            return Err(PolicyError::invalid(field("key"), "needs at least one dimension"));
        }
        if !(60..=604_800).contains(&d.window_secs) {
            return Err(PolicyError::invalid(field("window_secs"), "must be 60 to 604800"));
        }
        if d.distinct_users > 500 {
            return Err(PolicyError::invalid(field("distinct_users"), "must be 0 to 500"));
        }
        if d.failure_percent > 100 {
            return Err(PolicyError::invalid(field("failure_percent"), "must be 0 to 100"));
        }
        if d.distinct_users == 0 && d.failure_percent == 0 {
            return Err(PolicyError::invalid(
                field("distinct_users"),
                "set distinct_users or failure_percent",
            ));
        }
        crate::policy::validate::action(d.action, false).map_err(|m| PolicyError::invalid(field("action"), m))?;
        if d.except.iter().any(|e| *e != Exempt::KnownDevice) {
            return Err(PolicyError::invalid(field("except"), "only known_device applies to logins"));
        }
    }
    Ok(())
}

/// One username in this many is added to the distinct set; the count is
/// scaled back up. Keeps a set of at most 64 exact members good for
/// thresholds in the hundreds.
pub(crate) const SAMPLE: u64 = 8;
/// The member every unsampled username adds instead, so that the op is
/// the same for every event; it is taken out of the estimate.
const SENTINEL: u64 = 1;

#[derive(Debug)]
pub(crate) struct CompiledStuffing {
    detectors: Vec<Compiled>,
}

#[derive(Debug)]
struct Compiled {
    name: Arc<str>,
    users: u64,
    /// Seed of the pair counting recorded outcomes: attempts, failures.
    outcomes: u64,
    window: Duration,
    spec: StuffingDetector,
}

/// What a read op counts, by detector index.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Counter {
    /// The distinct (sampled) usernames.
    Users(u32),
    /// The recorded outcomes: attempts and failures, one pair.
    Outcomes(u32),
}

impl Detector for CompiledStuffing {
    type Step = Counter;
    type Tally = ();

    fn validate(policy: &Policy) -> Result<(), PolicyError> {
        validate(&policy.stuffing)
    }

    fn compile(policy: &Policy, keys: &KeyHasher) -> Self {
        let detectors = &policy.stuffing;
        let seed = |name: &str, part: &str| keys.hash_of(keys.rule_seed("stuffing"), (name, part));
        let detectors = detectors
            .iter()
            .map(|d| Compiled {
                name: d.name.as_str().into(),
                users: seed(&d.name, "users"),
                outcomes: seed(&d.name, "outcomes"),
                window: Duration::from_secs(u64::from(d.window_secs)),
                spec: d.clone(),
            })
            .collect();
        CompiledStuffing { detectors }
    }

    fn events(&self) -> Events {
        Events::of(&[EventType::Login]).when(!self.detectors.is_empty())
    }

    fn plan(&self, scene: &Scene<'_>, push: &mut impl FnMut(Counter, Op)) {
        for (counter, op) in self.read_ops(&scene.keys, scene.event) {
            push(counter, op);
        }
    }

    fn read(&self, counter: Counter, result: &OpResult, _: &mut (), reading: &Reading<'_>, out: &mut Findings) -> bool {
        let reason = match (counter, *result) {
            (Counter::Users(i), OpResult::Count(count)) => self.users(i, count),
            (Counter::Outcomes(i), OpResult::Counts([attempts, failures])) => self.ratio(i, attempts, failures),
            _ => return false,
        };
        if let Some((d, reason)) = reason
            && !reading.spared_by(&d.spec.except)
        {
            out.reasons.push(reason);
        }
        true
    }

    fn record(&self, scene: &Scene<'_>, outcome: &Outcome, push: &mut impl FnMut(Op)) {
        self.record_ops(&scene.keys, scene.event, outcome.is_failure(), push);
    }
}

impl CompiledStuffing {
    fn applying<'a>(
        &'a self,
        keys: &'a EventKeys<'a>,
        event: &'a Event,
    ) -> impl Iterator<Item = (u32, &'a Compiled, u64)> + 'a {
        let login = event.kind.event_type() == EventType::Login;
        self.detectors
            .iter()
            .enumerate()
            .filter(move |_| login)
            .filter_map(move |(i, d)| {
                let base = keys.key(0, &d.spec.key)?;
                Some((u32::try_from(i).unwrap_or(u32::MAX), d, base.0))
            })
    }

    /// Evaluation: add the (sampled) username, read attempts and failures.
    fn read_ops<'a>(&'a self, keys: &'a EventKeys<'a>, event: &'a Event) -> impl Iterator<Item = (Counter, Op)> + 'a {
        self.applying(keys, event).flat_map(move |(i, d, base)| {
            let users = (d.spec.distinct_users > 0).then(|| {
                let user = keys.of(d.users, Dimension::User);
                let member = user.filter(|h| h % SAMPLE == 0).unwrap_or(SENTINEL);
                let key = StoreKey(KeyHasher::derive(d.users, base));
                (
                    Counter::Users(i),
                    Op::DistinctAdd {
                        key,
                        window: d.window,
                        member,
                    },
                )
            });
            let ratio = (d.spec.failure_percent > 0).then(|| (Counter::Outcomes(i), d.outcomes(base, [0, 0])));
            users.into_iter().chain(ratio)
        })
    }

    /// Recording a login outcome: count it, and count it as a failure.
    fn record_ops(&self, keys: &EventKeys<'_>, event: &Event, failed: bool, push: &mut impl FnMut(Op)) {
        for (_, d, base) in self.applying(keys, event) {
            if d.spec.failure_percent == 0 {
                continue;
            }
            push(d.outcomes(base, [1, u32::from(failed)]));
        }
    }

    /// The distinct-usernames reason, when the (sampled) count reaches it.
    fn users(&self, i: u32, count: u64) -> Option<(&Compiled, Reason)> {
        let d = self.detectors.get(i as usize)?;
        let estimate = count.saturating_sub(1).saturating_mul(SAMPLE);
        if estimate < u64::from(d.spec.distinct_users) {
            return None;
        }
        let detail = format!("about {estimate} usernames in {} s", d.spec.window_secs);
        Some((d, d.reason(ReasonCode::StuffingDistinctUsers, detail)))
    }

    /// The failure-ratio reason, when enough outcomes failed.
    fn ratio(&self, i: u32, attempts: u64, failures: u64) -> Option<(&Compiled, Reason)> {
        let d = self.detectors.get(i as usize)?;
        let enough = attempts > 0 && attempts >= u64::from(d.spec.min_attempts);
        if !enough || failures.saturating_mul(100) < attempts.saturating_mul(u64::from(d.spec.failure_percent)) {
            return None;
        }
        let detail = format!("{failures} of {attempts} logins failed in {} s", d.spec.window_secs);
        Some((d, d.reason(ReasonCode::StuffingFailureRatio, detail)))
    }
}

impl Compiled {
    /// The pair of recorded outcomes under `base`: attempts and failures
    /// over the detector's window, adding `amounts` (0 reads).
    fn outcomes(&self, base: u64, amounts: [u32; 2]) -> Op {
        Op::WindowPair {
            key: StoreKey(KeyHasher::derive(self.outcomes, base)),
            lanes: amounts.map(|amount| Lane {
                window: self.window,
                amount,
            }),
        }
    }

    fn reason(&self, code: ReasonCode, detail: String) -> Reason {
        super::matched(code, detail, &self.name, self.spec.action, self.spec.monitor)
    }
}
