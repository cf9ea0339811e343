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

fn at_home(user: &str, ms: u64, device: &str, ip: &str) -> Event {
    login(user, ms, "DE", 3320, device).with_ip(ip.parse().unwrap())
}

fn stranger(d: &Decision) -> bool {
    d.reasons.iter().any(|r| r.code == ReasonCode::Stranger)
}

/// Familiarity with `familiarity.stranger` on, as its docs measure it.
fn strict() -> Engine {
    let mut p = Policy::default();
    p.limits.clear();
    p.familiarity.stranger_after = 3;
    Engine::new(p).unwrap()
}

#[test]
fn a_new_client_on_a_new_network_is_a_stranger_to_an_established_account() {
    let e = strict();
    for i in 0..3 {
        e.record(&Outcome::succeeded(at_home("frank", i * HOUR, "laptop", "203.0.113.7")));
    }
    // A new phone at home, the laptop at a café: spared.
    assert!(!stranger(&e.evaluate(&at_home(
        "frank",
        4 * HOUR,
        "phone",
        "203.0.113.99"
    ))));
    assert!(!stranger(&e.evaluate(&at_home(
        "frank",
        4 * HOUR,
        "laptop",
        "198.51.100.7"
    ))));
    // A fresh browser on a line in the same city and network: a stolen
    // password, a second factor.
    let thief = e.evaluate(&at_home("frank", 4 * HOUR, "fresh", "198.51.100.7"));
    assert!(stranger(&thief), "{:?}", codes(&thief));
    assert_eq!(thief.action, Action::Challenge);
    assert_eq!(thief.step_up(), Some(tollgate::StepUp::SecondFactor));
    let detail = &thief
        .reasons
        .iter()
        .find(|r| r.code == ReasonCode::Stranger)
        .unwrap()
        .detail;
    assert!(detail.starts_with("3 logins on record"), "{detail}");
    // Without a cookie, user agent or JA4 there is no client to compare,
    // and that is no pass: the account's logins are still on record.
    let bare = Event::new(EventKind::Login, Timestamp::from_unix_millis(T0 + 4 * HOUR))
        .with_user("frank")
        .with_country("DE".parse::<Country>().unwrap())
        .with_asn(Asn(3320))
        .with_ip("198.51.100.7".parse().unwrap());
    assert!(stranger(&e.evaluate(&bare)), "{:?}", codes(&e.evaluate(&bare)));
}

#[test]
fn young_accounts_are_no_strangers_yet_and_the_rule_is_off_by_default() {
    let young = strict();
    for i in 0..2 {
        young.record(&Outcome::succeeded(at_home("gina", i * HOUR, "laptop", "203.0.113.7")));
    }
    assert!(!stranger(&young.evaluate(&at_home(
        "gina",
        4 * HOUR,
        "fresh",
        "198.51.100.7"
    ))));
    let off = engine();
    assert_eq!(Policy::default().familiarity.stranger_after, 0);
    for i in 0..5 {
        off.record(&Outcome::succeeded(at_home("gina", i * HOUR, "laptop", "203.0.113.7")));
    }
    assert!(!stranger(&off.evaluate(&at_home(
        "gina",
        6 * HOUR,
        "fresh",
        "198.51.100.7"
    ))));
}

#[test]
fn a_browsers_look_without_a_device_id_never_vouches() {
    let e = strict();
    let cookieless = |ms, ip: &str| {
        Event::new(EventKind::Login, Timestamp::from_unix_millis(T0 + ms))
            .with_user("hana")
            .with_country("DE".parse::<Country>().unwrap())
            .with_asn(Asn(3320))
            .with_ip(ip.parse().unwrap())
            .with_user_agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0.0.0")
    };
    for i in 0..3 {
        e.record(&Outcome::succeeded(cookieless(i * HOUR, "203.0.113.7")));
    }
    // From the home /24: spared by the network.
    assert!(!stranger(&e.evaluate(&cookieless(4 * HOUR, "203.0.113.99"))));
    // The same user agent on another line of the same ISP is what a
    // stealer log and a proxy seller's ISP targeting give anyone.
    assert!(stranger(&e.evaluate(&cookieless(4 * HOUR, "198.51.100.7"))));
}

/// A sign-up teaches the history nothing: the device a bot signs up from
/// must not become a known device, or the known-device exemptions (the
/// country budget's, the limits') would wave its code requests through.
#[test]
fn a_sign_up_does_not_make_its_device_known() {
    let e = engine();
    let signup = Event::new(EventKind::Signup, Timestamp::from_unix_millis(T0))
        .with_user("ivan")
        .with_country("NL".parse::<Country>().unwrap())
        .with_asn(Asn(1136))
        .with_device("farm-7");
    e.record(&Outcome::succeeded(signup));
    let d = e.evaluate(&login("ivan", HOUR, "NL", 1136, "farm-7"));
    assert!(d.signals.contains(tollgate::RiskSignal::NewClient), "{:?}", d.signals);
    assert!(
        d.signals.contains(tollgate::RiskSignal::FirstSeenAccount),
        "{:?}",
        d.signals
    );
}

/// A device the service's own records vouch for is the account's own from
/// the first login tollgate sees: a new deployment steps up no member on
/// their usual browser, and a fresh client is still a stranger.
#[test]
fn a_device_the_service_vouches_for_is_known_from_the_start() {
    let e = engine();
    let from_json = |json: &str| Event::from_json(json).unwrap();
    let vouched = from_json(
        r#"{"kind":"login","at":1700000000000,"user":"kim","ip":"203.0.113.7","country":"DE","asn":3320,"device":"laptop","host_known_device":true}"#,
    );
    assert!(vouched.host_known_device);
    let d = e.evaluate(&vouched);
    assert!(!d.signals.contains(tollgate::RiskSignal::NewClient), "{:?}", d.signals);
    assert!(!d.signals.contains(tollgate::RiskSignal::Stranger), "{:?}", d.signals);
    assert!(!codes(&d).contains(&"familiarity.new_device"), "{:?}", codes(&d));
    // The same login without the service's word, and the word without a
    // device id to vouch for: a stranger to an account without history.
    let unvouched = vouched.clone().with_host_known_device(false);
    assert!(e.evaluate(&unvouched).signals.contains(tollgate::RiskSignal::Stranger));
    let mut bare = vouched.clone();
    bare.device = None;
    assert!(e.evaluate(&bare).signals.contains(tollgate::RiskSignal::Stranger));
    // After a day of history, the vouched device is spared as a new
    // device of an account that has others.
    for i in 0..3 {
        e.record(&Outcome::succeeded(at_home("kim", i * HOUR, "phone", "198.51.100.7")));
    }
    let d = e.evaluate(&at_home("kim", 4 * HOUR, "laptop", "192.0.2.1").with_host_known_device(true));
    assert!(!codes(&d).contains(&"familiarity.new_device"), "{:?}", codes(&d));
    let d = e.evaluate(&at_home("kim", 4 * HOUR, "laptop", "192.0.2.1"));
    assert!(codes(&d).contains(&"familiarity.new_device"), "{:?}", codes(&d));
}

/// The service's word needs an account: without a username there is no
/// account for the device to be known to, and a limit sparing known
/// devices must not spare it.
#[test]
fn a_vouched_device_without_a_user_is_spared_by_nothing() {
    let p = Policy::from_toml(
        "[[limits]]\nname = \"ip\"\nevents = [\"login\"]\nkey = [\"ip\"]\nrate = \"1/h\"\nburst = 1\nexcept = [\"known_device\"]\n",
    )
    .unwrap();
    let e = Engine::new(p).unwrap();
    let anonymous = || {
        Event::new(EventKind::Login, Timestamp::from_unix_millis(T0))
            .with_ip("203.0.113.7".parse().unwrap())
            .with_device("laptop")
            .with_host_known_device(true)
    };
    assert_eq!(e.evaluate(&anonymous()).action, Action::Allow);
    assert_ne!(e.evaluate(&anonymous()).action, Action::Allow);
    // With a user, the vouched device is the account's own and spared.
    let named = || anonymous().with_user("lena");
    for _ in 0..3 {
        assert_eq!(e.evaluate(&named()).action, Action::Allow);
    }
}
