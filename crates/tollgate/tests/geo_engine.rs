//! The engine with geo databases: lookups fill what events lack, feed
//! country/ASN rules, limiter keys, anonymizer points and familiarity.
#![cfg(feature = "geo")]
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::net::IpAddr;
use std::path::PathBuf;

use tollgate::geo::{GeoDb, GeoSet};
use tollgate::policy::Policy;
use tollgate::{Action, Country, Engine, Event, EventKind, Outcome, ReasonCode, Timestamp};

fn geo() -> Option<GeoSet> {
    let Some(root) = std::env::var_os("TOLLGATE_TESTDATA") else {
        eprintln!("skipping: TOLLGATE_TESTDATA unset");
        return None;
    };
    let dir = PathBuf::from(root).join("mmdb/test-data");
    assert!(
        dir.is_dir(),
        "TOLLGATE_TESTDATA is set but {} is missing",
        dir.display()
    );
    let mut set = GeoSet::new();
    for name in [
        "GeoIP2-City-Test.mmdb",
        "GeoLite2-ASN-Test.mmdb",
        "GeoIP2-Anonymous-IP-Test.mmdb",
    ] {
        set.insert(GeoDb::from_bytes(std::fs::read(dir.join(name)).unwrap()).unwrap());
    }
    Some(set)
}

fn engine(toml: &str, geo: GeoSet) -> Engine {
    let mut p = Policy::from_toml(toml).unwrap();
    p.limits.clear();
    let e = Engine::new(p).unwrap();
    e.set_geo(Some(geo));
    e
}

fn login(ip: &str) -> Event {
    Event::new(EventKind::Login, Timestamp::from_unix_millis(1_700_000_000_000))
        .with_user("alice")
        .with_ip(ip.parse::<IpAddr>().unwrap())
}

/// A country rule, and no familiarity: a first-seen account would score
/// the rarity of its resolved values, and this tests resolution alone.
const GB_RULE: &str = r#"
[familiarity]
events = []

[[countries]]
name = "gb"
countries = ["GB"]
action = { score = 20 }
"#;

#[test]
fn lookups_fill_missing_country_and_upstream_values_win() {
    let Some(geo) = geo() else { return };
    let e = engine(GB_RULE, geo);
    // 81.2.69.142 is London in MaxMind's City test data.
    let d = e.evaluate(&login("81.2.69.142"));
    assert!(
        d.reasons.iter().any(|r| r.code == ReasonCode::Country),
        "{:?}",
        d.reasons
    );
    // A CDN said FR: no lookup, the rule does not fire.
    let upstream = login("81.2.69.142")
        .with_country("FR".parse::<Country>().unwrap())
        .with_asn(tollgate::Asn(1));
    assert!(e.evaluate(&upstream).reasons.is_empty());
    // Not in any database: nothing resolved, nothing fires.
    assert!(e.evaluate(&login("192.0.2.1")).reasons.is_empty());
}

#[test]
fn anonymizer_flags_score_their_highest_flag() {
    let Some(geo) = geo() else { return };
    // Without familiarity: alice has no history, and an anonymizer on a
    // first-seen account is challenged on its own (familiarity.first_seen).
    let e = engine("[familiarity]\nevents = []\n", geo);
    // 81.2.69.0/24 carries all six flags in the Anonymous-IP test data.
    let d = e.evaluate(&login("81.2.69.1"));
    let r = d.reasons.iter().find(|r| r.code == ReasonCode::Anonymous).unwrap();
    assert_eq!(r.points, 40, "Tor exit, the highest flag, counts alone");
    assert!(r.detail.contains("is_tor_exit_node"), "{}", r.detail);
    assert_eq!(d.action, Action::Allow, "40 is under the login challenge threshold");
}

#[test]
fn resolved_values_feed_familiarity_and_travel() {
    let Some(geo) = geo() else { return };
    let e = engine("", geo);
    // A successful login in London teaches GB and the position.
    let london = login("81.2.69.142");
    e.record(&Outcome::succeeded(london.clone()));
    let again = e.evaluate(&london);
    assert!(
        again.reasons.iter().all(|r| r.code == ReasonCode::Anonymous),
        "{:?}",
        again.reasons
    );
    // 216.160.83.56 is Milton, WA in the test data: minutes later it is
    // impossible travel, and a new country.
    let mut far = login("216.160.83.56");
    far.at = Timestamp::from_unix_millis(1_700_000_000_000 + 600_000);
    let d = e.evaluate(&far);
    let codes: Vec<_> = d.reasons.iter().map(|r| r.code).collect();
    assert!(codes.contains(&ReasonCode::ImpossibleTravel), "{codes:?}");
    assert!(codes.contains(&ReasonCode::NewCountry), "{codes:?}");
}

#[test]
fn geo_resolved_values_key_limits() {
    let Some(geo) = geo() else { return };
    // No familiarity: 81.2.69.0/24 is an anonymizer in the test data, and
    // a first-seen account behind one is challenged.
    let p = Policy::from_toml(
        r#"
        [familiarity]
        events = []

        [[limits]]
        name = "per-country"
        events = ["login"]
        key = ["country"]
        rate = "1/hour"
        burst = 1
        "#,
    )
    .unwrap();
    let e = Engine::new(p).unwrap();
    e.set_geo(Some(geo));
    assert!(e.evaluate(&login("81.2.69.142")).is_allow());
    // Another London address: same country key, quota spent.
    assert!(!e.evaluate(&login("81.2.69.143")).is_allow());
    // Without the databases the rule has no country to key on.
    e.set_geo(None);
    assert!(e.evaluate(&login("81.2.69.142")).is_allow());
}
