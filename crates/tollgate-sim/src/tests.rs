//! The simulator end to end: traffic, replay and the report's figures.

use super::*;

#[test]
fn alone_keeps_the_legitimate_traffic_and_one_attack() {
    let mut traffic = Traffic::generate(3, 20_000).unwrap();
    let legit = traffic
        .events
        .iter()
        .filter(|e| e.scenario == Scenario::Legitimate)
        .count();
    let infostealer = traffic
        .events
        .iter()
        .filter(|e| e.scenario == Scenario::Infostealer)
        .count();
    let dropped = traffic.alone("infostealer").unwrap();
    assert!(dropped > 0 && infostealer > 0);
    assert_eq!(traffic.len(), legit + infostealer);
    assert!(matches!(
        traffic.alone("legitimate"),
        Err(Error::UnknownScenario { known, .. }) if known.contains("infostealer")
    ));
}
use traffic::{Step, Tag};

#[test]
fn traffic_is_deterministic_sorted_and_split_as_documented() {
    let catalog = Catalog::new().unwrap();
    let day = generate(&catalog, 7, 10_000);
    assert_eq!(day, generate(&catalog, 7, 10_000));
    assert_ne!(day.events, generate(&catalog, 8, 10_000).events);
    let a = day.events;
    assert!(a.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
    // The days before: the members' ordinary days, legitimate only, in
    // order and within their own week, each day about the same size.
    let before = day.before;
    assert!(before.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
    assert!(
        before
            .iter()
            .all(|e| e.scenario == Scenario::Legitimate && e.at_ms < traffic::WARM_UP_DAYS * traffic::DAY_MS)
    );
    assert!((35_000..49_000).contains(&before.len()), "{}", before.len());
    // Members, and the usernames they mistype (no account).
    assert!(before.iter().all(|e| matches!(
        e.account,
        Some(traffic::Account::Member(_) | traffic::Account::Unknown(_))
    )));
    let mistyped = before
        .iter()
        .filter(|e| matches!(e.account, Some(traffic::Account::Unknown(_))))
        .count();
    let logins = before.iter().filter(|e| e.step == Step::Login).count();
    assert!(
        (logins / 100..logins / 20).contains(&mistyped),
        "{mistyped} of {logins}"
    );
    for step in [Step::Signup, Step::OtpSend, Step::OtpVerify, Step::Login] {
        assert!(before.iter().any(|e| e.step == step), "{step:?}");
    }
    let count = |s| a.iter().filter(|e| e.scenario == s).count();
    assert!((6_000..6_100).contains(&count(Scenario::Legitimate)));
    assert_eq!(count(Scenario::CredentialStuffing), 1_500);
    assert_eq!(count(Scenario::StuffingBrowserFp), 1_400);
    assert_eq!(count(Scenario::OtpPumping), 800);
    assert_eq!(count(Scenario::SmsCapTrip), 100);
    assert_eq!(count(Scenario::VoiceIrsf), 100);
    assert_eq!(count(Scenario::AccountTakeover), 100);
    assert_eq!(count(Scenario::StuffingPwned), 300);
    assert_eq!(count(Scenario::BruteForce), 50);
    assert_eq!(count(Scenario::AccountDos), 600);
    assert_eq!(count(Scenario::StuffingImpersonating), 300);
    assert_eq!(count(Scenario::PasswordSpraying), 450);
    assert!(count(Scenario::Infostealer) <= 50);
    assert_eq!(count(Scenario::SpreadPumping), 400);
    assert_eq!(count(Scenario::SpreadPumpingVerified), 300);
    assert_eq!(count(Scenario::OtpBotRotating), 150);
}

#[test]
fn replay_counts_every_event_once() {
    let catalog = Catalog::new().unwrap();
    let traffic = generate(&catalog, 1, 3_000).events;
    let engine = Engine::new(tollgate::policy::Policy::default()).unwrap();
    let tallies = replay(&engine, &catalog, None, &traffic, 0, &mut NoProgress);
    let total = tallies.total();
    assert!(total.unsent > 0);
    assert_eq!(total.events + total.unsent, traffic.len() as u64);
    assert_eq!(total.actions.total(), total.events);
}

#[test]
fn the_warm_up_day_runs_first_and_is_not_counted() {
    let traffic = Traffic::generate(1, 3_000).unwrap();
    assert!(traffic.day_before_len() > 1_000, "{}", traffic.day_before_len());
    let engine = Engine::new(tollgate::policy::Policy::default()).unwrap();
    let tallies = traffic.replay(&engine, &mut NoProgress);
    let total = tallies.total();
    assert_eq!(total.events + total.unsent, traffic.len() as u64);
    // The engine met the day with history: the members' first logins of
    // the day are to accounts with logins on record, which a cold engine
    // meets as first-seen.
    let first_seen = |engine: &Engine| {
        let logins = traffic.events.iter().filter(|e| {
            e.scenario == Scenario::Legitimate
                && e.step == Step::Login
                && matches!(e.account, Some(traffic::Account::Member(_)))
        });
        let decisions = logins
            .take(200)
            .map(|e| engine.evaluate(&e.build(&traffic.catalog, traffic::START_MS)));
        let first_seen = decisions.filter(|d| d.signals.contains(tollgate::RiskSignal::FirstSeenAccount));
        first_seen.count()
    };
    let cold = Engine::new(tollgate::policy::Policy::default()).unwrap();
    assert_eq!(first_seen(&cold), 200);
    let warm = Engine::new(tollgate::policy::Policy::default()).unwrap();
    warm_up(&warm, &traffic.catalog, None, &traffic.day_before, &mut NoProgress);
    assert!(first_seen(&warm) < 10, "{}", first_seen(&warm));
}

/// Replays a legitimate day and an account-DoS run on 40 of its
/// members (as many as the default 200,000 events bring) under
/// `policy`, and checks the attack was mostly stopped.
fn bombed(policy: tollgate::policy::Policy) -> Tallies {
    use rand::SeedableRng;
    let catalog = Catalog::new().unwrap();
    let mut traffic = Vec::new();
    let people = legit::generate(&mut ChaCha8Rng::seed_from_u64(1), &catalog, 20_000, &mut traffic);
    account_dos::account_dos(
        &mut ChaCha8Rng::seed_from_u64(1),
        &catalog,
        12_000,
        &people,
        &mut traffic,
    );
    traffic.sort_by_key(|e| e.at_ms);
    let tallies = replay(
        &Engine::new(policy).unwrap(),
        &catalog,
        None,
        &traffic,
        0,
        &mut NoProgress,
    );
    for step in [Step::Login, Step::OtpSend, Step::OtpVerify] {
        assert!(
            tallies.get(Scenario::Legitimate).tagged(step, Tag::Bombed).total() > 0,
            "{step:?}"
        );
        // Not because the attack went easy: most of it was stopped.
        let attempts = tallies.get(Scenario::AccountDos).tagged(step, Tag::Plain);
        assert!(attempts.allowed * 2 < attempts.total(), "{step:?}: {attempts:?}");
    }
    tallies
}

/// The owners' logins, code requests and code entries refused.
fn owners_refused(tallies: &Tallies) -> Vec<(Step, u64)> {
    [Step::Login, Step::OtpSend, Step::OtpVerify]
        .into_iter()
        .map(|step| {
            let theirs = tallies.get(Scenario::Legitimate).tagged(step, Tag::Bombed);
            (step, theirs.throttled + theirs.denied)
        })
        .filter(|(_, refused)| *refused > 0)
        .collect()
}

#[test]
fn bombed_owners_are_never_refused_under_the_default_policy() {
    let tallies = bombed(tollgate::policy::Policy::default());
    assert_eq!(owners_refused(&tallies), []);
}

/// Legitimate events, the ones not allowed, and the ones
/// `fingerprint.ua_mismatch` fired on, for `traffic` under `policy`.
fn legit_friction(traffic: &Traffic, policy: tollgate::policy::Policy) -> (u64, u64, u64) {
    let engine = Engine::builder(policy).key_seed(1).build().unwrap();
    let tallies = traffic.replay(&engine, &mut NoProgress);
    let legit = tallies.get(Scenario::Legitimate);
    (
        legit.events,
        legit.not_allowed(),
        legit.fired("fingerprint.ua_mismatch"),
    )
}

/// A legitimate day of about `events` events, nobody else: what the
/// browser-family check costs real users, apart from detectors that
/// react to attackers sharing their fingerprint.
fn legitimate_day(events: usize) -> Traffic {
    let catalog = Catalog::new().unwrap();
    let mut out = Vec::new();
    let population = legit::generate(&mut ChaCha8Rng::seed_from_u64(1), &catalog, events, &mut out);
    out.sort_by_key(|e| e.at_ms);
    Traffic {
        host: host::Devices::default(),
        catalog,
        day_before: Vec::new(),
        events: out,
        population,
        history_days: 0,
        vouch: false,
        log: login_log::Log::default(),
    }
}

/// Half the legitimate browsers move to a release with an unseen JA4 at
/// noon. Under the default policy the release costs its users nothing
/// when events carry their handshake's shape, and next to nothing when
/// they carry the JA4 alone (learning takes over within minutes); an
/// exact JA4 table alone would challenge a large share of them.
/// `TOLLGATE_SIM_RELEASE_EVENTS` sets the day's size (docs quote
/// 120,000, a release build's run).
#[test]
fn a_browser_release_at_noon_costs_legitimate_users_nothing() {
    use tollgate::policy::Policy;
    let events = std::env::var("TOLLGATE_SIM_RELEASE_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24_000);
    let baseline = legitimate_day(events);
    let (legit, base_refused, base_flagged) = legit_friction(&baseline, Policy::default());
    assert_eq!(base_flagged, 0, "no legitimate browser is flagged before the release");

    let mut shaped = legitimate_day(events);
    let moved = shaped.browser_release(12, Handshake::Shape);
    assert!(moved * 5 > legit, "{moved} of {legit} legitimate events moved");
    let (_, refused, flagged) = legit_friction(&shaped, Policy::default());
    assert_eq!(flagged, 0, "the structural check accepts the release");
    // What the release still costs is `familiarity.new_fingerprint`
    // (a user's JA4 changed), not the family check.
    assert!(
        refused * 1_000 <= base_refused * 1_000 + 2 * legit,
        "shapes: {refused} not allowed, {base_refused} before, of {legit}"
    );

    let mut bare = legitimate_day(events);
    bare.browser_release(12, Handshake::Ja4Only);
    let (_, bare_refused, bare_flagged) = legit_friction(&bare, Policy::default());
    // Flagged until 10 accounts from 5 networks signed in with each of
    // the three release JA4s; a flag alone (30 points) is not a challenge.
    assert!(
        bare_flagged * 50 < moved,
        "learning: {bare_flagged} flagged of {moved} moved"
    );
    assert!(
        bare_refused * 1_000 <= refused * 1_000 + legit,
        "learning: {bare_refused} not allowed, {refused} with shapes, of {legit}"
    );

    let mut exact = Policy::default();
    exact.fingerprints.structure.enabled = false;
    exact.fingerprints.learn.enabled = false;
    let (_, exact_refused, exact_flagged) = legit_friction(&shaped, exact);
    assert_eq!(exact_flagged, moved, "an exact table flags every event on the release");
    assert!(
        exact_refused > refused + legit / 100,
        "and challenges over 1 % more legitimate events: {exact_refused} vs {refused} of {legit}"
    );
    println!(
        "{legit} legitimate events, {moved} on the release: not allowed {base_refused} before, \
         {refused} with shapes, {bare_refused} with JA4 only ({bare_flagged} flagged), \
         {exact_refused} with an exact table ({exact_flagged} flagged)"
    );
}
