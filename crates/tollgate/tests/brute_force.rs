//! Brute force against the default policy: failures per account and IP,
//! per account, and per network, with hand-built event sequences (time is
//! the events' `at`).
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::net::IpAddr;
use std::time::Duration;

use tollgate::policy::Policy;
use tollgate::{Action, Asn, Decision, Engine, Event, EventKind, Outcome, ReasonCode, Timestamp};

const T0: u64 = 1_700_000_000_000;

fn login(secs: u64, user: &str, ip: &str) -> Event {
    Event::new(EventKind::Login, Timestamp::from_unix_millis(T0 + secs * 1000))
        .with_user(user)
        .with_ip(ip.parse::<IpAddr>().unwrap())
}

/// The default policy without its stuffing detectors (tests/stuffing.rs):
/// a network failing on 100 accounts trips those too.
fn engine() -> Engine {
    let mut policy = Policy::default();
    policy.stuffing.clear();
    Engine::new(policy).unwrap()
}

fn fail(engine: &Engine, event: Event) {
    engine.record(&Outcome::failed(event));
}

/// The rules that fired, with their verdicts.
fn fired(d: &Decision) -> Vec<(&str, ReasonCode)> {
    d.reasons
        .iter()
        .filter_map(|r| r.rule.as_deref().map(|name| (name, r.code)))
        .collect()
}

#[test]
fn ten_failures_from_one_address_throttle_that_pair_until_the_quota_refills() {
    let e = engine();
    for _ in 0..9 {
        fail(&e, login(0, "alice", "198.51.100.9"));
    }
    assert!(
        e.evaluate(&login(0, "alice", "198.51.100.9")).is_allow(),
        "nine are not ten"
    );
    fail(&e, login(0, "alice", "198.51.100.9"));
    let d = e.evaluate(&login(0, "alice", "198.51.100.9"));
    // 10 per 15 minutes: one failure's worth comes back every 90 s.
    assert_eq!(
        d.action,
        Action::Throttle {
            retry_after: Duration::from_secs(90)
        }
    );
    assert_eq!(fired(&d), [("login-failures-user-ip", ReasonCode::LimitFailures)]);
    assert!(
        e.evaluate(&login(0, "alice", "198.51.100.10")).is_allow(),
        "the account from another address is another pair"
    );
    assert!(
        e.evaluate(&login(0, "bob", "198.51.100.9")).is_allow(),
        "another account from this address is another pair"
    );
    assert!(!e.evaluate(&login(89, "alice", "198.51.100.9")).is_allow());
    assert!(e.evaluate(&login(90, "alice", "198.51.100.9")).is_allow(), "timed out");
    fail(&e, login(90, "alice", "198.51.100.9"));
    assert!(
        !e.evaluate(&login(90, "alice", "198.51.100.9")).is_allow(),
        "one more failure uses the one that came back"
    );
}

#[test]
fn a_success_reopens_the_pair_at_once() {
    let e = engine();
    for _ in 0..10 {
        fail(&e, login(0, "alice", "198.51.100.9"));
    }
    assert!(!e.evaluate(&login(1, "alice", "198.51.100.9")).is_allow());
    e.record(&Outcome::succeeded(login(1, "alice", "198.51.100.9")));
    for _ in 0..9 {
        fail(&e, login(2, "alice", "198.51.100.9"));
    }
    assert!(
        e.evaluate(&login(2, "alice", "198.51.100.9")).is_allow(),
        "counting starts again from the success"
    );
}

#[test]
fn twenty_failures_on_one_account_from_anywhere_challenge_never_block() {
    let e = engine();
    for i in 0..19 {
        fail(&e, login(0, "alice", &format!("203.0.{i}.1")));
    }
    assert!(e.evaluate(&login(0, "alice", "192.0.2.50")).is_allow());
    fail(&e, login(0, "alice", "203.0.19.1"));
    let d = e.evaluate(&login(0, "alice", "192.0.2.50"));
    assert_eq!(d.action, Action::Challenge);
    assert_eq!(fired(&d), [("login-failures-user", ReasonCode::LimitFailures)]);
    // However many more: still a challenge, from any address.
    for i in 20..500 {
        fail(&e, login(1, "alice", &format!("203.{}.{}.1", i / 256, i % 256)));
    }
    assert_eq!(e.evaluate(&login(2, "alice", "192.0.2.50")).action, Action::Challenge);
    e.record(&Outcome::succeeded(login(3, "alice", "192.0.2.50")));
    assert!(
        e.evaluate(&login(3, "alice", "192.0.2.50")).is_allow(),
        "a success resets"
    );
}

#[test]
fn the_owner_on_a_familiar_device_and_network_is_at_worst_challenged() {
    let e = engine();
    let owner = |secs| {
        login(secs, "alice", "192.0.2.50")
            .with_device("alice-laptop")
            .with_asn(Asn(64500))
    };
    e.record(&Outcome::succeeded(owner(0)));
    // An attacker fails on purpose, as hard as they like, from many networks.
    for i in 0..300u64 {
        let ip = format!("198.51.{}.{}", i / 200, i % 200 + 1);
        fail(&e, login(60 + i, "alice", &ip).with_asn(Asn(64999)));
    }
    // The account-wide limit spares the device alice logged in from.
    let d = e.evaluate(&owner(400));
    assert_eq!(d.action, Action::Allow, "{:?}", d.reasons);
    assert_eq!(fired(&d), []);
    // Without a device id, the owner meets a challenge at worst.
    let d = e.evaluate(&login(400, "alice", "192.0.2.50").with_asn(Asn(64500)));
    assert_eq!(d.action, Action::Challenge, "{:?}", d.reasons);
    assert_eq!(fired(&d), [("login-failures-user", ReasonCode::LimitFailures)]);
}

#[test]
fn failures_across_accounts_from_one_network_refill_steadily() {
    let e = engine();
    // 100 accounts, one wrong password each, from addresses of one /24.
    for i in 0..100 {
        fail(&e, login(0, &format!("user{i}"), &format!("203.0.113.{}", i + 1)));
    }
    let d = e.evaluate(&login(0, "someone", "203.0.113.200"));
    assert_eq!(d.action, Action::Challenge);
    assert_eq!(fired(&d), [("login-failures-ip-prefix", ReasonCode::LimitFailures)]);
    assert!(
        e.evaluate(&login(0, "someone", "203.0.114.1")).is_allow(),
        "the next /24 is another network"
    );
    e.record(&Outcome::succeeded(login(0, "user0", "203.0.113.1")));
    assert_eq!(
        e.evaluate(&login(0, "user0", "203.0.113.1")).action,
        Action::Challenge,
        "a success does not refill a shared key's quota"
    );
    // 100 per day: one failure's worth back every 864 s.
    assert!(!e.evaluate(&login(863, "someone", "203.0.113.200")).is_allow());
    assert!(e.evaluate(&login(864, "someone", "203.0.113.200")).is_allow());
}
