//! Spend ceilings from a price list: per user, per destination country, org-wide.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::time::Duration;

use tollgate::policy::{Policy, SpendCeiling, SpendScope, parse_cost_csv};
use tollgate::{Action, Channel, Engine, Event, EventKind, Outcome, ReasonCode, Timestamp};

const T0: u64 = 1_700_000_000_000;
const MIN: u64 = 60_000;

fn send(ms: u64, channel: Channel, user: &str, phone: &str) -> Event {
    Event::new(EventKind::OtpSend { channel }, Timestamp::from_unix_millis(T0 + ms))
        .with_user(user)
        .with_phone(phone.parse().unwrap())
}

/// Prices in micro-dollars; only the spend controls are on.
fn engine(ceilings: Vec<SpendCeiling>) -> Engine {
    let mut policy = Policy::default();
    policy.limits.clear();
    policy.otp.caps.clear();
    policy.otp.resend.clear();
    policy.otp.spend.costs = parse_cost_csv("44,sms,40000\n44,voice,90000\n").unwrap();
    policy.otp.spend.default_cost = 10_000;
    policy.otp.spend.ceilings = ceilings;
    Engine::new(policy).unwrap()
}

fn send_and_record(engine: &Engine, event: Event) -> Action {
    let d = engine.evaluate(&event);
    if d.is_allow() {
        engine.record(&Outcome::succeeded(event));
    }
    d.action
}

#[test]
fn a_user_reaching_the_ceiling_waits_out_the_lockout() {
    let engine = engine(vec![SpendCeiling::new("spend-user", SpendScope::User, 100_000)]);
    // 40,000 + 40,000 + 40,000: the third send reaches 100,000.
    for n in 0..3 {
        let phone = format!("+44740012345{n}");
        assert_eq!(
            send_and_record(&engine, send(n * MIN, Channel::Sms, "u1", &phone)),
            Action::Allow
        );
    }
    let d = engine.evaluate(&send(5 * MIN, Channel::Sms, "u1", "+447400123459"));
    assert_eq!(
        d.action,
        Action::Throttle {
            retry_after: Duration::from_millis(24 * 60 * MIN - 3 * MIN)
        }
    );
    assert_eq!(d.reasons[0].code, ReasonCode::OtpSpendCap);
    assert!(d.reasons[0].detail.contains("120000"), "{}", d.reasons[0].detail);
    // Another user spends on their own counter.
    assert_eq!(
        send_and_record(&engine, send(5 * MIN, Channel::Sms, "u2", "+447400123459")),
        Action::Allow
    );
}

#[test]
fn a_country_ceiling_blocks_that_destination_only() {
    let engine = engine(vec![SpendCeiling::new("spend-country", SpendScope::Country, 150_000)]);
    // 90,000 + 90,000 for two voice calls to GB.
    assert_eq!(
        send_and_record(&engine, send(0, Channel::Voice, "a", "+447400123450")),
        Action::Allow
    );
    assert_eq!(
        send_and_record(&engine, send(MIN, Channel::Voice, "b", "+447400123451")),
        Action::Allow
    );
    assert!(matches!(
        engine
            .evaluate(&send(2 * MIN, Channel::Sms, "c", "+447400123452"))
            .action,
        Action::Throttle { .. }
    ));
    // Germany, unpriced: the default cost, its own counter.
    assert_eq!(
        send_and_record(&engine, send(2 * MIN, Channel::Sms, "c", "+4915112345678")),
        Action::Allow
    );
}

#[test]
fn an_org_ceiling_counts_every_priced_send_and_refusals_cost_nothing() {
    let mut ceiling = SpendCeiling::new("spend-org", SpendScope::Org, 50_000);
    ceiling.channels = vec![Channel::Sms];
    ceiling.lockout_minutes = 60;
    let engine = engine(vec![ceiling]);
    // Evaluated, never sent: nothing spent.
    for n in 0..10 {
        assert!(engine.evaluate(&send(n, Channel::Sms, "x", "+447400123450")).is_allow());
    }
    // Voice is not counted by this ceiling.
    assert_eq!(
        send_and_record(&engine, send(0, Channel::Voice, "x", "+447400123450")),
        Action::Allow
    );
    for n in 0..5 {
        assert_eq!(
            send_and_record(&engine, send(MIN, Channel::Sms, "x", &format!("+491511234567{n}"))),
            Action::Allow
        );
    }
    let d = engine.evaluate(&send(2 * MIN, Channel::Sms, "y", "+4915112345670"));
    assert_eq!(d.action.retry_after_secs(), Some(59 * 60));
    assert_eq!(
        send_and_record(&engine, send(61 * MIN, Channel::Sms, "y", "+4915112345670")),
        Action::Allow
    );
}

#[test]
fn bad_spend_settings_name_the_field() {
    let field = |toml: &str| Policy::from_toml(toml).unwrap_err().field().map(str::to_owned);
    assert_eq!(
        field("[[otp.spend.ceilings]]\nname = \"s\"\nper = \"user\"\namount = 0"),
        Some("otp.spend.ceilings[0].amount".into())
    );
    assert_eq!(
        field("[[otp.spend.costs]]\nprefix = \"44\"\nchannel = \"email\"\ncost = 1"),
        Some("otp.spend.costs[0].channel".into())
    );
    assert_eq!(
        field("[[otp.spend.ceilings]]\nname = \"s\"\nper = \"org\"\namount = 5\nperiod_hours = 0"),
        Some("otp.spend.ceilings[0].period_hours".into())
    );
}
