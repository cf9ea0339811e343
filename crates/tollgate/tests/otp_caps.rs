//! Org-wide service caps per channel: trip, lockout, reopen.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::time::Duration;

use tollgate::policy::{Policy, ServiceCap};
use tollgate::store::{MemoryStore, OpResult, Store};
use tollgate::{Action, Channel, Engine, Event, EventKind, Outcome, ReasonCode, Timestamp};

const T0: u64 = 1_700_000_000_000;
const MIN: u64 = 60_000;

fn send(ms: u64, channel: Channel, n: u64) -> Event {
    // A new user and number for every send, so no per-key limit interferes.
    Event::new(EventKind::OtpSend { channel }, Timestamp::from_unix_millis(T0 + ms))
        .with_user(format!("user{n}"))
        .with_phone(format!("+4477009{n:05}").parse().unwrap())
}

fn capped(caps: Vec<ServiceCap>) -> Engine {
    let mut policy = Policy::default();
    policy.limits.clear();
    policy.otp.caps = caps;
    Engine::new(policy).unwrap()
}

/// Evaluates a send and, when allowed, records it as sent.
fn send_and_record(engine: &Engine, event: Event) -> Action {
    let d = engine.evaluate(&event);
    if d.is_allow() {
        engine.record(&Outcome::succeeded(event));
    }
    d.action
}

#[test]
fn a_tripped_channel_is_throttled_for_the_lockout_alone_then_reopens() {
    let engine = capped(vec![ServiceCap::new(
        "per-channel",
        &[Channel::Sms, Channel::Voice],
        "3/h".parse().unwrap(),
    )]);
    for n in 0..3 {
        assert_eq!(send_and_record(&engine, send(n * MIN, Channel::Sms, n)), Action::Allow);
    }
    // The third send reached the cap at minute 2: 24 hours of lockout from then.
    let lockout = 24 * 60 * MIN;
    let d = engine.evaluate(&send(10 * MIN, Channel::Sms, 10));
    assert_eq!(
        d.action,
        Action::Throttle {
            retry_after: Duration::from_millis(lockout - 8 * MIN)
        }
    );
    assert_eq!(d.reasons[0].code, ReasonCode::OtpServiceCap);
    assert_eq!(d.reasons[0].rule.as_deref(), Some("per-channel"));
    // Voice is capped on its own counter.
    for n in 20..23 {
        assert_eq!(
            send_and_record(&engine, send(11 * MIN, Channel::Voice, n)),
            Action::Allow
        );
    }
    // Email and WhatsApp are not capped at all.
    assert_eq!(
        send_and_record(&engine, send(12 * MIN, Channel::Whatsapp, 30)),
        Action::Allow
    );
    // Still locked one millisecond before the lockout ends, open at its end.
    let before = engine.evaluate(&send(2 * MIN + lockout - 1, Channel::Sms, 40));
    assert_eq!(before.action.retry_after_secs(), Some(1));
    assert_eq!(
        send_and_record(&engine, send(2 * MIN + lockout, Channel::Sms, 41)),
        Action::Allow
    );
}

#[test]
fn refused_sends_never_use_up_the_cap() {
    let engine = capped(vec![ServiceCap::new("sms", &[Channel::Sms], "2/h".parse().unwrap())]);
    // Evaluated but never sent (refused by the app, or by another rule).
    for n in 0..10 {
        assert_eq!(engine.evaluate(&send(n, Channel::Sms, n)).action, Action::Allow);
    }
    // A failed send is not a send either.
    engine.record(&Outcome::failed(send(20, Channel::Sms, 20)));
    assert_eq!(send_and_record(&engine, send(30, Channel::Sms, 30)), Action::Allow);
    assert_eq!(send_and_record(&engine, send(40, Channel::Sms, 31)), Action::Allow);
    assert!(matches!(
        engine.evaluate(&send(50, Channel::Sms, 32)).action,
        Action::Throttle { .. }
    ));
}

#[test]
fn monitored_caps_report_the_lockout_without_enforcing_it() {
    let mut cap = ServiceCap::new("sms", &[Channel::Sms], "1/h".parse().unwrap());
    cap.monitor = true;
    cap.lockout_minutes = 60;
    let engine = capped(vec![cap]);
    assert_eq!(send_and_record(&engine, send(0, Channel::Sms, 0)), Action::Allow);
    let d = engine.evaluate(&send(MIN, Channel::Sms, 1));
    assert_eq!(d.action, Action::Allow);
    assert_eq!(
        d.monitored.unwrap().action,
        Action::Throttle {
            retry_after: Duration::from_millis(59 * MIN)
        }
    );
}

#[test]
fn the_split_path_checks_and_charges_like_evaluate() {
    let mut policy = Policy::default();
    policy.limits.clear();
    policy.otp.caps = vec![ServiceCap::new("sms", &[Channel::Sms], "1/h".parse().unwrap())];
    let engine = Engine::new(policy).unwrap();
    let store = MemoryStore::new(100);
    let run = |event: &Event| {
        let plan = engine.prepare(event);
        let mut results = vec![OpResult::Done; plan.ops().len()];
        store.execute(plan.at(), plan.ops(), &mut results).unwrap();
        engine.conclude(plan, &results).action
    };
    let first = send(0, Channel::Sms, 0);
    assert_eq!(run(&first), Action::Allow);
    let ops = engine.record_ops(&Outcome::succeeded(first.clone()));
    let mut results = vec![OpResult::Done; ops.len()];
    store.execute(first.at, &ops, &mut results).unwrap();
    assert!(matches!(run(&send(MIN, Channel::Sms, 1)), Action::Throttle { .. }));
    // The engine's own store saw none of it.
    assert_eq!(engine.evaluate(&send(MIN, Channel::Sms, 1)).action, Action::Allow);
}

#[test]
fn no_cap_by_default_and_bad_caps_name_the_field() {
    assert!(
        Policy::default().otp.caps.is_empty(),
        "a cap must be sized by its operator"
    );
    let caps = Policy::from_toml("[[otp.caps]]\nname = \"sms\"\nchannels = [\"sms\"]\nrate = \"8000/h\"")
        .unwrap()
        .otp
        .caps;
    assert_eq!(caps[0].channels, [Channel::Sms]);
    assert_eq!(caps[0].lockout_minutes, 1440, "24 h lockout unless set");
    let field = |toml: &str| Policy::from_toml(toml).unwrap_err().field().map(str::to_owned);
    assert_eq!(
        field("[[otp.caps]]\nname = \"x\"\nchannels = []\nrate = \"1/h\""),
        Some("otp.caps[0].channels".into())
    );
    assert_eq!(
        field("[[otp.caps]]\nname = \"x\"\nchannels = [\"sms\"]\nrate = \"1/h\"\nlockout_minutes = 0"),
        Some("otp.caps[0].lockout_minutes".into())
    );
    assert_eq!(
        field(
            "[[otp.caps]]\nname = \"x\"\nchannels = [\"sms\"]\nrate = \"1/h\"\n[[otp.caps]]\nname = \"x\"\nchannels = [\"voice\"]\nrate = \"1/h\""
        ),
        Some("otp.caps[1].name".into())
    );
}
