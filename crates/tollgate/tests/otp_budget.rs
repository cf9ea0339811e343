//! The country budget of unverified codes (`otp.country_budget`): the
//! floor, the busiest recent day, the country's own normal, and numbers
//! that verified before, which it never touches.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use tollgate::policy::{CountryBudget, Policy};
use tollgate::{Action, Channel, Engine, Event, EventKind, Outcome, ReasonCode, Timestamp};

const DAY: u64 = 86_400_000;

fn at(day: u64, ms: u64) -> Timestamp {
    Timestamp::from_unix_millis(1_700_006_400_000 / DAY * DAY + day * DAY + ms)
}

fn event(kind: EventKind, user: &str, number: u64, when: Timestamp) -> Event {
    Event::new(kind, when)
        .with_user(user)
        .with_phone(format!("+447700{number:06}").parse().unwrap())
}

fn send(user: &str, number: u64, when: Timestamp) -> Event {
    event(EventKind::OtpSend { channel: Channel::Sms }, user, number, when)
}

fn engine(change: impl FnOnce(&mut CountryBudget)) -> Engine {
    let mut policy = Policy::default();
    // Only the budget: the other OTP signals would also react to the
    // traffic below.
    policy.limits.clear();
    policy.otp.resend.clear();
    policy.otp.conversion = tollgate::policy::Conversion::default();
    policy.otp.conversion.prefix_points = 0;
    policy.otp.conversion.country_points = 0;
    policy.otp.live = tollgate::policy::Live::default();
    policy.otp.live.numbers_points = 0;
    policy.otp.live.spike_points = 0;
    policy.spike.events.clear();
    change(&mut policy.otp.budget);
    Engine::new(policy).unwrap()
}

/// A day of `sent` codes to the country, the first `verified` verified.
fn day(engine: &Engine, d: u64, sent: u64, verified: u64) {
    for n in 0..sent {
        let user = format!("d{d}u{n}");
        let number = d * 10_000 + n;
        engine.record(&Outcome::succeeded(send(&user, number, at(d, n))));
        if n < verified {
            let verify = event(
                EventKind::OtpVerify {
                    channel: Some(Channel::Sms),
                },
                &user,
                number,
                at(d, n + 1),
            );
            engine.record(&Outcome::succeeded(verify));
        }
    }
}

fn over_budget(engine: &Engine, event: &Event) -> bool {
    engine
        .evaluate(event)
        .reasons
        .iter()
        .any(|r| r.code == ReasonCode::OtpCountryBudget)
}

#[test]
fn the_floor_holds_without_history() {
    let engine = engine(|_| {});
    day(&engine, 0, 19, 0);
    assert!(!over_budget(&engine, &send("new", 99_999, at(0, 50_000))));
    day(&engine, 0, 1, 0);
    let decision = engine.evaluate(&send("new", 99_999, at(0, 50_000)));
    assert_eq!(decision.action, Action::Challenge);
}

#[test]
fn the_budget_follows_the_busiest_recent_day() {
    let no_baseline = || engine(|b: &mut CountryBudget| b.baseline_factor = 0);
    let engine = no_baseline();
    // 200 verified on day 0, 100 on day 1: the budget on day 2 is 60.
    day(&engine, 0, 200, 200);
    day(&engine, 1, 100, 100);
    day(&engine, 2, 59, 0);
    assert!(!over_budget(&engine, &send("new", 99_999, at(2, 80_000))));
    day(&engine, 2, 1, 0);
    assert!(over_budget(&engine, &send("new", 99_999, at(2, 80_000))));
    // Sixteen days on, day 0 is out of the lookback: nothing before,
    // and today's own verified codes set the budget.
    let later = no_baseline();
    day(&later, 0, 200, 200);
    day(&later, 15, 70, 50);
    assert!(over_budget(&later, &send("new", 99_999, at(15, 80_000))));
}

#[test]
fn a_country_that_always_loses_codes_gets_room_for_its_normal() {
    // 40 % of codes unverified every day: 2/3 unverified per verified.
    let engine = engine(|_| {});
    for d in 0..3 {
        day(&engine, d, 100, 60);
    }
    // Day 3 as busy as the others: 40 unverified against a budget of
    // max(20, 30 % of 60, 2 x 2/3 x 60) = 80.
    day(&engine, 3, 100, 60);
    assert!(!over_budget(&engine, &send("new", 99_999, at(3, 80_000))));
    // A pump adds 40 more unverified codes: over.
    for n in 0..40 {
        engine.record(&Outcome::succeeded(send(
            &format!("p{n}"),
            170_000 + n,
            at(3, 90_000 + n),
        )));
    }
    assert!(over_budget(&engine, &send("new", 99_999, at(3, 99_000))));
}

#[test]
fn numbers_that_verified_before_are_never_touched() {
    let engine = engine(|_| {});
    day(&engine, 0, 10, 10);
    // The pump's day: well over the floor.
    for n in 0..100 {
        engine.record(&Outcome::succeeded(send(&format!("p{n}"), 170_000 + n, at(1, n))));
    }
    // Yesterday's users, on their own numbers: untouched.
    assert!(!over_budget(&engine, &send("d0u3", 3, at(1, 200))));
    // The same number for another account, or another number for the
    // account: not vouched for.
    assert!(over_budget(&engine, &send("stranger", 3, at(1, 200))));
    assert!(over_budget(&engine, &send("d0u3", 77_777, at(1, 200))));
    // Another country is not affected.
    let us = Event::new(EventKind::OtpSend { channel: Channel::Sms }, at(1, 300))
        .with_user("bob")
        .with_phone("+12025550143".parse().unwrap());
    assert!(!over_budget(&engine, &us));
}

#[test]
fn failures_count_nothing_and_monitor_only_reports() {
    let engine = engine(|b| b.monitor = true);
    for n in 0..50 {
        engine.record(&Outcome::failed(send(&format!("p{n}"), 170_000 + n, at(0, n))));
    }
    assert!(!over_budget(&engine, &send("new", 99_999, at(0, 100))));
    day(&engine, 0, 30, 0);
    let decision = engine.evaluate(&send("new", 99_999, at(0, 200)));
    assert!(
        decision
            .reasons
            .iter()
            .any(|r| r.code == ReasonCode::OtpCountryBudget && r.monitor)
    );
    assert_eq!(decision.action, Action::Allow);
}

#[test]
fn validation_names_the_field() {
    for (change, field) in [
        (
            Box::new(|b: &mut CountryBudget| b.min_daily = 0) as Box<dyn Fn(&mut CountryBudget)>,
            "otp.budget.min_daily",
        ),
        (
            Box::new(|b: &mut CountryBudget| b.peak_percent = 0),
            "otp.budget.peak_percent",
        ),
        (
            Box::new(|b: &mut CountryBudget| b.lookback_days = 32),
            "otp.budget.lookback_days",
        ),
        (
            Box::new(|b: &mut CountryBudget| b.baseline_factor = 11),
            "otp.budget.baseline_factor",
        ),
    ] {
        let mut policy = Policy::default();
        change(&mut policy.otp.budget);
        let err = Engine::new(policy).unwrap_err().to_string();
        assert!(err.contains(field), "{err}");
    }
}

#[test]
fn a_member_on_their_own_device_is_spared_and_a_fresh_account_is_not() {
    let open = engine(|_| {});
    // Mo signed in from his laptop.
    let login = Event::new(EventKind::Login, at(0, 0))
        .with_user("mo")
        .with_device("mos-laptop");
    open.record(&Outcome::succeeded(login));
    for n in 0..30 {
        open.record(&Outcome::succeeded(send(&format!("p{n}"), 170_000 + n, at(0, 100 + n))));
    }
    let own = send("mo", 99_990, at(0, 1_000)).with_device("mos-laptop");
    assert!(!over_budget(&open, &own));
    let fresh = send("bot7", 99_991, at(0, 1_000)).with_device("fresh-cookie");
    assert!(over_budget(&open, &fresh));
    // With the exemption off, Mo is stepped up like anyone.
    let strict = engine(|b: &mut CountryBudget| b.except.clear());
    strict.record(&Outcome::succeeded(
        Event::new(EventKind::Login, at(0, 0))
            .with_user("mo")
            .with_device("mos-laptop"),
    ));
    for n in 0..30 {
        strict.record(&Outcome::succeeded(send(&format!("p{n}"), 170_000 + n, at(0, 100 + n))));
    }
    assert!(over_budget(&strict, &own));
}
