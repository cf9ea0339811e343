//! Resend backoff and wrong-code attempts per issued code.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::time::Duration;

use tollgate::policy::{Dimension, Policy, ResendBackoff};
use tollgate::{Action, Channel, Engine, Event, EventKind, Outcome, ReasonCode, Timestamp};

const T0: u64 = 1_700_000_000_000;
const S: u64 = 1000;
const MIN: u64 = 60 * S;

fn at(ms: u64) -> Timestamp {
    Timestamp::from_unix_millis(T0 + ms)
}

/// From one home address: the default per-number budgets are kept per
/// client network.
fn send(ms: u64, user: &str, phone: &str) -> Event {
    Event::new(EventKind::OtpSend { channel: Channel::Sms }, at(ms))
        .with_ip("198.51.100.7".parse().unwrap())
        .with_user(user)
        .with_phone(phone.parse().unwrap())
}

fn verify(ms: u64, user: &str, phone: &str) -> Event {
    Event::new(
        EventKind::OtpVerify {
            channel: Some(Channel::Sms),
        },
        at(ms),
    )
    .with_ip("198.51.100.7".parse().unwrap())
    .with_user(user)
    .with_phone(phone.parse().unwrap())
}

/// Only the OTP controls under test: no limits, no caps.
fn engine(resend: Vec<ResendBackoff>, attempts: u32) -> Engine {
    let mut policy = Policy::default();
    policy.limits.clear();
    policy.otp.caps.clear();
    policy.otp.resend = resend;
    policy.otp.verify_attempts_per_code = attempts;
    Engine::new(policy).unwrap()
}

fn waited(action: Action) -> Option<Duration> {
    match action {
        Action::Throttle { retry_after } => Some(retry_after),
        _ => None,
    }
}

#[test]
fn sends_to_one_number_wait_one_two_four_up_to_thirty_two_minutes() {
    let engine = engine(vec![ResendBackoff::new("resend-phone", &[Dimension::Phone])], 0);
    let phone = "+447400123456";
    let mut now = 0;
    assert!(engine.evaluate(&send(now, "u", phone)).is_allow());
    let mut waits = Vec::new();
    for _ in 0..7 {
        // Asking one second later is refused with the exact wait left...
        let early = engine.evaluate(&send(now + S, "u", phone));
        let wait = waited(early.action).unwrap() + Duration::from_secs(1);
        assert_eq!(early.reasons[0].code, ReasonCode::OtpResendBackoff);
        waits.push(wait.as_secs() / 60);
        // ...and admitted once it has passed; refusals did not count.
        now += wait.as_millis() as u64;
        assert!(engine.evaluate(&send(now, "u", phone)).is_allow());
    }
    assert_eq!(waits, [1, 2, 4, 8, 16, 32, 32]);
    // Another number is its own streak.
    assert!(engine.evaluate(&send(now, "u", "+447400123457")).is_allow());
    // An hour of quiet ends the streak: the next wait is one minute again.
    now += 60 * MIN;
    assert!(engine.evaluate(&send(now, "u", phone)).is_allow());
    assert_eq!(
        waited(engine.evaluate(&send(now, "u", phone)).action),
        Some(Duration::from_secs(60))
    );
}

#[test]
fn a_verified_code_ends_the_streak() {
    let engine = engine(vec![ResendBackoff::new("resend-user", &[Dimension::User])], 5);
    assert!(engine.evaluate(&send(0, "alice", "+447400123456")).is_allow());
    assert!(engine.evaluate(&send(MIN, "alice", "+447400123456")).is_allow());
    assert!(waited(engine.evaluate(&send(MIN + S, "alice", "+447400123456")).action).is_some());
    engine.record(&Outcome::succeeded(verify(MIN + 2 * S, "alice", "+447400123456")));
    assert!(engine.evaluate(&send(MIN + 3 * S, "alice", "+447400123456")).is_allow());
}

#[test]
fn the_default_gap_holds_even_after_a_verified_code() {
    let engine = Engine::new(Policy::default()).unwrap();
    let phone = "+447400123456";
    assert!(engine.evaluate(&send(0, "bob", phone)).is_allow());
    engine.record(&Outcome::succeeded(verify(10 * S, "bob", phone)));
    let d = engine.evaluate(&send(20 * S, "bob", phone));
    assert_eq!(waited(d.action), Some(Duration::from_secs(10)));
    assert_eq!(d.reasons[0].rule.as_deref(), Some("otp-send-phone-gap"));
}

#[test]
fn a_code_is_burnt_after_five_wrong_attempts_until_a_new_one_is_sent() {
    let engine = engine(Vec::new(), 5);
    let (user, phone) = ("carol", "+447400123456");
    engine.record(&Outcome::succeeded(send(0, user, phone)));
    for n in 0..5 {
        let check = verify(S * (n + 1), user, phone);
        assert!(engine.evaluate(&check).is_allow(), "attempt {n}");
        engine.record(&Outcome::failed(check));
    }
    let burnt = engine.evaluate(&verify(10 * S, user, phone));
    assert_eq!(burnt.action, Action::Deny);
    assert_eq!(burnt.reasons[0].code, ReasonCode::OtpVerifyAttempts);
    // Another user's code is untouched.
    assert!(engine.evaluate(&verify(10 * S, "dave", phone)).is_allow());
    // A new code sent resets the attempts.
    engine.record(&Outcome::succeeded(send(20 * S, user, phone)));
    assert!(engine.evaluate(&verify(21 * S, user, phone)).is_allow());
}

#[test]
fn bad_resend_settings_name_the_field() {
    let field = |toml: &str| Policy::from_toml(toml).unwrap_err().field().map(str::to_owned);
    assert_eq!(
        field("[[otp.resend]]\nname = \"r\"\nkey = []"),
        Some("otp.resend[0].key".into())
    );
    assert_eq!(
        field("[[otp.resend]]\nname = \"r\"\nkey = [\"phone\"]\nmax_wait_secs = 7200\nreset_after_minutes = 60"),
        Some("otp.resend[0].reset_after_minutes".into())
    );
    assert_eq!(
        field("[otp]\nverify_attempts_per_code = 1000"),
        Some("otp.verify_attempts_per_code".into())
    );
}
