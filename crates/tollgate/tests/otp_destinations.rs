//! Destination risk tiers and per-channel destination rules.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::sync::atomic::{AtomicU64, Ordering};

use tollgate::policy::{DestinationRule, MatchAction, Policy, RiskTier, TierEntry, When, parse_tier_csv};
use tollgate::{Action, Channel, E164, Engine, Event, EventKind, ReasonCode, Timestamp};

/// Each send two hours after the previous one, from its own user, so that
/// no limit or resend backoff of the default policy interferes.
fn send(channel: Channel, phone: &str) -> Event {
    static CLOCK: AtomicU64 = AtomicU64::new(0);
    let n = CLOCK.fetch_add(1, Ordering::Relaxed);
    let at = Timestamp::from_unix_millis(1_700_000_000_000 + n * 7_200_000);
    Event::new(EventKind::OtpSend { channel }, at)
        .with_user(format!("u{n}"))
        .with_phone(phone.parse().unwrap())
}

fn phone(p: &str) -> E164 {
    p.parse().unwrap()
}

#[test]
fn builtin_tiers_mark_the_ten_toll_fraud_targets_high() {
    let engine = Engine::new(Policy::default()).unwrap();
    for p in [
        "+5351234567",
        "+37120000001",
        "+252612345678",
        "+37060012345",
        "+224621234567",
        "+2207012345",
        "+9607712345",
        "+37251234567",
        "+263771234567",
        "+21620123456",
    ] {
        assert_eq!(engine.risk_tier(&phone(p)), RiskTier::High, "{p}");
    }
    assert_eq!(engine.risk_tier(&phone("+447700900123")), RiskTier::Medium);
    assert_eq!(engine.risk_tier(&phone("+15551234567")), RiskTier::Medium);
}

#[test]
fn default_policy_denies_voice_and_challenges_sms_to_high_risk() {
    let engine = Engine::new(Policy::default()).unwrap();
    let voice = engine.evaluate(&send(Channel::Voice, "+5351234567"));
    assert_eq!(voice.action, Action::Deny);
    assert_eq!(voice.reasons[0].code, ReasonCode::OtpDestination);
    assert_eq!(voice.reasons[0].rule.as_deref(), Some("voice-high-risk"));
    let sms = engine.evaluate(&send(Channel::Sms, "+5351234567"));
    assert_eq!(sms.action, Action::Challenge);
    assert_eq!(sms.reasons[0].rule.as_deref(), Some("sms-high-risk"));
    // WhatsApp is not covered by the default rules, nor is a medium-risk number.
    assert_eq!(
        engine.evaluate(&send(Channel::Whatsapp, "+5351234568")).action,
        Action::Allow
    );
    assert_eq!(
        engine.evaluate(&send(Channel::Voice, "+447700900123")).action,
        Action::Allow
    );
}

#[test]
fn policy_tiers_override_the_builtin_and_longest_prefix_wins() {
    let mut policy = Policy::default();
    policy.otp.tiers = vec![
        TierEntry::new("371", RiskTier::Medium),
        TierEntry::new("3712999", RiskTier::High),
    ];
    let engine = Engine::new(policy).unwrap();
    assert_eq!(engine.risk_tier(&phone("+37120000001")), RiskTier::Medium);
    assert_eq!(engine.risk_tier(&phone("+37129991234")), RiskTier::High);
    assert_eq!(
        engine.evaluate(&send(Channel::Voice, "+37120000001")).action,
        Action::Allow
    );

    let mut policy = Policy::default();
    policy.otp.builtin_tiers = false;
    policy.otp.tiers = parse_tier_csv("4479,high,test block\n").unwrap();
    let engine = Engine::new(policy).unwrap();
    assert_eq!(engine.risk_tier(&phone("+5351234567")), RiskTier::Medium);
    assert_eq!(
        engine.evaluate(&send(Channel::Voice, "+447912345678")).action,
        Action::Deny
    );
}

#[test]
fn an_allow_list_fires_for_every_other_destination() {
    let mut policy = Policy::default();
    let mut only_low = DestinationRule::tiers(
        "voice-trusted-only",
        &[Channel::Voice],
        &[RiskTier::Low],
        MatchAction::Deny,
    );
    only_low.when = When::NotIn;
    policy.otp.destinations = vec![only_low];
    policy.otp.tiers = vec![TierEntry::new("49", RiskTier::Low)];
    let engine = Engine::new(policy).unwrap();
    assert_eq!(
        engine.evaluate(&send(Channel::Voice, "+4915112345678")).action,
        Action::Allow
    );
    assert_eq!(
        engine.evaluate(&send(Channel::Voice, "+447700900123")).action,
        Action::Deny
    );
    assert_eq!(
        engine.evaluate(&send(Channel::Sms, "+447700900123")).action,
        Action::Allow
    );
}

#[test]
fn monitored_destination_rules_report_without_enforcing() {
    let mut policy = Policy::default();
    policy.otp.destinations.iter_mut().for_each(|d| d.monitor = true);
    let engine = Engine::new(policy).unwrap();
    let d = engine.evaluate(&send(Channel::Voice, "+5351234567"));
    assert_eq!(d.action, Action::Allow);
    assert_eq!(d.monitored.unwrap().action, Action::Deny);
}

#[test]
fn bad_otp_sections_name_the_field() {
    let field = |toml: &str| Policy::from_toml(toml).unwrap_err().field().map(str::to_owned);
    assert_eq!(
        field("[[otp.destinations]]\nname = \"x\"\nchannels = [\"email\"]\ntiers = [\"high\"]\naction = \"deny\""),
        Some("otp.destinations[0].channels".into())
    );
    assert_eq!(
        field("[[otp.destinations]]\nname = \"x\"\naction = \"deny\""),
        Some("otp.destinations[0].tiers".into())
    );
    assert_eq!(
        field("[[otp.destinations]]\nname = \"x\"\ntiers = [\"high\"]\naction = \"allow\""),
        Some("otp.destinations[0].action".into())
    );
    assert_eq!(
        field("[[otp.tiers]]\nprefix = \"12a\"\ntier = \"high\""),
        Some("otp.tiers[0].prefix".into())
    );
}

#[test]
fn the_otp_section_round_trips_through_toml() {
    let policy = Policy::default();
    let back = Policy::from_toml(&policy.to_toml().unwrap()).unwrap();
    assert_eq!(back.otp, policy.otp);
}

#[test]
fn premium_rate_is_high_risk_and_denied_on_every_channel() {
    let engine = Engine::new(Policy::default()).unwrap();
    // A US 900 number: premium rate by the numbering plan, medium by prefix.
    assert_eq!(engine.risk_tier(&phone("+19002345678")), RiskTier::High);
    for channel in [Channel::Sms, Channel::Voice, Channel::Whatsapp] {
        let d = engine.evaluate(&send(channel, "+19002345678"));
        assert_eq!(d.action, Action::Deny, "{channel:?}");
        let rules: Vec<_> = d.reasons.iter().filter_map(|r| r.rule.as_deref()).collect();
        assert!(rules.contains(&"premium-rate"), "{rules:?}");
    }
    // An ordinary US number is neither.
    assert_eq!(engine.risk_tier(&phone("+12015550123")), RiskTier::Medium);
    assert_eq!(
        engine.evaluate(&send(Channel::Voice, "+12015550123")).action,
        Action::Allow
    );
}

#[test]
fn country_lists_use_the_numbering_plan_not_the_calling_code() {
    let policy = Policy::from_toml(
        r#"
        [[otp.destinations]]
        name = "sms-home-markets"
        channels = ["sms"]
        countries = ["DE", "GB"]
        when = "not_in"
        action = "deny"

        [[otp.destinations]]
        name = "no-voip"
        number_types = ["voip"]
        action = { score = 30 }
        "#,
    )
    .unwrap();
    let engine = Engine::new(policy).unwrap();
    assert_eq!(
        engine.evaluate(&send(Channel::Sms, "+4915112345678")).action,
        Action::Allow
    );
    assert_eq!(
        engine.evaluate(&send(Channel::Sms, "+447400123456")).action,
        Action::Allow
    );
    // Jersey shares +44 but is not GB.
    assert_eq!(
        engine.evaluate(&send(Channel::Sms, "+447797712345")).action,
        Action::Deny
    );
    let cuba = engine.evaluate(&send(Channel::Sms, "+5351234567"));
    assert_eq!(cuba.action, Action::Deny);
    assert!(cuba.reasons[0].detail.contains("(CU)"), "{}", cuba.reasons[0].detail);
    assert!(!cuba.reasons[0].detail.contains("51234567"));
    assert_eq!(
        engine.evaluate(&send(Channel::Voice, "+5351234567")).action,
        Action::Allow
    );
    let err = Policy::from_toml("[[otp.destinations]]\nname = \"x\"\nnumber_types = [\"premium\"]\naction = \"deny\"");
    assert!(err.unwrap_err().to_string().contains("unknown number type"));
}

/// The same user and number, one send at a time.
fn own(kind: EventKind, minute: u64) -> Event {
    Event::new(kind, Timestamp::from_unix_millis(1_800_000_000_000 + minute * 60_000))
        .with_user("kwame")
        .with_phone("+263771234567".parse::<E164>().unwrap())
}

#[test]
fn a_high_risk_number_that_verified_before_gets_its_sms_and_voice_stays_refused() {
    let engine = Engine::new(Policy::default()).unwrap();
    let sms = || own(EventKind::OtpSend { channel: Channel::Sms }, 0);
    assert_eq!(engine.evaluate(&sms()).action, Action::Challenge);
    // A failed code proves nothing.
    let verify = |minute| {
        own(
            EventKind::OtpVerify {
                channel: Some(Channel::Sms),
            },
            minute,
        )
    };
    engine.record(&tollgate::Outcome::failed(verify(1)));
    assert_eq!(engine.evaluate(&sms()).action, Action::Challenge);
    engine.record(&tollgate::Outcome::succeeded(verify(2)));
    let d = engine.evaluate(&own(EventKind::OtpSend { channel: Channel::Sms }, 120));
    assert!(d.is_allow(), "{d:?}");
    // Voice to the same number is the IRSF cash-out: no exemption.
    let voice = engine.evaluate(&own(
        EventKind::OtpSend {
            channel: Channel::Voice,
        },
        240,
    ));
    assert_eq!(voice.action, Action::Deny);
    // The number vouches only for the account that verified it.
    let stranger = own(EventKind::OtpSend { channel: Channel::Sms }, 360).with_user("someone-else");
    assert_eq!(engine.evaluate(&stranger).action, Action::Challenge);
    // With the marks off, nothing is known.
    let mut policy = Policy::default();
    policy.otp.known_numbers.enabled = false;
    let off = Engine::new(policy).unwrap();
    off.record(&tollgate::Outcome::succeeded(verify(2)));
    assert_eq!(off.evaluate(&sms()).action, Action::Challenge);
}

#[test]
fn known_number_is_for_destination_rules_only() {
    let bad = "[[limits]]\nname = \"x\"\nevents = [\"otp_send\"]\nkey = [\"phone\"]\nrate = \"5/h\"\nburst = 5\nexcept = [\"known_number\"]\n";
    assert_eq!(Policy::from_toml(bad).unwrap_err().field(), Some("limits[0].except"));
    let bad =
        "[[otp.destinations]]\nname = \"x\"\ntiers = [\"high\"]\naction = \"challenge\"\nexcept = [\"known_device\"]\n";
    assert_eq!(
        Policy::from_toml(bad).unwrap_err().field(),
        Some("otp.destinations[0].except")
    );
    let good = bad.replace("known_device", "known_number");
    let policy = Policy::from_toml(&good).unwrap();
    assert_eq!(policy.otp.destinations[0].except.len(), 1);
    let mut policy = Policy::default();
    policy.otp.known_numbers.days = 0;
    assert!(
        Engine::new(policy)
            .unwrap_err()
            .to_string()
            .contains("otp.known_numbers.days")
    );
}
