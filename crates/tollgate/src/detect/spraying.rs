//! Password spraying: one password tried once against each of many
//! accounts. Per-account limits never see it (one attempt per account),
//! per-network ones miss it behind rotating proxies; what the attempts
//! share is the password. See `docs/spraying.md`.
//!
//! Recorded failed logins add the account to a distinct set keyed by a
//! keyed hash of the password's SHA-1 (the digest the compromised-password
//! check already has; never the password, and the digest itself is never
//! stored). A login whose password failed on `distinct_accounts` accounts
//! in the window is stepped up, whatever its network or client.
//!
//! ```
//! use tollgate::password::PasswordSha1;
//! use tollgate::policy::Policy;
//! use tollgate::{Action, Engine, Event, EventKind, Outcome, ReasonCode, Timestamp};
//!
//! let engine = Engine::new(Policy::default())?;
//! let sprayed = PasswordSha1::of("Summer2026!");
//! let login = |user: String, ip: String| {
//!     Event::new(EventKind::Login, Timestamp::EPOCH)
//!         .with_user(user)
//!         .with_ip(ip.parse().unwrap())
//!         .with_password(sprayed)
//! };
//! // One attempt per account, each from its own address.
//! for i in 0..20 {
//!     engine.record(&Outcome::failed(login(format!("user{i}"), format!("198.51.{i}.7"))));
//! }
//! let next = engine.evaluate(&login("alice".into(), "203.0.113.9".into()));
//! assert!(next.reasons.iter().any(|r| r.code == ReasonCode::SprayedPassword));
//! assert_eq!(next.action, Action::Challenge);
//! // Another password is not affected.
//! let own = Event::new(EventKind::Login, Timestamp::EPOCH)
//!     .with_user("bob")
//!     .with_password(PasswordSha1::of("correct horse battery staple"));
//! assert_eq!(engine.evaluate(&own).action, Action::Allow);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::Duration;

use super::{Detector, Events, Findings, Reading, Scene};
use crate::keys::KeyHasher;
use crate::policy::{Exempt, MatchAction, Policy, PolicyError};
use crate::store::{Op, OpResult, StoreKey};
use crate::{Event, EventType, Outcome, ReasonCode};

/// Settings of the password-spraying check. See `docs/spraying.md`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Spraying {
    /// Turns the check on (default) or off. It only acts on logins that
    /// carry the password's SHA-1 ([`Event::with_password`]).
    pub enabled: bool,
    /// Sliding window over which failed accounts are counted, in seconds
    /// (3,600 to 604,800; default 86,400: a sprayer pacing itself over the
    /// day is still one campaign).
    pub window_secs: u32,
    /// Distinct accounts a password must have failed on in the window for
    /// logins with it to be stepped up (2 to 60; default 20).
    pub distinct_accounts: u32,
    /// What `credentials.sprayed_password` does: challenge (default), deny
    /// or a score.
    pub action: MatchAction,
    /// Report without enforcing.
    pub monitor: bool,
    /// Clients not stepped up (default `known_device`: a device id seen in
    /// one of the user's successful logins). Members whose own password is
    /// a common one keep signing in from their devices while it is
    /// sprayed; the sprayer holds none of them. Their failures still count.
    pub except: Vec<Exempt>,
}

impl Default for Spraying {
    fn default() -> Self {
        Spraying {
            enabled: true,
            window_secs: 86_400,
            distinct_accounts: 20,
            action: MatchAction::Challenge,
            monitor: false,
            except: vec![Exempt::KnownDevice],
        }
    }
}

/// The spraying check, compiled.
#[derive(Debug)]
pub(crate) struct CompiledSpraying {
    /// Seeds the set key of a password.
    passwords: u64,
    /// Seeds the member of an account.
    accounts: u64,
    window: Duration,
    spec: Spraying,
}

impl Detector for CompiledSpraying {
    type Step = ();
    type Tally = ();

    fn validate(policy: &Policy) -> Result<(), PolicyError> {
        let s = &policy.spraying;
        if !(3_600..=604_800).contains(&s.window_secs) {
            return Err(PolicyError::invalid("spraying.window_secs", "must be 3600 to 604800"));
        }
        // Distinct sets are exact up to DISTINCT_EXACT_UP_TO (64) members.
        if !(2..=60).contains(&s.distinct_accounts) {
            return Err(PolicyError::invalid("spraying.distinct_accounts", "must be 2 to 60"));
        }
        if s.except.iter().any(|e| *e != Exempt::KnownDevice) {
            return Err(PolicyError::invalid("spraying.except", "only known_device applies to logins"));
        }
        crate::policy::validate::action(s.action, false)
            .map_err(|m| PolicyError::invalid("spraying.action", m))
    }

    fn compile(policy: &Policy, keys: &KeyHasher) -> Self {
        let seed = keys.rule_seed("spraying");
        CompiledSpraying {
            passwords: keys.hash_of(seed, "passwords"),
            accounts: keys.hash_of(seed, "accounts"),
            window: Duration::from_secs(u64::from(policy.spraying.window_secs)),
            spec: policy.spraying.clone(),
        }
    }

    fn events(&self) -> Events {
        Events::of(&[EventType::Login]).when(self.spec.enabled)
    }

    fn plan(&self, scene: &Scene<'_>, push: &mut impl FnMut((), Op)) {
        if let Some(key) = self.set(&scene.keys, scene.event) {
            push((), Op::DistinctCount { key, window: self.window });
        }
    }

    fn read(&self, _: (), result: &OpResult, _: &mut (), reading: &Reading<'_>, out: &mut Findings) -> bool {
        let OpResult::Count(accounts) = result else {
            return false;
        };
        if *accounts >= u64::from(self.spec.distinct_accounts) && !reading.spared_by(&self.spec.except) {
            let detail = format!(
                "the password failed on {accounts} accounts in {} s",
                self.spec.window_secs
            );
            let s = &self.spec;
            out.reasons
                .push(super::matched(ReasonCode::SprayedPassword, detail, "spraying", s.action, s.monitor));
        }
        true
    }

    /// A failed login adds its account to its password's set; unknown
    /// usernames count too (a sprayer's list is rarely clean).
    fn record(&self, scene: &Scene<'_>, outcome: &Outcome, push: &mut impl FnMut(Op)) {
        let event = scene.event;
        let (true, Some(key), Some(user)) = (outcome.is_failure(), self.set(&scene.keys, event), &event.user) else {
            return;
        };
        push(Op::DistinctAdd {
            key,
            window: self.window,
            member: scene.keys.hash_of(self.accounts, user),
        });
    }
}

impl CompiledSpraying {
    /// The set of accounts the event's password failed on, for a login
    /// carrying one.
    fn set(&self, keys: &KeyHasher, event: &Event) -> Option<StoreKey> {
        let password = event.password.as_ref().filter(|_| event.kind.event_type() == EventType::Login)?;
        Some(StoreKey(keys.hash_of(self.passwords, password)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::password::PasswordSha1;
    use crate::{Action, Engine, EventKind, Timestamp};

    const MINUTE: u64 = 60_000;

    fn login(user: &str, password: &str, minute: u64) -> Event {
        Event::new(EventKind::Login, Timestamp::from_unix_millis(1_700_000_000_000 + minute * MINUTE))
            .with_user(user)
            .with_password(PasswordSha1::of(password))
    }

    fn engine() -> Engine {
        let mut policy = Policy::default();
        policy.limits.clear();
        policy.stuffing.clear();
        policy.spraying.distinct_accounts = 5;
        Engine::new(policy).unwrap()
    }

    fn sprayed(engine: &Engine, event: &Event) -> bool {
        engine
            .evaluate(event)
            .reasons
            .iter()
            .any(|r| r.code == ReasonCode::SprayedPassword)
    }

    #[test]
    fn fires_at_the_threshold_of_distinct_failed_accounts() {
        let engine = engine();
        for i in 0..4 {
            engine.record(&Outcome::failed(login(&format!("u{i}"), "Winter2026", i)));
        }
        assert!(!sprayed(&engine, &login("victim", "Winter2026", 5)), "4 of 5");
        engine.record(&Outcome::failed(login("u4", "Winter2026", 5)));
        let decision = engine.evaluate(&login("victim", "Winter2026", 6));
        assert_eq!(decision.action, Action::Challenge);
        assert!(!sprayed(&engine, &login("victim", "other password", 6)));
    }

    #[test]
    fn one_account_failing_again_and_again_is_not_spraying() {
        let engine = engine();
        for i in 0..50 {
            engine.record(&Outcome::failed(login("alice", "typo", i)));
        }
        assert!(!sprayed(&engine, &login("bob", "typo", 51)));
    }

    #[test]
    fn successes_and_other_event_types_count_nothing() {
        let engine = engine();
        for i in 0..10 {
            engine.record(&Outcome::succeeded(login(&format!("u{i}"), "shared", i)));
            let signup = Event::new(EventKind::Signup, Timestamp::from_unix_millis(1_700_000_000_000))
                .with_user(format!("s{i}"))
                .with_password(PasswordSha1::of("shared"));
            engine.record(&Outcome::failed(signup));
        }
        assert!(!sprayed(&engine, &login("victim", "shared", 11)));
    }

    #[test]
    fn the_campaign_ages_out_with_the_window() {
        let engine = engine();
        for i in 0..5 {
            engine.record(&Outcome::failed(login(&format!("u{i}"), "Spring", i)));
        }
        assert!(sprayed(&engine, &login("victim", "Spring", 10)));
        // Two windows (the sliding window spans the previous fixed one) later.
        assert!(!sprayed(&engine, &login("victim", "Spring", 3 * 24 * 60)));
    }

    #[test]
    fn logins_without_a_password_digest_plan_nothing() {
        let engine = engine();
        let bare = Event::new(EventKind::Login, Timestamp::EPOCH).with_user("alice");
        assert!(engine.evaluate(&bare).reasons.is_empty());
    }

    #[test]
    fn the_owners_known_device_is_spared_and_a_new_one_is_not() {
        let engine = engine();
        let own = |device: &str, minute| login("kim", "Winter2026", minute).with_device(device);
        engine.record(&Outcome::succeeded(own("kims-laptop", 0)));
        for i in 0..5 {
            engine.record(&Outcome::failed(login(&format!("u{i}"), "Winter2026", i + 1)));
        }
        assert!(!sprayed(&engine, &own("kims-laptop", 10)));
        assert!(sprayed(&engine, &own("sprayers-browser", 10)));
        let mut policy = Policy::default();
        policy.spraying.except = vec![Exempt::CodeRequester];
        let err = Engine::new(policy).unwrap_err().to_string();
        assert!(err.contains("spraying.except"), "{err}");
    }

    #[test]
    fn validation_names_the_field() {
        let mut policy = Policy::default();
        policy.spraying.distinct_accounts = 64;
        let err = Engine::new(policy).unwrap_err().to_string();
        assert!(err.contains("spraying.distinct_accounts"), "{err}");
        let mut policy = Policy::default();
        policy.spraying.window_secs = 60;
        let err = Engine::new(policy).unwrap_err().to_string();
        assert!(err.contains("spraying.window_secs"), "{err}");
    }
}
