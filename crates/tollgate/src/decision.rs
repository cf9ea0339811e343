//! What the engine decided, and why.

use std::sync::Arc;
use std::time::Duration;

use crate::pow::PowChallenge;
use crate::{Reason, ReasonCode, StepUpClass};

/// What the service should do with the event.
///
/// Ordered by severity: `Allow < Challenge < Throttle < Deny`; when several
/// rules ask for different actions the most severe wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Action {
    /// Go ahead.
    Allow,
    /// Go ahead only after a step-up: an authenticator app or passkey instead
    /// of SMS/voice, or a client challenge.
    Challenge,
    /// Refuse for now (HTTP 429); the client may retry after the wait.
    Throttle {
        /// How long until the request would be admitted.
        retry_after: Duration,
    },
    /// Refuse (HTTP 403).
    Deny,
}

impl Action {
    /// The action's name: `allow`, `challenge`, `throttle` or `deny`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Challenge => "challenge",
            Action::Throttle { .. } => "throttle",
            Action::Deny => "deny",
        }
    }

    /// `retry_after` for a throttle, rounded up to whole seconds and at
    /// least 1 — the value of a `Retry-After` header.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Action::Throttle { retry_after } => Some(ceil_secs(*retry_after).max(1)),
            _ => None,
        }
    }
}

pub(crate) fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

#[cfg(feature = "serde")]
impl serde::Serialize for Action {
    /// The action name; a throttle's wait is written by [`Decision`].
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// An action and a score: what a decision enforces, or would enforce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The action.
    pub action: Action,
    /// The score, 0 to 100.
    pub score: u8,
}

/// A sign-in factor the application can step a user to instead of a
/// risky phone channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Factor {
    /// A passkey (WebAuthn).
    Passkey,
    /// An authenticator app (TOTP).
    Authenticator,
    /// A code or link by email.
    Email,
}

impl Factor {
    /// The factor's name: `passkey`, `authenticator` or `email`.
    pub fn as_str(self) -> &'static str {
        match self {
            Factor::Passkey => "passkey",
            Factor::Authenticator => "authenticator",
            Factor::Email => "email",
        }
    }
}

/// The step-up a challenge asks for (see [`Decision::step_up`] and
/// `docs/challenges.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum StepUp {
    /// Only automation-class reasons asked for the challenge: the client
    /// may clear it by solving a proof of work.
    ProofOfWork,
    /// An account-risk reason contributed: only a second factor the
    /// application verifies clears it.
    SecondFactor,
}

impl StepUp {
    /// The step-up's name: `proof_of_work` or `second_factor`.
    pub fn as_str(self) -> &'static str {
        match self {
            StepUp::ProofOfWork => "proof_of_work",
            StepUp::SecondFactor => "second_factor",
        }
    }
}

/// Quota state of the tightest limit that applied, for the IETF `RateLimit`
/// and `RateLimit-Policy` response headers.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RateLimitInfo {
    /// The limit rule's name (the policy item name in the headers).
    pub policy: Arc<str>,
    /// Requests allowed in a burst (the quota, `q`).
    pub limit: u32,
    /// Time for an empty quota to refill completely (the window, `w`).
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser_secs"))]
    pub window: Duration,
    /// Requests left right now (`r`).
    pub remaining: u32,
    /// Time until the quota is full again (`t`).
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser_secs"))]
    pub reset: Duration,
}

#[cfg(feature = "serde")]
fn ser_secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(ceil_secs(*d))
}

/// The engine's answer for one event.
///
/// `action` and `score` are what to enforce. When rules in monitor mode
/// fired (or the whole policy is in monitor mode), `monitored` holds what
/// the decision would have been had they been enforced, so a new rule can
/// be watched before it bites.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Decision {
    /// What to do.
    pub action: Action,
    /// Risk score, 0 to 100, from the enforced reasons.
    pub score: u8,
    /// Everything that fired, enforced or monitored.
    pub reasons: Vec<Reason>,
    /// The tightest throttling limit that applied, if any.
    pub rate_limit: Option<RateLimitInfo>,
    /// The verdict with monitored rules enforced, when any monitored rule fired.
    pub monitored: Option<Verdict>,
    /// Safer factors to offer instead, in the policy's order of preference,
    /// when an OTP send on a phone channel is not simply allowed or an OTP
    /// risk signal fired (`otp.advice`). Empty otherwise.
    pub advice: Vec<Factor>,
    /// A proof-of-work challenge for the client, when the decision is a
    /// challenge whose [`step_up`](Decision::step_up) is a proof of work and
    /// the engine has a [`PowConfig`](crate::pow::PowConfig).
    /// Boxed: allows, the common case, carry none and move often.
    pub pow: Option<Box<PowChallenge>>,
    /// Risk signals the engine established that no reason carries, such as
    /// [`RiskSignal::NewClient`](crate::RiskSignal::NewClient);
    /// [`DecisionSummary`](crate::DecisionSummary) adds them to those of the
    /// reasons.
    pub signals: crate::RiskSignals,
}

impl Decision {
    /// A plain allow with no reasons.
    pub fn allow() -> Self {
        Decision {
            action: Action::Allow,
            score: 0,
            reasons: Vec::new(),
            rate_limit: None,
            monitored: None,
            advice: Vec::new(),
            pow: None,
            signals: crate::RiskSignals::EMPTY,
        }
    }

    /// Whether the action is [`Action::Allow`].
    pub fn is_allow(&self) -> bool {
        self.action == Action::Allow
    }

    /// Which step-up suits a challenge, `None` for other actions: a second
    /// factor whenever an enforced reason of the
    /// [account-risk class](StepUpClass::AccountRisk) contributed (points or
    /// a challenge of its own; `store.*` always counts), else a proof of work. A challenge no
    /// reason explains asks for a second factor, the step-up that is
    /// never wrong.
    pub fn step_up(&self) -> Option<StepUp> {
        if self.action != Action::Challenge {
            return None;
        }
        // A store that failed counts whatever its points: without it a
        // solution's single use cannot be checked.
        let contributes = |r: &&Reason| {
            !r.monitor
                && (r.points > 0
                    || r.action.is_some_and(|a| a != Action::Allow)
                    || matches!(r.code, ReasonCode::StoreIncomplete | ReasonCode::StoreUnavailable))
        };
        let contributors = self.reasons.iter().filter(contributes);
        let mut any = false;
        for r in contributors {
            if r.code.step_up_class() == StepUpClass::AccountRisk {
                return Some(StepUp::SecondFactor);
            }
            any = true;
        }
        Some(if any { StepUp::ProofOfWork } else { StepUp::SecondFactor })
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Decision {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("action", self.action.as_str())?;
        if let Action::Throttle { retry_after } = self.action {
            m.serialize_entry("retry_after_ms", &(retry_after.as_millis() as u64))?;
        }
        m.serialize_entry("score", &self.score)?;
        m.serialize_entry("reasons", &self.reasons)?;
        if let Some(rl) = &self.rate_limit {
            m.serialize_entry("rate_limit", rl)?;
        }
        if !self.advice.is_empty() {
            m.serialize_entry("advice", &self.advice)?;
        }
        if let Some(step_up) = self.step_up() {
            m.serialize_entry("step_up", &step_up)?;
        }
        if !self.signals.is_empty() {
            let signals: Vec<&str> = self.signals.iter().map(crate::RiskSignal::as_str).collect();
            m.serialize_entry("signals", &signals)?;
        }
        if let Some(v) = &self.monitored {
            m.serialize_entry(
                "monitored",
                &serde_json::json!({ "action": v.action.as_str(), "score": v.score }),
            )?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_and_is_never_zero() {
        let t = |ms| {
            Action::Throttle {
                retry_after: Duration::from_millis(ms),
            }
            .retry_after_secs()
        };
        assert_eq!(t(0), Some(1));
        assert_eq!(t(300), Some(1));
        assert_eq!(t(1000), Some(1));
        assert_eq!(t(1001), Some(2));
        assert_eq!(Action::Deny.retry_after_secs(), None);
    }

    fn reason(code: ReasonCode, points: u8) -> Reason {
        let mut r = Reason::new(code, "test");
        r.points = points;
        r
    }

    fn challenge(reasons: Vec<Reason>) -> Decision {
        let mut d = Decision::allow();
        d.action = Action::Challenge;
        d.reasons = reasons;
        d
    }

    #[test]
    fn step_up_follows_the_contributing_reasons() {
        use crate::ReasonCode::{FingerprintUaMismatch, NewCountry, SpikeEventRate};
        let bot = challenge(vec![reason(FingerprintUaMismatch, 30), reason(SpikeEventRate, 30)]);
        assert_eq!(bot.step_up(), Some(StepUp::ProofOfWork));
        let risky = challenge(vec![reason(FingerprintUaMismatch, 30), reason(NewCountry, 30)]);
        assert_eq!(risky.step_up(), Some(StepUp::SecondFactor));
        // A reason that added nothing, or is only monitored, does not count.
        let mut monitored = reason(NewCountry, 30);
        monitored.monitor = true;
        let quiet = challenge(vec![
            reason(FingerprintUaMismatch, 60),
            reason(NewCountry, 0),
            monitored,
        ]);
        assert_eq!(quiet.step_up(), Some(StepUp::ProofOfWork));
        // A hard challenge with no points counts.
        let mut hard = reason(NewCountry, 0);
        hard.action = Some(Action::Challenge);
        assert_eq!(challenge(vec![hard]).step_up(), Some(StepUp::SecondFactor));
        assert_eq!(challenge(Vec::new()).step_up(), Some(StepUp::SecondFactor));
        let down = challenge(vec![
            reason(FingerprintUaMismatch, 60),
            reason(ReasonCode::StoreUnavailable, 0),
        ]);
        assert_eq!(down.step_up(), Some(StepUp::SecondFactor));
        assert_eq!(Decision::allow().step_up(), None);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn step_up_is_serialised() {
        let d = challenge(vec![reason(crate::ReasonCode::SpikeEventRate, 60)]);
        let json = serde_json::to_value(&d).unwrap_or_default();
        assert_eq!(json["step_up"], "proof_of_work");
        let json = serde_json::to_value(Decision::allow()).unwrap_or_default();
        assert!(json.get("step_up").is_none());
    }

    #[test]
    fn severity_order() {
        let throttle = Action::Throttle {
            retry_after: Duration::ZERO,
        };
        assert!(Action::Allow < Action::Challenge);
        assert!(Action::Challenge < throttle);
        assert!(throttle < Action::Deny);
    }
}
