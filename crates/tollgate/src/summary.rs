//! What a login's decision said about its risk, in a few bytes: carried by
//! an [`Outcome`](crate::Outcome) so that recording a successful login can
//! remember how risky it was (see `docs/post-login.md`).
//!
//! ```
//! use tollgate::{Action, DecisionSummary, Engine, Event, EventKind, Outcome, RiskSignal, Timestamp};
//! use tollgate::policy::Policy;
//!
//! let engine = Engine::new(Policy::default())?;
//! let login = Event::new(EventKind::Login, Timestamp::EPOCH)
//!     .with_user("alice")
//!     .with_compromised_password(true);
//! let decision = engine.evaluate(&login);
//! assert_eq!(decision.action, Action::Challenge);
//! let summary = DecisionSummary::of(&decision);
//! assert!(summary.signals.contains(RiskSignal::CompromisedPassword));
//! assert!(summary.challenged);
//! // The step-up passed: the service reports the login with its decision.
//! engine.record(&Outcome::succeeded(login).with_decision(&decision));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use crate::{Action, Decision, ReasonCode};

/// A risk signal a login's decision can carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum RiskSignal {
    /// `familiarity.new_country` fired.
    NewCountry,
    /// `familiarity.new_asn` fired.
    NewAsn,
    /// `familiarity.new_device` fired.
    NewDevice,
    /// `familiarity.new_fingerprint` fired.
    NewFingerprint,
    /// `geo.impossible_travel` fired.
    ImpossibleTravel,
    /// The password was known to be compromised.
    CompromisedPassword,
    /// `geo.anonymous` fired (VPN, proxy, Tor, hosting).
    Anonymous,
    /// The client (its device id, or lacking one its JA4 and user agent)
    /// was not in the history of an account that has one: set by
    /// familiarity whatever the points, so a common browser on a new
    /// device still counts. Also set for an account with no history at
    /// all, together with [`FirstSeenAccount`](RiskSignal::FirstSeenAccount).
    NewClient,
    /// The account had no history: a first login, or one after the
    /// history aged out. Every client is new to it.
    FirstSeenAccount,
    /// `campaign.new_client` fired: attack mode stepped the login up.
    /// Attack mode counts a recorded login carrying it as an answered
    /// step-up of its own.
    AttackMode,
    /// An OTP send came within `otp.cross.signup_recent_minutes` of the
    /// account's recorded sign-up: a new account's first codes. The
    /// newcomer share (`otp.newcomer_share`) counts recorded sends
    /// carrying it against the destination country's own baseline.
    NewAccount,
    /// The login came from a client the account never used, on a network
    /// prefix it never signed in from (an account without history counts
    /// too, unless the client is a device id that signed in here before):
    /// the test of `familiarity.stranger`, set whether or not it fired.
    /// The settled test counts recorded successful logins carrying it.
    Stranger,
}

impl RiskSignal {
    /// Every signal, in declaration order.
    pub const ALL: [RiskSignal; 12] = [
        RiskSignal::NewCountry,
        RiskSignal::NewAsn,
        RiskSignal::NewDevice,
        RiskSignal::NewFingerprint,
        RiskSignal::ImpossibleTravel,
        RiskSignal::CompromisedPassword,
        RiskSignal::Anonymous,
        RiskSignal::NewClient,
        RiskSignal::FirstSeenAccount,
        RiskSignal::AttackMode,
        RiskSignal::NewAccount,
        RiskSignal::Stranger,
    ];

    /// The name used in policies, e.g. `new_country`.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskSignal::NewCountry => "new_country",
            RiskSignal::NewAsn => "new_asn",
            RiskSignal::NewDevice => "new_device",
            RiskSignal::NewFingerprint => "new_fingerprint",
            RiskSignal::ImpossibleTravel => "impossible_travel",
            RiskSignal::CompromisedPassword => "compromised_password",
            RiskSignal::Anonymous => "anonymous",
            RiskSignal::NewClient => "new_client",
            RiskSignal::FirstSeenAccount => "first_seen_account",
            RiskSignal::AttackMode => "attack_mode",
            RiskSignal::NewAccount => "new_account",
            RiskSignal::Stranger => "stranger",
        }
    }

    /// The signal a reason code stands for, if any.
    fn of(code: ReasonCode) -> Option<RiskSignal> {
        Some(match code {
            ReasonCode::NewCountry => RiskSignal::NewCountry,
            ReasonCode::NewAsn => RiskSignal::NewAsn,
            ReasonCode::NewDevice => RiskSignal::NewDevice,
            ReasonCode::NewFingerprint => RiskSignal::NewFingerprint,
            ReasonCode::ImpossibleTravel => RiskSignal::ImpossibleTravel,
            ReasonCode::CompromisedPassword => RiskSignal::CompromisedPassword,
            ReasonCode::Anonymous => RiskSignal::Anonymous,
            ReasonCode::CampaignNewClient => RiskSignal::AttackMode,
            _ => return None,
        })
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for RiskSignal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of [`RiskSignal`]s.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RiskSignals(u16);

impl RiskSignals {
    /// No signal.
    pub const EMPTY: RiskSignals = RiskSignals(0);

    /// The set with `signal` added.
    #[must_use]
    pub fn with(self, signal: RiskSignal) -> Self {
        RiskSignals(self.0 | signal.bit())
    }

    /// Whether `signal` is in the set.
    pub fn contains(self, signal: RiskSignal) -> bool {
        self.0 & signal.bit() != 0
    }

    /// Whether the two sets share a signal.
    pub fn intersects(self, other: RiskSignals) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The signals in the set, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = RiskSignal> {
        RiskSignal::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// The raw bits, for packing into a store register.
    pub(crate) fn bits(self) -> u16 {
        self.0
    }

    /// A set from [`bits`](RiskSignals::bits); unknown bits are dropped.
    pub(crate) fn from_bits(bits: u16) -> Self {
        let known = RiskSignal::ALL.iter().fold(0, |m, s| m | s.bit());
        RiskSignals(bits & known)
    }
}

impl FromIterator<RiskSignal> for RiskSignals {
    fn from_iter<I: IntoIterator<Item = RiskSignal>>(iter: I) -> Self {
        iter.into_iter().fold(RiskSignals::EMPTY, RiskSignals::with)
    }
}

impl fmt::Debug for RiskSignals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// A decision in a few bytes: its score, the risk signals among its
/// reasons and whether it asked for a step-up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DecisionSummary {
    /// The decision's score, 0 to 100.
    pub score: u8,
    /// The risk signals among its enforced reasons (a reason with no
    /// points and no action does not count), and those of
    /// [`Decision::signals`].
    pub signals: RiskSignals,
    /// The decision was a challenge: an event that then went through
    /// passed the step-up.
    pub challenged: bool,
}

impl DecisionSummary {
    /// Summarizes `decision`.
    pub fn of(decision: &Decision) -> Self {
        let signals = decision
            .reasons
            .iter()
            .filter(|r| !r.monitor && (r.points > 0 || r.action.is_some()))
            .filter_map(|r| RiskSignal::of(r.code))
            .chain(decision.signals.iter())
            .collect();
        DecisionSummary {
            score: decision.score,
            signals,
            challenged: decision.action == Action::Challenge,
        }
    }
}

impl From<&Decision> for DecisionSummary {
    fn from(decision: &Decision) -> Self {
        DecisionSummary::of(decision)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_round_trip_and_drop_unknown() {
        let set: RiskSignals = [RiskSignal::NewDevice, RiskSignal::Anonymous].into_iter().collect();
        assert_eq!(RiskSignals::from_bits(set.bits()), set);
        assert_eq!(RiskSignals::from_bits(set.bits() | 0x8000), set);
        assert_eq!(format!("{set:?}"), "{NewDevice, Anonymous}");
        assert!(!set.contains(RiskSignal::NewCountry));
        assert!(set.intersects(RiskSignals::EMPTY.with(RiskSignal::Anonymous)));
    }

    #[test]
    fn only_enforced_reasons_that_weigh_count() {
        let reason = |code, points, monitor| {
            let mut r = crate::Reason::new(code, "test");
            r.points = points;
            r.monitor = monitor;
            r
        };
        let mut decision = Decision::allow();
        decision.score = 25;
        decision.reasons = vec![
            reason(ReasonCode::NewCountry, 25, false),
            reason(ReasonCode::NewDevice, 0, false),
            reason(ReasonCode::Anonymous, 30, true),
            reason(ReasonCode::LimitExceeded, 10, false),
        ];
        let summary = DecisionSummary::of(&decision);
        assert_eq!(summary.signals, RiskSignals::EMPTY.with(RiskSignal::NewCountry));
        assert_eq!((summary.score, summary.challenged), (25, false));
        decision.signals = RiskSignals::EMPTY.with(RiskSignal::NewClient);
        let signals = DecisionSummary::of(&decision).signals;
        assert!(signals.contains(RiskSignal::NewClient) && signals.contains(RiskSignal::NewCountry));
    }
}
