//! `evaluate`: the cost of one decision on a login event.
//!
//! * `evaluate/login_minimal`: a policy with no limit rules, a login with an
//!   IP and a user — the fixed cost of the decision path.
//! * `evaluate/login_four_limits`: a policy with four limit rules on login
//!   (`ip`, `ja4`+`asn`, `user`, `ip_prefix`), events drawn from 10,000
//!   distinct users/IPs/networks/JA4+ASN pairs whose keys already exist in
//!   the store — the budgeted case (median under 2 µs, no allocation).
//! * `evaluate/default_policy`: the same events under `Policy::default()`
//!   (six rules apply to a login: three consume, three only peek).
//! * `evaluate/prepare_conclude`: the four-rule case through the split path
//!   (`prepare`, `MemoryStore::execute`, `conclude`), as a networked store's
//!   driver runs it, to show the split costs the same as `evaluate`.
//!
//! * `evaluate/otp_send_default_policy`: an SMS OTP send under
//!   `Policy::default()` — destination classification and rules, five
//!   limits, the SMS service cap, two resend backoffs, conversion, live and
//!   cross-check reads (15 operations). 10,000 senders, each with its own
//!   number block in Germany, each seen again every two simulated hours
//!   (720 ms per event) so that no limit or backoff refuses.
//!
//! * `evaluate/login_four_limits_mmdb`: the budgeted case in full — the four
//!   rules, and events that carry no country or ASN, so the engine looks
//!   them up in MaxMind's City and ASN test databases (`$TOLLGATE_TESTDATA`;
//!   skipped with a notice when unset). Addresses are the City database's
//!   hits from `expected_lookups.jsonl`; rates are raised so the few
//!   addresses never throttle.
//!
//! The other benches' events carry country and ASN as if resolved upstream
//! (by a CDN), so they make no lookup. All policies keep the default
//! signals (familiarity reads three store entries per login).
//!
//! Time is simulated: each evaluation gets the next instant of a clock that
//! advances 1 ms per event (see `tollgate_benches::EVENT_STEP`), so keys
//! refill between visits and every decision is an allow. The engine reads no
//! clock, so none is read here either.

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use tollgate::geo::{GeoDb, GeoSet};
use tollgate::policy::{Policy, Rate};
use tollgate::store::{OpResult, Store};
use tollgate::{Action, Channel, Country, Decision, E164, Engine, Event, EventKind, Timestamp};
use tollgate_benches::{Cycle, EVENT_POOL, EVENT_STEP, SimClock, four_limits_policy, login_events, minimal_policy};

/// Which driver runs the decision path.
#[derive(Clone, Copy)]
enum Path {
    /// `Engine::evaluate`.
    Evaluate,
    /// `Engine::prepare`, `MemoryStore::execute`, `Engine::conclude`.
    Split,
}

/// One decision through the split path, exactly as a caller-run store's
/// driver would make it (the results buffer lives on the stack).
fn split(engine: &Engine, event: &Event) -> Decision {
    let plan = engine.prepare(event);
    let mut results = [OpResult::Done; 16];
    let slots = results.get_mut(..plan.ops().len()).unwrap_or_default();
    match engine.store().execute(plan.at(), plan.ops(), slots) {
        Ok(()) => engine.conclude(plan, slots),
        Err(_) => engine.conclude(plan, &[]),
    }
}

fn decide(path: Path, engine: &Engine, event: &Event) -> Decision {
    match path {
        Path::Evaluate => engine.evaluate(event),
        Path::Split => split(engine, event),
    }
}

/// Decides on every event once, so that all keys exist, and checks that the
/// setup really is on the allow path.
fn warm(path: Path, engine: &Engine, events: &mut [Event], clock: &mut SimClock) {
    for event in events.iter_mut() {
        event.at = clock.tick();
        let decision = decide(path, engine, event);
        assert_eq!(decision.action, Action::Allow, "the setup must measure the allow path");
    }
}

/// Benchmarks one decision per iteration, cycling through `events`.
fn bench(group: &mut BenchmarkGroup<'_, WallTime>, name: &str, path: Path, policy: Policy, events: Vec<Event>) {
    let Ok(engine) = Engine::new(policy) else {
        unreachable!("the benchmark policies are valid");
    };
    bench_engine(group, name, path, &engine, events, EVENT_STEP);
}

fn bench_engine(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    path: Path,
    engine: &Engine,
    mut events: Vec<Event>,
    step: Duration,
) {
    let mut clock = SimClock::new(step);
    warm(path, engine, &mut events, &mut clock);
    let mut cycle = Cycle::new(events.len());
    group.bench_function(name, |b| {
        b.iter(|| {
            let event = events.get_mut(cycle.next_index())?;
            event.at = clock.tick();
            Some(decide(path, engine, black_box(event)))
        });
    });
    // Still on the allow path after all of criterion's iterations.
    warm(path, engine, &mut events, &mut clock);
}

fn evaluate(c: &mut Criterion) {
    let events = login_events(EVENT_POOL);
    // A login with only an IP and a user.
    let bare: Vec<Event> = events
        .iter()
        .map(|e| {
            let mut bare = Event::new(EventKind::Login, e.at);
            bare.ip = e.ip;
            bare.user = e.user.clone();
            bare
        })
        .collect();

    let mut group = c.benchmark_group("evaluate");
    bench(&mut group, "login_minimal", Path::Evaluate, minimal_policy(), bare);
    bench(
        &mut group,
        "login_four_limits",
        Path::Evaluate,
        four_limits_policy(),
        events.clone(),
    );
    bench(
        &mut group,
        "default_policy",
        Path::Evaluate,
        Policy::default(),
        events.clone(),
    );
    bench(
        &mut group,
        "prepare_conclude",
        Path::Split,
        four_limits_policy(),
        events.clone(),
    );
    let Ok(engine) = Engine::new(Policy::default()) else {
        unreachable!("the default policy is valid");
    };
    bench_engine(
        &mut group,
        "otp_send_default_policy",
        Path::Evaluate,
        &engine,
        otp_send_events(EVENT_POOL),
        OTP_STEP,
    );
    match mmdb_engine(&events) {
        Some((engine, events)) => bench_engine(
            &mut group,
            "login_four_limits_mmdb",
            Path::Evaluate,
            &engine,
            events,
            EVENT_STEP,
        ),
        None => eprintln!("evaluate/login_four_limits_mmdb skipped: TOLLGATE_TESTDATA unset"),
    }
    group.finish();
}

/// With [`EVENT_POOL`] senders, each comes back every two simulated hours:
/// slower than every OTP limit of the default policy, and past the resend
/// backoff's reset.
const OTP_STEP: Duration = Duration::from_millis(720);

/// SMS sends from distinct users and addresses in Germany to German mobile
/// numbers, one number block each.
fn otp_send_events(n: usize) -> Vec<Event> {
    let germany: Option<Country> = "DE".parse().ok();
    (0..n)
        .filter_map(|i| {
            let [_, _, a, b] = (i as u32).to_be_bytes();
            let phone: E164 = format!("+49151{i:05}678").parse().ok()?;
            let mut event = Event::new(EventKind::OtpSend { channel: Channel::Sms }, Timestamp::EPOCH)
                .with_ip(IpAddr::V4(Ipv4Addr::new(10, a, b, 9)))
                .with_user(format!("user-{i}@example.com"))
                .with_user_agent("Mozilla/5.0")
                .with_phone(phone);
            if let Some(country) = germany {
                event = event.with_country(country);
            }
            Some(event)
        })
        .collect()
}

/// The four-rule engine with City and ASN databases, and login events that
/// need a lookup; `None` without `$TOLLGATE_TESTDATA`.
fn mmdb_engine(events: &[Event]) -> Option<(Engine, Vec<Event>)> {
    let dir = std::path::PathBuf::from(std::env::var_os("TOLLGATE_TESTDATA")?).join("mmdb");
    let read = |name: &str| std::fs::read(dir.join("test-data").join(name)).ok();
    let mut geo = GeoSet::new();
    for name in ["GeoIP2-City-Test.mmdb", "GeoLite2-ASN-Test.mmdb"] {
        geo.insert(GeoDb::from_bytes(read(name)?).ok()?);
    }
    let expected = std::fs::read_to_string(dir.join("expected_lookups.jsonl")).ok()?;
    let hits: Vec<IpAddr> = expected
        .lines()
        .filter(|l| l.contains("\"GeoIP2-City-Test.mmdb\"") && !l.contains("\"record\": null"))
        .filter_map(|l| l.split("\"ip\": \"").nth(1)?.split('"').next()?.parse().ok())
        .collect();
    let mut policy = four_limits_policy();
    let fast = Rate::new(1_000_000, 60)?;
    policy.limits.iter_mut().for_each(|r| r.rate = fast);
    let engine = Engine::new(policy).ok()?;
    engine.set_geo(Some(geo));
    let events = events
        .iter()
        .zip(hits.iter().cycle())
        .map(|(e, ip)| {
            let mut e = e.clone();
            e.ip = Some(*ip);
            e.country = None;
            e.asn = None;
            e
        })
        .collect();
    Some((engine, events))
}

criterion_group!(benches, evaluate);
criterion_main!(benches);
