//! Credential stuffing: what a leaked-password list's hits and its spray
//! look like to the default policy, with time as an input.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::net::IpAddr;

use tollgate::policy::Policy;
use tollgate::{Action, Engine, Event, EventKind, EventType, ReasonCode, Timestamp};

const T0: u64 = 1_700_000_000_000;

fn login(secs: u64, user: &str, ip: &str) -> Event {
    Event::new(EventKind::Login, Timestamp::from_unix_millis(T0 + secs * 1000))
        .with_user(user)
        .with_ip(ip.parse::<IpAddr>().unwrap())
}

#[test]
fn a_compromised_password_challenges_a_login_even_without_points() {
    let mut policy = Policy::default();
    policy.points.compromised_password = 0;
    let engine = Engine::new(policy).unwrap();
    let d = engine.evaluate(&login(0, "u", "192.0.2.1").with_compromised_password(true));
    assert_eq!((d.action, d.score), (Action::Challenge, 0));
    assert_eq!(d.reasons[0].code, ReasonCode::CompromisedPassword);
    assert!(engine.evaluate(&login(1, "u", "192.0.2.1")).is_allow());
}

#[test]
fn a_compromised_password_only_scores_where_not_listed() {
    let mut policy = Policy::default();
    policy.credentials.challenge_compromised = vec![EventType::Signup];
    policy.points.compromised_password = 30;
    let engine = Engine::new(policy).unwrap();
    let d = engine.evaluate(&login(0, "u", "192.0.2.1").with_compromised_password(true));
    assert_eq!((d.action, d.score), (Action::Allow, 30));
    let signup = Event::new(EventKind::Signup, Timestamp::from_unix_millis(T0))
        .with_ip("192.0.2.1".parse::<IpAddr>().unwrap())
        .with_compromised_password(true);
    assert_eq!(engine.evaluate(&signup).action, Action::Challenge);
}

#[test]
fn the_switch_reads_from_toml() {
    let policy = Policy::from_toml("[credentials]\nchallenge_compromised = []\n").unwrap();
    assert!(policy.credentials.challenge_compromised.is_empty());
    let engine = Engine::new(policy).unwrap();
    let d = engine.evaluate(&login(0, "u", "192.0.2.1").with_compromised_password(true));
    assert_eq!(
        (d.action, d.score),
        (Action::Challenge, 50),
        "the points alone reach 50"
    );
}
