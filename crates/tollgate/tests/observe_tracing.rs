//! `TracingObserver`: one structured event per observed decision, captured
//! by a minimal subscriber. Needs the `tracing` feature.
#![cfg(feature = "tracing")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use tollgate::observe::{ObserveWhen, TracingObserver};
use tollgate::policy::Policy;
use tollgate::{Asn, Country, Engine, Event, EventKind, Timestamp};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Level, Metadata, Subscriber};

type Captured = Vec<(Level, String, BTreeMap<String, String>)>;

/// Keeps every event's level, target and fields.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Captured>>);

struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields(BTreeMap::new());
        event.record(&mut fields);
        let meta = event.metadata();
        self.0
            .lock()
            .unwrap()
            .push((*meta.level(), meta.target().to_owned(), fields.0));
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

fn login(ip: &str) -> Event {
    Event::new(EventKind::Login, Timestamp::from_unix_millis(1_000))
        .with_ip(ip.parse().unwrap())
        .with_user("alice@example.com")
        .with_country("GB".parse::<Country>().unwrap())
        .with_asn(Asn(64_500))
}

#[test]
fn one_event_per_observed_decision_with_masked_fields() {
    let mut policy =
        Policy::from_toml("[[zones]]\nname = \"blocked\"\ncidrs = [\"198.51.100.0/24\"]\naction = \"deny\"").unwrap();
    policy.limits.clear();
    policy.stuffing.clear();
    let engine = Engine::builder(policy)
        .observer(Arc::new(TracingObserver), ObserveWhen::default())
        .build()
        .unwrap();
    let capture = Capture::default();
    tracing::subscriber::with_default(capture.clone(), || {
        engine.evaluate(&login("203.0.113.7"));
        engine.evaluate(&login("203.0.113.7").with_compromised_password(true));
        engine.evaluate(&login("198.51.100.9"));
    });
    let events = capture.0.lock().unwrap().clone();
    assert_eq!(events.len(), 2, "the allow is below the threshold: {events:?}");
    let (level, target, fields) = &events[1];
    assert_eq!((*level, target.as_str()), (Level::WARN, TracingObserver::TARGET));
    let user = fields["user"].clone();
    assert_eq!(user.len(), 16);
    let expected: BTreeMap<String, String> = [
        ("message", "tollgate decision"),
        ("event_type", "login"),
        ("action", "deny"),
        ("score", "0"),
        ("reasons", "zone.match"),
        ("rules", "blocked"),
        ("ip_prefix", "198.51.100.0/24"),
        ("user", &user),
        ("country", "GB"),
        ("asn", "64500"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(fields, &expected);
    let (level, _, fields) = &events[0];
    assert_eq!(*level, Level::INFO);
    assert_eq!(fields["action"], "challenge");
    assert_eq!(fields["reasons"], "credentials.compromised_password");
    assert_eq!(fields["user"], user, "the same user, the same hash");
    let all = format!("{events:?}");
    assert!(!all.contains("alice") && !all.contains("203.0.113.7") && !all.contains("198.51.100.9"));
}
