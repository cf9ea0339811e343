//! Live signals: many numbers from one client, destination-country spikes.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::net::IpAddr;

use tollgate::policy::Policy;
use tollgate::{Action, Channel, Engine, Event, EventKind, Outcome, ReasonCode, Timestamp};

const T0: u64 = 1_700_000_000_000;
const MIN: u64 = 60_000;
const HOUR: u64 = 60 * MIN;

fn send(ms: u64, user: &str, ua: &str, phone: &str) -> Event {
    Event::new(
        EventKind::OtpSend { channel: Channel::Sms },
        Timestamp::from_unix_millis(T0 + ms),
    )
    .with_user(user)
    .with_ip("198.51.100.7".parse::<IpAddr>().unwrap())
    .with_user_agent(ua)
    .with_phone(phone.parse().unwrap())
}

/// Only the live signals: no limits, caps, backoffs or conversion points.
fn engine() -> Engine {
    let mut policy = Policy::default();
    policy.limits.clear();
    policy.otp.caps.clear();
    policy.otp.resend.clear();
    policy.otp.conversion.prefix_points = 0;
    policy.otp.conversion.country_points = 0;
    Engine::new(policy).unwrap()
}

fn has(engine: &Engine, event: &Event, code: ReasonCode) -> bool {
    engine.evaluate(event).reasons.iter().any(|r| r.code == code)
}

#[test]
fn one_client_asking_for_many_numbers_is_challenged() {
    let engine = engine();
    for n in 0..5 {
        let d = engine.evaluate(&send(n * MIN, "mallory", "bot/1.0", &format!("+4915112345{n:03}")));
        assert!(d.is_allow(), "number {n}");
    }
    // The same number again is no new number.
    assert!(
        engine
            .evaluate(&send(6 * MIN, "mallory", "bot/1.0", "+4915112345000"))
            .is_allow()
    );
    let sixth = engine.evaluate(&send(7 * MIN, "mallory", "bot/1.0", "+4915112345005"));
    assert_eq!(sixth.action, Action::Challenge);
    assert_eq!(sixth.reasons[0].code, ReasonCode::OtpManyNumbers);
    assert_eq!(sixth.reasons[0].points, 40);
    // Another user agent on the same address is another client.
    assert!(
        engine
            .evaluate(&send(8 * MIN, "mallory", "Mozilla/5.0", "+4915112345006"))
            .is_allow()
    );
    // Two windows later the numbers are forgotten.
    assert!(
        engine
            .evaluate(&send(130 * MIN, "mallory", "bot/1.0", "+4915112345007"))
            .is_allow()
    );
}

/// Records `per_hour` sends to German numbers in each of `hours` hours.
fn baseline(engine: &Engine, start: u64, hours: u64, per_hour: u64) {
    for h in 0..hours {
        for n in 0..per_hour {
            let ms = start + h * HOUR + n * (HOUR / per_hour);
            let user = format!("user{h}-{n}");
            engine.record(&Outcome::succeeded(send(ms, &user, "Mozilla/5.0", "+4915112345678")));
        }
    }
}

#[test]
fn a_country_spiking_above_its_baseline_scores_and_a_busy_steady_one_does_not() {
    let quiet = engine();
    baseline(&quiet, 0, 144, 1);
    baseline(&quiet, 144 * HOUR, 1, 25);
    let probe = send(145 * HOUR, "probe", "Mozilla/5.0", "+4915112340000");
    assert!(has(&quiet, &probe, ReasonCode::OtpCountrySpike));
    // Another country is not affected.
    assert!(!has(
        &quiet,
        &send(145 * HOUR, "probe", "Mozilla/5.0", "+33612345678"),
        ReasonCode::OtpCountrySpike
    ));

    let busy = engine();
    baseline(&busy, 0, 144, 10);
    baseline(&busy, 144 * HOUR, 1, 25);
    assert!(!has(&busy, &probe, ReasonCode::OtpCountrySpike));

    // Fewer than spike_min_sends in the hour is no spike, whatever the baseline.
    let small = engine();
    baseline(&small, 0, 1, 19);
    assert!(!has(
        &small,
        &send(HOUR, "p", "Mozilla/5.0", "+4915112340000"),
        ReasonCode::OtpCountrySpike
    ));
}
