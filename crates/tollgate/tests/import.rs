//! `Engine::import_login`: the service's own log of successful logins,
//! imported before going live, makes its members' devices and networks
//! familiar from the first day, and does nothing else.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use tollgate::policy::Policy;
use tollgate::{
    Action, Asn, Country, Decision, Engine, Event, EventKind, EventType, ImportError, Outcome, ReasonCode, RiskSignal,
    Timestamp,
};

const T0: u64 = 1_700_006_400_000 / 86_400_000 * 86_400_000;
const DAY: u64 = 86_400_000;

fn login(user: &str, day: u64, device: &str, ip: &str) -> Event {
    Event::new(EventKind::Login, Timestamp::from_unix_millis(T0 + day * DAY))
        .with_user(user)
        .with_country("DE".parse::<Country>().unwrap())
        .with_asn(Asn(3320))
        .with_device(device)
        .with_ip(ip.parse().unwrap())
}

fn has(decision: &Decision, code: ReasonCode) -> bool {
    decision.reasons.iter().any(|r| r.code == code)
}

/// Alice's week on her laptop at home, from the service's log.
fn imported(engine: &Engine) {
    for day in 0..7 {
        engine.import_login(&login("alice", day, "laptop", "81.2.3.7")).unwrap();
    }
}

#[test]
fn an_imported_device_and_network_are_familiar_on_the_first_day() {
    let engine = Engine::new(Policy::default()).unwrap();
    imported(&engine);
    let home = engine.evaluate(&login("alice", 8, "laptop", "81.2.3.7"));
    assert!(!has(&home, ReasonCode::NewDevice), "{:?}", home.reasons);
    assert!(!home.signals.contains(RiskSignal::NewClient));
    assert!(!home.signals.contains(RiskSignal::FirstSeenAccount));
    // A phone she never used, on a network she never used: new to her
    // account, which is no longer one without history.
    let elsewhere = engine.evaluate(&login("alice", 8, "phone", "203.0.113.9"));
    assert!(has(&elsewhere, ReasonCode::NewDevice));
    assert!(elsewhere.signals.contains(RiskSignal::NewClient));
    assert!(!elsewhere.signals.contains(RiskSignal::FirstSeenAccount));
}

#[test]
fn an_import_vouches_for_its_own_account_only() {
    let engine = Engine::new(Policy::default()).unwrap();
    imported(&engine);
    // Whoever holds alice's device id and line gets nothing for bob.
    let bob = engine.evaluate(&login("bob", 8, "laptop", "81.2.3.7"));
    assert!(bob.signals.contains(RiskSignal::FirstSeenAccount));
    assert!(bob.signals.contains(RiskSignal::NewClient));
}

/// Without the import, the same deployment meets alice as a stranger
/// under `stranger_after`... and with it, it knows her: the control the
/// import exists for.
#[test]
fn the_stranger_check_counts_imported_logins() {
    let strict = || {
        let mut p = Policy::default();
        p.limits.clear();
        p.familiarity.stranger_after = 5;
        Engine::new(p).unwrap()
    };
    let engine = strict();
    imported(&engine);
    let thief = engine.evaluate(&login("alice", 8, "fresh", "203.0.113.9"));
    assert!(has(&thief, ReasonCode::Stranger), "{:?}", thief.reasons);
    assert_eq!(thief.action, Action::Challenge);
    assert!(!has(
        &engine.evaluate(&login("alice", 8, "laptop", "81.2.3.7")),
        ReasonCode::Stranger
    ));
    // Without history the account is no established one: nothing to protect.
    let empty = strict();
    let first = empty.evaluate(&login("alice", 8, "fresh", "203.0.113.9"));
    assert!(!has(&first, ReasonCode::Stranger));
}

/// 300 members' logins on their laptops at home, `days` days of log.
fn members_log(engine: &Engine, days: u64) {
    for day in 0..days {
        for n in 0..300 {
            let home = format!("81.{}.{}.7", n / 250, n % 250);
            engine
                .import_login(&login(&format!("m{n}"), day, &format!("laptop{n}"), &home))
                .unwrap();
        }
    }
}

#[test]
fn the_day_after_an_imported_log_can_be_settled() {
    let engine = Engine::new(Policy::default()).unwrap();
    members_log(&engine, 3);
    // Day 3, the first live one: strangers were none of day 2's 300 logins,
    // so a stranger to any account is stepped up from the first login.
    let thief = engine.evaluate(&login("m5", 3, "fresh", "203.0.113.9"));
    let r = thief.reasons.iter().find(|r| r.code == ReasonCode::Stranger);
    assert!(
        r.is_some_and(|r| r.detail.contains("the site is settled")),
        "{:?}",
        thief.reasons
    );
    // A log of one day: every login in it was a first one, a stranger.
    let young = Engine::new(Policy::default()).unwrap();
    members_log(&young, 1);
    let early = young.evaluate(&login("m5", 1, "fresh", "203.0.113.9"));
    assert!(!has(&early, ReasonCode::Stranger), "{:?}", early.reasons);
}

#[test]
fn only_logins_with_a_user_are_imported() {
    let engine = Engine::new(Policy::default()).unwrap();
    let at = Timestamp::from_unix_millis(T0);
    let signup = Event::new(EventKind::Signup, at).with_user("alice");
    assert_eq!(
        engine.import_login(&signup),
        Err(ImportError::NotALogin(EventType::Signup))
    );
    let anonymous = Event::new(EventKind::Login, at).with_device("laptop");
    assert_eq!(engine.import_login(&anonymous), Err(ImportError::NoUser));
    assert!(engine.import_login_reads(&anonymous).is_err());
    assert!(engine.import_login_ops(&anonymous, &[]).is_err());
    let decision = engine.evaluate(&login("alice", 1, "laptop", "81.2.3.7"));
    assert!(decision.signals.contains(RiskSignal::FirstSeenAccount));
}

/// The import learns and nothing more: no limit is charged and no
/// decision's memory is written. A recorded failure would count against
/// the failure-counting limits; an import of the same login cannot.
#[test]
fn an_import_charges_no_limit() {
    let engine = Engine::new(Policy::default()).unwrap();
    for i in 0..200 {
        let e = login(&format!("member{i}"), 0, &format!("d{i}"), "81.2.3.7");
        engine.import_login(&e).unwrap();
        assert!(!engine.import_login_ops(&e, &[]).unwrap().is_empty());
    }
    let next = engine.evaluate(&login("member0", 0, "d0", "81.2.3.7"));
    assert_eq!(next.action, Action::Allow, "{:?}", next.reasons);
    // The same logins recorded as failures do trip the network's limit.
    let recorded = Engine::new(Policy::default()).unwrap();
    for i in 0..200 {
        recorded.record(&Outcome::failed(login(
            &format!("member{i}"),
            0,
            &format!("d{i}"),
            "81.2.3.7",
        )));
    }
    let after = recorded.evaluate(&login("member0", 0, "d0", "81.2.3.7"));
    assert_ne!(after.action, Action::Allow);
}

mod baselines {
    use super::*;
    use tollgate::LoginShares;

    fn at(user: &str, device: &str, ip: &str, min: u64) -> Event {
        Event::new(EventKind::Login, Timestamp::from_unix_millis(T0 + min * 60_000))
            .with_user(user)
            .with_country("DE".parse::<Country>().unwrap())
            .with_asn(Asn(3320))
            .with_device(device)
            .with_ip(ip.parse().unwrap())
    }

    /// Member `i`'s login in the log: one in 40 names no account, four
    /// fail.
    fn outcome(i: u64, min: u64) -> Outcome {
        let event = at(&format!("member{i}"), &format!("d{i}"), "81.2.3.7", min);
        match i % 40 {
            0 => Outcome::unknown_user(event),
            1..=4 => Outcome::failed(event),
            _ => Outcome::succeeded(event),
        }
    }

    fn policy() -> Policy {
        let mut p = Policy::default();
        p.limits.clear();
        p.stuffing.clear();
        p.spike.events.clear();
        p
    }

    /// A list under way from the first minute of a new deployment: 30
    /// unknown usernames a minute against 10 members' logins; then a
    /// member's login from a client and network she never used.
    fn list_then_stranger(engine: &Engine, from: u64) -> Decision {
        for min in from..from + 10 {
            for i in 0..10 {
                let event = at(&format!("member{i}"), &format!("d{i}"), "81.2.3.7", min);
                engine.evaluate(&event);
                engine.record(&Outcome::succeeded(event));
            }
            for i in 0..30 {
                engine.record(&Outcome::unknown_user(at(
                    &format!("list{min}-{i}"),
                    "bot",
                    "203.0.113.9",
                    min,
                )));
            }
        }
        engine.evaluate(&at("member3", "fresh", "198.51.100.4", from + 10))
    }

    #[test]
    fn a_logs_shares_make_a_new_deployment_call_a_campaign_at_once() {
        let engine = Engine::new(policy()).unwrap();
        let mut shares = LoginShares::default();
        for i in 0..2_000 {
            engine.tally_login(&mut shares, &outcome(i, i / 10));
        }
        assert_eq!(shares.logins(), 2_000);
        // The site, Germany, AS3320.
        assert_eq!(engine.import_baselines(&shares), 3);
        let d = list_then_stranger(&engine, 300);
        assert!(has(&d, ReasonCode::CampaignNewClient), "{:?}", d.reasons);
        // Without the seed, the first two hours are a warm-up.
        let fresh = Engine::new(policy()).unwrap();
        assert!(!has(&list_then_stranger(&fresh, 300), ReasonCode::CampaignNewClient));
    }

    #[test]
    fn a_thin_or_implausible_log_seeds_nothing() {
        let engine = Engine::new(policy()).unwrap();
        let seed = |outcomes: Vec<Outcome>| {
            let mut shares = LoginShares::default();
            for o in &outcomes {
                engine.tally_login(&mut shares, o);
            }
            engine.import_baselines(&shares)
        };
        assert_eq!(seed((0..100).map(|i| outcome(i, 0)).collect()), 0, "too few");
        let successes = (0..2_000).map(|i| Outcome::succeeded(outcome(i, 0).event));
        assert_eq!(seed(successes.collect()), 0, "no failure, no unknown username");
        let failures = (0..2_000).map(|i| match i % 10 {
            0 => Outcome::unknown_user(outcome(i, 0).event),
            _ => Outcome::failed(outcome(i, 0).event),
        });
        assert_eq!(seed(failures.collect()), 0, "a log of failures would blind attack mode");
    }
}
