//! Graduated challenges and proof of work through the engine: time is an
//! input, the solver brute-forces the number as the widget does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tollgate::policy::Policy;
use tollgate::pow::{PowChallenge, PowConfig, PowSecret, PowSolution, hash_hex};
use tollgate::store::{MemoryStore, Op, OpResult, Store};
use tollgate::{Action, Asn, Decision, Engine, Event, EventKind, ReasonCode, StepUp, Timestamp};

const AT: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);

/// Logins and sign-ups from AS 64500 are challenged: an automation-class
/// signal (`geo.asn`).
fn engine() -> Engine {
    let policy = Policy::from_toml(
        "[[asns]]\nname = \"hosting\"\nasns = [64500]\nevents = [\"login\", \"signup\"]\naction = \"challenge\"\n",
    )
    .unwrap();
    Engine::builder(policy)
        .proof_of_work(
            PowConfig::new(PowSecret::new(*b"a test secret for proof of work!!").unwrap())
                .with_difficulty(100, 2_000)
                .unwrap(),
        )
        .build()
        .unwrap()
}

/// A request from the challenged network, each from its own address so
/// that the default per-IP limits stay out of the way.
fn bot(kind: EventKind, at: Timestamp) -> Event {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let ip = Ipv4Addr::from(0xc633_6400 + NEXT.fetch_add(1, Ordering::Relaxed));
    Event::new(kind, at).with_ip(IpAddr::V4(ip)).with_asn(Asn(64500))
}

fn solve(c: &PowChallenge) -> PowSolution {
    let number = (0..=c.maxnumber)
        .find(|n| hash_hex(&format!("{}{n}", c.salt)) == c.challenge)
        .expect("the number is within maxnumber");
    PowSolution::from_challenge(c, number)
}

fn refusal(d: &Decision) -> Option<&str> {
    d.reasons
        .iter()
        .find(|r| r.code == ReasonCode::PowRefused)
        .map(|r| r.detail.as_ref())
}

#[test]
fn a_solved_bot_challenge_passes_once() {
    let engine = engine();
    let first = engine.evaluate(&bot(EventKind::Login, AT));
    assert_eq!(first.action, Action::Challenge);
    assert_eq!(first.step_up(), Some(StepUp::ProofOfWork));
    let challenge = *first.pow.clone().expect("a proof-of-work challenge");
    assert!(challenge.salt.contains("&event=login&"), "{}", challenge.salt);
    let solution = solve(&challenge);

    let later = AT.saturating_add(Duration::from_secs(2));
    let solved = engine.evaluate(&bot(EventKind::Login, later).with_pow(solution.clone()));
    assert_eq!(solved.action, Action::Allow, "{solved:?}");
    assert!(solved.pow.is_none());
    let codes: Vec<_> = solved.reasons.iter().map(|r| r.code).collect();
    assert!(codes.contains(&ReasonCode::AsnListed), "what fired stays listed");
    assert!(codes.contains(&ReasonCode::PowSolved));

    // The replay, even a millisecond later, is refused and challenged afresh.
    let replay = engine.evaluate(&bot(EventKind::Login, later).with_pow(solution));
    assert_eq!(replay.action, Action::Challenge);
    assert_eq!(
        refusal(&replay),
        Some("proof-of-work solution refused: solution used already")
    );
    assert_ne!(replay.pow.as_ref().map(|p| &p.challenge), Some(&challenge.challenge));

    // Only for that one request: the next one without a solution is challenged.
    let next = engine.evaluate(&bot(EventKind::Login, later));
    assert_eq!(next.action, Action::Challenge);
    assert!(refusal(&next).is_none());
}

#[test]
fn tampered_expired_and_misdirected_solutions_are_refused() {
    let engine = engine();
    let challenge = engine.evaluate(&bot(EventKind::Login, AT)).pow.unwrap();
    let good = solve(&challenge);
    let try_login = |s: PowSolution, at: Timestamp| engine.evaluate(&bot(EventKind::Login, at).with_pow(s));

    let mut s = good.clone();
    s.number += 1;
    let d = try_login(s, AT);
    assert_eq!(d.action, Action::Challenge);
    assert_eq!(
        refusal(&d),
        Some("proof-of-work solution refused: number does not solve the challenge")
    );

    let mut s = good.clone();
    s.signature = s.signature.chars().rev().collect();
    assert_eq!(
        refusal(&try_login(s, AT)),
        Some("proof-of-work solution refused: bad signature")
    );

    let mut s = good.clone();
    s.salt.insert(0, '0');
    assert_eq!(
        refusal(&try_login(s, AT)),
        Some("proof-of-work solution refused: number does not solve the challenge")
    );

    let expired = AT.saturating_add(engine.pow().unwrap().ttl());
    assert_eq!(
        refusal(&try_login(good.clone(), expired)),
        Some("proof-of-work solution refused: expired")
    );

    let signup = engine.evaluate(&bot(EventKind::Signup, AT).with_pow(good.clone()));
    assert_eq!(signup.action, Action::Challenge);
    assert_eq!(
        refusal(&signup),
        Some("proof-of-work solution refused: issued for another event type")
    );

    // None of these spent the solution: it still passes once.
    assert_eq!(try_login(good.clone(), AT).action, Action::Allow);
    assert_eq!(try_login(good, AT).action, Action::Challenge);
}

#[test]
fn proof_of_work_never_clears_an_account_risk_challenge() {
    let engine = engine();
    let bot_challenge = engine.evaluate(&bot(EventKind::Login, AT)).pow.unwrap();
    let solution = solve(&bot_challenge);
    // The same bot signal, plus a compromised password (account risk).
    let risky = bot(EventKind::Login, AT).with_compromised_password(true);
    let d = engine.evaluate(&risky.clone().with_pow(solution));
    assert_eq!(d.action, Action::Challenge);
    assert_eq!(d.step_up(), Some(StepUp::SecondFactor));
    assert!(
        d.pow.is_none(),
        "no proof of work is offered for a second-factor challenge"
    );
    assert!(!d.reasons.iter().any(|r| r.code == ReasonCode::PowSolved));
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["step_up"], "second_factor");
}

#[test]
fn without_a_configuration_no_challenge_is_issued_and_solutions_are_ignored() {
    let configured = engine();
    let solution = solve(&configured.evaluate(&bot(EventKind::Login, AT)).pow.unwrap());
    let plain = Engine::new(configured.policy().as_ref().clone()).unwrap();
    let d = plain.evaluate(&bot(EventKind::Login, AT).with_pow(solution));
    assert_eq!(d.action, Action::Challenge);
    assert_eq!(d.step_up(), Some(StepUp::ProofOfWork));
    assert!(d.pow.is_none());
    assert!(refusal(&d).is_none());
}

#[test]
fn the_claim_rides_with_the_counters_and_a_failed_store_clears_nothing() {
    let engine = engine();
    let solution = solve(&engine.evaluate(&bot(EventKind::Login, AT)).pow.unwrap());
    let event = bot(EventKind::Login, AT).with_pow(solution);
    let plan = engine.prepare(&event);
    let claims: Vec<_> = plan
        .ops()
        .iter()
        .filter(|op| matches!(op, Op::ClaimOnce { .. }))
        .collect();
    assert_eq!(claims.len(), 1);
    let expiry = AT.saturating_add(Duration::from_secs(300));
    assert!(matches!(plan.ops().last(), Some(Op::ClaimOnce { until, .. }) if *until == expiry));
    // No results (the store failed): the challenge stands, and since single
    // use cannot be checked without the store, it asks for a second factor.
    let d = engine.conclude(plan, &[]);
    assert_eq!(d.action, Action::Challenge);
    assert!(d.reasons.iter().any(|r| r.code == ReasonCode::StoreIncomplete));
    assert_eq!(d.step_up(), Some(StepUp::SecondFactor));
    assert!(d.pow.is_none());
    // The split path with the store's own results clears it.
    let plan = engine.prepare(&event);
    let mut results = vec![OpResult::Done; plan.ops().len()];
    engine.store().execute(plan.at(), plan.ops(), &mut results).unwrap();
    assert_eq!(engine.conclude(plan, &results).action, Action::Allow);
}

#[test]
fn difficulty_grows_with_the_score() {
    // Points instead of a hard challenge: 60 and 80 against thresholds 50/90.
    let policy = |points: u8| {
        Policy::from_toml(&format!(
            "[[asns]]\nname = \"hosting\"\nasns = [64500]\naction = {{ score = {points} }}\n\n[thresholds.login]\nchallenge = 50\ndeny = 90\n"
        ))
        .unwrap()
    };
    let maxnumber = |points: u8| {
        let engine = Engine::builder(policy(points))
            .proof_of_work(
                PowConfig::new(PowSecret::new(*b"a test secret for proof of work!!").unwrap())
                    .with_difficulty(1_000, 5_000)
                    .unwrap(),
            )
            .build()
            .unwrap();
        let d = engine.evaluate(&bot(EventKind::Login, AT));
        (d.score, d.pow.map(|p| p.maxnumber))
    };
    assert_eq!(maxnumber(60), (60, Some(2_000)));
    assert_eq!(maxnumber(80), (80, Some(4_000)));
}

#[test]
fn claims_are_single_use_until_they_expire() {
    let store = MemoryStore::new(1_000);
    let claim = [Op::ClaimOnce {
        key: tollgate::store::StoreKey(42),
        until: Timestamp::from_unix_millis(10_000),
    }];
    let mut r = [OpResult::Done];
    let run = |at_ms: u64, r: &mut [OpResult; 1]| {
        store.execute(Timestamp::from_unix_millis(at_ms), &claim, r).unwrap();
        r[0]
    };
    assert_eq!(run(0, &mut r), OpResult::Claimed(true));
    assert_eq!(run(1, &mut r), OpResult::Claimed(false));
    assert_eq!(run(9_999, &mut r), OpResult::Claimed(false));
    assert_eq!(run(10_000, &mut r), OpResult::Claimed(true));
}
