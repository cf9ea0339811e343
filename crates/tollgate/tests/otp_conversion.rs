//! Conversion feedback: number blocks and countries whose codes are never
//! verified gain points; the counts fade with their window.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use tollgate::policy::Policy;
use tollgate::{Action, Channel, Engine, Event, EventKind, Outcome, ReasonCode, Timestamp};

const T0: u64 = 1_700_000_000_000;
const MIN: u64 = 60_000;
const HOUR: u64 = 60 * MIN;

fn at(ms: u64) -> Timestamp {
    Timestamp::from_unix_millis(T0 + ms)
}

fn send(ms: u64, n: u64, phone: &str) -> Event {
    Event::new(EventKind::OtpSend { channel: Channel::Sms }, at(ms))
        .with_user(format!("user{n}"))
        .with_phone(phone.parse().unwrap())
}

fn verify(ms: u64, n: u64, phone: &str) -> Event {
    Event::new(
        EventKind::OtpVerify {
            channel: Some(Channel::Sms),
        },
        at(ms),
    )
    .with_user(format!("user{n}"))
    .with_phone(phone.parse().unwrap())
}

/// Only conversion feedback: no limits, caps, backoffs, country budget or
/// live signals.
fn engine() -> Engine {
    let mut policy = Policy::default();
    policy.limits.clear();
    policy.otp.caps.clear();
    policy.otp.resend.clear();
    policy.otp.budget.enabled = false;
    policy.otp.live.spike_points = 0;
    Engine::new(policy).unwrap()
}

/// Sends `count` codes to sequential numbers of the block `prefix`,
/// verifying the first `verified` of them.
fn traffic(engine: &Engine, start: u64, prefix: &str, count: u64, verified: u64) {
    for n in 0..count {
        let phone = format!("{prefix}{n:03}");
        let ms = start + n * MIN;
        assert!(engine.evaluate(&send(ms, n, &phone)).is_allow());
        engine.record(&Outcome::succeeded(send(ms, n, &phone)));
        if n < verified {
            engine.record(&Outcome::succeeded(verify(ms + 30_000, n, &phone)));
        }
    }
}

fn points(engine: &Engine, ms: u64, phone: &str, scope: &str) -> u8 {
    let d = engine.evaluate(&send(ms, 999, phone));
    d.reasons
        .iter()
        .filter(|r| r.code == ReasonCode::OtpLowConversion && r.detail.contains(scope))
        .map(|r| r.points)
        .sum()
}

#[test]
fn a_pumped_block_and_its_country_gain_points_and_are_challenged() {
    let engine = engine();
    // Austria: 20 codes to one block, none verified.
    traffic(&engine, 0, "+43660123", 20, 0);
    let d = engine.evaluate(&send(HOUR, 999, "+43660123500"));
    assert_eq!(d.action, Action::Challenge);
    assert_eq!(d.score, 60);
    assert_eq!(points(&engine, HOUR, "+43660123500", "number block"), 40);
    // Another Austrian block shares only the country's points.
    assert_eq!(points(&engine, HOUR, "+43660999500", "number block"), 0);
    assert_eq!(points(&engine, HOUR, "+43660999500", "destination country"), 20);
}

#[test]
fn verified_traffic_earns_nothing_and_partial_conversion_earns_part() {
    let engine = engine();
    traffic(&engine, 0, "+4915112345", 20, 16);
    assert_eq!(points(&engine, HOUR, "+4915112345999", "number block"), 0);
    assert_eq!(points(&engine, HOUR, "+4915112345999", "destination country"), 0);
    let engine = self::engine();
    // 2 of 20 verified: 10 % against the expected 25 %: 60 % of the points.
    traffic(&engine, 0, "+4915112345", 20, 2);
    assert_eq!(points(&engine, HOUR, "+4915112345999", "number block"), 24);
}

#[test]
fn a_block_far_below_its_countrys_share_scores_above_the_floor() {
    let run = |relative_percent: u8, country_points: u8| {
        let mut policy = (*engine().policy()).clone();
        policy.otp.conversion.relative_percent = relative_percent;
        policy.otp.conversion.country_points = country_points;
        let engine = Engine::new(policy).unwrap();
        // German members verify 90 of 100 codes; one block 5 of 20: 25 %,
        // at the floor, but under half the country's 79 %.
        traffic(&engine, 0, "+4915112345", 100, 90);
        traffic(&engine, 0, "+4915199999", 20, 5);
        // Before the counters' fixed window turns (106 minutes in).
        let ms = 101 * MIN;
        (
            points(&engine, ms, "+4915199999999", "number block"),
            points(&engine, ms, "+4915112345999", "number block"),
            engine.evaluate(&send(ms, 999, "+4915199999999")),
        )
    };
    let (pumped, members, decision) = run(50, 20);
    assert_eq!((pumped, members), (14, 0));
    let reason = decision
        .reasons
        .iter()
        .find(|r| r.code == ReasonCode::OtpLowConversion)
        .unwrap();
    assert!(
        reason
            .detail
            .contains("under the 39.6 % expected (50 % of its country's 79.2 %)"),
        "{}",
        reason.detail
    );
    assert!(decision.is_allow(), "points alone: a block is not refused for this");
    assert_eq!(run(0, 20).0, 0, "off: only the floor");
    // Without country points the country is still counted for its blocks' bar.
    let (pumped, _, decision) = run(50, 0);
    assert_eq!(pumped, 14);
    assert!(
        !decision
            .reasons
            .iter()
            .any(|r| r.detail.contains("destination country"))
    );
}

#[test]
fn too_few_sends_are_not_judged_and_old_sends_fade() {
    let engine = engine();
    traffic(&engine, 0, "+33612345", 19, 0);
    assert_eq!(points(&engine, HOUR, "+33612345999", "number block"), 0);
    traffic(&engine, 0, "+33698765", 20, 0);
    assert_eq!(points(&engine, 20 * MIN, "+33698765999", "number block"), 40);
    // Two windows later the counts are gone.
    assert_eq!(points(&engine, 48 * HOUR + 20 * MIN, "+33698765999", "number block"), 0);
}

#[test]
fn bad_conversion_settings_name_the_field() {
    let err = Policy::from_toml("[otp.conversion]\nprefix_points = 101").unwrap_err();
    assert_eq!(err.field(), Some("otp.conversion.prefix_points"));
    let err = Policy::from_toml("[otp.conversion]\nwindow_hours = 0").unwrap_err();
    assert_eq!(err.field(), Some("otp.conversion.window_hours"));
}
