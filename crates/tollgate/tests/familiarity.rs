//! Per-user familiarity and impossible travel on hand-built histories.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use tollgate::policy::Policy;
use tollgate::{Action, Asn, Country, Decision, Engine, Event, EventKind, Location, Outcome, ReasonCode, Timestamp};

const T0: u64 = 1_700_000_000_000;
const HOUR: u64 = 3_600_000;

fn engine() -> Engine {
    // Familiarity and travel only: no limits in the way.
    let mut p = Policy::default();
    p.limits.clear();
    Engine::new(p).unwrap()
}

fn login(user: &str, ms: u64, country: &str, asn: u32, device: &str) -> Event {
    Event::new(EventKind::Login, Timestamp::from_unix_millis(T0 + ms))
        .with_user(user)
        .with_country(country.parse::<Country>().unwrap())
        .with_asn(Asn(asn))
        .with_device(device)
}

fn codes(d: &Decision) -> Vec<&'static str> {
    d.reasons.iter().map(|r| r.code.as_str()).collect()
}

fn points(d: &Decision, code: ReasonCode) -> u8 {
    d.reasons.iter().find(|r| r.code == code).map_or(0, |r| r.points)
}

#[test]
fn familiar_logins_are_quiet_and_a_new_everything_is_challenged() {
    let e = engine();
    let first = e.evaluate(&login("alice", 0, "DE", 3320, "laptop"));
    assert_eq!(
        codes(&first),
        Vec::<&str>::new(),
        "a first-time user gets no familiarity penalty by default"
    );
    for i in 0..5 {
        e.record(&Outcome::succeeded(login("alice", i * HOUR, "DE", 3320, "laptop")));
    }
    let usual = e.evaluate(&login("alice", 6 * HOUR, "DE", 3320, "laptop"));
    assert!(usual.is_allow());
    assert_eq!(codes(&usual), Vec::<&str>::new());

    let strange = e.evaluate(&login("alice", 7 * HOUR, "BR", 28573, "unknown-phone"));
    assert_eq!(points(&strange, ReasonCode::NewCountry), 25);
    assert_eq!(points(&strange, ReasonCode::NewAsn), 15);
    assert_eq!(points(&strange, ReasonCode::NewDevice), 15);
    assert_eq!((strange.action, strange.score), (Action::Challenge, 55));
    let detail = &strange.reasons[0].detail;
    assert!(
        detail.contains("country BR seen in 0 of this user's last 5 logins"),
        "{detail}"
    );
}

#[test]
fn points_shrink_with_repeated_sightings_and_global_popularity() {
    let e = engine();
    for i in 0..4 {
        e.record(&Outcome::succeeded(login("bob", i * HOUR, "FR", 3215, "pc")));
    }
    e.record(&Outcome::succeeded(login("bob", 5 * HOUR, "ES", 3352, "pc")));
    // ES seen once: half the points (rarity is 1 - min(1, 20 % / 5 %) = 0 globally though).
    let d = e.evaluate(&login("bob", 6 * HOUR, "ES", 3215, "pc"));
    assert_eq!(
        points(&d, ReasonCode::NewCountry),
        0,
        "ES is 1 in 5 logins globally: common"
    );

    // A country many other users log in from is common: new to bob, but no points.
    for n in 0..20 {
        e.record(&Outcome::succeeded(login(&format!("u{n}"), HOUR, "US", 7922, "x")));
    }
    let d = e.evaluate(&login("bob", 7 * HOUR, "US", 3215, "pc"));
    assert_eq!(points(&d, ReasonCode::NewCountry), 0, "{:?}", d.reasons);
    // A country nobody uses still scores in full.
    let d = e.evaluate(&login("bob", 7 * HOUR, "KP", 3215, "pc"));
    assert_eq!(points(&d, ReasonCode::NewCountry), 25);
}

#[test]
fn failures_never_train_the_history() {
    let e = engine();
    e.record(&Outcome::succeeded(login("carol", 0, "NL", 1136, "mac")));
    for i in 0..10 {
        e.record(&Outcome::failed(login("carol", i * HOUR, "RU", 12389, "bot")));
    }
    let d = e.evaluate(&login("carol", 11 * HOUR, "RU", 12389, "bot"));
    assert_eq!(points(&d, ReasonCode::NewCountry), 25);
    assert_eq!(points(&d, ReasonCode::NewDevice), 15);
}

#[test]
fn history_is_bounded_and_forgets_the_least_recent() {
    let mut p = Policy::default();
    p.limits.clear();
    p.familiarity.history_size = 3;
    // Every country here is 1/6 of all logins: count none as common.
    p.familiarity.common_percent = 100;
    let e = Engine::new(p).unwrap();
    let countries = ["AT", "BE", "CH", "DK", "EE", "FI"];
    for (i, c) in countries.iter().enumerate() {
        e.record(&Outcome::succeeded(login("dave", i as u64 * HOUR, c, 1, "d")));
    }
    // AT fell out of the 3-entry history: new again, rarity 1 - 1/6.
    let at = e.evaluate(&login("dave", 10 * HOUR, "AT", 1, "d"));
    assert_eq!(points(&at, ReasonCode::NewCountry), 21);
    // FI is still in it, seen once: half of that.
    let fi = e.evaluate(&login("dave", 10 * HOUR, "FI", 1, "d"));
    assert_eq!(points(&fi, ReasonCode::NewCountry), 10);
}

#[test]
fn first_seen_points_are_a_documented_opt_in() {
    let mut p = Policy::default();
    p.limits.clear();
    p.points.first_seen = 10;
    let e = Engine::new(p).unwrap();
    let d = e.evaluate(&login("erin", 0, "IE", 5466, "d"));
    assert_eq!(codes(&d), vec!["familiarity.first_seen"]);
    assert_eq!(d.score, 10);
}

fn at_place(user: &str, ms: u64, lat: f64, lon: f64) -> Event {
    Event::new(EventKind::Login, Timestamp::from_unix_millis(T0 + ms))
        .with_user(user)
        .with_location(Location::new(lat, lon, 20).unwrap())
}

#[test]
fn impossible_travel_fires_above_the_speed_limit_only() {
    let e = engine();
    e.record(&Outcome::succeeded(at_place("frank", 0, 51.5074, -0.1278)));
    // London to New York (~5,570 km) in 8 h is a plane.
    let flight = e.evaluate(&at_place("frank", 8 * HOUR, 40.7128, -74.0060));
    assert!(
        !codes(&flight).contains(&"geo.impossible_travel"),
        "{:?}",
        flight.reasons
    );
    // In 1 h it is not.
    let teleport = e.evaluate(&at_place("frank", HOUR, 40.7128, -74.0060));
    let r = teleport
        .reasons
        .iter()
        .find(|r| r.code == ReasonCode::ImpossibleTravel)
        .unwrap();
    assert_eq!(r.points, 40);
    assert!(r.detail.contains("km/h"), "{}", r.detail);
    // Only successful logins move the reference point.
    e.record(&Outcome::failed(at_place("frank", HOUR, -33.8688, 151.2093)));
    let back_home = e.evaluate(&at_place("frank", 2 * HOUR, 51.5, -0.12));
    assert!(!codes(&back_home).contains(&"geo.impossible_travel"));
}

#[test]
fn travel_can_be_switched_off() {
    let mut p = Policy::default();
    p.limits.clear();
    p.travel.events.clear();
    let e = Engine::new(p).unwrap();
    e.record(&Outcome::succeeded(at_place("gina", 0, 51.5074, -0.1278)));
    let d = e.evaluate(&at_place("gina", 60_000, 40.7128, -74.0060));
    assert!(!codes(&d).contains(&"geo.impossible_travel"));
}
