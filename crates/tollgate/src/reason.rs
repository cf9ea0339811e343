//! Why a decision came out the way it did.
//!
//! Every [`Reason`] carries a stable machine code from [`ReasonCode`]; the
//! full list with meanings is `docs/reasons.md` (a test keeps the two in
//! step). Codes never change meaning once released; new ones are added.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::Action;

/// A stable machine code for a reason.
///
#[doc = include_str!("../../../docs/reasons.md")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReasonCode {
    /// A limit rule counting attempts is over its rate.
    LimitExceeded,
    /// A limit rule counting failures is over its rate.
    LimitFailures,
    /// The event says the submitted password is known to be compromised.
    CompromisedPassword,
    /// The submitted password failed on many distinct accounts lately: it
    /// is being sprayed.
    SprayedPassword,
    /// A login from a client the account never used, while logins overall,
    /// from the client's country or from its network fail (or name no
    /// account) far more often than their baseline.
    CampaignNewClient,
    /// Many distinct usernames behind one stuffing detector's key.
    StuffingDistinctUsers,
    /// Mostly failed logins behind one stuffing detector's key.
    StuffingFailureRatio,
    /// An event type's rate (overall, per country or per ASN) spikes
    /// above its baseline.
    SpikeEventRate,
    /// The counter store gave no result for some limits; they did not fire.
    StoreIncomplete,
    /// The counter store was unavailable; `[store] on_failure` decided.
    StoreUnavailable,
    /// The user was not seen in this country before.
    NewCountry,
    /// The user was not seen on this network (ASN) before.
    NewAsn,
    /// The user was not seen with this device before.
    NewDevice,
    /// The user was not seen with this client fingerprint before.
    NewFingerprint,
    /// The user was not seen with this network prefix before.
    NewPrefix,
    /// The user has no successful login on record.
    FirstSeen,
    /// A login to an established account (`familiarity.stranger_after`
    /// logins on record) from a client it never used, on a network prefix
    /// it never signed in from.
    Stranger,
    /// A client an account with history never used (its device id, or
    /// without one its JA4 and user agent) shows automation: the action of
    /// `familiarity.first_seen_automation`.
    NewClientAutomation,
    /// Faster than plausible travel since the last successful login.
    ImpossibleTravel,
    /// The address is in an allow zone: nothing else was evaluated.
    ZoneAllow,
    /// The address is in a zone (deny, challenge or score).
    ZoneMatch,
    /// The country is on a country rule's list (or off an allow list).
    Country,
    /// The network is on an ASN rule's list.
    AsnListed,
    /// A geo database flags the address as an anonymizer.
    Anonymous,
    /// A geo database failed on the address.
    GeoLookupFailed,
    /// A forwarding header held garbage; the client IP is a fallback.
    ForwardingAnomaly,
    /// A fingerprint of the event is on a fingerprint rule's list.
    FingerprintListed,
    /// The user agent claims a browser whose handshake looks different.
    FingerprintUaMismatch,
    /// An OTP destination rule fired for the number and channel.
    OtpDestination,
    /// An OTP channel is locked out after reaching its service cap.
    OtpServiceCap,
    /// Codes to one number or user came too fast: the backoff's wait runs.
    OtpResendBackoff,
    /// The code last sent had too many wrong attempts.
    OtpVerifyAttempts,
    /// A spend ceiling was reached.
    OtpSpendCap,
    /// Codes sent to this destination are rarely verified.
    OtpLowConversion,
    /// The destination country's unverified codes today are over its
    /// budget, and the number never verified a code.
    OtpCountryBudget,
    /// New accounts' share of the codes sent to the destination country
    /// today is well above the country's own baseline, and this send is a
    /// new account's.
    OtpNewcomerShare,
    /// One client asked codes for many different numbers.
    OtpManyNumbers,
    /// Sends to the destination country spike above its weekly baseline.
    OtpCountrySpike,
    /// The client's country differs from the number's.
    OtpCountryMismatch,
    /// The number was added to the account recently.
    OtpNewPhone,
    /// A send right after a sign-up from a bulk sign-up client stack.
    OtpSignupBurst,
    /// A code verified from another client than the one that asked for it.
    OtpRelay,
    /// A credential change soon after a successful login.
    ChangeAfterLogin,
    /// A credential change soon after a risky successful login.
    ChangeAfterRiskyLogin,
    /// A credential change from a client on probation: first used with the
    /// account in a recent successful login.
    ChangeFromNewClient,
    /// The client solved a proof-of-work challenge: the automation-class
    /// reasons no longer count for this one request.
    PowSolved,
    /// The request carried a proof-of-work solution that was not accepted
    /// (forged, expired, for another event type, unsolved or replayed).
    PowRefused,
}

/// Which step-up clears a reason: what a challenge it contributed to should
/// ask for (see [`Decision::step_up`](crate::Decision::step_up) and
/// `docs/challenges.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum StepUpClass {
    /// Signs of a script or a farm rather than of this account's owner
    /// (client stack, network, volume): making the client spend CPU raises
    /// the attacker's cost, so a proof of work clears it.
    Automation,
    /// Signs that the account itself may be in the wrong hands (new
    /// country or device, impossible travel, a compromised password, a
    /// change right after login): only the account's owner can clear it,
    /// with a second factor. A proof of work never does.
    AccountRisk,
}

impl ReasonCode {
    /// Every code, in declaration order.
    pub const ALL: &'static [ReasonCode] = &[
        ReasonCode::LimitExceeded,
        ReasonCode::LimitFailures,
        ReasonCode::CompromisedPassword,
        ReasonCode::SprayedPassword,
        ReasonCode::CampaignNewClient,
        ReasonCode::StuffingDistinctUsers,
        ReasonCode::StuffingFailureRatio,
        ReasonCode::SpikeEventRate,
        ReasonCode::StoreIncomplete,
        ReasonCode::StoreUnavailable,
        ReasonCode::NewCountry,
        ReasonCode::NewAsn,
        ReasonCode::NewDevice,
        ReasonCode::NewFingerprint,
        ReasonCode::NewPrefix,
        ReasonCode::FirstSeen,
        ReasonCode::Stranger,
        ReasonCode::NewClientAutomation,
        ReasonCode::ImpossibleTravel,
        ReasonCode::ZoneAllow,
        ReasonCode::ZoneMatch,
        ReasonCode::Country,
        ReasonCode::AsnListed,
        ReasonCode::Anonymous,
        ReasonCode::GeoLookupFailed,
        ReasonCode::ForwardingAnomaly,
        ReasonCode::FingerprintListed,
        ReasonCode::FingerprintUaMismatch,
        ReasonCode::OtpDestination,
        ReasonCode::OtpServiceCap,
        ReasonCode::OtpResendBackoff,
        ReasonCode::OtpVerifyAttempts,
        ReasonCode::OtpSpendCap,
        ReasonCode::OtpLowConversion,
        ReasonCode::OtpCountryBudget,
        ReasonCode::OtpNewcomerShare,
        ReasonCode::OtpManyNumbers,
        ReasonCode::OtpCountrySpike,
        ReasonCode::OtpCountryMismatch,
        ReasonCode::OtpNewPhone,
        ReasonCode::OtpSignupBurst,
        ReasonCode::OtpRelay,
        ReasonCode::ChangeAfterLogin,
        ReasonCode::ChangeAfterRiskyLogin,
        ReasonCode::ChangeFromNewClient,
        ReasonCode::PowSolved,
        ReasonCode::PowRefused,
    ];

    /// Whether the code is one of the OTP delivery signals (`otp.*`).
    pub fn is_otp(self) -> bool {
        self.as_str().starts_with("otp.")
    }

    /// The code as written in decisions and logs, e.g. `limit.exceeded`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::LimitExceeded => "limit.exceeded",
            ReasonCode::LimitFailures => "limit.failures",
            ReasonCode::CompromisedPassword => "credentials.compromised_password",
            ReasonCode::SprayedPassword => "credentials.sprayed_password",
            ReasonCode::CampaignNewClient => "campaign.new_client",
            ReasonCode::StuffingDistinctUsers => "stuffing.distinct_users",
            ReasonCode::StuffingFailureRatio => "stuffing.failure_ratio",
            ReasonCode::SpikeEventRate => "spike.event_rate",
            ReasonCode::StoreIncomplete => "store.incomplete",
            ReasonCode::StoreUnavailable => "store.unavailable",
            ReasonCode::NewCountry => "familiarity.new_country",
            ReasonCode::NewAsn => "familiarity.new_asn",
            ReasonCode::NewDevice => "familiarity.new_device",
            ReasonCode::NewFingerprint => "familiarity.new_fingerprint",
            ReasonCode::NewPrefix => "familiarity.new_prefix",
            ReasonCode::FirstSeen => "familiarity.first_seen",
            ReasonCode::Stranger => "familiarity.stranger",
            ReasonCode::NewClientAutomation => "familiarity.new_client_automation",
            ReasonCode::ImpossibleTravel => "geo.impossible_travel",
            ReasonCode::ZoneAllow => "zone.allow",
            ReasonCode::ZoneMatch => "zone.match",
            ReasonCode::Country => "geo.country",
            ReasonCode::AsnListed => "geo.asn",
            ReasonCode::Anonymous => "geo.anonymous",
            ReasonCode::GeoLookupFailed => "geo.lookup_failed",
            ReasonCode::ForwardingAnomaly => "net.forwarding_anomaly",
            ReasonCode::FingerprintListed => "fingerprint.listed",
            ReasonCode::FingerprintUaMismatch => "fingerprint.ua_mismatch",
            ReasonCode::OtpDestination => "otp.destination",
            ReasonCode::OtpServiceCap => "otp.service_cap",
            ReasonCode::OtpResendBackoff => "otp.resend_backoff",
            ReasonCode::OtpVerifyAttempts => "otp.verify_attempts",
            ReasonCode::OtpSpendCap => "otp.spend_cap",
            ReasonCode::OtpLowConversion => "otp.low_conversion",
            ReasonCode::OtpCountryBudget => "otp.country_budget",
            ReasonCode::OtpNewcomerShare => "otp.newcomer_share",
            ReasonCode::OtpManyNumbers => "otp.many_numbers",
            ReasonCode::OtpCountrySpike => "otp.country_spike",
            ReasonCode::OtpCountryMismatch => "otp.country_mismatch",
            ReasonCode::OtpNewPhone => "otp.new_phone",
            ReasonCode::OtpSignupBurst => "otp.signup_burst",
            ReasonCode::OtpRelay => "otp.relay",
            ReasonCode::ChangeAfterLogin => "change.after_login",
            ReasonCode::ChangeAfterRiskyLogin => "change.after_risky_login",
            ReasonCode::ChangeFromNewClient => "change.new_client",
            ReasonCode::PowSolved => "challenge.pow_solved",
            ReasonCode::PowRefused => "challenge.pow_refused",
        }
    }

    /// Which step-up clears the reason. Every code is classified here on
    /// purpose, with no catch-all, so a new code cannot be added without
    /// deciding whether a proof of work may clear it.
    pub fn step_up_class(self) -> StepUpClass {
        use StepUpClass::{AccountRisk, Automation};
        match self {
            // Volume from one key, a client stack, a network or a region:
            // properties of the sender, not of the account.
            ReasonCode::LimitExceeded
            | ReasonCode::LimitFailures
            | ReasonCode::StuffingDistinctUsers
            | ReasonCode::StuffingFailureRatio
            | ReasonCode::SpikeEventRate
            | ReasonCode::ZoneAllow
            | ReasonCode::ZoneMatch
            | ReasonCode::Country
            | ReasonCode::AsnListed
            | ReasonCode::Anonymous
            | ReasonCode::GeoLookupFailed
            | ReasonCode::ForwardingAnomaly
            | ReasonCode::FingerprintListed
            | ReasonCode::FingerprintUaMismatch => Automation,
            // OTP toll fraud is pumped by scripts: volume, destinations and
            // spend, not the account's owner.
            ReasonCode::OtpDestination
            | ReasonCode::OtpServiceCap
            | ReasonCode::OtpResendBackoff
            | ReasonCode::OtpSpendCap
            | ReasonCode::OtpLowConversion
            | ReasonCode::OtpCountryBudget
            | ReasonCode::OtpNewcomerShare
            | ReasonCode::OtpManyNumbers
            | ReasonCode::OtpCountrySpike
            | ReasonCode::OtpCountryMismatch
            | ReasonCode::OtpSignupBurst => Automation,
            // Informational (no points): they only ever accompany a proof
            // of work, which only automation-class challenges offer.
            ReasonCode::PowSolved | ReasonCode::PowRefused => Automation,
            // The account's own history or credentials: CPU proves nothing
            // about who holds them.
            ReasonCode::CompromisedPassword
            | ReasonCode::NewCountry
            | ReasonCode::NewAsn
            | ReasonCode::NewDevice
            | ReasonCode::NewFingerprint
            | ReasonCode::NewPrefix
            | ReasonCode::FirstSeen
            | ReasonCode::Stranger
            | ReasonCode::NewClientAutomation
            | ReasonCode::ImpossibleTravel
            | ReasonCode::OtpVerifyAttempts
            | ReasonCode::OtpNewPhone
            | ReasonCode::OtpRelay
            | ReasonCode::ChangeAfterLogin
            | ReasonCode::ChangeAfterRiskyLogin
            | ReasonCode::ChangeFromNewClient => AccountRisk,
            // A password tried on many accounts: the sprayer may have the
            // right one for this account, and would pay the CPU gladly.
            ReasonCode::SprayedPassword => AccountRisk,
            // A client the account never used, during a stuffing campaign:
            // the list may hold this account's real password.
            ReasonCode::CampaignNewClient => AccountRisk,
            // Without the store a solution's single use cannot be checked,
            // so a proof of work could be replayed: step up to a factor the
            // application verifies itself.
            ReasonCode::StoreIncomplete | ReasonCode::StoreUnavailable => AccountRisk,
        }
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for ReasonCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One contribution to a decision.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Reason {
    /// What fired.
    pub code: ReasonCode,
    /// The policy rule that fired, for rule-based codes.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub rule: Option<Arc<str>>,
    /// Points added to the score (0 for reasons that decide directly).
    pub points: u8,
    /// The action this reason demands on its own, for hard rules.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub action: Option<Action>,
    /// The reason comes from a rule in monitor mode: reported, not enforced.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "std::ops::Not::not"))]
    pub monitor: bool,
    /// A short human explanation for operators. Never shown to clients.
    pub detail: Cow<'static, str>,
}

impl Reason {
    pub(crate) fn new(code: ReasonCode, detail: impl Into<Cow<'static, str>>) -> Self {
        Reason {
            code,
            rule: None,
            points: 0,
            action: None,
            monitor: false,
            detail: detail.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_documented() {
        let doc = include_str!("../../../docs/reasons.md");
        for code in ReasonCode::ALL {
            assert!(
                doc.contains(&format!("| `{code}` |")),
                "{code} missing from docs/reasons.md"
            );
        }
    }

    #[test]
    fn step_up_classes() {
        use StepUpClass::{AccountRisk, Automation};
        // The examples: bot signals are cleared by a proof of work,
        // account signals only by a second factor.
        for code in [
            ReasonCode::FingerprintUaMismatch,
            ReasonCode::AsnListed,
            ReasonCode::Anonymous,
            ReasonCode::StuffingDistinctUsers,
            ReasonCode::StuffingFailureRatio,
            ReasonCode::SpikeEventRate,
        ] {
            assert_eq!(code.step_up_class(), Automation, "{code}");
        }
        for code in [
            ReasonCode::NewCountry,
            ReasonCode::NewDevice,
            ReasonCode::ImpossibleTravel,
            ReasonCode::CompromisedPassword,
            ReasonCode::ChangeAfterLogin,
            ReasonCode::ChangeAfterRiskyLogin,
            ReasonCode::StoreUnavailable,
        ] {
            assert_eq!(code.step_up_class(), AccountRisk, "{code}");
        }
    }

    #[test]
    fn every_code_has_its_class_documented() {
        let doc = include_str!("../../../docs/challenges.md");
        for code in ReasonCode::ALL {
            let class = match code.step_up_class() {
                StepUpClass::Automation => "automation",
                StepUpClass::AccountRisk => "account risk",
            };
            assert!(
                doc.contains(&format!("| `{code}` | {class} |")),
                "{code} ({class}) missing from docs/challenges.md"
            );
        }
    }
}
