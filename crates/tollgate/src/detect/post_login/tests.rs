//! Post-login protection end to end: logins, then credential changes.

use super::*;
use crate::{Action, CredentialKind, Engine};

const HOUR: u64 = 3_600_000;

fn at(hours: u64) -> Timestamp {
    Timestamp::from_unix_millis(1_700_000_000_000 + hours * HOUR)
}

/// Logs `device` in at `hours` the way a host does: evaluate, then
/// record the success with its decision.
fn login(engine: &Engine, device: &str, hours: u64) -> crate::Decision {
    let event = Event::new(EventKind::Login, at(hours)).with_user("alice").with_device(device);
    let decision = engine.evaluate(&event);
    engine.record(&Outcome::succeeded(event).with_decision(&decision));
    decision
}

fn change(engine: &Engine, device: &str, hours: u64) -> Vec<ReasonCode> {
    let kind = EventKind::CredentialChange {
        what: CredentialKind::Email,
    };
    let event = Event::new(kind, at(hours)).with_user("alice").with_device(device);
    engine.evaluate(&event).reasons.iter().map(|r| r.code).collect()
}

fn with_probation(days: u8) -> Engine {
    let mut policy = Policy::default();
    policy.post_login.new_client_days = days;
    Engine::new(policy).unwrap()
}

#[test]
fn a_change_from_a_client_on_probation_is_stepped_up_hours_later() {
    let engine = with_probation(7);
    // An account's first login finds no history: its client is new,
    // and the account first-seen.
    let first = login(&engine, "phone", 0);
    assert!(first.signals.contains(RiskSignal::NewClient));
    assert!(first.signals.contains(RiskSignal::FirstSeenAccount));
    let decision = login(&engine, "laptop", 1);
    assert!(!decision.signals.contains(RiskSignal::FirstSeenAccount));
    assert!(decision.signals.contains(RiskSignal::NewClient));
    // Eight days on, the laptop is established: its first login's
    // probation is over and this login is not its first.
    let decision = login(&engine, "laptop", 8 * 24);
    assert!(!decision.signals.contains(RiskSignal::NewClient));
    assert!(!change(&engine, "laptop", 8 * 24 + 3).contains(&ReasonCode::ChangeFromNewClient));

    // A thief's ordinary-looking login from a new client...
    let decision = login(&engine, "thief", 8 * 24 + 4);
    assert!(decision.signals.contains(RiskSignal::NewClient));
    // ...and the email change well after the post-login window.
    let reasons = change(&engine, "thief", 8 * 24 + 9);
    assert!(reasons.contains(&ReasonCode::ChangeFromNewClient), "{reasons:?}");
    let kind = EventKind::CredentialChange {
        what: CredentialKind::Email,
    };
    let event = Event::new(kind, at(8 * 24 + 9)).with_user("alice").with_device("thief");
    assert_eq!(engine.evaluate(&event).action, Action::Challenge);
    // The owner's own device is not affected.
    assert!(!change(&engine, "laptop", 8 * 24 + 9).contains(&ReasonCode::ChangeFromNewClient));
    // Probation ends.
    assert!(!change(&engine, "thief", 16 * 24 + 5).contains(&ReasonCode::ChangeFromNewClient));
}

#[test]
fn an_accounts_first_client_may_reset_its_password_but_not_hand_the_account_over() {
    let engine = with_probation(7);
    // A stolen password on an account with no history: the thief's
    // login is the account's first.
    login(&engine, "thief", 0);
    assert!(change(&engine, "thief", 1).contains(&ReasonCode::ChangeFromNewClient));
    let password = EventKind::CredentialChange {
        what: CredentialKind::Password,
    };
    let reset = Event::new(password, at(1)).with_user("alice").with_device("thief");
    let reasons: Vec<ReasonCode> = engine.evaluate(&reset).reasons.iter().map(|r| r.code).collect();
    assert!(!reasons.contains(&ReasonCode::ChangeFromNewClient), "{reasons:?}");
}

#[test]
fn probation_off_or_no_decision_passed_writes_nothing() {
    let engine = with_probation(0);
    login(&engine, "laptop", 0);
    login(&engine, "thief", 1);
    assert!(!change(&engine, "thief", 3).contains(&ReasonCode::ChangeFromNewClient));

    let engine = with_probation(7);
    login(&engine, "laptop", 0);
    let event = Event::new(EventKind::Login, at(1)).with_user("alice").with_device("thief");
    engine.record(&Outcome::succeeded(event));
    assert!(!change(&engine, "thief", 3).contains(&ReasonCode::ChangeFromNewClient));
}

#[test]
fn probation_days_are_validated() {
    let mut policy = Policy::default();
    policy.post_login.new_client_days = 91;
    let err = Engine::new(policy).unwrap_err().to_string();
    assert!(err.contains("post_login.new_client_days"), "{err}");
}

#[test]
fn pack_round_trips() {
    let summary = DecisionSummary {
        score: 42,
        signals: RiskSignals::EMPTY
            .with(RiskSignal::NewDevice)
            .with(RiskSignal::Anonymous),
        challenged: true,
    };
    let at = Timestamp::from_unix_millis(1_700_000_000_999);
    assert_eq!(unpack(pack(at, &summary, true)), (1_700_000_000, summary, true));
    assert!(!unpack(pack(at, &summary, false)).2);
}
