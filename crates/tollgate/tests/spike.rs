//! Event-rate spikes on exact, hand-built event sequences.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use tollgate::policy::{Policy, SpikeLevel};
use tollgate::{Asn, Country, Decision, Engine, Event, EventKind, ReasonCode, Timestamp};

/// A day boundary, so that the 10-minute and 24-hour fixed windows align.
const T0_MS: u64 = 100 * 86_400_000;
const MINUTE_MS: u64 = 60_000;
const DAY_MS: u64 = 86_400_000;

fn policy(kind_min: u32) -> Policy {
    let mut p = Policy::default();
    p.limits.clear();
    p.stuffing.clear();
    p.spike.kind = SpikeLevel::new(kind_min, 10);
    p
}

fn login(ms: u64) -> Event {
    Event::new(EventKind::Login, Timestamp::from_unix_millis(ms))
}

fn from(event: Event, country: &str, asn: u32) -> Event {
    event
        .with_country(country.parse::<Country>().unwrap())
        .with_asn(Asn(asn))
}

fn spikes(d: &Decision) -> Vec<(String, String)> {
    d.reasons
        .iter()
        .filter(|r| r.code == ReasonCode::SpikeEventRate)
        .map(|r| (r.rule.as_deref().unwrap_or("").to_owned(), r.detail.to_string()))
        .collect()
}

/// One login a minute for a day, from T0.
fn steady_day(engine: &Engine) {
    for i in 0..1440 {
        let d = engine.evaluate(&login(T0_MS + i * MINUTE_MS));
        assert!(spikes(&d).is_empty(), "steady traffic spiked at minute {i}");
    }
}

#[test]
fn a_burst_over_a_steady_baseline_is_a_spike() {
    let engine = Engine::new(policy(50)).unwrap();
    steady_day(&engine);
    // At the day's end the 10-minute window carries the last 10 steady
    // logins and the baseline 1440; the k-th burst login makes 10 + k
    // against 1440 + k, a spike once (10 + k) · 144 > 5 · (1440 + k): k = 42.
    let burst = login(T0_MS + DAY_MS);
    for k in 1..=41 {
        assert!(spikes(&engine.evaluate(&burst)).is_empty(), "burst login {k}");
    }
    let d = engine.evaluate(&burst);
    assert_eq!(
        spikes(&d),
        [(
            "spike.kind".to_owned(),
            "52 login events in 600 s, 1482 in 24 h".to_owned()
        )]
    );
    assert_eq!(d.score, 10);
    assert!(d.is_allow(), "a spike adds suspicion, it decides nothing alone");
}

#[test]
fn slow_growth_is_not_a_spike() {
    let engine = Engine::new(policy(50)).unwrap();
    // Doubling every 6 hours for 36 hours, up to 100 logins per 10 minutes
    // (above the minimum): the last 10 minutes run about 3 times the day's
    // average, never 5.
    let slots = 216u64;
    let mut last = 0;
    for slot in 0..slots {
        let exponent = (slot as f64 - (slots - 1) as f64) / 36.0;
        let n = (100.0 * exponent.exp2()).round() as u64;
        for j in 0..n {
            let at = T0_MS + slot * 10 * MINUTE_MS + j * 10 * MINUTE_MS / n;
            let d = engine.evaluate(&login(at));
            assert!(spikes(&d).is_empty(), "growth spiked in slot {slot}");
        }
        last = n;
    }
    assert_eq!(last, 100);
}

#[test]
fn a_burst_under_the_minimum_is_not_a_spike() {
    let quiet = |kind_min| {
        let engine = Engine::new(policy(kind_min)).unwrap();
        // One login an hour for a day, then 30 in a minute.
        for hour in 0..24 {
            engine.evaluate(&login(T0_MS + hour * 60 * MINUTE_MS));
        }
        let burst = login(T0_MS + DAY_MS);
        (0..30).map(|_| spikes(&engine.evaluate(&burst))).last().unwrap()
    };
    assert!(quiet(50).is_empty());
    assert_eq!(quiet(30).len(), 1, "the same burst fires once the minimum is met");
}

#[test]
fn nothing_fires_before_the_baseline_has_warmed_up() {
    let burst = |warmup_hours| {
        let mut p = policy(50);
        p.spike.warmup_hours = warmup_hours;
        let engine = Engine::new(p).unwrap();
        (0..100)
            .map(|_| spikes(&engine.evaluate(&login(T0_MS))))
            .last()
            .unwrap()
    };
    assert!(burst(6).is_empty(), "a fresh store's first minutes are no spike");
    assert_eq!(burst(0).len(), 1);
}

#[test]
fn a_country_burst_is_reported_for_that_country_and_network_only() {
    let engine = Engine::new(policy(1000)).unwrap();
    for i in 0..1440 {
        let at = T0_MS + i * MINUTE_MS;
        assert!(spikes(&engine.evaluate(&from(login(at), "DE", 3320))).is_empty());
        assert!(spikes(&engine.evaluate(&from(login(at), "FR", 3215))).is_empty());
    }
    let end = T0_MS + DAY_MS;
    // The same arithmetic as the overall burst, per country: k = 42.
    for k in 1..=41 {
        assert!(
            spikes(&engine.evaluate(&from(login(end), "FR", 3215))).is_empty(),
            "burst login {k}"
        );
    }
    let d = engine.evaluate(&from(login(end), "FR", 3215));
    assert_eq!(
        spikes(&d),
        [
            (
                "spike.country".to_owned(),
                "52 login events from country FR in 600 s, 1482 in 24 h".to_owned()
            ),
            (
                "spike.asn".to_owned(),
                "52 login events from network AS3215 in 600 s, 1482 in 24 h".to_owned()
            ),
        ]
    );
    assert_eq!(d.score, 20);
    let de = engine.evaluate(&from(login(end), "DE", 3320));
    assert!(spikes(&de).is_empty(), "{:?}", de.reasons);
}

#[test]
fn unwatched_event_types_and_levels_without_points_count_nothing() {
    let mut p = policy(1);
    p.spike.events = vec![tollgate::EventType::Signup];
    p.spike.warmup_hours = 0;
    let engine = Engine::new(p).unwrap();
    for _ in 0..100 {
        assert!(spikes(&engine.evaluate(&from(login(T0_MS), "FR", 3215))).is_empty());
    }
    assert!(engine.store().is_empty());
    let mut p = policy(1);
    p.spike.kind.points = 0;
    p.spike.asn.points = 0;
    p.spike.warmup_hours = 0;
    let engine = Engine::new(p).unwrap();
    let d = engine.evaluate(&from(login(T0_MS), "FR", 3215));
    assert_eq!(engine.store().len(), 1, "the country's window pair only");
    assert!(spikes(&d).is_empty(), "one event is under the country minimum of 50");
}
