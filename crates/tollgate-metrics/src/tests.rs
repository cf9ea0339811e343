//! The crate's tests: decisions, reasons and times through an engine,
//! the histogram's buckets, the reason-series cap, store health and
//! policy versions, the in-process store's evictions.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::Ordering;

use tollgate::store::MemoryStore;
use tollgate::{Engine, StoreTransition, Timestamp};

use crate::histogram::{BUCKET_NANOS, TimeHistogram};
use crate::{Registry, TollgateMetrics, encode, register_memory_store};
use tollgate::policy::Policy;
use tollgate::{Event, EventKind};

const NOW_MS: u64 = 1_700_000_000_000;

fn now() -> Timestamp {
    // 3 ms after every event the tests stamp.
    Timestamp::from_unix_millis(NOW_MS + 3)
}

fn at() -> Timestamp {
    Timestamp::from_unix_millis(NOW_MS)
}

fn setup(policy: &str, metrics: Arc<TollgateMetrics>) -> (Arc<Engine>, Registry) {
    let engine = Arc::new(Engine::new(Policy::from_toml(policy).unwrap()).unwrap());
    let mut registry = Registry::default();
    metrics.register(&mut registry);
    metrics.attach(&engine);
    register_memory_store(&mut registry, Arc::clone(&engine));
    (engine, registry)
}

fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

const ZONE: &str = r#"
    [[zones]]
    name = "blocked-net"
    cidrs = ["198.51.100.0/24"]
    action = "deny"
"#;

#[test]
fn decisions_reasons_and_times_are_counted_with_closed_labels() {
    let (engine, registry) = setup(ZONE, TollgateMetrics::builder().clock(now).build());
    let login = |ip: &str| Event::new(EventKind::Login, at()).with_ip(ip.parse().unwrap());
    for _ in 0..3 {
        engine.evaluate(&login("203.0.113.7").with_user("alice"));
    }
    engine.evaluate(&login("198.51.100.9").with_user("mallory"));
    let text = encode(&registry).unwrap();
    assert_eq!(
        value(&text, r#"tollgate_decisions_total{event="login",action="allow"}"#),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        value(&text, r#"tollgate_decisions_total{event="login",action="deny"}"#),
        Some(1.0)
    );
    assert_eq!(
        value(&text, r#"tollgate_decisions_total{event="signup",action="challenge"}"#),
        Some(0.0),
        "every series exists from the start"
    );
    assert_eq!(
        value(
            &text,
            r#"tollgate_reasons_total{code="zone.match",rule="blocked-net",mode="enforce"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(&text, r#"tollgate_evaluation_seconds_count{event="login"}"#),
        Some(4.0)
    );
    // 3 ms each: in the 5 ms bucket, not in the 2.5 ms one.
    assert_eq!(
        value(
            &text,
            r#"tollgate_evaluation_seconds_bucket{event="login",le="0.0025"}"#
        ),
        Some(0.0)
    );
    assert_eq!(
        value(&text, r#"tollgate_evaluation_seconds_bucket{event="login",le="0.005"}"#),
        Some(4.0)
    );
    for secret in ["alice", "mallory", "203.0.113", "198.51.100"] {
        assert!(!text.contains(secret), "{secret} in the metrics");
    }
}

#[test]
fn events_not_stamped_now_are_not_timed() {
    fn late() -> Timestamp {
        Timestamp::from_unix_millis(NOW_MS + 61_000)
    }
    fn early() -> Timestamp {
        Timestamp::from_unix_millis(NOW_MS - 1)
    }
    for metrics in [
        TollgateMetrics::builder().clock(late).build(),
        TollgateMetrics::builder().clock(early).build(),
        TollgateMetrics::builder().timing(false).build(),
    ] {
        let (engine, registry) = setup("", metrics);
        engine.evaluate(&Event::new(EventKind::Login, at()).with_ip("203.0.113.7".parse().unwrap()));
        let text = encode(&registry).unwrap();
        assert_eq!(
            value(&text, r#"tollgate_decisions_total{event="login",action="allow"}"#),
            Some(1.0)
        );
        assert_eq!(
            value(&text, r#"tollgate_evaluation_seconds_count{event="login"}"#),
            Some(0.0)
        );
    }
}

#[test]
fn time_buckets_hold_values_up_to_their_bound() {
    let histogram = TimeHistogram::default();
    for nanos in [
        0,
        1_000,
        1_001,
        2_500,
        999_999_999,
        1_000_000_000,
        1_000_000_001,
        u64::MAX / 2,
    ] {
        histogram.observe(nanos);
    }
    let counts: Vec<u64> = histogram.buckets.iter().map(|b| b.load(Ordering::Relaxed)).collect();
    assert_eq!(&counts[..2], &[2, 2]);
    assert_eq!(counts[BUCKET_NANOS.len() - 1], 2, "up to and including 1 s");
    assert_eq!(counts[BUCKET_NANOS.len()], 2, "past every bound");
    assert_eq!(counts.iter().sum::<u64>(), 8);
}

#[test]
fn reason_series_are_capped() {
    let metrics = TollgateMetrics::builder().max_reason_series(2).build();
    for rule in ["a", "b", "c", "d"] {
        metrics.reasons.count("zone.deny", Some(&Arc::from(rule)), false);
    }
    metrics.reasons.count("zone.deny", Some(&Arc::from("a")), false);
    let mut registry = Registry::default();
    metrics.register(&mut registry);
    let text = encode(&registry).unwrap();
    let series = |rule: &str| {
        value(
            &text,
            &format!(r#"tollgate_reasons_total{{code="zone.deny",rule="{rule}",mode="enforce"}}"#),
        )
    };
    assert_eq!(series("a"), Some(2.0), "{text}");
    assert_eq!(series("b"), Some(1.0));
    assert_eq!(series("c"), None);
    assert_eq!(series("_other"), Some(2.0));
}

#[test]
fn store_health_and_policy_versions() {
    let metrics = TollgateMetrics::new();
    let mut registry = Registry::default();
    metrics.register(&mut registry);
    metrics.store_transition(&StoreTransition::Failing {
        at: at(),
        error: "connection refused".into(),
    });
    let text = encode(&registry).unwrap();
    assert_eq!(value(&text, "tollgate_store_available"), Some(0.0));
    assert_eq!(
        value(&text, r#"tollgate_store_transitions_total{to="failing"}"#),
        Some(1.0)
    );
    assert!(!text.contains("connection refused"));
    metrics.store_transition(&StoreTransition::Recovered { at: at() });
    metrics.policy_applied("0123abcd");
    metrics.policy_reload(true);
    metrics.policy_applied("4567ef01");
    metrics.policy_reload(false);
    let text = encode(&registry).unwrap();
    assert_eq!(value(&text, "tollgate_store_available"), Some(1.0));
    assert_eq!(
        value(&text, r#"tollgate_store_transitions_total{to="recovered"}"#),
        Some(1.0)
    );
    assert_eq!(value(&text, r#"tollgate_policy_info{version="4567ef01"}"#), Some(1.0));
    assert!(!text.contains("0123abcd"), "only the version in force: {text}");
    assert_eq!(
        value(&text, r#"tollgate_policy_reloads_total{result="applied"}"#),
        Some(1.0)
    );
    assert_eq!(
        value(&text, r#"tollgate_policy_reloads_total{result="rejected"}"#),
        Some(1.0)
    );
}

#[test]
fn memory_store_evictions_are_read_at_scrape_time() {
    let engine = Arc::new(
        Engine::builder(Policy::default())
            .store(MemoryStore::new(50))
            .build()
            .unwrap(),
    );
    let mut registry = Registry::default();
    register_memory_store(&mut registry, Arc::clone(&engine));
    let before = encode(&registry).unwrap();
    assert_eq!(value(&before, "tollgate_store_max_keys"), Some(50.0), "{before}");
    assert_eq!(
        value(&before, r#"tollgate_store_evictions_total{state="live"}"#),
        Some(0.0)
    );
    // Distinct clients, all at one instant: nothing goes idle, the cap evicts live state.
    for i in 0..200u32 {
        let ip = std::net::Ipv4Addr::from(0xC633_6400 + i);
        engine.evaluate(&Event::new(EventKind::Login, at()).with_ip(ip.into()));
    }
    let after = encode(&registry).unwrap();
    assert!(value(&after, "tollgate_store_sweeps_total").unwrap() >= 1.0, "{after}");
    assert!(value(&after, r#"tollgate_store_evictions_total{state="live"}"#).unwrap() > 0.0);
    assert!(value(&after, "tollgate_store_keys").unwrap() <= 50.0);
}

static CLOCK_MS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn clock() -> Timestamp {
    Timestamp::from_unix_millis(CLOCK_MS.load(Ordering::Relaxed))
}

#[test]
fn attack_mode_and_the_settled_site_are_gauges() {
    use tollgate::Outcome;
    const DAY: u64 = 86_400_000;
    const MIN: u64 = 60_000;
    let mut policy = Policy::default();
    policy.limits.clear();
    let engine = Arc::new(Engine::new(policy).unwrap());
    let mut registry = Registry::default();
    crate::register_status(&mut registry, Arc::clone(&engine), clock);
    let start = NOW_MS / DAY * DAY + 22 * 60 * MIN;
    CLOCK_MS.store(start, Ordering::Relaxed);
    let text = encode(&registry).unwrap();
    assert_eq!(
        value(&text, r#"tollgate_attack_mode_scopes{level="site",warm="false"}"#),
        Some(0.0),
        "{text}"
    );
    assert_eq!(value(&text, "tollgate_site_settled"), None, "no verdict yet");
    // From 22:00 to 01:00 UTC, 100 logins a minute by 200 members on their
    // own laptops, one in ten failing; from 01:00, a list adds 30 unknown
    // usernames a minute.
    for min in 0..190 {
        let at = Timestamp::from_unix_millis(start + min * MIN);
        for i in 0..100u64 {
            let user = (min * 100 + i) % 200;
            let login = Event::new(EventKind::Login, at)
                .with_user(format!("member{user}"))
                .with_device(format!("laptop{user}"));
            let decision = engine.evaluate(&login);
            let outcome = if i % 10 == 0 {
                Outcome::failed(login)
            } else {
                Outcome::succeeded(login)
            };
            engine.record(&outcome.with_decision(&decision));
        }
        if min >= 180 {
            for i in 0..30 {
                engine.record(&Outcome::unknown_user(
                    Event::new(EventKind::Login, at).with_user(format!("list{min}-{i}")),
                ));
            }
        }
    }
    CLOCK_MS.store(start + 190 * MIN, Ordering::Relaxed);
    engine.evaluate(
        &Event::new(EventKind::Login, clock())
            .with_user("member1")
            .with_device("new phone"),
    );
    let text = encode(&registry).unwrap();
    assert_eq!(
        value(&text, r#"tollgate_attack_mode_scopes{level="site",warm="true"}"#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(&text, r#"tollgate_attack_mode_campaigns{level="site"}"#),
        Some(1.0),
        "{text}"
    );
    let failure = value(
        &text,
        r#"tollgate_attack_mode_site_ratio{share="failure",of="baseline"}"#,
    )
    .unwrap();
    assert!((failure - 0.1).abs() < 0.01, "{text}");
    let unknown = value(
        &text,
        r#"tollgate_attack_mode_site_ratio{share="unknown_user",of="window"}"#,
    )
    .unwrap();
    assert!((unknown - 30.0 / 130.0).abs() < 0.01, "{text}");
    // Day one's strangers were 180 members' first logins (the failing
    // tenth is always the same 20): 1.66 % of its 10,800 successful
    // logins, under the 2 % bound.
    assert_eq!(value(&text, "tollgate_site_settled"), Some(1.0), "{text}");
    assert_eq!(
        value(&text, r#"tollgate_site_stranger_ratio{span="yesterday"}"#),
        Some(0.0166)
    );
    assert_eq!(
        value(&text, r#"tollgate_site_stranger_ratio{span="week"}"#),
        Some(0.0166)
    );
    // The list stops; a window later the campaign is no longer on.
    CLOCK_MS.store(start + 200 * MIN, Ordering::Relaxed);
    let text = encode(&registry).unwrap();
    assert_eq!(
        value(&text, r#"tollgate_attack_mode_campaigns{level="site"}"#),
        Some(0.0),
        "{text}"
    );
    // The next day, before its first login, yesterday's verdict is not shown.
    CLOCK_MS.store(start + 200 * MIN + DAY, Ordering::Relaxed);
    let text = encode(&registry).unwrap();
    assert_eq!(value(&text, "tollgate_site_settled"), None, "{text}");
    assert_eq!(value(&text, r#"tollgate_site_stranger_ratio{span="yesterday"}"#), None);
}

#[test]
fn a_share_of_no_logins_is_no_gauge() {
    let engine = Arc::new(Engine::new(Policy::default()).unwrap());
    let mut registry = Registry::default();
    crate::register_status(&mut registry, Arc::clone(&engine), at);
    engine.evaluate(&Event::new(EventKind::Login, at()).with_user("alice"));
    let text = encode(&registry).unwrap();
    assert_eq!(value(&text, "tollgate_site_settled"), Some(0.0), "{text}");
    assert!(!text.contains("tollgate_site_stranger_ratio{"), "{text}");
}
