//! Site-wide attack mode: the share of recorded logins that failed, and of
//! those naming no account, in a short window against the site's own
//! baseline, overall, per client country and per network. While a scope's
//! shares are well above normal, a login from a client the account has
//! never used is stepped up. See `docs/campaign.md`.
//!
//! Recorded login outcomes count attempts, failures and unknown usernames
//! per scope in the short window (shared counters, so every instance sees
//! the whole site). Each instance reads a scope's three counts at most once
//! per `refresh_secs` of event time, keeps what it read in a small
//! lock-free table (`table.rs`), and follows the
//! baseline shares as a moving average over `baseline_hours` that learns
//! only while no campaign is on, so an attack cannot teach it that attacks
//! are normal.
//!
//! ```
//! use tollgate::policy::Policy;
//! use tollgate::{Action, Engine, Event, EventKind, Outcome, ReasonCode, Timestamp};
//!
//! let mut policy = Policy::default();
//! policy.limits.clear();
//! policy.stuffing.clear();
//! policy.campaign.warmup_hours = 1;
//! let engine = Engine::new(policy)?;
//! let at = |min: u64| Timestamp::from_unix_millis(1_700_000_000_000 + min * 60_000);
//! let login = |user: String, min: u64| Event::new(EventKind::Login, at(min)).with_user(user);
//! // Two quiet hours: one login in ten fails, a few name nobody.
//! for min in 0..120 {
//!     for i in 0..10 {
//!         let event = login(format!("user{i}"), min);
//!         engine.evaluate(&event);
//!         engine.record(&match (min + i) % 20 {
//!             0 => Outcome::unknown_user(event),
//!             1 => Outcome::failed(event),
//!             _ => Outcome::succeeded(event),
//!         });
//!     }
//! }
//! // Then a stuffing list: most logins name nobody.
//! for min in 120..131 {
//!     for i in 0..20 {
//!         let event = login(format!("list{min}-{i}"), min);
//!         engine.record(&Outcome::unknown_user(event));
//!     }
//! }
//! // A known user on a client they never used is stepped up.
//! let decision = engine.evaluate(&login("user3".into(), 131).with_device("new laptop"));
//! assert!(decision.reasons.iter().any(|r| r.code == ReasonCode::CampaignNewClient));
//! assert_eq!(decision.action, Action::Challenge);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::Duration;

mod answers;
mod settings;
mod table;

pub use settings::Campaign;
use settings::validate;

pub(crate) use table::Scope;
use table::{Observed, Table};
use super::{Detector, Events, Findings, Reading, Scene};
use crate::facts::Facts;
use crate::keys::KeyHasher;
use crate::policy::{MatchAction, Policy, PolicyError};
use crate::store::{Lane, Op, OpResult, StoreKey};
use crate::{EventType, Outcome, ReasonCode};

/// Which count of a scope an op reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Count {
    Attempts = 0,
    Failures = 1,
    Unknown = 2,
    /// The pair of step-ups issued and answered (`answers.rs`).
    Answers = 3,
    /// The baseline the instances share through the store: read by an
    /// instance that has none for the scope, written by those that have.
    Baseline = 4,
}

const COUNTS: [Count; 3] = [Count::Attempts, Count::Failures, Count::Unknown];

/// A read: the scope (by position in the event's scopes) and the count.
pub(crate) type Step = (u8, Count);

/// The counts read for the event's (up to three) scopes, and their
/// step-ups issued and answered.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    shares: [[Option<u64>; 3]; 3],
    answers: [Option<[u64; 2]>; 3],
    baselines: [Option<u128>; 3],
}

/// The attack mode, compiled: settings, counter seeds and the table of
/// what this instance read.
#[derive(Debug)]
pub(crate) struct CompiledCampaign {
    settings: Campaign,
    window: Duration,
    seeds: [u64; 5],
    table: Table,
}

impl Detector for CompiledCampaign {
    type Step = Step;
    type Tally = Tally;

    fn validate(policy: &Policy) -> Result<(), PolicyError> {
        validate(&policy.campaign)
    }

    fn compile(policy: &Policy, keys: &KeyHasher) -> Self {
        let seed = |part: &str| keys.rule_seed(&format!("campaign.{part}"));
        CompiledCampaign {
            settings: policy.campaign.clone(),
            window: Duration::from_secs(u64::from(policy.campaign.window_secs)),
            seeds: [
                seed("attempts"),
                seed("failures"),
                seed("unknown"),
                seed("answers"),
                seed("baseline"),
            ],
            table: Table::new(),
        }
    }

    fn events(&self) -> Events {
        Events::of(&[EventType::Login]).when(self.settings.enabled)
    }

    /// Reads the counts of the event's scopes this instance has not read
    /// for `refresh_secs`.
    fn plan(&self, scene: &Scene<'_>, push: &mut impl FnMut(Step, Op)) {
        let now = scene.event.at.as_unix_millis();
        let refresh = u64::from(self.settings.refresh_secs) * 1000;
        for (i, scope) in scopes(scene.facts).into_iter().enumerate() {
            let Some(scope) = scope.filter(|s| self.table.stale(*s, now, refresh)) else {
                continue;
            };
            for count in COUNTS {
                let key = self.key(&scene.keys, scope, count);
                push((i as u8, count), Op::WindowAdd { key, window: self.window, amount: 0 });
            }
            let lanes = self.table.take_answers(scope).map(|amount| Lane { window: self.window, amount });
            let key = self.key(&scene.keys, scope, Count::Answers);
            push((i as u8, Count::Answers), Op::WindowPair { key, lanes });
            // A restarted or added instance takes the fleet's baseline
            // instead of learning one from scratch, maybe from an attack
            // under way; warm instances keep it current.
            let key = self.key(&scene.keys, scope, Count::Baseline);
            let op = match self.table.baseline(scope, now, &self.settings) {
                Some(value) => Op::RegisterSet {
                    key,
                    value,
                    ttl: self.baseline_ttl(),
                },
                None => Op::RegisterGet { key },
            };
            push((i as u8, Count::Baseline), op);
        }
    }

    fn read(&self, (scope, count): Step, result: &OpResult, tally: &mut Tally, _: &Reading<'_>, _: &mut Findings) -> bool {
        let scope = usize::from(scope);
        match (count, result) {
            (Count::Answers, OpResult::Counts(pair)) => {
                if let Some(slot) = tally.answers.get_mut(scope) {
                    *slot = Some(*pair);
                }
            }
            (Count::Baseline, OpResult::Register(value)) => {
                if let Some(slot) = tally.baselines.get_mut(scope) {
                    *slot = *value;
                }
            }
            (Count::Baseline, OpResult::Done) => {}
            (_, OpResult::Count(n)) => {
                if let Some(slot) = tally.shares.get_mut(scope).and_then(|s| s.get_mut(count as usize)) {
                    *slot = Some(*n);
                }
            }
            _ => return false,
        }
        true
    }

    /// Updates the table with what was read, then steps up a login from a
    /// client the account never used while any of its scopes is under
    /// attack.
    fn finish(&self, tally: Tally, reading: &Reading<'_>, out: &mut Findings) {
        let s = &self.settings;
        let now = reading.at.as_unix_millis();
        let scopes = scopes(reading.facts);
        let read = tally.shares.into_iter().zip(tally.answers).zip(tally.baselines);
        for (scope, ((counts, answers), shared)) in scopes.into_iter().zip(read) {
            if let (Some(scope), [Some(attempts), Some(failures), Some(unknown)]) = (scope, counts) {
                let seen = Observed {
                    attempts,
                    failures,
                    unknown,
                    answers,
                    shared,
                };
                self.table.observe(scope, now, seen, s);
            }
        }
        // Skip the lookups (and the detail's formatting) on the common path.
        if spared(reading, s) {
            return;
        }
        let Some(why) = scopes.into_iter().flatten().find_map(|scope| self.table.campaign(scope, now, s)) else {
            return;
        };
        if s.action == MatchAction::Challenge && !s.monitor {
            for scope in scopes.into_iter().flatten() {
                self.table.stepped_up(scope);
            }
        }
        let detail = format!("{why}; the account never used this client");
        out.reasons
            .push(super::matched(ReasonCode::CampaignNewClient, detail, "campaign", s.action, s.monitor));
    }

    /// A recorded login counts in each of its scopes.
    fn record(&self, scene: &Scene<'_>, outcome: &Outcome, push: &mut impl FnMut(Op)) {
        if scene.event.kind.event_type() != EventType::Login {
            return;
        }
        let counted = [true, outcome.is_failure(), outcome.is_unknown_user()];
        let scopes = scopes(scene.facts);
        if let Some(decision) = outcome.decision() {
            self.table.decisions_reported();
            // Only its own step-ups: a challenge people pass for another
            // reason (a score over the threshold, a limit) would otherwise
            // count as an answer and release the hold.
            if decision.challenged && decision.signals.contains(crate::RiskSignal::AttackMode) {
                for scope in scopes.into_iter().flatten() {
                    self.table.answered(scope);
                }
            }
        }
        for scope in scopes.into_iter().flatten() {
            for (count, _) in COUNTS.into_iter().zip(counted).filter(|(_, on)| *on) {
                let key = self.key(&scene.keys, scope, count);
                push(Op::WindowAdd { key, window: self.window, amount: 1 });
            }
        }
    }
}

/// A scope's login outcomes in an imported log: attempts, failures (unknown
/// usernames included) and unknown usernames.
pub(crate) type LogCounts = [u64; 3];

/// Least attempts a scope needs in an imported log, as a multiple of
/// `min_attempts`, before its shares stand in for a warm baseline: fewer
/// are too noisy to call campaigns against.
const SEED_ATTEMPTS: u64 = 10;

impl CompiledCampaign {
    /// The scopes this instance reads, as of `now` (none while off).
    pub(crate) fn status(&self, now: u64) -> Vec<crate::status::AttackModeScope> {
        if !self.settings.enabled {
            return Vec::new();
        }
        self.table.status(now, &self.settings)
    }

    /// The event's scopes, for tallying an imported log.
    pub(crate) fn scopes(facts: &Facts) -> impl Iterator<Item = Scope> {
        scopes(facts).into_iter().flatten()
    }

    /// The op that stores `counts`, a scope's outcomes in the service's own
    /// log, as the fleet's warm baseline of the scope, so that a brand-new
    /// deployment calls a campaign from its first login. `None` where the
    /// log is too thin for the scope, or names no unknown username or no
    /// failure there (a share of zero would make the site's own typos a
    /// campaign), or where failures reach `failure_percent` (a log holding
    /// an attack, or only part of the outcomes, would blind attack mode).
    pub(crate) fn seed(&self, keys: &KeyHasher, scope: Scope, counts: LogCounts) -> Option<Op> {
        let [attempts, failures, unknown] = counts;
        let s = &self.settings;
        let enough = attempts >= SEED_ATTEMPTS * u64::from(s.min_attempts);
        let share = |n: u64| n as f64 / attempts as f64;
        let plausible = failures > 0 && unknown > 0 && share(failures) * 100.0 < f64::from(s.failure_percent);
        if !s.enabled || !enough || !plausible {
            return None;
        }
        Some(Op::RegisterSet {
            key: self.key(keys, scope, Count::Baseline),
            value: Table::pack(share(failures), share(unknown)),
            ttl: self.baseline_ttl(),
        })
    }

    /// A shared baseline nobody refreshed for `baseline_hours` (the whole
    /// fleet down that long) is forgotten: it no longer describes the site.
    fn baseline_ttl(&self) -> Duration {
        Duration::from_secs(u64::from(self.settings.baseline_hours) * 3_600)
    }

    fn key(&self, keys: &KeyHasher, scope: Scope, count: Count) -> StoreKey {
        let seed = self.seeds.get(count as usize).copied().unwrap_or_default();
        StoreKey(keys.hash_of(seed, scope))
    }
}

/// Whether attack mode leaves a login alone: one that is no stranger to
/// the account ([`Reading::stranger`]) is never stepped up. A username
/// with no login on record is, unless the policy spares those, or it is a
/// person mistyping theirs ([`Reading::mistyped_username`]: a browser that
/// signs in here, within `familiarity.typo_usernames` names a day), which
/// tells a bot nothing, since a bot's fresh clients are still stepped up
/// on every username.
fn spared(reading: &Reading<'_>, s: &Campaign) -> bool {
    !reading.stranger()
        || reading.mistyped_username()
        || (reading.account_without_history && !s.accounts_without_history)
}

/// The event's scopes: the whole site, its client's country, its network.
fn scopes(facts: &Facts) -> [Option<Scope>; 3] {
    [Some(Scope::Site), facts.country.map(Scope::Country), facts.asn.map(Scope::Asn)]
}

#[cfg(test)]
mod tests;
