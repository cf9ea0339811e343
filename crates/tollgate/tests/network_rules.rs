//! Zones, attached lists, country and ASN rules, forwarding anomalies.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::net::IpAddr;

use tollgate::net::{IpSet, TrustedProxies};
use tollgate::policy::Policy;
use tollgate::{Action, Asn, Country, Engine, Event, EventKind, ReasonCode, Timestamp};

fn engine(toml: &str) -> Engine {
    let mut p = Policy::from_toml(toml).unwrap();
    // Only the rules under test.
    if !toml.contains("[[limits]]") {
        p.limits.clear();
    }
    p.familiarity.events.clear();
    Engine::new(p).unwrap()
}

fn login(ip: &str) -> Event {
    Event::new(EventKind::Login, Timestamp::from_unix_millis(1_700_000_000_000))
        .with_user("alice")
        .with_ip(ip.parse::<IpAddr>().unwrap())
}

const ZONES: &str = r#"
[[zones]]
name = "office"
cidrs = ["10.20.0.0/16"]
action = "allow"

[[zones]]
name = "blocklist"
lists = ["drop"]
cidrs = ["198.51.100.0/24"]
action = "deny"

[[zones]]
name = "cloud-signup"
events = ["signup"]
cidrs = ["203.0.113.0/24"]
action = { score = 30 }
"#;

#[test]
fn zones_allow_deny_and_score() {
    let e = engine(ZONES);
    let d = e.evaluate(&login("198.51.100.7"));
    assert_eq!(d.action, Action::Deny);
    assert_eq!(d.reasons[0].code, ReasonCode::ZoneMatch);
    assert_eq!(d.reasons[0].rule.as_deref(), Some("blocklist"));

    let d = e.evaluate(&login("10.20.3.4").with_compromised_password(true));
    assert_eq!(d.action, Action::Allow);
    assert_eq!(d.reasons.len(), 1, "an allow zone ends evaluation: {:?}", d.reasons);
    assert_eq!(d.reasons[0].code, ReasonCode::ZoneAllow);

    assert!(
        e.evaluate(&login("203.0.113.9")).reasons.is_empty(),
        "the score zone is for sign-ups"
    );
    let signup = Event::new(EventKind::Signup, Timestamp::EPOCH).with_ip("203.0.113.9".parse().unwrap());
    assert_eq!(e.evaluate(&signup).score, 30);
}

#[test]
fn allow_zones_skip_limits_entirely() {
    let toml = format!(
        "{ZONES}\n[[limits]]\nname = \"ip\"\nevents = [\"login\"]\nkey = [\"ip\"]\nrate = \"1/hour\"\nburst = 1\n"
    );
    let e = engine(&toml);
    for _ in 0..5 {
        assert!(e.evaluate(&login("10.20.0.1")).is_allow());
    }
    assert!(e.store().is_empty(), "no counter was touched for the allowed office");
    assert!(e.evaluate(&login("192.0.2.1")).is_allow());
    assert!(!e.evaluate(&login("192.0.2.1")).is_allow());
}

#[test]
fn attached_lists_reload_without_losing_counters() {
    let toml = format!(
        "{ZONES}\n[[limits]]\nname = \"ip\"\nevents = [\"login\"]\nkey = [\"ip\"]\nrate = \"1/hour\"\nburst = 2\n"
    );
    let e = engine(&toml);
    assert!(
        e.evaluate(&login("192.0.2.50")).is_allow(),
        "list not attached yet: matches nothing"
    );
    e.set_list("drop", IpSet::parse_list("# DROP\n192.0.2.0/25 ; SBL9\n").unwrap());
    assert_eq!(e.evaluate(&login("192.0.2.50")).action, Action::Deny);
    e.set_list("drop", IpSet::parse_list("192.0.2.128/25\n").unwrap());
    // Back out of the list, and the quota spent before the first reload is still spent.
    let d = e.evaluate(&login("192.0.2.50"));
    assert!(matches!(d.action, Action::Throttle { .. }), "{d:?}");
    e.remove_list("drop");
    assert!(e.evaluate(&login("192.0.2.200")).is_allow());
}

#[test]
fn a_monitored_allow_zone_reports_without_skipping() {
    let e = engine(
        r#"
        [[zones]]
        name = "office"
        cidrs = ["10.0.0.0/8"]
        action = "allow"
        monitor = true
        "#,
    );
    let d = e.evaluate(&login("10.1.1.1").with_compromised_password(true));
    assert_eq!(d.action, Action::Challenge);
    assert!(d.reasons.iter().any(|r| r.code == ReasonCode::ZoneAllow && r.monitor));
}

#[test]
fn country_rules_deny_lists_and_allow_lists() {
    let e = engine(
        r#"
        [[countries]]
        name = "embargo"
        countries = ["KP"]
        action = "deny"

        [[countries]]
        name = "signup-markets"
        events = ["signup"]
        countries = ["DE", "AT"]
        when = "not_in"
        action = "challenge"
        "#,
    );
    let from = |kind, c: &str| Event::new(kind, Timestamp::EPOCH).with_country(c.parse::<Country>().unwrap());
    assert_eq!(e.evaluate(&from(EventKind::Login, "KP")).action, Action::Deny);
    assert_eq!(e.evaluate(&from(EventKind::Login, "FR")).action, Action::Allow);
    assert_eq!(e.evaluate(&from(EventKind::Signup, "FR")).action, Action::Challenge);
    let d = e.evaluate(&from(EventKind::Signup, "AT"));
    assert_eq!(d.action, Action::Allow);
    let unknown = Event::new(EventKind::Signup, Timestamp::EPOCH);
    assert_eq!(
        e.evaluate(&unknown).action,
        Action::Allow,
        "unknown country fires neither way"
    );
}

#[test]
fn hosting_networks_score_logins_by_default() {
    let mut p = Policy::default();
    p.familiarity.events.clear();
    let e = Engine::new(p).unwrap();
    let d = e.evaluate(&login("192.0.2.1").with_asn(Asn(16509)));
    assert_eq!(d.score, 15);
    assert_eq!(d.reasons[0].code, ReasonCode::AsnListed);
    assert_eq!(d.reasons[0].detail, "network AS16509");
}

#[test]
fn forwarding_garbage_is_a_reason_not_an_error() {
    let e = engine("");
    let trusted = TrustedProxies::parse(["10.0.0.0/8"]).unwrap();
    let client = trusted.resolve(
        "10.0.0.1".parse().unwrap(),
        [("x-forwarded-for", &b"203.0.113.9, not-an-ip"[..])],
    );
    let event = Event::new(EventKind::Login, Timestamp::EPOCH).with_client_ip(client);
    assert_eq!(
        event.ip,
        Some("10.0.0.1".parse().unwrap()),
        "falls back to the nearest trusted hop"
    );
    let d = e.evaluate(&event);
    assert_eq!(d.reasons[0].code, ReasonCode::ForwardingAnomaly);
    assert_eq!(d.score, 5);
}
