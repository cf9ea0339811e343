//! Observers: exact calls for exact events, thresholds, both drivers, masking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::sync::{Arc, Mutex};

use tollgate::observe::{Observation, ObserveWhen, Observer};
use tollgate::policy::Policy;
use tollgate::store::{OpResult, Store};
use tollgate::{Action, Asn, Channel, Country, E164, Engine, Event, EventKind, Ja4, Timestamp};

/// What one observation held, owned.
#[derive(Debug, PartialEq)]
struct Seen {
    summary: String,
    debug: String,
}

#[derive(Debug, Default)]
struct Recorder(Mutex<Vec<Seen>>);

impl Observer for Recorder {
    fn observe(&self, o: &Observation<'_>) {
        let codes: Vec<&str> = o.reason_codes().map(|c| c.as_str()).collect();
        let opt = |v: Option<String>| v.unwrap_or_else(|| "-".into());
        let summary = format!(
            "{} {} {} [{}] ip={} user={} phone={} phone_country={} country={} asn={} ja4={} monitored={}",
            o.event_type,
            o.action.as_str(),
            o.score,
            codes.join(","),
            opt(o.ip_prefix.map(|n| n.to_string())),
            opt(o.user.map(|u| u.to_string())),
            opt(o.phone.map(|p| p.to_string())),
            opt(o.phone_country.map(|c| c.to_string())),
            opt(o.country.map(|c| c.to_string())),
            opt(o.asn.map(|a| a.to_string())),
            opt(o.ja4.map(|j| j.to_string())),
            opt(o.monitored.map(|v| v.action.as_str().to_owned())),
        );
        self.0.lock().unwrap().push(Seen {
            summary,
            debug: format!("{o:?}"),
        });
    }
}

impl Recorder {
    fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }

    fn summaries(&self) -> Vec<String> {
        self.take().into_iter().map(|s| s.summary).collect()
    }
}

const JA4: &str = "t13d1516h2_8daaf6152771_02713d6af862";
const PHONE: &str = "+447312345123";

fn policy() -> Policy {
    let mut p =
        Policy::from_toml("[[zones]]\nname = \"blocked\"\ncidrs = [\"198.51.100.0/24\"]\naction = \"deny\"").unwrap();
    p.limits.clear();
    p.stuffing.clear();
    p.spike.events.clear();
    p.otp.resend.clear();
    p
}

fn login(ip: &str) -> Event {
    Event::new(EventKind::Login, Timestamp::from_unix_millis(1_000))
        .with_ip(ip.parse().unwrap())
        .with_user("alice@example.com")
        .with_ja4(JA4.parse::<Ja4>().unwrap())
        .with_country("GB".parse::<Country>().unwrap())
        .with_asn(Asn(64_500))
}

fn observed(when: ObserveWhen) -> (Engine, Arc<Recorder>) {
    let recorder = Arc::new(Recorder::default());
    let engine = Engine::builder(policy())
        .key_seed(7)
        .observer(recorder.clone(), when)
        .build()
        .unwrap();
    (engine, recorder)
}

#[test]
fn challenges_and_denials_are_observed_allows_are_not() {
    let (engine, seen) = observed(ObserveWhen::default());
    assert!(engine.evaluate(&login("203.0.113.7")).is_allow());
    assert!(seen.take().is_empty(), "an allow below the threshold is not observed");

    let risky = login("203.0.113.7").with_compromised_password(true);
    assert_eq!(engine.evaluate(&risky).action, Action::Challenge);
    assert_eq!(engine.evaluate(&login("198.51.100.9")).action, Action::Deny);
    let got = seen.summaries();
    assert_eq!(got.len(), 2);
    let user = got[0]
        .split(" user=")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(user.len(), 16, "a 64-bit keyed hash in hex");
    assert_eq!(
        got,
        [
            format!(
                "login challenge 50 [credentials.compromised_password] ip=203.0.113.0/24 user={user} phone=- \
                 phone_country=- country=GB asn=AS64500 ja4={JA4} monitored=-"
            ),
            format!(
                "login deny 0 [zone.match] ip=198.51.100.0/24 user={user} phone=- phone_country=- country=GB \
                 asn=AS64500 ja4={JA4} monitored=-"
            ),
        ]
    );
}

#[test]
fn thresholds_by_action_and_by_score_are_respected() {
    let (engine, seen) = observed(ObserveWhen::action(Action::Deny));
    engine.evaluate(&login("203.0.113.7").with_compromised_password(true));
    engine.evaluate(&login("198.51.100.9"));
    let got = seen.summaries();
    assert_eq!(got.len(), 1);
    assert!(got[0].starts_with("login deny 0 [zone.match]"), "{got:?}");

    let (engine, seen) = observed(ObserveWhen::score(50));
    engine.evaluate(&login("203.0.113.7").with_compromised_password(true));
    engine.evaluate(&login("198.51.100.9"));
    let got = seen.summaries();
    assert_eq!(got.len(), 1, "the deny scored 0: {got:?}");
    assert!(got[0].starts_with("login challenge 50"), "{got:?}");
}

#[test]
fn the_split_path_notifies_like_evaluate() {
    let (engine, seen) = observed(ObserveWhen::default());
    let plan = engine.prepare(&login("198.51.100.9"));
    let mut results = vec![OpResult::Done; plan.ops().len()];
    engine.store().execute(plan.at(), plan.ops(), &mut results).unwrap();
    let split = engine.conclude(plan, &results);
    engine.evaluate(&login("198.51.100.9"));
    let got = seen.summaries();
    assert_eq!(split.action, Action::Deny);
    assert_eq!(got.len(), 2);
    assert_eq!(got[0], got[1]);
}

#[test]
fn monitored_verdicts_are_observed_unless_turned_off() {
    let mut p = policy();
    p.monitor = true;
    let recorder = Arc::new(Recorder::default());
    let engine = Engine::builder(p)
        .observer(recorder.clone(), ObserveWhen::default())
        .build()
        .unwrap();
    assert!(engine.evaluate(&login("198.51.100.9")).is_allow());
    let got = recorder.summaries();
    assert_eq!(got.len(), 1);
    assert!(
        got[0].starts_with("login allow 0 [zone.match]") && got[0].ends_with("monitored=deny"),
        "{got:?}"
    );
    engine.set_observer(recorder.clone(), ObserveWhen::default().with_monitored(false));
    engine.evaluate(&login("198.51.100.9"));
    assert!(recorder.take().is_empty());
}

#[test]
fn observers_can_be_set_replaced_and_removed() {
    let engine = Engine::new(policy()).unwrap();
    let (first, second) = (Arc::new(Recorder::default()), Arc::new(Recorder::default()));
    engine.evaluate(&login("198.51.100.9"));
    engine.set_observer(first.clone(), ObserveWhen::default());
    engine.evaluate(&login("198.51.100.9"));
    engine.set_observer(second.clone(), ObserveWhen::default());
    engine.evaluate(&login("198.51.100.9"));
    engine.remove_observer();
    engine.evaluate(&login("198.51.100.9"));
    assert_eq!((first.take().len(), second.take().len()), (1, 1));
}

#[test]
fn observations_hold_no_identifier_in_clear() {
    let (engine, seen) = observed(ObserveWhen::score(0));
    let send = Event::new(
        EventKind::OtpSend { channel: Channel::Sms },
        Timestamp::from_unix_millis(1_000),
    )
    .with_ip("2001:db8:1234:5678:9abc:def0:1234:5678".parse().unwrap())
    .with_user("alice@example.com")
    .with_phone(PHONE.parse::<E164>().unwrap());
    engine.evaluate(&send);
    engine.evaluate(&login("203.0.113.7"));
    let got = seen.take();
    assert_eq!(got.len(), 2);
    assert!(
        got[0].summary.contains("ip=2001:db8:1234::/48 user="),
        "{}",
        got[0].summary
    );
    assert!(
        got[0].summary.contains("phone=+44********23 phone_country=GB"),
        "{}",
        got[0].summary
    );
    for s in &got {
        let all = format!("{}{}", s.summary, s.debug);
        for clear in [
            "alice",
            "example.com",
            "203.0.113.7",
            "9abc",
            "def0",
            "7312345",
            "447312345123",
        ] {
            assert!(!all.contains(clear), "{clear} in {all}");
        }
    }
}

/// Counts decisions and asks for no identifiers, as a metrics exporter does.
#[derive(Debug, Default)]
struct Counter(Recorder);

impl Observer for Counter {
    fn observe(&self, o: &Observation<'_>) {
        self.0.observe(o);
    }

    fn identifiers(&self) -> bool {
        false
    }
}

#[test]
fn an_observer_that_wants_no_identifiers_gets_none() {
    let counter = Arc::new(Counter::default());
    let engine = Engine::builder(policy())
        .key_seed(7)
        .observer(counter.clone(), ObserveWhen::default())
        .build()
        .unwrap();
    assert_eq!(engine.evaluate(&login("198.51.100.9")).action, Action::Deny);
    let send = Event::new(
        EventKind::OtpSend { channel: Channel::Sms },
        Timestamp::from_unix_millis(1_000),
    )
    .with_ip("198.51.100.9".parse().unwrap())
    .with_user("alice@example.com")
    .with_phone(PHONE.parse::<E164>().unwrap());
    assert_eq!(engine.evaluate(&send).action, Action::Deny);
    assert_eq!(
        counter.0.summaries(),
        [
            "login deny 0 [zone.match] ip=- user=- phone=- phone_country=- country=- asn=- ja4=- monitored=-",
            "otp_send deny 0 [zone.match] ip=- user=- phone=- phone_country=- country=- asn=- ja4=- monitored=-",
        ]
    );
    // The same engine with an observer that wants them masks them again.
    let recorder = Arc::new(Recorder::default());
    engine.set_observer(recorder.clone(), ObserveWhen::default());
    engine.evaluate(&login("198.51.100.9"));
    let got = recorder.summaries();
    assert!(got[0].contains("ip=198.51.100.0/24 user="), "{got:?}");
}
