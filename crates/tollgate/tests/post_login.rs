//! Credential changes soon after a login (`[post_login]`), on hand-built
//! event sequences with time as an input.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::net::IpAddr;

use tollgate::policy::{MatchAction, Policy};
use tollgate::{
    Action, Asn, CredentialKind, Decision, DecisionSummary, Engine, Event, EventKind, Outcome, ReasonCode, RiskSignal,
    Timestamp,
};

const CHROME: &str = "t13d1516h2_8daaf6152771_02713d6af862";
const T0: u64 = 1_700_000_000_000;

/// A client: address, country, network.
type Client = (&'static str, &'static str, u32);
const LONDON: Client = ("81.2.69.10", "GB", 2856);
const PARIS: Client = ("90.10.20.30", "FR", 3215);

fn at(secs: u64) -> Timestamp {
    Timestamp::from_unix_millis(T0 + secs * 1000)
}

fn event(kind: EventKind, secs: u64, (ip, country, asn): Client) -> Event {
    Event::new(kind, at(secs))
        .with_user("alice")
        .with_ip(ip.parse::<IpAddr>().unwrap())
        .with_country(country.parse().unwrap())
        .with_asn(Asn(asn))
        .with_ja4(CHROME.parse().unwrap())
        .with_device("alice-laptop")
}

fn change(secs: u64, client: Client) -> Event {
    event(
        EventKind::CredentialChange {
            what: CredentialKind::Email,
        },
        secs,
        client,
    )
}

/// Evaluates a login and records it as succeeded with its decision, as an
/// adapter does once the password checked out.
fn log_in(engine: &Engine, secs: u64, client: Client) -> Decision {
    let login = event(EventKind::Login, secs, client);
    let decision = engine.evaluate(&login);
    engine.record(&Outcome::succeeded(login).with_decision(&decision));
    decision
}

/// An engine where alice has logged in from London three times, the
/// first more than a week ago: her laptop, the account's first client, is
/// past its probation.
fn with_history(policy: Policy) -> Engine {
    let engine = Engine::new(policy).unwrap();
    for day in [0, 8, 9] {
        log_in(&engine, day * 86_400, LONDON);
    }
    engine
}

fn codes(d: &Decision) -> Vec<ReasonCode> {
    d.reasons.iter().map(|r| r.code).collect()
}

const LATER: u64 = 10 * 86_400;

#[test]
fn a_change_minutes_after_a_login_from_a_new_country_is_challenged() {
    let engine = with_history(Policy::default());
    let login = log_in(&engine, LATER, PARIS);
    assert!(codes(&login).contains(&ReasonCode::NewCountry), "{login:?}");
    let d = engine.evaluate(&change(LATER + 300, PARIS));
    assert_eq!(d.action, Action::Challenge, "{d:?}");
    let r = d
        .reasons
        .iter()
        .find(|r| r.code == ReasonCode::ChangeAfterRiskyLogin)
        .unwrap();
    assert_eq!(r.rule.as_deref(), Some("post_login"));
    assert_eq!(r.action, Some(Action::Challenge));
    assert!(
        r.detail
            .starts_with("5 min after a successful login that was risky (new_country"),
        "{}",
        r.detail
    );
    assert!(!codes(&d).contains(&ReasonCode::ChangeAfterLogin));
}

#[test]
fn after_the_window_the_login_says_nothing() {
    let engine = with_history(Policy::default());
    log_in(&engine, LATER, PARIS);
    let d = engine.evaluate(&change(LATER + 3_600, PARIS));
    assert!(
        !codes(&d)
            .iter()
            .any(|c| matches!(c, ReasonCode::ChangeAfterLogin | ReasonCode::ChangeAfterRiskyLogin)),
        "{d:?}"
    );
    // The last second of the window still counts.
    let d = engine.evaluate(&change(LATER + 3_599, PARIS));
    assert!(codes(&d).contains(&ReasonCode::ChangeAfterRiskyLogin), "{d:?}");
}

#[test]
fn a_change_after_a_normal_login_only_scores_a_few_points() {
    let engine = with_history(Policy::default());
    let login = log_in(&engine, LATER, LONDON);
    assert!(login.is_allow() && login.reasons.is_empty(), "{login:?}");
    let d = engine.evaluate(&change(LATER + 300, LONDON));
    assert_eq!((d.action, d.score), (Action::Allow, 5), "{d:?}");
    assert_eq!(codes(&d), vec![ReasonCode::ChangeAfterLogin]);
    assert_eq!(d.reasons[0].detail, "5 min after a successful login");
}

#[test]
fn no_login_no_reason_and_failed_logins_write_nothing() {
    let engine = with_history(Policy::default());
    let d = engine.evaluate(&change(LATER, LONDON));
    assert!(d.reasons.is_empty(), "{d:?}");
    let failed = event(EventKind::Login, LATER + 10, PARIS).with_compromised_password(true);
    engine.record(&Outcome::failed(failed));
    let d = engine.evaluate(&change(LATER + 60, PARIS));
    assert!(!codes(&d).contains(&ReasonCode::ChangeAfterRiskyLogin), "{d:?}");
}

#[test]
fn without_the_decision_a_compromised_password_still_makes_the_login_risky() {
    let engine = with_history(Policy::default());
    let login = event(EventKind::Login, LATER, LONDON).with_compromised_password(true);
    engine.record(&Outcome::succeeded(login));
    let d = engine.evaluate(&change(LATER + 120, LONDON));
    assert_eq!(d.action, Action::Challenge, "{d:?}");
    let r = &d.reasons[0];
    assert_eq!(r.code, ReasonCode::ChangeAfterRiskyLogin);
    assert_eq!(
        r.detail,
        "2 min after a successful login that was risky (compromised_password)"
    );
}

#[test]
fn the_score_alone_can_make_a_login_risky() {
    let engine = with_history(Policy::default());
    let login = event(EventKind::Login, LATER, LONDON);
    let mut summary = DecisionSummary::default();
    summary.score = 14;
    engine.record(&Outcome::succeeded(login.clone()).with_summary(summary));
    assert_eq!(
        codes(&engine.evaluate(&change(LATER + 60, LONDON))),
        vec![ReasonCode::ChangeAfterLogin]
    );
    summary.score = 15;
    engine.record(&Outcome::succeeded(login).with_summary(summary));
    let d = engine.evaluate(&change(LATER + 60, LONDON));
    assert_eq!(
        d.reasons[0].detail,
        "60 s after a successful login that was risky (score 15)"
    );
}

#[test]
fn deny_and_trusted_step_ups_are_configurable() {
    let mut policy = Policy::default();
    policy.post_login.action = MatchAction::Deny;
    let engine = with_history(policy.clone());
    log_in(&engine, LATER, PARIS);
    assert_eq!(engine.evaluate(&change(LATER + 300, PARIS)).action, Action::Deny);

    policy.post_login.trust_step_up = true;
    let engine = with_history(policy);
    let login = event(EventKind::Login, LATER, LONDON);
    let mut summary = DecisionSummary::default();
    summary.signals = summary.signals.with(RiskSignal::CompromisedPassword);
    summary.challenged = true;
    engine.record(&Outcome::succeeded(login).with_summary(summary));
    let d = engine.evaluate(&change(LATER + 60, LONDON));
    assert_eq!(
        (d.action, codes(&d)),
        (Action::Allow, vec![ReasonCode::ChangeAfterLogin])
    );
}

#[test]
fn monitor_and_off() {
    let mut policy = Policy::default();
    policy.post_login.monitor = true;
    let engine = with_history(policy.clone());
    log_in(&engine, LATER, PARIS);
    let d = engine.evaluate(&change(LATER + 300, PARIS));
    assert_eq!(d.action, Action::Allow, "{d:?}");
    assert_eq!(d.monitored.unwrap().action, Action::Challenge);

    policy.post_login.enabled = false;
    let engine = with_history(policy);
    log_in(&engine, LATER, PARIS);
    let d = engine.evaluate(&change(LATER + 300, PARIS));
    assert!(d.reasons.is_empty(), "{d:?}");
}

#[test]
fn the_split_path_reads_and_writes_one_register() {
    let engine = with_history(Policy::default());
    let login = event(EventKind::Login, LATER, LONDON);
    let ops = engine.record_ops(&Outcome::succeeded(login));
    let writes = ops
        .iter()
        .filter(|op| matches!(op, tollgate::store::Op::RegisterSet { .. }))
        .count();
    // The post-login register (no position: impossible travel writes none).
    assert_eq!(writes, 1);
    let plan = engine.prepare(&change(LATER + 60, LONDON));
    assert!(
        plan.ops()
            .iter()
            .any(|op| matches!(op, tollgate::store::Op::RegisterGet { .. }))
    );
}
