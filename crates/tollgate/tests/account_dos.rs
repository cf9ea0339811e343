//! Account denial of service: what a stranger who knows a username or a
//! phone number can make the default policy do to its owner. Each test
//! plays the attack first, then the owner from home, who must get through
//! (allowed, or at worst stepped up: never throttled or denied). The
//! toll-fraud side of the same controls is checked beside it.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::net::IpAddr;

use tollgate::policy::Policy;
use tollgate::{Action, Channel, Decision, Engine, Event, EventKind, Outcome, ReasonCode, Timestamp};

const T0: u64 = 1_700_000_000_000;
const HOME: &str = "81.2.69.10";
const PHONE: &str = "+447700900123";

fn at(secs: u64) -> Timestamp {
    Timestamp::from_unix_millis(T0 + secs * 1000)
}

/// The `i`-th address of an attacker rotating residential networks: one
/// per /24, never the owner's.
fn stranger(i: u32) -> IpAddr {
    IpAddr::from([100, 64 + (i / 256) as u8, (i % 256) as u8, 7])
}

fn send(secs: u64, user: &str, ip: IpAddr) -> Event {
    Event::new(EventKind::OtpSend { channel: Channel::Sms }, at(secs))
        .with_ip(ip)
        .with_user(user)
        .with_phone(PHONE.parse().unwrap())
}

/// A verification as the demo services build it: the user and the code,
/// no phone number.
fn verify(secs: u64, user: &str, ip: IpAddr) -> Event {
    Event::new(
        EventKind::OtpVerify {
            channel: Some(Channel::Sms),
        },
        at(secs),
    )
    .with_ip(ip)
    .with_user(user)
}

fn home() -> IpAddr {
    HOME.parse().unwrap()
}

fn refused(d: &Decision) -> bool {
    matches!(d.action, Action::Throttle { .. } | Action::Deny)
}

/// A wrong code typed from `ip`: evaluated, and recorded as failed when let through.
fn wrong_code(engine: &Engine, secs: u64, user: &str, ip: IpAddr) -> Decision {
    let event = verify(secs, user, ip);
    let d = engine.evaluate(&event);
    if d.is_allow() {
        engine.record(&Outcome::failed(event));
    }
    d
}

/// The owner asks for a code at home and types it right.
fn owner_sends_and_verifies(engine: &Engine, secs: u64) -> (Decision, Decision) {
    let s = send(secs, "alice", home());
    let sent = engine.evaluate(&s);
    if !refused(&sent) {
        engine.record(&Outcome::succeeded(s));
    }
    let v = verify(secs + 30, "alice", home());
    let verified = engine.evaluate(&v);
    if verified.is_allow() {
        engine.record(&Outcome::succeeded(v));
    }
    (sent, verified)
}

#[test]
fn burnt_codes_do_not_lock_the_owner_out_of_a_new_one() {
    let engine = Engine::new(Policy::default()).unwrap();
    // Six wrong codes for alice from six networks: the code is burnt.
    for i in 0..6 {
        wrong_code(&engine, u64::from(i), "alice", stranger(i));
    }
    let (sent, verified) = owner_sends_and_verifies(&engine, 60);
    assert!(sent.is_allow(), "{sent:?}");
    assert!(verified.is_allow(), "{verified:?}");
}

#[test]
fn strangers_burning_the_owners_fresh_code_do_not_refuse_the_owner() {
    let engine = Engine::new(Policy::default()).unwrap();
    let s = send(0, "alice", home());
    assert!(engine.evaluate(&s).is_allow());
    engine.record(&Outcome::succeeded(s));
    // Between the send and the owner typing it, strangers try 30 codes.
    let mut stopped = 0;
    for i in 0..30 {
        let d = wrong_code(&engine, 1 + u64::from(i), "alice", stranger(i));
        if !d.is_allow() {
            stopped += 1;
        }
    }
    // Everyone but the requester shares five wrong codes for this code.
    assert_eq!(stopped, 25);
    let d = engine.evaluate(&verify(40, "alice", home()));
    assert!(d.is_allow(), "{d:?}");
}

#[test]
fn the_requesters_network_has_its_own_five_attempts_and_no_more() {
    let engine = Engine::new(Policy::default()).unwrap();
    let s = send(0, "alice", home());
    engine.record(&Outcome::succeeded(s));
    for i in 0..5 {
        assert!(wrong_code(&engine, 1 + i, "alice", home()).is_allow(), "{i}");
    }
    let d = engine.evaluate(&verify(10, "alice", home()));
    assert_eq!(d.action, Action::Deny, "{d:?}");
    assert!(d.reasons.iter().any(|r| r.code == ReasonCode::OtpVerifyAttempts));
    // A new code starts a fresh budget; across codes, the network's wrong
    // codes still refill at one per three minutes (otp-verify-failures-user).
    engine.record(&Outcome::succeeded(send(100, "alice", home())));
    let d = engine.evaluate(&verify(110, "alice", home()));
    assert!(matches!(d.action, Action::Throttle { .. }), "{d:?}");
    assert_eq!(d.reasons[0].rule.as_deref(), Some("otp-verify-failures-user"));
    assert!(engine.evaluate(&verify(200, "alice", home())).is_allow());
}

#[test]
fn a_code_cannot_be_guessed_from_rotating_networks() {
    let engine = Engine::new(Policy::default()).unwrap();
    // The attacker asks for the code himself and guesses from everywhere.
    engine.record(&Outcome::succeeded(send(0, "alice", stranger(0))));
    let guesses = (0..200)
        .filter(|&i| wrong_code(&engine, 1 + u64::from(i), "alice", stranger(i)).is_allow())
        .count();
    // Five from the requesting network and five from all others at most.
    assert!(guesses <= 10, "{guesses} guesses on one code");
}

#[test]
fn guessing_across_codes_is_bounded_by_the_codes_sent() {
    let engine = Engine::new(Policy::default()).unwrap();
    // Each network asks for a code and guesses it from there (as its
    // requester), then the next network: the ceiling on sends bounds the
    // codes, so the guesses (docs/security.md: at most 5 per code sent).
    let (mut sent, mut guesses) = (0, 0);
    for i in 0..100u32 {
        let secs = u64::from(i) * 36;
        let s = send(secs, "alice", stranger(i));
        if !engine.evaluate(&s).is_allow() {
            continue;
        }
        engine.record(&Outcome::succeeded(s));
        sent += 1;
        for k in 0..10 {
            guesses += u32::from(wrong_code(&engine, secs + 1 + k, "alice", stranger(i)).is_allow());
        }
    }
    // An hour: 10 sends at once and 10 more refilled.
    assert!(sent <= 20, "{sent} codes sent");
    assert_eq!(guesses, 5 * sent);
}

#[test]
fn strangers_flooding_an_account_with_sends_do_not_refuse_its_owner() {
    let engine = Engine::new(Policy::default()).unwrap();
    // 200 sends for alice's account and number from 200 networks.
    let mut delivered = 0;
    for i in 0..200 {
        let s = send(u64::from(i) * 2, "alice", stranger(i));
        if engine.evaluate(&s).is_allow() {
            engine.record(&Outcome::succeeded(s));
            delivered += 1;
        }
    }
    // The number's owner is not SMS-bombed: the ceiling steps the rest up.
    assert!(delivered <= 5, "{delivered} codes delivered to the victim");
    let (sent, _) = owner_sends_and_verifies(&engine, 600);
    assert!(!refused(&sent), "{sent:?}");
    assert_eq!(sent.action, Action::Challenge);
}

#[test]
fn strangers_wrong_codes_across_codes_do_not_refuse_the_owner() {
    let engine = Engine::new(Policy::default()).unwrap();
    // Ten minutes of guessing from 60 networks, asking for a new code
    // (to the owner's phone) before every five guesses: past every
    // per-code and per-account wrong-code budget.
    let mut guesses = 0;
    for i in 0..60 {
        if i % 5 == 0 {
            let s = send(u64::from(i) * 10, "alice", stranger(i));
            if engine.evaluate(&s).is_allow() {
                engine.record(&Outcome::succeeded(s));
            }
        }
        let guess = wrong_code(&engine, u64::from(i) * 10 + 1, "alice", stranger(1000 + i));
        guesses += u32::from(guess.is_allow());
    }
    // Ten, and one more refilled in ten minutes.
    assert_eq!(guesses, 11, "the account-wide ceiling");
    // A stranger is held by the account-wide ceiling...
    let d = engine.evaluate(&verify(600, "alice", stranger(999)));
    assert_eq!(d.action, Action::Challenge, "{d:?}");
    // ...the owner, typing the code they asked for, is not (the strangers'
    // sends leave the owner's send a step-up, not a refusal).
    let (sent, verified) = owner_sends_and_verifies(&engine, 610);
    assert!(!refused(&sent), "{sent:?}");
    assert!(verified.is_allow(), "{verified:?}");
}

#[test]
fn one_network_sending_to_one_number_is_still_throttled() {
    let engine = Engine::new(Policy::default()).unwrap();
    let bot: IpAddr = "198.51.100.9".parse().unwrap();
    let mut outcomes = Vec::new();
    for i in 0..8 {
        let s = send(i * 40, "mallory", bot);
        let d = engine.evaluate(&s);
        if d.is_allow() {
            engine.record(&Outcome::succeeded(s));
        }
        outcomes.push(d.action);
    }
    assert!(
        outcomes.iter().any(|a| matches!(a, Action::Throttle { .. })),
        "{outcomes:?}"
    );
}

#[test]
fn spellings_of_one_username_share_its_limits() {
    let engine = Engine::new(Policy::default()).unwrap();
    // otp-send-user-ceiling: 10 an hour across networks, whatever the spelling.
    let spellings = ["alice", "Alice", "ALICE", "ａｌｉｃｅ", "ＡＬＩＣＥ"];
    for i in 0..10u32 {
        let user = spellings[i as usize % spellings.len()];
        let s = send(u64::from(i) * 2, user, stranger(i)).with_phone(format!("+4477009001{i:02}").parse().unwrap());
        assert!(engine.evaluate(&s).is_allow(), "{i}");
        engine.record(&Outcome::succeeded(s));
    }
    let s = send(25, "aLiCe", stranger(50)).with_phone("+447700900199".parse().unwrap());
    let d = engine.evaluate(&s);
    assert_eq!(d.action, Action::Challenge, "{d:?}");
    assert!(
        d.reasons
            .iter()
            .any(|r| r.rule.as_deref() == Some("otp-send-user-ceiling")),
        "{d:?}"
    );
}
