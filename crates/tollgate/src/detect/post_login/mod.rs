//! Credential changes soon after a login. A recorded successful login
//! writes a per-user register (time, the decision's score and risk
//! signals); a credential change reads it. See `docs/post-login.md`.
//!
//! The register: seconds since the epoch in bits 96..128, the risk signals
//! in bits 32..48, the score in bits 16..24, bit 1 set when the service
//! passed the decision, bit 0 when the login was challenged.
//!
//! ```
//! use tollgate::{Action, CredentialKind, Engine, Event, EventKind, Outcome, Timestamp};
//! use tollgate::policy::Policy;
//!
//! let engine = Engine::new(Policy::default())?;
//! let at = |min: u64| Timestamp::from_unix_millis(1_700_000_000_000 + min * 60_000);
//! let login = Event::new(EventKind::Login, at(0)).with_user("alice").with_compromised_password(true);
//! engine.record(&Outcome::succeeded(login));
//! let change = Event::new(EventKind::CredentialChange { what: CredentialKind::Email }, at(3)).with_user("alice");
//! let decision = engine.evaluate(&change);
//! assert_eq!(decision.action, Action::Challenge);
//! assert_eq!(decision.reasons[0].code.as_str(), "change.after_risky_login");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Credential changes soon after a login (`[post_login]`): a takeover
//! ends with the attacker changing the password or email to lock the owner
//! out, minutes after getting in. See `docs/post-login.md`.
//!
//! ```
//! use tollgate::policy::{MatchAction, Policy};
//!
//! let policy = Policy::from_toml(r#"
//!     [post_login]
//!     window_minutes = 30
//!     action = "deny"
//! "#)?;
//! assert_eq!(policy.post_login.action, MatchAction::Deny);
//! assert_eq!(policy.post_login.points, 5);
//! let err = Policy::from_toml("[post_login]\nwindow_minutes = 0").unwrap_err();
//! assert_eq!(err.field(), Some("post_login.window_minutes"));
//! # Ok::<(), tollgate::policy::PolicyError>(())
//! ```

use std::time::Duration;
use super::{Detector, Events, Findings, Reading, Scene, days};
use crate::keys::{EventKeys, KeyHasher};
use crate::policy::{Dimension, Policy};
use crate::store::{Op, OpResult, StoreKey};
use crate::policy::{MatchAction, PolicyError};
use crate::{
    CredentialKind, DecisionSummary, Event, EventKind, EventType, Outcome, Reason, ReasonCode, RiskSignal, RiskSignals,
    Timestamp,
};

/// Settings of the post-login change checks.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct PostLogin {
    /// Turns the checks on (default) or off. Off, recorded logins write
    /// nothing for them either.
    pub enabled: bool,
    /// How long after a recorded successful login a credential change
    /// counts as soon after it (1 to 1,440 minutes; default 60).
    pub window_minutes: u32,
    /// Points of `change.after_login`, for a change soon after a login
    /// that was not risky (0 to 100; default 5: a person who just logged
    /// in to change their password is normal).
    pub points: u8,
    /// A login whose decision scored at least this is risky (0 to 100;
    /// 0: the score alone never makes it risky; default 15: a device or a
    /// rare network this user was never seen with scores that alone).
    pub risky_score: u8,
    /// Risk signals that make a login risky whatever its score (default:
    /// new country, impossible travel, compromised password). `new_device`
    /// is left to the score: it also fires, with fewer points, for a device
    /// seen once or twice before.
    pub risky_signals: Vec<RiskSignal>,
    /// What `change.after_risky_login` does: challenge (default), deny or a
    /// score.
    pub action: MatchAction,
    /// A risky login that was challenged and passed the step-up does not
    /// make the change risky (default false: the step-up may have been an
    /// SMS code an OTP bot relayed, and a change is worth a second one).
    pub trust_step_up: bool,
    /// Days a client stays on probation after a successful login from it
    /// that was its first with the account ([`RiskSignal::NewClient`]): a
    /// credential change from it in that time gets `change.new_client`
    /// (0 to 90; 0: off; default 7). Catches the takeover whose login looked
    /// ordinary (a real browser on a residential network in the owner's
    /// country) and whose change comes hours later. Needs the login's
    /// decision with its outcome.
    pub new_client_days: u8,
    /// Report without enforcing.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "std::ops::Not::not"))]
    pub monitor: bool,
}

impl Default for PostLogin {
    fn default() -> Self {
        PostLogin {
            enabled: true,
            window_minutes: 60,
            points: 5,
            risky_score: 15,
            risky_signals: vec![
                RiskSignal::NewCountry,
                RiskSignal::ImpossibleTravel,
                RiskSignal::CompromisedPassword,
            ],
            action: MatchAction::Challenge,
            trust_step_up: false,
            new_client_days: 7,
            monitor: false,
        }
    }
}

fn validate(p: &PostLogin) -> Result<(), PolicyError> {
    if !(1..=1440).contains(&p.window_minutes) {
        return Err(PolicyError::invalid("post_login.window_minutes", "must be 1 to 1440"));
    }
    if p.points > 100 {
        return Err(PolicyError::invalid("post_login.points", "must be 0 to 100"));
    }
    if p.risky_score > 100 {
        return Err(PolicyError::invalid("post_login.risky_score", "must be 0 to 100"));
    }
    if p.risky_signals
        .iter()
        .enumerate()
        .any(|(i, a)| p.risky_signals.iter().skip(i + 1).any(|b| a == b))
    {
        return Err(PolicyError::invalid("post_login.risky_signals", "lists a signal twice"));
    }
    if p.new_client_days > 90 {
        return Err(PolicyError::invalid("post_login.new_client_days", "must be 0 to 90"));
    }
    crate::policy::validate::action(p.action, false).map_err(|m| PolicyError::invalid("post_login.action", m))
}

/// Shown as the reasons' rule.
const RULE: &str = "post_login";

#[derive(Debug)]
pub(crate) struct CompiledPostLogin {
    settings: PostLogin,
    risky: RiskSignals,
    seed: u64,
    /// Seeds the register of the client on probation, and its hash.
    probation: u64,
}

/// What a register read is for.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Step {
    /// The user's last login.
    LastLogin,
    /// The client on probation, against the changing client's hash, and
    /// whether the change is of the password.
    Probation(u64, bool),
}

impl Detector for CompiledPostLogin {
    type Step = Step;
    type Tally = ();

    fn validate(policy: &Policy) -> Result<(), PolicyError> {
        validate(&policy.post_login)
    }

    fn compile(policy: &Policy, keys: &KeyHasher) -> Self {
        let settings = &policy.post_login;
        CompiledPostLogin {
            risky: settings.risky_signals.iter().copied().collect(),
            settings: settings.clone(),
            seed: keys.rule_seed("post_login.last_login"),
            probation: keys.rule_seed("post_login.new_client"),
        }
    }

    fn events(&self) -> Events {
        Events::of(&[EventType::Login, EventType::CredentialChange]).when(self.settings.enabled)
    }

    /// The reads of a credential change: the user's last login, and the
    /// client on probation.
    fn plan(&self, scene: &Scene<'_>, push: &mut impl FnMut(Step, Op)) {
        let change = matches!(scene.event.kind, EventKind::CredentialChange { .. });
        let Some(user) = self.user(&scene.keys).filter(|_| change && self.settings.enabled) else {
            return;
        };
        push(Step::LastLogin, Op::RegisterGet { key: StoreKey(user) });
        if let Some(client) = self.client(&scene.keys, scene.event) {
            let key = StoreKey(KeyHasher::derive(self.probation, user));
            let password = matches!(
                scene.event.kind,
                EventKind::CredentialChange {
                    what: CredentialKind::Password
                }
            );
            push(Step::Probation(client, password), Op::RegisterGet { key });
        }
    }

    fn read(&self, step: Step, result: &OpResult, _: &mut (), reading: &Reading<'_>, out: &mut Findings) -> bool {
        let OpResult::Register(value) = result else {
            return false;
        };
        match step {
            Step::LastLogin => out.reasons.extend(self.reason(*value, reading.at)),
            Step::Probation(client, password) => out.reasons.extend(self.probation_reason(*value, client, password)),
        }
        true
    }

    fn record(&self, scene: &Scene<'_>, outcome: &Outcome, push: &mut impl FnMut(Op)) {
        self.record_ops(&scene.keys, outcome, push);
    }
}

impl CompiledPostLogin {
    fn window(&self) -> Duration {
        Duration::from_secs(u64::from(self.settings.window_minutes) * 60)
    }

    /// The user's hash: the last login's register key, and the base of the
    /// probation register's.
    fn user(&self, keys: &EventKeys<'_>) -> Option<u64> {
        keys.of(self.seed, Dimension::User)
    }

    /// The client's hash, as familiarity tells devices apart (device id, or
    /// JA4 and user agent); `None` when probation is off.
    fn client(&self, keys: &EventKeys<'_>, event: &Event) -> Option<u64> {
        if self.settings.new_client_days == 0 {
            return None;
        }
        super::familiarity::device(keys, self.probation, event)
    }

    /// What a successful login writes: its time and risk, and its client
    /// when the client was new to the account.
    fn record_ops(&self, keys: &EventKeys<'_>, outcome: &Outcome, push: &mut impl FnMut(Op)) {
        let event = &outcome.event;
        let login = event.kind.event_type() == EventType::Login && !outcome.is_failure();
        let Some(user) = self.user(keys).filter(|_| login && self.settings.enabled) else {
            return;
        };
        let mut summary = outcome.decision().unwrap_or_default();
        if event.compromised_password {
            summary.signals = summary.signals.with(RiskSignal::CompromisedPassword);
        }
        push(Op::RegisterSet {
            key: StoreKey(user),
            value: pack(event.at, &summary, outcome.decision().is_some()),
            ttl: self.window(),
        });
        // Hashed only for a login whose client was new: most are not.
        let new_client = summary.signals.contains(RiskSignal::NewClient);
        if let Some(client) = new_client.then(|| self.client(keys, event)).flatten() {
            let first_seen = u128::from(summary.signals.contains(RiskSignal::FirstSeenAccount)) << 64;
            push(Op::RegisterSet {
                key: StoreKey(KeyHasher::derive(self.probation, user)),
                value: first_seen | u128::from(client),
                ttl: days(u16::from(self.settings.new_client_days)),
            });
        }
    }

    /// The reason of a change from `client`, given the probation register
    /// (the client in the low 64 bits, bit 64 when the account had no
    /// history). An account's first client may change its password (a
    /// forgotten one, reset in the first week) but not its email, phone or
    /// factors: those hand the account over.
    fn probation_reason(&self, on_probation: Option<u128>, client: u64, password: bool) -> Option<Reason> {
        let s = &self.settings;
        let value = on_probation?;
        let first_seen = value >> 64 & 1 == 1;
        (value as u64 == client && !(first_seen && password)).then(|| {
            let detail = format!(
                "from a client first used with this account in the last {} days",
                s.new_client_days
            );
            super::matched(ReasonCode::ChangeFromNewClient, detail, RULE, s.action, s.monitor)
        })
    }

    /// The reason of a change at `at`, given the register read.
    fn reason(&self, last: Option<u128>, at: Timestamp) -> Option<Reason> {
        let (login_secs, summary, known) = unpack(last?);
        let s = &self.settings;
        let ago = (at.as_unix_millis() / 1000).saturating_sub(login_secs);
        if ago >= self.window().as_secs() {
            return None;
        }
        let by_score = s.risky_score > 0 && known && summary.score >= s.risky_score;
        let signals = summary.signals.iter().filter(|sig| self.risky.contains(*sig));
        let named: Vec<&str> = signals.map(RiskSignal::as_str).collect();
        let stepped_up = s.trust_step_up && summary.challenged;
        let when = format!("{} after a successful login", human(ago));
        if (by_score || !named.is_empty()) && !stepped_up {
            let mut why = named;
            let score = format!("score {}", summary.score);
            if by_score {
                why.push(&score);
            }
            let detail = format!("{when} that was risky ({})", why.join(", "));
            return Some(super::matched(
                ReasonCode::ChangeAfterRiskyLogin,
                detail,
                RULE,
                s.action,
                s.monitor,
            ));
        }
        (s.points > 0).then(|| {
            let mut r = Reason::new(ReasonCode::ChangeAfterLogin, when);
            r.points = s.points;
            r.monitor = s.monitor;
            r.rule = Some(RULE.into());
            r
        })
    }
}

fn pack(at: Timestamp, summary: &DecisionSummary, known: bool) -> u128 {
    let secs = u32::try_from(at.as_unix_millis() / 1000).unwrap_or(u32::MAX);
    (u128::from(secs) << 96)
        | (u128::from(summary.signals.bits()) << 32)
        | (u128::from(summary.score) << 16)
        | (u128::from(known) << 1)
        | u128::from(summary.challenged)
}

/// The login's time in seconds, its summary, and whether the service
/// passed the decision.
fn unpack(value: u128) -> (u64, DecisionSummary, bool) {
    let summary = DecisionSummary {
        score: (value >> 16) as u8,
        signals: RiskSignals::from_bits((value >> 32) as u16),
        challenged: value & 1 != 0,
    };
    (u64::from((value >> 96) as u32), summary, value & 2 != 0)
}

fn human(secs: u64) -> String {
    match secs {
        0..120 => format!("{secs} s"),
        _ => format!("{} min", secs / 60),
    }
}

#[cfg(test)]
mod tests;
