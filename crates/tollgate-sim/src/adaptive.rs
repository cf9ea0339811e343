//! Login attacks that adapt to the defences (issue 15): nothing about
//! their software or network gives them away, and they go slowly.
//!
//! All of them run a real browser's TLS stack under its own user agent
//! (drawn from the legitimate population's mix of Chrome, Safari, Firefox
//! and Edge, desktop and mobile; for infostealers, the victim's own), with
//! a new device cookie on every attempt, through residential proxy exits
//! in the victim's own country: subscriber lines of that country's ISPs
//! (80 % fixed broadband, 20 % mobile), each exit used once (infostealers:
//! one to three times, for victims of one city).
//!
//! * **Impersonating stuffing** (`stuffing_impersonating`, 3 % on top of
//!   the split: 6,000 attempts with the default 200,000 events) works
//!   through a combo list over the whole day, about four attempts a minute,
//!   each at a time its victim's own city is awake. 60 % of the usernames
//!   have no account here (the service reports those as unknown users);
//!   of the rest, one in 15 comes with the member's real password, so
//!   about 2.7 % of attempts hold valid credentials. Unknown usernames are
//!   tried from exits in a country drawn like the members' homes.
//! * **Password spraying** (`password_spraying`, 4.5 % on top: 9,000
//!   attempts by default) tries three common passwords, each once against
//!   every account of a list (3,000 accounts by default, 85 % of them
//!   members, the rest unknown usernames), one password per eight-hour
//!   round, about six attempts a minute. 1.5 % of members chose one of the
//!   three passwords (the same members in every scenario, legitimate ones
//!   included, whose own logins submit it): the round with their password
//!   gets in if let through. Every login in the simulation carries the
//!   SHA-1 of the password it submits.
//! * **Infostealer logins** (`infostealer`, 0.5 % on top: about 500
//!   victims by default) use a member's real password from a stealer log,
//!   at a time the victim's city is awake, from a residential exit in the
//!   victim's own city (each exit serves one to three victims of that
//!   city), in the browser the log recorded (the victim's own, handshake
//!   and user agent) with a fresh profile per victim.
//!   A login that goes ahead is followed 1 to 5 minutes later by an email
//!   change (sent only then, as for the takeover crew). The stolen device
//!   cookie is not replayed: the simulation keeps no member's cookies.

use std::collections::HashSet;
use std::net::IpAddr;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::catalog::{self, Catalog, REGIONS};
use super::legit::Population;
use super::mix::Generator;
use super::places::{self, MOBILE_ACCURACY_KM, Place};
use super::sampling::{between, chance, daytime, pick, secs, weighted};
use super::software::sw;
use super::traffic::{
    Account, Client, DAY_MS, SPRAYED_PASSWORDS, Scenario, SimEvent, Step, Tag, Truth, own_common_password,
};

/// Real browsers, in about the legitimate population's proportions.
const BROWSERS: [(u8, u32); 6] = [
    (sw::CHROME_DESKTOP, 35),
    (sw::CHROME_ANDROID, 20),
    (sw::SAFARI_IOS, 22),
    (sw::SAFARI_MAC, 10),
    (sw::FIREFOX, 6),
    (sw::EDGE, 7),
];
/// Share of residential exits on mobile carriers (where the country has one).
const MOBILE_EXIT_SHARE: f64 = 0.2;

const IMPERSONATING_UNKNOWN_SHARE: f64 = 0.6;
/// Of the combos naming an existing account, the share with its real password.
const IMPERSONATING_VALID_SHARE: f64 = 1.0 / 15.0;
/// Unknown usernames of this run: after every other scenario's.
const IMPERSONATING_FIRST_UNKNOWN: u32 = 1 << 28;

/// A real browser, drawn like the legitimate population's.
pub(crate) fn real_browser(rng: &mut impl Rng) -> u8 {
    BROWSERS
        .get(weighted(rng, &BROWSERS.map(|(_, w)| w)))
        .map_or(sw::CHROME_DESKTOP, |b| b.0)
}

/// A residential proxy exit in `region`, placed in `city` when given (a
/// city of that region) or in one of the region's cities.
pub(crate) fn residential_exit(
    rng: &mut impl Rng,
    catalog: &Catalog,
    region: u8,
    city: Option<u8>,
) -> (u8, IpAddr, Place) {
    let city = city.unwrap_or_else(|| catalog.city_in(rng, region));
    let mobile = pick(rng, catalog.mobile(region)).filter(|_| chance(rng, MOBILE_EXIT_SHARE));
    match mobile {
        Some(isp) => (
            isp,
            catalog::mobile_v4(rng, isp),
            Place {
                city,
                accuracy_km: MOBILE_ACCURACY_KM,
            },
        ),
        None => {
            let isp = pick(rng, catalog.fixed(region)).unwrap_or(0);
            (
                isp,
                catalog::fixed_v4(rng, isp),
                Place {
                    city,
                    accuracy_km: places::fixed_accuracy(rng),
                },
            )
        }
    }
}

/// A country drawn like the members' homes.
pub(crate) fn home_like_region(rng: &mut impl Rng) -> u8 {
    u8::try_from(weighted(rng, &REGIONS.map(|r| r.population))).unwrap_or(0)
}

/// A member drawn uniformly, with their home city.
pub(crate) fn any_member(rng: &mut impl Rng, population: &Population) -> Option<(u32, u8)> {
    let member = u32::try_from(between(rng, 1, u64::from(population.members))).ok()?;
    Some((member, population.home_of(member)?))
}

/// A login attempt of an attacker's, from a real browser at `exit`.
pub(crate) fn browser_login(
    scenario: Scenario,
    at_ms: u64,
    account: Account,
    (isp, ip, place): (u8, IpAddr, Place),
    software: u8,
    device: u64,
    truth: Truth,
) -> SimEvent {
    SimEvent {
        at_ms,
        scenario,
        step: Step::Login,
        account: Some(account),
        client: Client {
            ip,
            isp,
            software,
            place,
            device: Some(device),
        },
        phone: None,
        truth,
        tag: Tag::Plain,
        pwned: false,
        sprayed: None,
    }
}

/// The impersonating stuffing scenario.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ImpersonatingStuffing;

impl Generator for ImpersonatingStuffing {
    fn generate(
        &self,
        rng: &mut ChaCha8Rng,
        catalog: &Catalog,
        budget: usize,
        population: &Population,
        out: &mut Vec<SimEvent>,
    ) {
        for i in 0..budget {
            let member = (!chance(rng, IMPERSONATING_UNKNOWN_SHARE))
                .then(|| any_member(rng, population))
                .flatten();
            let (account, city, truth) = match member {
                Some((member, city)) => {
                    let valid = chance(rng, IMPERSONATING_VALID_SHARE);
                    let truth = if valid { Truth::Succeeds } else { Truth::Fails };
                    (Account::Member(member), city, truth)
                }
                None => {
                    let n = IMPERSONATING_FIRST_UNKNOWN.saturating_add(u32::try_from(i).unwrap_or(u32::MAX));
                    let region = home_like_region(rng);
                    let city = catalog.city_in(rng, region);
                    (Account::Unknown(n), city, Truth::Fails)
                }
            };
            let region = places::city_of(city).region;
            let at_ms = daytime(rng, places::city_of(city).utc_offset_min);
            let exit = residential_exit(rng, catalog, region, None);
            let software = real_browser(rng);
            out.push(browser_login(
                Scenario::StuffingImpersonating,
                at_ms,
                account,
                exit,
                software,
                rng.random(),
                truth,
            ));
        }
    }
}

const SPRAYING_UNKNOWN_SHARE: f64 = 0.15;
/// Unknown usernames of the spraying list: after the impersonating run's.
const SPRAYING_FIRST_UNKNOWN: u32 = 1 << 29;

/// The password spraying scenario.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PasswordSpraying;

impl Generator for PasswordSpraying {
    fn generate(
        &self,
        rng: &mut ChaCha8Rng,
        catalog: &Catalog,
        budget: usize,
        population: &Population,
        out: &mut Vec<SimEvent>,
    ) {
        let rounds = SPRAYED_PASSWORDS.len();
        let targets = spraying_list(rng, catalog, budget / rounds, population);
        let round_ms = DAY_MS / rounds as u64;
        let n = targets.len() as u64;
        for (round, password) in (0u64..).zip(0u8..).take(rounds) {
            for (i, &(account, city)) in (0u64..).zip(&targets) {
                let at_ms = round * round_ms + i * round_ms / n.max(1) + between(rng, 0, round_ms / n.max(1));
                let region = places::city_of(city).region;
                let exit = residential_exit(rng, catalog, region, None);
                let software = real_browser(rng);
                let truth = match account {
                    Account::Member(m) if own_common_password(m) == Some(password) => Truth::Succeeds,
                    _ => Truth::Fails,
                };
                let login = browser_login(
                    Scenario::PasswordSpraying,
                    at_ms.min(DAY_MS - 1),
                    account,
                    exit,
                    software,
                    rng.random(),
                    truth,
                );
                out.push(SimEvent {
                    sprayed: Some(password),
                    ..login
                });
            }
        }
    }
}

/// `n` distinct accounts to spray, in a shuffled order, with the city
/// whose country the exits come from: members (as many as there are) and
/// unknown usernames.
fn spraying_list(rng: &mut impl Rng, catalog: &Catalog, n: usize, population: &Population) -> Vec<(Account, u8)> {
    let mut seen = HashSet::new();
    let mut list = Vec::with_capacity(n);
    let mut unknown = SPRAYING_FIRST_UNKNOWN;
    while list.len() < n {
        let member = (!chance(rng, SPRAYING_UNKNOWN_SHARE) && seen.len() < population.members as usize / 2)
            .then(|| any_member(rng, population))
            .flatten();
        match member {
            Some((member, city)) if seen.insert(member) => list.push((Account::Member(member), city)),
            Some(_) => {}
            None => {
                unknown = unknown.saturating_add(1);
                let region = home_like_region(rng);
                list.push((Account::Unknown(unknown), catalog.city_in(rng, region)));
            }
        }
    }
    list
}

/// Tries to find another victim in the exit's city before giving up on
/// sharing it.
const SAME_CITY_TRIES: u32 = 64;

/// The infostealer scenario.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Infostealer;

impl Generator for Infostealer {
    fn generate(
        &self,
        rng: &mut ChaCha8Rng,
        catalog: &Catalog,
        budget: usize,
        population: &Population,
        out: &mut Vec<SimEvent>,
    ) {
        let mut left = budget;
        let mut taken = HashSet::new();
        while left > 0 {
            let Some((first, city)) = any_member(rng, population) else {
                return;
            };
            let exit = residential_exit(rng, catalog, places::city_of(city).region, Some(city));
            let mut victims = vec![first];
            for _ in 1..between(rng, 1, 3) {
                let same_city = (0..SAME_CITY_TRIES)
                    .filter_map(|_| any_member(rng, population))
                    .find(|&(m, c)| c == city && !victims.contains(&m));
                victims.extend(same_city.map(|(m, _)| m));
            }
            for member in victims.into_iter().filter(|m| taken.insert(*m)) {
                let account = Account::Member(member);
                // The stealer log's browser, and a fresh anti-detect
                // profile (cookie jar) per victim.
                let software = population.browser_of(member).unwrap_or_else(|| real_browser(rng));
                let device = rng.random();
                let at = daytime(rng, places::city_of(city).utc_offset_min).min(DAY_MS - 10 * 60_000);
                let login = browser_login(
                    Scenario::Infostealer,
                    at,
                    account,
                    exit,
                    software,
                    device,
                    Truth::Succeeds,
                );
                let change = SimEvent {
                    at_ms: at + secs(rng, 60, 300),
                    step: Step::EmailChange,
                    tag: Tag::AfterTakeover,
                    ..login
                };
                for event in [login, change].into_iter().take(left) {
                    out.push(event);
                    left -= 1;
                }
            }
            if taken.len() >= population.members as usize {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use rand::SeedableRng;

    use super::super::catalog::ISPS;
    use super::super::legit;
    use super::super::traffic::DAY_MS;
    use super::*;

    fn population(out: &mut Vec<SimEvent>) -> Population {
        let catalog = Catalog::new().unwrap();
        legit::generate(&mut ChaCha8Rng::seed_from_u64(1), &catalog, 20_000, out)
    }

    #[test]
    fn impersonating_stuffing_looks_like_members_one_address_at_a_time() {
        let catalog = Catalog::new().unwrap();
        let people = population(&mut Vec::new());
        let mut out = Vec::new();
        ImpersonatingStuffing.generate(&mut ChaCha8Rng::seed_from_u64(1), &catalog, 6_000, &people, &mut out);
        assert_eq!(out.len(), 6_000);
        let unknown = out
            .iter()
            .filter(|e| matches!(e.account, Some(Account::Unknown(_))))
            .count();
        assert!((3_400..3_800).contains(&unknown), "{unknown}");
        let valid = out.iter().filter(|e| e.truth == Truth::Succeeds).count();
        assert!((120..210).contains(&valid), "{valid}");
        // One attempt per address (random addresses may collide a little).
        let ips: HashSet<_> = out.iter().map(|e| e.client.ip).collect();
        assert!(ips.len() * 100 >= out.len() * 97, "{} addresses", ips.len());
        // Spread over the day: no hour holds more than a tenth.
        let mut hours = [0usize; 24];
        for e in &out {
            assert!(e.at_ms < DAY_MS);
            hours[usize::try_from(e.at_ms / 3_600_000).unwrap()] += 1;
        }
        assert!(hours.iter().all(|&h| h * 10 < out.len()), "{hours:?}");
        for e in &out {
            let region = ISPS[usize::from(e.client.isp)].region;
            assert_eq!(places::city_of(e.client.place.city).region, region);
            assert!(BROWSERS.iter().any(|(s, _)| *s == e.client.software));
            assert!(e.client.device.is_some());
            if let Some(Account::Member(m)) = e.account {
                let home = people.home_of(m).unwrap();
                assert_eq!(places::city_of(home).region, region, "in the victim's country");
            }
        }
    }

    #[test]
    fn spraying_tries_each_password_once_per_account_and_finds_the_vulnerable() {
        let catalog = Catalog::new().unwrap();
        let people = population(&mut Vec::new());
        let mut out = Vec::new();
        PasswordSpraying.generate(&mut ChaCha8Rng::seed_from_u64(1), &catalog, 9_000, &people, &mut out);
        assert_eq!(out.len(), 9_000);
        let mut pairs = HashSet::new();
        for e in &out {
            assert!(pairs.insert((e.account, e.sprayed)), "tried twice: {e:?}");
            let password = e.password(&catalog).unwrap();
            assert!(catalog.sprayed.contains(&password));
        }
        let accounts: HashSet<_> = out.iter().map(|e| e.account).collect();
        assert_eq!(accounts.len(), 3_000);
        // Rounds: password i only in the i-th third of the day.
        assert!(
            out.iter()
                .all(|e| e.at_ms / (DAY_MS / 3) == u64::from(e.sprayed.unwrap()))
        );
        // The right password gets in exactly on the accounts that chose it.
        let hits = out.iter().filter(|e| e.truth == Truth::Succeeds).count();
        let vulnerable = accounts
            .iter()
            .filter(|a| matches!(a, Some(Account::Member(m)) if own_common_password(*m).is_some()))
            .count();
        assert_eq!(hits, vulnerable);
        assert!((15..80).contains(&vulnerable), "{vulnerable}");
    }

    #[test]
    fn logins_submit_the_own_password_when_right_and_another_when_wrong() {
        let catalog = Catalog::new().unwrap();
        let people = population(&mut Vec::new());
        let mut out = Vec::new();
        ImpersonatingStuffing.generate(&mut ChaCha8Rng::seed_from_u64(2), &catalog, 2_000, &people, &mut out);
        let right = out.iter().find(|e| e.truth == Truth::Succeeds).unwrap();
        let again = SimEvent {
            at_ms: right.at_ms + 1,
            ..*right
        };
        assert_eq!(right.password(&catalog), again.password(&catalog));
        let wrong = SimEvent {
            truth: Truth::Fails,
            ..*right
        };
        assert_ne!(right.password(&catalog), wrong.password(&catalog));
        let (a, b) = (out[0], out[1]);
        assert_ne!(a.password(&catalog), b.password(&catalog));
        let change = SimEvent {
            step: Step::PasswordChange,
            ..a
        };
        assert_eq!(change.password(&catalog), None);
    }

    #[test]
    fn infostealer_logs_in_from_the_victims_city_then_changes_the_email() {
        let catalog = Catalog::new().unwrap();
        let people = population(&mut Vec::new());
        let mut out = Vec::new();
        Infostealer.generate(&mut ChaCha8Rng::seed_from_u64(1), &catalog, 1_000, &people, &mut out);
        assert_eq!(out.len(), 1_000);
        let logins: Vec<_> = out.iter().filter(|e| e.step == Step::Login).collect();
        assert_eq!(logins.len(), 500);
        let mut victims_per_exit = std::collections::HashMap::new();
        for login in &logins {
            assert_eq!(login.truth, Truth::Succeeds);
            let Some(Account::Member(m)) = login.account else {
                panic!("{login:?}")
            };
            assert_eq!(
                login.client.place.city,
                people.home_of(m).unwrap(),
                "in the victim's city"
            );
            assert_eq!(
                Some(login.client.software),
                people.browser_of(m),
                "in the victim's browser"
            );
            *victims_per_exit.entry(login.client.ip).or_insert(0) += 1;
            let change = out
                .iter()
                .find(|e| e.step == Step::EmailChange && e.account == login.account)
                .unwrap();
            assert_eq!(change.tag, Tag::AfterTakeover);
            assert!((login.at_ms + 60_000..=login.at_ms + 300_000).contains(&change.at_ms));
        }
        assert!(victims_per_exit.values().all(|&n| (1..=3).contains(&n)));
        assert!(victims_per_exit.values().any(|&n| n > 1));
    }
}
