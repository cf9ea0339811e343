//! The decision path end to end, with time as an input.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::net::IpAddr;
use std::time::Duration;

use proptest::prelude::*;
use tollgate::policy::{Dimension, LimitRule, OnExceed, Policy};
use tollgate::store::{MemoryStore, OpResult, Store};
use tollgate::{Action, Channel, Engine, Event, EventKind, EventType, Outcome, ReasonCode, Timestamp};

const T0: u64 = 1_700_000_000_000;

fn at(ms: u64) -> Timestamp {
    Timestamp::from_unix_millis(T0 + ms)
}

fn login(ms: u64, user: &str, ip: &str) -> Event {
    Event::new(EventKind::Login, at(ms))
        .with_user(user)
        .with_ip(ip.parse::<IpAddr>().unwrap())
}

fn policy(limits: Vec<LimitRule>) -> Policy {
    let mut p = Policy::default();
    p.limits = limits;
    // Only the limits under test: no resend backoff on OTP sends, no
    // stuffing detectors, no spike counters, no attack-mode or familiarity
    // reads.
    p.otp.resend.clear();
    p.stuffing.clear();
    p.spike.events.clear();
    p.campaign.enabled = false;
    p.familiarity.events.clear();
    p
}

fn per_ip(name: &str, rate: &str, burst: u32) -> LimitRule {
    LimitRule::new(
        name,
        &[EventType::Login],
        &[Dimension::Ip],
        rate.parse().unwrap(),
        burst,
    )
}

fn split_path(engine: &Engine, event: &Event) -> tollgate::Decision {
    let plan = engine.prepare(event);
    let mut results = vec![OpResult::Done; plan.ops().len()];
    engine.store().execute(plan.at(), plan.ops(), &mut results).unwrap();
    engine.conclude(plan, &results)
}

#[test]
fn throttle_carries_retry_after_and_rate_limit_info() {
    let engine = Engine::new(policy(vec![per_ip("ip", "6/min", 3)])).unwrap();
    for i in 0..3 {
        let d = engine.evaluate(&login(0, "u", "192.0.2.1"));
        assert!(d.is_allow());
        let rl = d.rate_limit.unwrap();
        assert_eq!((&*rl.policy, rl.limit, rl.remaining), ("ip", 3, 2 - i));
        assert_eq!(rl.window, Duration::from_secs(30));
    }
    let d = engine.evaluate(&login(300, "u", "192.0.2.1"));
    assert_eq!(
        d.action,
        Action::Throttle {
            retry_after: Duration::from_millis(9_700)
        }
    );
    assert_eq!(d.action.retry_after_secs(), Some(10));
    assert_eq!(d.reasons.len(), 1);
    assert_eq!(d.reasons[0].code, ReasonCode::LimitExceeded);
    assert_eq!(d.reasons[0].rule.as_deref(), Some("ip"));
    assert!(engine.evaluate(&login(10_000, "u", "192.0.2.1")).is_allow());
    assert!(
        engine.evaluate(&login(10_000, "u", "192.0.2.2")).is_allow(),
        "other keys unaffected"
    );
}

#[test]
fn rules_skip_events_missing_a_key_field_or_of_other_types() {
    let engine = Engine::new(policy(vec![per_ip("ip", "1/hour", 1)])).unwrap();
    let no_ip = Event::new(EventKind::Login, at(0)).with_user("u");
    for _ in 0..5 {
        assert!(engine.evaluate(&no_ip).is_allow());
    }
    let signup = Event::new(EventKind::Signup, at(0)).with_ip("192.0.2.1".parse().unwrap());
    for _ in 0..5 {
        assert!(engine.evaluate(&signup).is_allow());
    }
    assert!(engine.store().is_empty());
}

#[test]
fn channel_filters_apply_to_otp_rules() {
    let rule = LimitRule::new(
        "sms",
        &[EventType::OtpSend],
        &[Dimension::Phone],
        "1/hour".parse().unwrap(),
        1,
    )
    .channels(&[Channel::Sms]);
    let engine = Engine::new(policy(vec![rule])).unwrap();
    let send = |channel| {
        let e = Event::new(EventKind::OtpSend { channel }, at(0)).with_phone("+447700900001".parse().unwrap());
        engine.evaluate(&e).action
    };
    assert_eq!(send(Channel::Voice), Action::Allow);
    assert_eq!(send(Channel::Voice), Action::Allow);
    assert_eq!(send(Channel::Sms), Action::Allow);
    assert!(matches!(send(Channel::Sms), Action::Throttle { .. }));
}

#[test]
fn failure_rules_count_outcomes_and_reset_on_success() {
    let rule = LimitRule::new(
        "pair",
        &[EventType::Login],
        &[Dimension::User, Dimension::Ip],
        "10/15min".parse().unwrap(),
        3,
    )
    .counting_failures(true);
    let engine = Engine::new(policy(vec![rule])).unwrap();
    let attempt = login(0, "alice", "198.51.100.9");
    for _ in 0..10 {
        assert!(
            engine.evaluate(&attempt).is_allow(),
            "attempts alone never trip a failure rule"
        );
    }
    for _ in 0..3 {
        engine.record(&Outcome::failed(attempt.clone()));
    }
    let d = engine.evaluate(&attempt);
    assert!(matches!(d.action, Action::Throttle { .. }), "{d:?}");
    assert_eq!(d.reasons[0].code, ReasonCode::LimitFailures);
    let rl = d.rate_limit.as_ref().unwrap();
    assert_eq!(
        (&*rl.policy, rl.remaining),
        ("pair", 0),
        "a throttle advertises the quota that throttles"
    );
    assert!(
        engine.evaluate(&login(0, "alice", "198.51.100.10")).is_allow(),
        "other IP, other pair"
    );
    engine.record(&Outcome::succeeded(login(0, "alice", "198.51.100.9")));
    assert!(engine.evaluate(&attempt).is_allow(), "a success resets the pair");
}

#[test]
fn soft_limits_add_points_and_thresholds_decide() {
    let rule = per_ip("ip", "1/hour", 1).on_exceed(OnExceed::Score(30));
    let engine = Engine::new(policy(vec![rule])).unwrap();
    assert!(engine.evaluate(&login(0, "u", "192.0.2.1")).is_allow());
    let d = engine.evaluate(&login(0, "u", "192.0.2.1"));
    assert_eq!((d.action, d.score), (Action::Allow, 30));
    let compromised = login(0, "u", "192.0.2.1").with_compromised_password(true);
    let d = engine.evaluate(&compromised);
    assert_eq!(
        (d.action, d.score),
        (Action::Challenge, 80),
        "30 + 50 crosses challenge at 50, not deny at 90"
    );
}

#[test]
fn compromised_password_challenges_a_login_by_default() {
    let engine = Engine::new(Policy::default()).unwrap();
    let d = engine.evaluate(&login(0, "u", "192.0.2.1").with_compromised_password(true));
    assert_eq!((d.action, d.score), (Action::Challenge, 50));
    assert_eq!(d.reasons[0].code, ReasonCode::CompromisedPassword);
}

#[test]
fn monitor_mode_reports_without_enforcing() {
    let engine = Engine::new(policy(vec![per_ip("ip", "1/hour", 1).monitor(true)])).unwrap();
    engine.evaluate(&login(0, "u", "192.0.2.1"));
    let d = engine.evaluate(&login(0, "u", "192.0.2.1"));
    assert_eq!(d.action, Action::Allow);
    assert!(d.reasons[0].monitor);
    assert!(matches!(d.monitored.unwrap().action, Action::Throttle { .. }));
    assert_eq!(d.rate_limit, None, "monitored rules send no RateLimit headers");

    let mut global = Policy::default();
    global.monitor = true;
    let engine = Engine::new(global).unwrap();
    let d = engine.evaluate(&login(0, "u", "192.0.2.1").with_compromised_password(true));
    assert_eq!((d.action, d.score), (Action::Allow, 0));
    assert_eq!(d.monitored.unwrap().action, Action::Challenge);
}

#[test]
fn policy_swap_keeps_counters_by_rule_name() {
    let engine = Engine::new(policy(vec![per_ip("ip", "1/hour", 2)])).unwrap();
    engine.evaluate(&login(0, "u", "192.0.2.1"));
    engine.evaluate(&login(0, "u", "192.0.2.1"));
    // Same name, looser burst: the spent quota carries over.
    engine.set_policy(policy(vec![per_ip("ip", "1/hour", 3)])).unwrap();
    assert!(engine.evaluate(&login(0, "u", "192.0.2.1")).is_allow());
    assert!(!engine.evaluate(&login(0, "u", "192.0.2.1")).is_allow());
    // Renamed: a fresh quota.
    engine.set_policy(policy(vec![per_ip("ip-v2", "1/hour", 3)])).unwrap();
    assert!(engine.evaluate(&login(0, "u", "192.0.2.1")).is_allow());
    // An invalid policy is refused and the old one stays.
    assert!(engine.set_policy(policy(vec![per_ip("ip", "1/hour", 0)])).is_err());
    assert_eq!(engine.policy().limits[0].name, "ip-v2");
}

#[test]
fn key_cap_holds_when_attackers_rotate_addresses() {
    let engine = Engine::with_store(policy(vec![per_ip("ip", "30/min", 60)]), MemoryStore::new(1_000)).unwrap();
    for i in 0..100_000u32 {
        let ip = IpAddr::from((0x0a00_0000 + i).to_be_bytes());
        let d = engine.evaluate(&Event::new(EventKind::Login, at(u64::from(i))).with_ip(ip));
        assert!(d.is_allow());
        assert!(engine.store().len() <= 1_000);
    }
}

#[test]
fn store_failure_is_reported_not_hidden() {
    let engine = Engine::new(policy(vec![per_ip("ip", "1/hour", 1)])).unwrap();
    let plan = engine.prepare(&login(0, "u", "192.0.2.1"));
    assert_eq!(plan.ops().len(), 1);
    let d = engine.conclude(plan, &[]);
    assert!(d.is_allow());
    assert_eq!(d.reasons[0].code, ReasonCode::StoreIncomplete);
}

#[derive(Clone, Debug)]
struct Step {
    gap_ms: u64,
    user: u8,
    ip: u8,
    kind: u8,
    outcome: Option<bool>,
}

fn step() -> impl Strategy<Value = Step> {
    (0u64..3_000, 0u8..4, 0u8..4, 0u8..4, prop::option::of(any::<bool>())).prop_map(
        |(gap_ms, user, ip, kind, outcome)| Step {
            gap_ms,
            user,
            ip,
            kind,
            outcome,
        },
    )
}

fn event_for(s: &Step, ms: u64) -> Event {
    let kind = match s.kind {
        0 => EventKind::Login,
        1 => EventKind::Signup,
        2 => EventKind::OtpSend { channel: Channel::Sms },
        _ => EventKind::OtpVerify { channel: None },
    };
    Event::new(kind, at(ms))
        .with_user(format!("user{}", s.user))
        .with_ip(IpAddr::from([203, 0, 113, s.ip]))
        .with_phone(format!("+3712000000{}", s.user).parse().unwrap())
        .with_ja4("t13d1516h2_8daaf6152771_02713d6af862".parse().unwrap())
        .with_asn(tollgate::Asn(64500))
}

fn tight_policy() -> Policy {
    let mut p = Policy::default();
    for rule in &mut p.limits {
        rule.burst = rule.burst.min(3);
        rule.rate = "2/min".parse().unwrap();
    }
    p
}

proptest! {
    /// One code path, two drivers: `evaluate` and `prepare` + store +
    /// `conclude` give identical decisions on identical traffic.
    #[test]
    fn evaluate_and_split_path_agree(steps in prop::collection::vec(step(), 1..120)) {
        let a = Engine::new(tight_policy()).unwrap();
        let b = Engine::new(tight_policy()).unwrap();
        let mut ms = 0;
        for s in &steps {
            ms += s.gap_ms;
            let event = event_for(s, ms);
            prop_assert_eq!(a.evaluate(&event), split_path(&b, &event));
            if let Some(ok) = s.outcome {
                let outcome = if ok { Outcome::succeeded(event) } else { Outcome::failed(event) };
                a.record(&outcome);
                let ops = b.record_ops(&outcome);
                let mut results = vec![OpResult::Done; ops.len()];
                b.store().execute(outcome.event.at, &ops, &mut results).unwrap();
            }
        }
    }
}
