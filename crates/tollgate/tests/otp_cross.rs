//! OTP cross-checks and channel advice.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use tollgate::policy::Policy;
use tollgate::{
    Action, Asn, Channel, CredentialKind, Engine, Event, EventKind, Factor, Outcome, ReasonCode, Timestamp,
};

const T0: u64 = 1_700_000_000_000;
const MIN: u64 = 60_000;
const JA4: &str = "t13d1516h2_8daaf6152771_02713d6af862";

fn at(ms: u64) -> Timestamp {
    Timestamp::from_unix_millis(T0 + ms)
}

fn send(ms: u64, user: &str, phone: &str) -> Event {
    Event::new(EventKind::OtpSend { channel: Channel::Sms }, at(ms))
        .with_user(user)
        .with_phone(phone.parse().unwrap())
        .with_ja4(JA4.parse().unwrap())
        .with_asn(Asn(64500))
}

fn signup(ms: u64, user: &str) -> Event {
    Event::new(EventKind::Signup, at(ms))
        .with_user(user)
        .with_ja4(JA4.parse().unwrap())
        .with_asn(Asn(64500))
}

/// Only the cross-checks: no limits, caps, backoffs or other OTP signals.
fn engine() -> Engine {
    let mut policy = Policy::default();
    policy.limits.clear();
    policy.otp.caps.clear();
    policy.otp.resend.clear();
    policy.otp.live.numbers_points = 0;
    policy.otp.live.spike_points = 0;
    Engine::new(policy).unwrap()
}

fn codes(engine: &Engine, event: &Event) -> Vec<ReasonCode> {
    engine.evaluate(event).reasons.iter().map(|r| r.code).collect()
}

#[test]
fn client_and_number_in_different_countries_scores_a_little() {
    let engine = engine();
    let abroad = send(0, "ann", "+4915112345678").with_country("FR".parse().unwrap());
    let d = engine.evaluate(&abroad);
    assert_eq!((d.action, d.score), (Action::Allow, 10));
    assert_eq!(d.reasons[0].code, ReasonCode::OtpCountryMismatch);
    assert_eq!(d.reasons[0].detail, "client in FR, number in DE");
    let home = send(0, "ann", "+4915112345678").with_country("DE".parse().unwrap());
    assert!(codes(&engine, &home).is_empty());
}

#[test]
fn a_number_just_added_to_the_account_scores_for_a_week() {
    let engine = engine();
    let change = Event::new(
        EventKind::CredentialChange {
            what: CredentialKind::Phone,
        },
        at(0),
    )
    .with_user("ben")
    .with_phone("+4915112345678".parse().unwrap());
    engine.record(&Outcome::succeeded(change));
    assert_eq!(
        codes(&engine, &send(MIN, "ben", "+4915112345678")),
        [ReasonCode::OtpNewPhone]
    );
    // Another account's send to the same number, or this account's old one, is not new.
    assert!(codes(&engine, &send(MIN, "cat", "+4915112345678")).is_empty());
    assert!(codes(&engine, &send(MIN, "ben", "+4915112349999")).is_empty());
    assert!(codes(&engine, &send(7 * 24 * 60 * MIN, "ben", "+4915112345678")).is_empty());
}

#[test]
fn a_send_right_after_a_bulk_signup_scores() {
    let engine = engine();
    for n in 0..19 {
        engine.record(&Outcome::succeeded(signup(n * MIN, &format!("bot{n}"))));
    }
    // 19 sign-ups from the stack: not yet a burst.
    assert!(codes(&engine, &send(20 * MIN, "bot18", "+4915112345678")).is_empty());
    engine.record(&Outcome::succeeded(signup(20 * MIN, "bot19")));
    assert_eq!(
        codes(&engine, &send(21 * MIN, "bot19", "+4915112345678")),
        [ReasonCode::OtpSignupBurst]
    );
    // An hour after sign-up the send is no longer "right after".
    assert!(codes(&engine, &send(81 * MIN, "bot19", "+4915112345678")).is_empty());
    // A user who signed up long before is not affected.
    assert!(codes(&engine, &send(21 * MIN, "old-user", "+4915112345678")).is_empty());
}

#[test]
fn risky_phone_sends_advise_safer_factors() {
    let engine = Engine::new(Policy::default()).unwrap();
    let cuba = engine.evaluate(&send(0, "dan", "+5351234567"));
    assert_eq!(cuba.action, Action::Challenge);
    assert_eq!(cuba.advice, [Factor::Passkey, Factor::Authenticator, Factor::Email]);
    let json = serde_json::to_value(&cuba).unwrap();
    assert_eq!(json["advice"], serde_json::json!(["passkey", "authenticator", "email"]));
    let plain = engine.evaluate(&send(0, "eve", "+4915112345678"));
    assert!(plain.is_allow() && plain.advice.is_empty());
    // A policy may turn advice off.
    let mut policy = Policy::default();
    policy.otp.advice.clear();
    let engine = Engine::new(policy).unwrap();
    assert!(engine.evaluate(&send(0, "dan", "+5351234567")).advice.is_empty());
}

#[test]
fn bad_cross_settings_name_the_field() {
    let err = Policy::from_toml("[otp.cross]\nnew_phone_points = 200").unwrap_err();
    assert_eq!(err.field(), Some("otp.cross.new_phone_points"));
}
