//! The newcomer share (`otp.newcomer_share`): a pump that verifies its own
//! codes, so the country budget never fills, is still stepped up by the
//! share of codes going to brand-new accounts; members' codes, other
//! countries and hosts that record no decisions are left alone.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use tollgate::policy::{NewcomerShare, Policy};
use tollgate::{Action, Channel, Engine, Event, EventKind, Outcome, ReasonCode, RiskSignal, Timestamp};

const DAY: u64 = 86_400_000;

fn at(day: u64, ms: u64) -> Timestamp {
    Timestamp::from_unix_millis(1_700_006_400_000 / DAY * DAY + day * DAY + ms)
}

fn send(user: &str, number: &str, when: Timestamp) -> Event {
    Event::new(EventKind::OtpSend { channel: Channel::Sms }, when)
        .with_user(user)
        .with_phone(number.parse().unwrap())
}

fn uk(n: u64) -> String {
    format!("+447700{n:06}")
}

fn engine(change: impl FnOnce(&mut NewcomerShare)) -> Engine {
    let mut policy = Policy::default();
    // Only the share: the pump below verifies its codes, but the other
    // OTP signals would still react to its volume.
    policy.limits.clear();
    policy.otp.resend.clear();
    policy.otp.budget.enabled = false;
    policy.otp.conversion.prefix_points = 0;
    policy.otp.conversion.country_points = 0;
    policy.otp.live.numbers_points = 0;
    policy.otp.live.spike_points = 0;
    policy.otp.cross.signup_burst_points = 0;
    policy.spike.events.clear();
    change(&mut policy.otp.newcomer_share);
    Engine::new(policy).unwrap()
}

/// A send as the adapters run it: decided, then recorded with the decision
/// when it went out (a challenge the bot cannot pass never goes out).
fn run_send(engine: &Engine, event: Event, passes_challenge: bool) -> tollgate::Decision {
    let decision = engine.evaluate(&event);
    if decision.action == Action::Allow || (decision.action == Action::Challenge && passes_challenge) {
        engine.record(&Outcome::succeeded(event).with_decision(&decision));
    }
    decision
}

fn sign_up(engine: &Engine, user: &str, when: Timestamp) {
    engine.record(&Outcome::succeeded(Event::new(EventKind::Signup, when).with_user(user)));
}

/// A normal day: 100 members' codes and 10 new accounts' to the UK.
fn normal_day(engine: &Engine, d: u64) {
    for n in 0..100 {
        run_send(engine, send(&format!("member{n}"), &uk(n), at(d, n * 1_000)), true);
    }
    for n in 0..10 {
        let user = format!("d{d}new{n}");
        sign_up(engine, &user, at(d, 200_000 + n * 1_000));
        run_send(
            engine,
            send(&user, &uk(5_000 + d * 100 + n), at(d, 200_500 + n * 1_000)),
            true,
        );
    }
}

fn flagged(decision: &tollgate::Decision) -> bool {
    decision.reasons.iter().any(|r| r.code == ReasonCode::OtpNewcomerShare)
}

#[test]
fn a_pump_of_new_accounts_is_stepped_up_and_members_are_not() {
    let engine = engine(|_| {});
    for d in 0..3 {
        normal_day(&engine, d);
    }
    // Day 3: fresh accounts ask a code each, to distinct UK numbers.
    let mut first = None;
    for n in 0..200 {
        let user = format!("pump{n}");
        sign_up(&engine, &user, at(3, n * 1_000));
        let decision = run_send(&engine, send(&user, &uk(100_000 + n), at(3, n * 1_000 + 500)), false);
        assert!(decision.signals.contains(RiskSignal::NewAccount));
        if flagged(&decision) && first.is_none() {
            first = Some(n);
            assert_eq!(decision.action, Action::Challenge);
        }
    }
    // 20 new accounts' sends are needed, and three times the odds of 10
    // per 100: it fires within the first 30.
    let first = first.unwrap();
    assert!((20..30).contains(&first), "{first}");
    // A member's code to the same country is untouched...
    let member = engine.evaluate(&send("member7", &uk(7), at(3, 300_000)));
    assert!(!flagged(&member) && !member.signals.contains(RiskSignal::NewAccount));
    assert_eq!(member.action, Action::Allow);
    // ...and so is a new account's code to another country.
    sign_up(&engine, "newcomer", at(3, 300_000));
    let us = engine.evaluate(&send("newcomer", "+12025550143", at(3, 300_500)));
    assert!(!flagged(&us));
    // The next day starts afresh: the pump's stepped-up sends were never
    // recorded, so they did not teach the baseline.
    sign_up(&engine, "tomorrow", at(4, 1_000));
    assert!(!flagged(&engine.evaluate(&send(
        "tomorrow",
        &uk(300_000),
        at(4, 1_500)
    ))));
}

#[test]
fn a_young_country_or_a_host_without_decisions_is_not_judged() {
    // No day before: no baseline.
    let young = engine(|_| {});
    for n in 0..100 {
        let user = format!("pump{n}");
        sign_up(&young, &user, at(0, n * 1_000));
        assert!(!flagged(&run_send(
            &young,
            send(&user, &uk(100_000 + n), at(0, n * 1_000 + 500)),
            false
        )));
    }
    // Outcomes recorded without their decisions say nothing of who asked.
    let blind = engine(|_| {});
    for n in 0..300 {
        let user = format!("u{n}");
        if n % 3 == 0 {
            sign_up(&blind, &user, at(0, n * 1_000));
        }
        blind.record(&Outcome::succeeded(send(&user, &uk(n), at(0, n * 1_000 + 500))));
    }
    for n in 0..100 {
        let user = format!("pump{n}");
        sign_up(&blind, &user, at(1, n * 1_000));
        let event = send(&user, &uk(100_000 + n), at(1, n * 1_000 + 500));
        assert!(!flagged(&blind.evaluate(&event)));
        blind.record(&Outcome::succeeded(event));
    }
}

#[test]
fn monitor_only_reports_and_a_sign_up_long_ago_is_no_new_account() {
    let engine = engine(|s| s.monitor = true);
    normal_day(&engine, 0);
    // Signed up two hours before asking: not a new account's send.
    sign_up(&engine, "old", at(1, 0));
    let later = engine.evaluate(&send("old", &uk(99), at(1, 2 * 3_600_000)));
    assert!(!later.signals.contains(RiskSignal::NewAccount));
    let mut last = None;
    for n in 0..60 {
        let user = format!("pump{n}");
        sign_up(&engine, &user, at(1, 3 * 3_600_000 + n * 1_000));
        last = Some(run_send(
            &engine,
            send(&user, &uk(100_000 + n), at(1, 3 * 3_600_000 + n * 1_000 + 500)),
            false,
        ));
    }
    let last = last.unwrap();
    assert!(
        last.reasons
            .iter()
            .any(|r| r.code == ReasonCode::OtpNewcomerShare && r.monitor)
    );
    assert_eq!(last.action, Action::Allow);
}

/// A change to the section, and the field its error names.
type Case = (fn(&mut NewcomerShare), &'static str);

#[test]
fn validation_names_the_field() {
    let cases: [Case; 4] = [
        (|s| s.min_sends = 0, "otp.newcomer_share.min_sends"),
        (|s| s.factor = 1, "otp.newcomer_share.factor"),
        (|s| s.significance = 1, "otp.newcomer_share.significance"),
        (|s| s.lookback_days = 32, "otp.newcomer_share.lookback_days"),
    ];
    for (change, field) in cases {
        let mut policy = Policy::default();
        change(&mut policy.otp.newcomer_share);
        assert_eq!(Engine::new(policy).unwrap_err().field(), Some(field));
    }
}
