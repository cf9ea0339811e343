//! Account takeover with phished credentials.
//!
//! A crew holds the username and password of members caught by a phishing
//! page. It logs in to each victim's account once, through a residential
//! proxy exit in a country other than the victim's home (uniform over the
//! catalog's ISPs outside that country, so on a network the victim has
//! never used, and a common one when that country is big here), with no
//! device cookie and, half the time each, a scripted client (Go's HTTP
//! client claiming Chrome) or an anti-detect browser (Chromium's handshake
//! under a spoofed macOS Chrome user agent). 10 % of the phished passwords
//! are wrong (mistyped into the phishing page, or changed since): one
//! failed login and the crew moves on. A login that goes ahead hands over
//! the account, and 1 to 5 minutes later the crew changes its email or
//! password (even odds), and in 30 % of takeovers the other one too 1 to 3
//! minutes after. Those changes are generated for every victim but sent to
//! the engine only when the login went ahead: a challenged crew does not
//! pass the step-up, and a throttled or denied one gets nothing to change.
//!
//! **Victims have history.** The engine learns a user's countries, networks,
//! devices and last position from successful logins only, and the simulated
//! store starts the day empty, whereas a real deployment knows weeks of each
//! established account. So every victim is a member with at least one
//! scheduled successful login before the attack, drawn uniformly among them
//! (not in proportion to their activity):
//!
//! * 30 % **teleport**: the phishing kit relays the credentials at once, and
//!   the crew logs in 2 to 20 minutes after one of the victim's own
//!   successful logins (drawn uniformly among them, whenever in the day it
//!   was) — from another country, so much faster than a plane.
//! * 70 % log in **later**, at a uniform time from 12:00 UTC (or an hour
//!   after the victim's first successful login, if later) to 23:45 UTC;
//!   a victim whose first login leaves no room teleports instead. The
//!   victim's latest login may be minutes or many hours before.
//!
//! The victim's own day is scheduled as if nothing happened: the simulation
//! does not lock them out after a password change.

use std::collections::HashSet;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::catalog::{self, Catalog, ISPS, REGIONS};
use super::legit::Population;
use super::mix::Generator;
use super::places;
use super::sampling::{between, chance, pick, secs};
use super::software::sw;
use super::traffic::{Account, Client, DAY_MS, HOUR_MS, Scenario, SimEvent, Step, Tag, Truth};

const TELEPORT_SHARE: f64 = 0.30;
const LATER_FROM_MS: u64 = 12 * HOUR_MS;
const LATER_UNTIL_MS: u64 = DAY_MS - 15 * 60_000;
const WRONG_PASSWORD_SHARE: f64 = 0.10;
const BOTH_CHANGES_SHARE: f64 = 0.30;

/// The account takeover scenario.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Takeover;

impl Generator for Takeover {
    fn generate(
        &self,
        rng: &mut ChaCha8Rng,
        catalog: &Catalog,
        budget: usize,
        population: &Population,
        out: &mut Vec<SimEvent>,
    ) {
        account_takeover(rng, catalog, budget, population, out);
    }
}

/// Appends exactly `budget` takeover events (fewer if too few members have
/// logged in), given the legitimate traffic already in `out`.
pub(crate) fn account_takeover(
    rng: &mut impl Rng,
    catalog: &Catalog,
    budget: usize,
    population: &Population,
    out: &mut Vec<SimEvent>,
) {
    let mut logins: Vec<(u32, u64)> = out
        .iter()
        .filter_map(|e| match (e.scenario, e.step, e.truth, e.account) {
            (Scenario::Legitimate, Step::Login, Truth::Succeeds, Some(Account::Member(m))) => Some((m, e.at_ms)),
            _ => None,
        })
        .collect();
    logins.sort_unstable();
    let mut victims: Vec<&[(u32, u64)]> = logins.chunk_by(|a, b| a.0 == b.0).collect();
    // Proxy ISPs outside each country.
    let foreign: Vec<Vec<u8>> = (0..REGIONS.len())
        .map(|region| {
            (0..ISPS.len() as u8)
                .filter(|&i| {
                    ISPS.get(usize::from(i))
                        .is_some_and(|isp| usize::from(isp.region) != region)
                })
                .collect()
        })
        .collect();
    let mut left = budget;
    for next in 0..victims.len() {
        if left == 0 {
            break;
        }
        // A partial Fisher-Yates shuffle: each victim once, uniformly.
        let chosen = between(rng, next as u64, victims.len() as u64 - 1);
        victims.swap(next, usize::try_from(chosen).unwrap_or(next));
        let Some(history) = victims.get(next) else { break };
        let plan = attack(rng, catalog, population, &foreign, history);
        for event in plan.into_iter().take(left) {
            out.push(event);
            left -= 1;
        }
    }
}

/// The events of one takeover: a login and, if the password is right,
/// one or two credential changes.
fn attack(
    rng: &mut impl Rng,
    catalog: &Catalog,
    population: &Population,
    foreign: &[Vec<u8>],
    history: &[(u32, u64)],
) -> Vec<SimEvent> {
    let (Some(&(member, first)), Some(home)) = (
        history.first(),
        history.first().and_then(|&(m, _)| population.home_of(m)),
    ) else {
        return Vec::new();
    };
    let later_from = LATER_FROM_MS.max(first + HOUR_MS);
    let (mut at, tag) = if chance(rng, TELEPORT_SHARE) || later_from > LATER_UNTIL_MS {
        let (_, victim_login) = pick(rng, history).unwrap_or((member, first));
        (victim_login + secs(rng, 120, 1_200), Tag::Teleport)
    } else {
        (between(rng, later_from, LATER_UNTIL_MS), Tag::Plain)
    };
    let home_region = usize::from(places::city_of(home).region);
    let Some(isp) = foreign.get(home_region).and_then(|isps| pick(rng, isps)) else {
        return Vec::new();
    };
    let (ip, place) = catalog::proxy_exit(rng, catalog, isp);
    let client = Client {
        ip,
        isp,
        software: if chance(rng, 0.5) { sw::GO_BOT } else { sw::ANTI_DETECT },
        place,
        device: None,
    };
    let event = |at_ms, step, truth, tag| SimEvent {
        at_ms,
        scenario: Scenario::AccountTakeover,
        step,
        account: Some(Account::Member(member)),
        client,
        phone: None,
        truth,
        tag,
        pwned: false,
        sprayed: None,
    };
    if chance(rng, WRONG_PASSWORD_SHARE) {
        return vec![event(at, Step::Login, Truth::Fails, tag)];
    }
    let mut plan = vec![event(at, Step::Login, Truth::Succeeds, tag)];
    let (change, other) = if chance(rng, 0.5) {
        (Step::PasswordChange, Step::EmailChange)
    } else {
        (Step::EmailChange, Step::PasswordChange)
    };
    at += secs(rng, 60, 300);
    plan.push(event(at, change, Truth::Succeeds, Tag::AfterTakeover));
    if chance(rng, BOTH_CHANGES_SHARE) {
        at += secs(rng, 60, 180);
        plan.push(event(at, other, Truth::Succeeds, Tag::AfterTakeover));
    }
    plan
}

/// Decides, during the replay, which takeover follow-ups are sent: only
/// those of accounts whose takeover login went ahead.
#[derive(Debug, Default)]
pub(crate) struct Gate {
    /// Accounts whose attacker's login went ahead, per scenario: another
    /// crew's login does not let this one's changes through.
    taken: HashSet<(Scenario, Account)>,
    /// Follow-ups held back so far.
    pub(crate) unsent: u64,
}

impl Gate {
    /// Whether `sim` is sent to the engine.
    pub(crate) fn admits(&mut self, sim: &SimEvent) -> bool {
        let follow_up = matches!(sim.tag, Tag::AfterTakeover | Tag::AfterSignup);
        let admitted = !follow_up || sim.account.is_some_and(|a| self.taken.contains(&(sim.scenario, a)));
        self.unsent += u64::from(!admitted);
        admitted
    }

    /// Notes what happened to a sent event.
    pub(crate) fn observe(&mut self, sim: &SimEvent, went_ahead: bool) {
        let door = match (sim.scenario, sim.step) {
            (Scenario::AccountTakeover | Scenario::Infostealer, Step::Login) => sim.truth == Truth::Succeeds,
            (Scenario::SpreadPumping | Scenario::SpreadPumpingVerified, Step::Signup) => true,
            _ => false,
        };
        if let (true, true, Some(account)) = (door, went_ahead, sim.account) {
            self.taken.insert((sim.scenario, account));
        }
        // A code that was not sent cannot be entered.
        if let (Step::OtpSend, Tag::AfterSignup, false, Some(account)) = (sim.step, sim.tag, went_ahead, sim.account) {
            self.taken.remove(&(sim.scenario, account));
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::super::legit;
    use super::*;

    fn day(seed: u64) -> (Population, Vec<SimEvent>) {
        let catalog = Catalog::new().unwrap();
        let mut out = Vec::new();
        let people = legit::generate(&mut ChaCha8Rng::seed_from_u64(seed), &catalog, 20_000, &mut out);
        account_takeover(&mut ChaCha8Rng::seed_from_u64(seed), &catalog, 2_000, &people, &mut out);
        (people, out)
    }

    #[test]
    fn crews_log_in_from_abroad_after_the_victims_own_login() {
        let (people, events) = day(1);
        let (legit, attacks): (Vec<&SimEvent>, Vec<&SimEvent>) =
            events.iter().partition(|e| e.scenario == Scenario::Legitimate);
        assert_eq!(attacks.len(), 2_000);
        let victim_logins = |member: Account| {
            legit
                .iter()
                .filter(move |e| e.account == Some(member) && e.step == Step::Login && e.truth == Truth::Succeeds)
                .map(|e| e.at_ms)
        };
        let (mut logins, mut teleports) = (0, 0);
        for e in &attacks {
            let Some(Account::Member(member)) = e.account else {
                panic!("{e:?}")
            };
            let home = places::city_of(people.home_of(member).unwrap()).region;
            let isp = ISPS[usize::from(e.client.isp)].region;
            assert_ne!(isp, home, "{e:?}");
            assert_eq!(places::city_of(e.client.place.city).region, isp);
            assert!(e.client.device.is_none());
            assert!([sw::GO_BOT, sw::ANTI_DETECT].contains(&e.client.software));
            if e.step != Step::Login {
                assert_eq!(e.tag, Tag::AfterTakeover);
                continue;
            }
            logins += 1;
            let first = victim_logins(e.account.unwrap()).min().unwrap();
            assert!(first < e.at_ms, "no history before {e:?}");
            if e.tag == Tag::Teleport {
                teleports += 1;
                // Minutes after one of the victim's logins (the victim may
                // log in again in between).
                let mut gaps = victim_logins(e.account.unwrap()).map(|t| e.at_ms.wrapping_sub(t));
                assert!(gaps.any(|gap| (120_000..=1_200_000).contains(&gap)), "{e:?}");
            }
        }
        let share = f64::from(teleports) / f64::from(logins);
        assert!((0.25..0.45).contains(&share), "{share}");
    }

    #[test]
    fn same_seed_same_takeovers() {
        assert_eq!(day(4), day(4));
        assert_ne!(day(4).1, day(5).1);
    }

    #[test]
    fn changes_wait_for_a_login_that_went_ahead() {
        let (_, events) = day(2);
        let mut attacks = events.iter().filter(|e| e.scenario == Scenario::AccountTakeover);
        let login = *attacks.find(|e| e.truth == Truth::Succeeds).unwrap();
        let change = SimEvent {
            step: Step::EmailChange,
            tag: Tag::AfterTakeover,
            ..login
        };
        let mut gate = Gate::default();
        assert!(gate.admits(&login));
        gate.observe(&login, false);
        assert!(!gate.admits(&change));
        gate.observe(&login, true);
        assert!(gate.admits(&change));
        assert_eq!(gate.unsent, 1);
    }

    #[test]
    fn a_bot_code_request_waits_for_its_sign_up_and_crews_do_not_share() {
        let (_, events) = day(2);
        let login = *events
            .iter()
            .find(|e| e.scenario == Scenario::AccountTakeover && e.truth == Truth::Succeeds)
            .unwrap();
        let signup = SimEvent {
            scenario: Scenario::SpreadPumping,
            step: Step::Signup,
            truth: Truth::Unreported,
            ..login
        };
        let send = SimEvent {
            step: Step::OtpSend,
            tag: Tag::AfterSignup,
            ..signup
        };
        let mut gate = Gate::default();
        gate.observe(&signup, false);
        assert!(!gate.admits(&send));
        // Another scenario's login on the same account opens nothing here.
        gate.observe(&login, true);
        assert!(!gate.admits(&send));
        gate.observe(&signup, true);
        assert!(gate.admits(&send));
        // A code that was not sent is never entered.
        let verify = SimEvent {
            step: Step::OtpVerify,
            truth: Truth::Succeeds,
            ..send
        };
        assert!(gate.admits(&verify));
        gate.observe(&send, false);
        assert!(!gate.admits(&verify));
    }
}
