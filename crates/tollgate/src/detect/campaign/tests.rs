//! Attack mode end to end: an engine, logins and their outcomes.

use super::*;
use crate::{Asn, Country, Engine, Event, EventKind, Timestamp};

const MIN: u64 = 60_000;

fn login(user: &str, country: &str, min: u64) -> Event {
    Event::new(EventKind::Login, Timestamp::from_unix_millis(1_700_000_000_000 + min * MIN))
        .with_user(user)
        .with_country(country.parse::<Country>().unwrap())
        .with_asn(Asn(if country == "BR" { 28_573 } else { 3_320 }))
        .with_device(format!("{user}-laptop"))
}

fn engine() -> Engine {
    engine_with(|_| {})
}

fn engine_with(change: impl FnOnce(&mut Campaign)) -> Engine {
    let mut policy = Policy::default();
    policy.limits.clear();
    policy.stuffing.clear();
    policy.spike.events.clear();
    change(&mut policy.campaign);
    Engine::new(policy).unwrap()
}

/// Two quiet hours and more: per minute, 300 German and 10 Brazilian
/// logins of known users from their own laptops, one in ten failing.
fn quiet(engine: &Engine) {
    for min in 0..130 {
        for (country, n) in [("DE", 300), ("BR", 10)] {
            for i in 0..n {
                let event = login(&format!("{country}{i}"), country, min);
                engine.evaluate(&event);
                engine.record(&if i % 10 == 0 {
                    Outcome::failed(event)
                } else {
                    Outcome::succeeded(event)
                });
            }
        }
    }
}

/// Ten minutes of a list from Brazil: 30 unknown usernames a minute.
fn br_list(engine: &Engine) {
    for min in 130..140 {
        for i in 0..30 {
            engine.record(&Outcome::unknown_user(login(&format!("list{min}-{i}"), "BR", min)));
        }
    }
}

fn stepped_up(engine: &Engine, event: &Event) -> bool {
    let reasons = engine.evaluate(event).reasons;
    reasons.iter().any(|r| r.code == ReasonCode::CampaignNewClient)
}

#[test]
fn a_list_from_one_country_steps_up_new_clients_from_there_only() {
    // At a 10 % floor, so that Germany's 9 % stays quiet site-wide.
    let engine = engine_with(|c| c.unknown_percent = 10);
    quiet(&engine);
    assert!(!stepped_up(&engine, &login("DE1", "BR", 130).with_device("stranger")));
    // Ten minutes of a list through Brazilian proxies: 30 a minute, all
    // naming nobody. Germany carries on as before: site-wide, 9 % of
    // logins name nobody, under the 10 % floor; from Brazil, 75 %.
    for min in 130..140 {
        for i in 0..30 {
            engine.record(&Outcome::unknown_user(login(&format!("list{min}-{i}"), "BR", min)));
        }
        for i in 0..300 {
            let event = login(&format!("DE{i}"), "DE", min);
            engine.record(&Outcome::succeeded(event));
        }
    }
    let from_brazil = login("DE1", "BR", 140).with_device("stranger");
    let d = engine.evaluate(&from_brazil);
    let r = d.reasons.iter().find(|r| r.code == ReasonCode::CampaignNewClient).unwrap();
    assert!(r.detail.starts_with("logins from country BR: "), "{}", r.detail);
    assert_eq!(d.action, crate::Action::Challenge);
    // The owner's own laptop, in Brazil, is not stepped up.
    assert!(!stepped_up(&engine, &login("BR1", "BR", 140)));
    // A new client in Germany is not either: its scopes are quiet.
    assert!(!stepped_up(&engine, &login("DE2", "DE", 140).with_device("new phone")));
}

#[test]
fn status_names_the_scopes_a_campaign_is_on_in() {
    use crate::status::CampaignScope;
    let engine = engine_with(|c| c.unknown_percent = 10);
    let at = |min: u64| Timestamp::from_unix_millis(1_700_000_000_000 + min * MIN);
    assert!(engine.status(at(0)).attack_mode.is_empty(), "nothing read yet");
    quiet(&engine);
    engine.evaluate(&login("DE1", "BR", 130).with_device("stranger"));
    let calm = engine.status(at(130));
    let levels: Vec<_> = calm.attack_mode.iter().map(|s| (s.scope.level(), s.warm, s.on)).collect();
    assert_eq!(levels[..3], [("site", true, false), ("country", true, false), ("country", true, false)]);
    let site = calm.attack_mode[0];
    assert!((site.failure_percent.unwrap() - 10.0).abs() < 0.5, "{site:?}");
    assert!((site.baseline_failure_percent - 10.0).abs() < 0.5, "{site:?}");
    assert_eq!(site.unknown_percent, Some(0.0));
    for min in 130..140 {
        for i in 0..30 {
            engine.record(&Outcome::unknown_user(login(&format!("list{min}-{i}"), "BR", min)));
        }
        for i in 0..300 {
            engine.record(&Outcome::succeeded(login(&format!("DE{i}"), "DE", min)));
        }
    }
    assert!(stepped_up(&engine, &login("DE1", "BR", 140).with_device("stranger")));
    let status = engine.status(at(140));
    let on: Vec<_> = status.campaigns().map(|s| s.scope).collect();
    let brazil = CampaignScope::Country("BR".parse().unwrap());
    assert!(on.contains(&brazil) && !on.contains(&CampaignScope::Site), "{on:?}");
    let br = status.attack_mode.iter().find(|s| s.scope == brazil).unwrap();
    assert!(br.unknown_percent.unwrap() > 50.0 && br.baseline_unknown_percent < 1.0, "{br:?}");
    // A read older than the window says nothing about now.
    assert_eq!(engine.status(at(160)).campaigns().count(), 0);
}

#[test]
fn a_policy_reload_keeps_attack_mode_warm() {
    let engine = engine_with(|c| c.unknown_percent = 10);
    quiet(&engine);
    // The reload compiles a fresh table; the baselines the store holds
    // make it warm at its first read.
    engine.set_policy((*engine.policy()).clone()).unwrap();
    let at = Timestamp::from_unix_millis(1_700_000_000_000 + 130 * MIN);
    assert!(engine.status(at).attack_mode.is_empty());
    br_list(&engine);
    assert!(stepped_up(&engine, &login("DE1", "BR", 140).with_device("stranger")));
    let after = Timestamp::from_unix_millis(1_700_000_000_000 + 140 * MIN);
    let status = engine.status(after);
    assert!(!status.attack_mode.is_empty() && status.attack_mode.iter().all(|s| s.warm), "{status:?}");
}

#[test]
fn status_reports_no_shares_before_a_read_judges_them() {
    let engine = engine();
    quiet(&engine);
    engine.set_policy((*engine.policy()).clone()).unwrap();
    // An hour after the last login: the store's baseline makes the site
    // warm at once, but the read had nothing to judge.
    engine.evaluate(&login("DE1", "DE", 200));
    let at = Timestamp::from_unix_millis(1_700_000_000_000 + 200 * MIN);
    let site = engine.status(at).attack_mode[0];
    assert!(site.warm && site.failure_percent.is_none() && site.unknown_percent.is_none(), "{site:?}");
    assert!((site.baseline_failure_percent - 10.0).abs() < 0.5, "{site:?}");
}

/// Ten minutes of a list through Brazilian proxies (30 unknown users a
/// minute), then `more` minutes in which the list's attempts meet the
/// step-up and go unrecorded, as a bot that cannot pass it does, while
/// Brazil's own people carry on (recorded with their decisions when
/// `decisions` is set). Returns whether a stranger in Brazil is stepped
/// up at `check` minutes.
fn list_meeting_step_ups(engine: &Engine, more: u64, decisions: bool, check: u64) -> bool {
    let people = |min| {
        for i in 0..10 {
            let event = login(&format!("BR{i}"), "BR", min);
            let decision = engine.evaluate(&event);
            let outcome = Outcome::succeeded(event);
            engine.record(&if decisions { outcome.with_decision(&decision) } else { outcome });
        }
    };
    for min in 130..140 {
        for i in 0..30 {
            engine.record(&Outcome::unknown_user(login(&format!("list{min}-{i}"), "BR", min)));
        }
        people(min);
    }
    for min in 140..140 + more {
        for i in 0..30 {
            engine.evaluate(&login(&format!("list{min}-{i}"), "BR", min));
        }
        people(min);
    }
    for min in 140 + more..check {
        people(min);
    }
    stepped_up(engine, &login("DE1", "BR", check).with_device("stranger"))
}

#[test]
fn a_campaign_lasts_while_its_step_ups_go_unanswered() {
    let on = |more, decisions, check| {
        let engine = engine_with(|c| c.unknown_percent = 10);
        quiet(&engine);
        list_meeting_step_ups(&engine, more, decisions, check)
    };
    // Twenty minutes on, the list's own unknown users have slid out of
    // the window: what holds attack mode is the 300 step-ups a window
    // that nobody answered.
    assert!(on(30, true, 160));
    // Without decisions on the outcomes nothing can be told answered,
    // so nothing holds: the mode ends with the evidence.
    assert!(!on(30, false, 160));
    // Once the list stops, its step-ups slide out too, and it ends.
    assert!(!on(30, true, 195));
}

#[test]
fn only_its_own_step_ups_answer_a_campaign() {
    let engine = engine_with(|c| c.unknown_percent = 10);
    quiet(&engine);
    // Besides the list, 40 of Brazil's people a minute sign in from their
    // own laptops with a compromised password: challenged, not by attack
    // mode, and passed. Those are no answers to the list's step-ups.
    let compromised = |min| {
        for i in 0..40 {
            let event = login(&format!("BR{}", i % 9 + 1), "BR", min).with_compromised_password(true);
            let decision = engine.evaluate(&event);
            assert_eq!(decision.action, crate::Action::Challenge);
            assert!(decision.reasons.iter().all(|r| r.code != ReasonCode::CampaignNewClient));
            engine.record(&Outcome::succeeded(event).with_decision(&decision));
        }
    };
    br_list(&engine);
    for min in 140..170 {
        for i in 0..30 {
            engine.evaluate(&login(&format!("list{min}-{i}"), "BR", min));
        }
        compromised(min);
    }
    assert!(stepped_up(&engine, &login("DE1", "BR", 160).with_device("stranger")));
}

/// Two instances over one store, run through the split path.
struct Pair {
    a: Engine,
    b: Engine,
    store: crate::store::MemoryStore,
}

impl Pair {
    fn new() -> Pair {
        let policy = || {
            let mut policy = Policy::default();
            policy.limits.clear();
            policy.stuffing.clear();
            policy.spike.events.clear();
            policy.campaign.unknown_percent = 10;
            policy
        };
        let engine = || Engine::builder(policy()).key_seed(7).build().unwrap();
        Pair {
            a: engine(),
            b: engine(),
            store: crate::store::MemoryStore::new(1_000_000),
        }
    }

    fn evaluate(&self, engine: &Engine, event: &Event) -> crate::Decision {
        use crate::store::Store;
        let plan = engine.prepare(event);
        let mut results = vec![OpResult::Done; plan.ops().len()];
        self.store.execute(plan.at(), plan.ops(), &mut results).unwrap();
        engine.conclude(plan, &results)
    }

    fn record(&self, engine: &Engine, outcome: &Outcome) {
        use crate::store::Store;
        let ops = engine.record_ops(outcome);
        let mut results = vec![OpResult::Done; ops.len()];
        self.store.execute(outcome.event.at, &ops, &mut results).unwrap();
    }
}

#[test]
fn step_ups_answered_on_another_instance_cancel_out() {
    // Instance `a` steps up a list's logins; the retries of the ones
    // answered reach instance `b`. Only counts shared through the store
    // tell `a` that they were answered.
    let run = |answered: bool| {
        let p = Pair::new();
        for min in 0..130 {
            for i in 0..10 {
                let event = login(&format!("BR{i}"), "BR", min);
                let decision = p.evaluate(&p.a, &event);
                p.record(&p.a, &Outcome::succeeded(event).with_decision(&decision));
            }
        }
        for min in 130..140 {
            for i in 0..30 {
                p.record(&p.b, &Outcome::unknown_user(login(&format!("list{min}-{i}"), "BR", min)));
            }
        }
        for min in 140..170 {
            for i in 0..20 {
                let event = login(&format!("late{min}-{i}"), "BR", min);
                let decision = p.evaluate(&p.a, &event);
                if answered {
                    p.record(&p.b, &Outcome::succeeded(event).with_decision(&decision));
                }
            }
            for i in 0..10 {
                let event = login(&format!("BR{i}"), "BR", min);
                let decision = p.evaluate(&p.b, &event);
                p.record(&p.b, &Outcome::succeeded(event).with_decision(&decision));
            }
        }
        let stranger = login("BR1", "BR", 170).with_device("stranger");
        let decision = p.evaluate(&p.a, &stranger);
        decision.reasons.iter().any(|r| r.code == ReasonCode::CampaignNewClient)
    };
    assert!(run(false), "nobody answered: held");
    assert!(!run(true), "answered on the other instance: not held");
}

#[test]
fn an_instance_started_during_an_attack_takes_the_fleets_baseline() {
    let run = |fleet_warm: bool| {
        let p = Pair::new();
        if fleet_warm {
            for min in 0..130 {
                for i in 0..10 {
                    let event = login(&format!("BR{i}"), "BR", min);
                    let decision = p.evaluate(&p.a, &event);
                    p.record(&p.a, &Outcome::succeeded(event).with_decision(&decision));
                }
            }
        }
        for min in 130..140 {
            for i in 0..30 {
                p.record(&p.a, &Outcome::unknown_user(login(&format!("list{min}-{i}"), "BR", min)));
            }
        }
        // Instance `b` starts now (a deploy, or the autoscaler answering
        // the list's load) and serves its first login.
        let stranger = login("BR1", "BR", 140).with_device("stranger");
        let decision = p.evaluate(&p.b, &stranger);
        decision.reasons.iter().any(|r| r.code == ReasonCode::CampaignNewClient)
    };
    assert!(run(true), "the fleet's baseline: warm at once");
    assert!(!run(false), "no baseline anywhere: warming up");
}

#[test]
fn accounts_without_history_can_be_spared() {
    let nobody = |engine: &Engine| stepped_up(engine, &login("nobody", "BR", 140).with_device("stranger"));
    for spare in [false, true] {
        let engine = engine_with(|c| {
            c.unknown_percent = 10;
            c.accounts_without_history = !spare;
        });
        quiet(&engine);
        br_list(&engine);
        assert_eq!(nobody(&engine), !spare);
        // An account with history is stepped up either way.
        assert!(stepped_up(&engine, &login("BR1", "BR", 140).with_device("stranger")));
    }
}

#[test]
fn a_mistyped_username_from_a_browser_that_signs_in_here_is_spared() {
    let engine = engine_with(|c| c.unknown_percent = 10);
    quiet(&engine);
    br_list(&engine);
    // BR1's laptop signed in during the quiet hours; BR1 now mistypes the
    // username on it.
    assert!(!stepped_up(&engine, &login("BR1-typo", "BR", 140).with_device("BR1-laptop")));
    // The same name from a device nobody signed in with is stepped up, as
    // every unknown name from a bot's fresh clients is.
    assert!(stepped_up(&engine, &login("BR1-typo", "BR", 140).with_device("stranger")));
    // A device id known only from failed logins has not signed in here.
    for min in 130..140 {
        engine.record(&Outcome::failed(login("BR2", "BR", min).with_device("failing")));
    }
    assert!(stepped_up(&engine, &login("BR1-typo", "BR", 140).with_device("failing")));
    // A returning device vouches for no account it never used: an account
    // with history is still stepped up from it.
    assert!(stepped_up(&engine, &login("BR2", "BR", 140).with_device("BR1-laptop")));
}

#[test]
fn a_browser_trying_many_usernames_is_no_typist() {
    let engine = engine_with(|c| c.unknown_percent = 10);
    quiet(&engine);
    br_list(&engine);
    // BR1's laptop names seven more usernames: eight with its own, the
    // bound, each spared as a typo.
    for n in 0..7 {
        assert!(!stepped_up(&engine, &login(&format!("guess{n}"), "BR", 140).with_device("BR1-laptop")));
    }
    // The ninth is a client trying names with a signed-in cookie.
    assert!(stepped_up(&engine, &login("guess7", "BR", 140).with_device("BR1-laptop")));
}

#[test]
fn a_new_device_on_the_accounts_own_network_is_spared() {
    let engine = engine();
    quiet(&engine);
    let home = |min, device: &str, ip: &str| login("BR1", "BR", min).with_device(device).with_ip(ip.parse().unwrap());
    engine.record(&Outcome::succeeded(home(129, "BR1-laptop", "203.0.113.7")));
    br_list(&engine);
    // A new phone on the home network (the same /24): not stepped up.
    assert!(!stepped_up(&engine, &home(140, "BR1-new-phone", "203.0.113.99")));
    // The same new device from another network: stepped up.
    assert!(stepped_up(&engine, &home(140, "BR1-new-phone", "198.51.100.7")));
}

#[test]
fn a_known_browser_without_a_device_id_vouches_for_nothing() {
    let engine = engine();
    quiet(&engine);
    let cookieless = |min, ip: &str| {
        Event::new(EventKind::Login, Timestamp::from_unix_millis(1_700_000_000_000 + min * MIN))
            .with_user("BR1")
            .with_country("BR".parse::<Country>().unwrap())
            .with_asn(Asn(28_573))
            .with_ip(ip.parse().unwrap())
            .with_user_agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0.0.0")
    };
    // BR1 once signed in without the device cookie, from home.
    engine.record(&Outcome::succeeded(cookieless(129, "203.0.113.7")));
    br_list(&engine);
    // From the home /24: spared by the network.
    assert!(!stepped_up(&engine, &cookieless(140, "203.0.113.99")));
    // Everyone on that browser release looks the same, and a stealer log
    // records the user agent: on another line of the same ISP, the look
    // vouches for nothing.
    assert!(stepped_up(&engine, &cookieless(140, "198.51.100.7")));
}

#[test]
fn off_records_and_reads_nothing() {
    let mut policy = Policy::default();
    let on = Engine::new(policy.clone()).unwrap();
    policy.campaign.enabled = false;
    let off = Engine::new(policy).unwrap();
    let event = login("a", "DE", 0);
    // Site, country and network: three counts, the step-up pair and the
    // shared baseline each.
    assert_eq!(on.prepare(&event).ops().len(), off.prepare(&event).ops().len() + 15);
    assert_eq!(on.record_ops(&Outcome::failed(event.clone())).len(), off.record_ops(&Outcome::failed(event)).len() + 6);
}

#[test]
fn validation_names_the_field() {
    let mut policy = Policy::default();
    policy.campaign.refresh_secs = 601;
    let err = Engine::new(policy).unwrap_err().to_string();
    assert!(err.contains("campaign.refresh_secs"), "{err}");
    let mut policy = Policy::default();
    policy.campaign.warmup_hours = 25;
    let err = Engine::new(policy).unwrap_err().to_string();
    assert!(err.contains("campaign.warmup_hours"), "{err}");
}
