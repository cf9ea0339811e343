//! The default policy: safe to run as is for a small to medium service.
//!
//! Rates are sized for a service handling up to a few thousand logins an
//! hour; `docs/policy.md` explains each rule and how to scale it. Broad keys
//! shared by many legitimate users (a fingerprint, a network) challenge
//! rather than block, and no rule keyed on the account alone blocks: an
//! attacker must not be able to lock a real user out by failing on purpose.

use super::{
    AsnRule, DestinationRule, Dimension, Exempt, KeyOptions, LimitRule, MatchAction, OnExceed, Points, Policy, Rate,
    ResendBackoff, RiskTier, StuffingDetector, Threshold, Thresholds,
};
use crate::phone::NumberType;
use crate::{Asn, Channel, EventType};

impl Default for Thresholds {
    fn default() -> Self {
        let normal = Threshold {
            challenge: 50,
            deny: 90,
        };
        // Sending an OTP and changing a credential cost money or hand over
        // the account: step up earlier.
        let sensitive = Threshold {
            challenge: 40,
            deny: 80,
        };
        Thresholds {
            login: normal,
            signup: normal,
            otp_send: sensitive,
            otp_verify: normal,
            credential_change: sensitive,
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            monitor: false,
            keys: KeyOptions::default(),
            thresholds: Thresholds::default(),
            points: Points::default(),
            credentials: Default::default(),
            familiarity: Default::default(),
            travel: Default::default(),
            network: Default::default(),
            zones: Vec::new(),
            countries: Vec::new(),
            asns: vec![hosting_networks()],
            fingerprints: Default::default(),
            otp: Default::default(),
            limits: default_limits(),
            stuffing: default_stuffing(),
            spraying: Default::default(),
            campaign: Default::default(),
            store: Default::default(),
            post_login: Default::default(),
            spike: Default::default(),
        }
    }
}

/// Logins and sign-ups from cloud networks are mostly automation; a score,
/// not a block, because VPN and corporate egress live there too.
fn hosting_networks() -> AsnRule {
    AsnRule {
        name: "hosting-networks".into(),
        events: vec![EventType::Login, EventType::Signup],
        asns: super::network::HOSTING_ASNS.iter().map(|&n| Asn(n)).collect(),
        action: MatchAction::Score(15),
        monitor: false,
    }
}

fn rate(count: u32, period_secs: u32) -> Rate {
    Rate::saturating(count, period_secs)
}

fn rule(name: &str, event: EventType, key: &[Dimension], r: Rate, burst: u32) -> LimitRule {
    LimitRule::new(name, &[event], key, r, burst)
}

const MIN: u32 = 60;
const HOUR: u32 = 3600;

fn default_limits() -> Vec<LimitRule> {
    use Dimension::*;
    use EventType::*;
    vec![
        rule("login-ip", Login, &[Ip], rate(30, MIN), 60),
        rule("login-ja4-asn", Login, &[Ja4, Asn], rate(30, MIN), 60).on_exceed(OnExceed::Challenge),
        rule("login-user", Login, &[User], rate(10, MIN), 20)
            .on_exceed(OnExceed::Challenge)
            .except(&[Exempt::KnownDevice]),
        rule("login-failures-user-ip", Login, &[User, Ip], rate(10, 15 * MIN), 10).counting_failures(true),
        // Higher than the pair's and only a challenge: the owner must get in
        // whatever an attacker fails elsewhere (see docs/architecture.md).
        rule("login-failures-user", Login, &[User], rate(20, HOUR), 20)
            .counting_failures(true)
            .on_exceed(OnExceed::Challenge)
            .except(&[Exempt::KnownDevice]),
        rule(
            "login-failures-ip-prefix",
            Login,
            &[IpPrefix],
            rate(100, 24 * HOUR),
            100,
        )
        .counting_failures(false)
        .on_exceed(OnExceed::Challenge),
        rule("signup-ip-prefix", Signup, &[IpPrefix], rate(20, HOUR), 20),
        // Per number and per account, budgets are kept per client network and
        // refuse; across networks a ceiling steps up instead. A stranger who
        // knows a number or a username then spends their own budget, not the
        // owner's, and a bot rotating networks still meets the ceiling's
        // challenge (a challenged send sends nothing). See docs/security.md.
        rule("otp-send-phone", OtpSend, &[Phone, IpPrefix], rate(5, HOUR), 5),
        rule("otp-send-phone-ceiling", OtpSend, &[Phone], rate(5, HOUR), 5)
            .on_exceed(OnExceed::Challenge)
            .except(&[Exempt::KnownDevice]),
        // Even when a verified code ends the resend backoff.
        rule("otp-send-phone-gap", OtpSend, &[Phone, IpPrefix], rate(1, 30), 1),
        rule("otp-send-user", OtpSend, &[User, IpPrefix], rate(10, HOUR), 10),
        rule("otp-send-user-ceiling", OtpSend, &[User], rate(10, HOUR), 10)
            .on_exceed(OnExceed::Challenge)
            .except(&[Exempt::KnownDevice]),
        rule("otp-send-ip", OtpSend, &[Ip], rate(20, HOUR), 20),
        // A number block is nameable too: a stranger sending to one number
        // fills its block's budget, so past it the block steps up (bots
        // send nothing, the numbers' owners pass).
        rule("otp-send-phone-prefix", OtpSend, &[PhonePrefix], rate(20, HOUR), 20)
            .channels(&[Channel::Sms, Channel::Voice, Channel::Whatsapp])
            .on_exceed(OnExceed::Challenge)
            .except(&[Exempt::KnownDevice]),
        rule(
            "otp-verify-failures-user",
            OtpVerify,
            &[User, IpPrefix],
            rate(5, 15 * MIN),
            5,
        )
        .counting_failures(true),
        // Bounds guessing across codes from rotating networks (a right code
        // does not refill it); the client that asked for the code is
        // spared, so strangers' wrong codes cannot keep the owner from
        // entering theirs.
        rule(
            "otp-verify-failures-user-ceiling",
            OtpVerify,
            &[User],
            rate(10, HOUR),
            10,
        )
        .counting_failures(false)
        .on_exceed(OnExceed::Challenge)
        .except(&[Exempt::CodeRequester, Exempt::KnownDevice]),
        rule("credential-change-user", CredentialChange, &[User], rate(5, HOUR), 5).on_exceed(OnExceed::Challenge),
    ]
}

/// Keyed on what a stuffing run does not rotate. A failure ratio does not
/// grow with the population behind a key, so it may key on a JA4 alone; a
/// username count does, so it keys on a network prefix. Replaces a failure
/// count per JA4 + ASN, which challenged the real users of a browser on an
/// ISP the attacker shared. See `docs/stuffing.md`.
fn default_stuffing() -> Vec<StuffingDetector> {
    use Dimension::*;
    vec![
        StuffingDetector::new("stuffing-ja4", &[Ja4], HOUR, MatchAction::Challenge)
            .failure_ratio(50, 200)
            .except(&[Exempt::KnownDevice]),
        StuffingDetector::new("stuffing-ja4-asn", &[Ja4, Asn], HOUR, MatchAction::Challenge)
            .failure_ratio(60, 20)
            .except(&[Exempt::KnownDevice]),
        StuffingDetector::new("stuffing-ip-prefix", &[IpPrefix], HOUR, MatchAction::Challenge)
            .distinct_users(200)
            .failure_ratio(60, 50)
            .except(&[Exempt::KnownDevice]),
    ]
}

/// Voice calls to high-risk destinations are the classic IRSF cash-out and
/// are refused; SMS there is challenged, since real users live there too,
/// except to a number that verified a code before: a pump's never do. No
/// real user receives a code on a premium-rate line.
pub(super) fn destination_rules() -> Vec<DestinationRule> {
    let high = [RiskTier::High];
    vec![
        DestinationRule::tiers("voice-high-risk", &[Channel::Voice], &high, MatchAction::Deny),
        DestinationRule::tiers("sms-high-risk", &[Channel::Sms], &high, MatchAction::Challenge)
            .except(&[Exempt::KnownNumber]),
        DestinationRule::number_types("premium-rate", &[], &[NumberType::PremiumRate], MatchAction::Deny),
    ]
}

/// Codes to one number or one account from one network come ever slower: a
/// person waits a minute for a late SMS, a pumping script hits a wall.
/// Keyed with the network so that a stranger's sends do not make the
/// owner wait; the account-wide ceilings bound sends across networks.
pub(super) fn resend_backoffs() -> Vec<ResendBackoff> {
    vec![
        ResendBackoff::new("resend-phone", &[Dimension::Phone, Dimension::IpPrefix]),
        ResendBackoff::new("resend-user", &[Dimension::User, Dimension::IpPrefix]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_is_valid() {
        Policy::default().validate().unwrap();
    }
}
