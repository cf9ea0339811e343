//! The OTP relay check (`[otp.relay]`): a code verified from another
//! client than the one that asked for it, on hand-built sequences.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::net::IpAddr;

use tollgate::policy::Policy;
use tollgate::{Channel, Decision, Engine, Event, EventKind, Outcome, Reason, ReasonCode, Timestamp};

const CHROME: &str = "t13d1516h2_8daaf6152771_02713d6af862";
const CURL: &str = "t13d311100_e8f1e7e78f70_d41ae481755e";
const T0: u64 = 1_700_000_000_000;

fn at(secs: u64) -> Timestamp {
    Timestamp::from_unix_millis(T0 + secs * 1000)
}

fn client(e: Event, ip: &str, ja4: Option<&str>, country: &str) -> Event {
    let e = e
        .with_ip(ip.parse::<IpAddr>().unwrap())
        .with_country(country.parse().unwrap());
    match ja4 {
        Some(j) => e.with_ja4(j.parse().unwrap()),
        None => e,
    }
}

fn send(secs: u64, ip: &str, ja4: Option<&str>, country: &str) -> Event {
    let e = Event::new(EventKind::OtpSend { channel: Channel::Sms }, at(secs))
        .with_user("alice")
        .with_phone("+447700900123".parse().unwrap());
    client(e, ip, ja4, country)
}

fn verify(secs: u64, ip: &str, ja4: Option<&str>, country: &str) -> Event {
    let e = Event::new(
        EventKind::OtpVerify {
            channel: Some(Channel::Sms),
        },
        at(secs),
    )
    .with_user("alice")
    .with_phone("+447700900123".parse().unwrap());
    client(e, ip, ja4, country)
}

fn relay(d: &Decision) -> Option<&Reason> {
    d.reasons.iter().find(|r| r.code == ReasonCode::OtpRelay)
}

fn sent_from_london() -> Engine {
    let engine = Engine::new(Policy::default()).unwrap();
    engine.record(&Outcome::succeeded(send(0, "81.2.69.10", Some(CHROME), "GB")));
    engine
}

#[test]
fn another_prefix_and_fingerprint_score_their_points() {
    let engine = sent_from_london();
    let d = engine.evaluate(&verify(40, "81.2.70.10", Some(CURL), "GB"));
    let r = relay(&d).unwrap();
    assert_eq!(r.points, 30);
    assert_eq!(
        r.detail,
        "code verified from another network prefix, client fingerprint than the client that asked for it"
    );
    assert_eq!(d.score, 30);
}

#[test]
fn every_part_changed_challenges() {
    let engine = sent_from_london();
    let d = engine.evaluate(&verify(40, "203.0.113.9", Some(CURL), "NG"));
    assert_eq!(relay(&d).unwrap().points, 50);
    assert_eq!(d.action, tollgate::Action::Challenge);
}

#[test]
fn the_same_client_says_nothing() {
    let engine = sent_from_london();
    // Another address in the same /24.
    let d = engine.evaluate(&verify(40, "81.2.69.200", Some(CHROME), "GB"));
    assert!(relay(&d).is_none(), "{d:?}");
}

#[test]
fn only_parts_the_verification_carries_are_compared() {
    let engine = sent_from_london();
    let d = engine.evaluate(&verify(40, "203.0.113.9", None, "GB"));
    assert_eq!(relay(&d).unwrap().points, 10);
    let bare = Event::new(EventKind::OtpVerify { channel: None }, at(41)).with_user("alice");
    assert!(engine.evaluate(&bare).reasons.is_empty());
}

#[test]
fn the_sender_is_forgotten_after_the_window_and_failed_sends_write_nothing() {
    let engine = sent_from_london();
    assert!(relay(&engine.evaluate(&verify(15 * 60 - 1, "203.0.113.9", None, "GB"))).is_some());
    assert!(relay(&engine.evaluate(&verify(15 * 60, "203.0.113.9", None, "GB"))).is_none());
    let engine = Engine::new(Policy::default()).unwrap();
    engine.record(&Outcome::failed(send(0, "81.2.69.10", Some(CHROME), "GB")));
    assert!(relay(&engine.evaluate(&verify(40, "203.0.113.9", Some(CURL), "NG"))).is_none());
}

#[test]
fn without_a_user_the_number_keys_the_sender() {
    let engine = Engine::new(Policy::default()).unwrap();
    let mut s = send(0, "81.2.69.10", Some(CHROME), "GB");
    s.user = None;
    engine.record(&Outcome::succeeded(s));
    let mut v = verify(30, "81.2.69.10", Some(CURL), "GB");
    v.user = None;
    assert_eq!(relay(&engine.evaluate(&v)).unwrap().points, 20);
}

#[test]
fn points_are_configurable_and_zero_turns_a_part_off() {
    let mut policy = Policy::default();
    policy.otp.relay.ip_prefix_points = 0;
    policy.otp.relay.country_points = 35;
    let engine = Engine::new(policy).unwrap();
    engine.record(&Outcome::succeeded(send(0, "81.2.69.10", Some(CHROME), "GB")));
    let d = engine.evaluate(&verify(40, "203.0.113.9", Some(CHROME), "NG"));
    assert_eq!(relay(&d).unwrap().points, 35);
    assert_eq!(
        relay(&d).unwrap().detail,
        "code verified from another country than the client that asked for it"
    );
}

#[test]
fn fingerprints_of_different_kinds_and_ipv6_hosts_of_one_network_are_not_differences() {
    let engine = Engine::new(Policy::default()).unwrap();
    engine.record(&Outcome::succeeded(send(0, "2001:db8:1:2::10", Some(CHROME), "GB")));
    // Another host of the same /64, a JA3 where the send had a JA4.
    let v =
        verify(30, "2001:db8:1:2:aaaa::1", None, "GB").with_ja3("e7d705a3286e19ea42f587b344ee6865".parse().unwrap());
    assert!(relay(&engine.evaluate(&v)).is_none());
    // Another /64 of the same /48 is the same network (one customer's).
    let v = verify(31, "2001:db8:1:3::1", Some(CHROME), "GB");
    assert!(relay(&engine.evaluate(&v)).is_none());
    // Another /48 is another network.
    let v = verify(32, "2001:db8:2::1", Some(CHROME), "GB");
    assert_eq!(relay(&engine.evaluate(&v)).unwrap().points, 10);
}

#[test]
fn a_resend_from_another_client_replaces_the_sender() {
    let engine = sent_from_london();
    engine.record(&Outcome::succeeded(send(60, "203.0.113.9", Some(CURL), "NG")));
    assert!(relay(&engine.evaluate(&verify(90, "203.0.113.9", Some(CURL), "NG"))).is_none());
    assert_eq!(
        relay(&engine.evaluate(&verify(91, "81.2.69.10", Some(CHROME), "GB")))
            .unwrap()
            .points,
        50
    );
}
