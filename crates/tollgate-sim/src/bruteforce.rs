//! Brute force on one account.
//!
//! A bot tries a password list against one member's account from two
//! sticky residential-proxy addresses of a fixed-line ISP in the victim's
//! own city (so the network looks local and no travel is implausible),
//! alternating between them, one attempt every one to five seconds, with a
//! real Chrome handshake and user agent (a browser automation tool) and no
//! device cookie: nothing about its software gives it away, only its
//! failures do. It starts ten minutes before one of the victim's own
//! successful logins (the middle one of the day, never the first, so the
//! engine knows the owner), and the victim's real password is two thirds
//! down its list. The victim is drawn uniformly among members with at
//! least four successful logins who do not fly today.
//!
//! The owner's own logins from the start of the run to an hour after its
//! end are tagged [`Tag::Targeted`]: the defaults must let them in (at
//! worst with a step-up) whatever the bot fails.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::catalog::{self, Catalog};
use super::legit::Population;
use super::mix::Generator;
use super::places::{self, Place};
use super::sampling::between;
use super::software::sw;
use super::traffic::{Account, Client, HOUR_MS, Scenario, SimEvent, Step, Tag, Truth};

const ADDRESSES: usize = 2;
const LEAD_MS: u64 = 10 * 60_000;
const MIN_LOGINS: usize = 4;

/// The brute-force scenario.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BruteForce;

impl Generator for BruteForce {
    fn generate(
        &self,
        rng: &mut ChaCha8Rng,
        catalog: &Catalog,
        budget: usize,
        _population: &Population,
        out: &mut Vec<SimEvent>,
    ) {
        brute_force(rng, catalog, budget, out);
    }
}

/// Appends `budget` attempts against one victim drawn from the legitimate
/// traffic in `out` (none if no member qualifies), and tags the victim's
/// logins during the run.
pub(crate) fn brute_force(rng: &mut impl Rng, catalog: &Catalog, budget: usize, out: &mut Vec<SimEvent>) {
    let mut logins: Vec<(u32, u64, usize)> = Vec::new();
    let mut travellers = std::collections::HashSet::new();
    for (index, e) in out.iter().enumerate() {
        let (Scenario::Legitimate, Some(Account::Member(m))) = (e.scenario, e.account) else {
            continue;
        };
        if e.tag == Tag::Landed {
            travellers.insert(m);
        }
        if e.step == Step::Login && e.truth == Truth::Succeeds {
            logins.push((m, e.at_ms, index));
        }
    }
    logins.sort_unstable();
    let victims: Vec<&[(u32, u64, usize)]> = logins
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|l| l.len() >= MIN_LOGINS && l.first().is_some_and(|(m, _, _)| !travellers.contains(m)))
        .collect();
    if budget == 0 || victims.is_empty() {
        return;
    }
    let pick = usize::try_from(between(rng, 0, victims.len() as u64 - 1)).unwrap_or(0);
    let Some(&history) = victims.get(pick) else { return };
    let Some(&(member, _, home)) = history.first() else {
        return;
    };
    let Some(&(_, at, _)) = history.get(history.len() / 2) else {
        return;
    };
    let Some(home) = out.get(home).map(|e| e.client) else {
        return;
    };
    let region = catalog::ISPS.get(usize::from(home.isp)).map_or(0, |i| i.region);
    let Some(&local) = catalog.fixed(region).first() else {
        return;
    };
    let exits: Vec<_> = (0..ADDRESSES)
        .map(|_| {
            let place = Place {
                city: home.place.city,
                accuracy_km: places::fixed_accuracy(rng),
            };
            (catalog::fixed_v4(rng, local), place)
        })
        .collect();
    let from = at.saturating_sub(LEAD_MS);
    let mut when = from;
    let times: Vec<u64> = (0..budget)
        .map(|_| {
            when += between(rng, 1_000, 5_000);
            when
        })
        .collect();
    let until = when + HOUR_MS;
    for (_, _, index) in history.iter().filter(|(_, at, _)| (from..until).contains(at)) {
        if let Some(e) = out.get_mut(*index) {
            *e = e.tagged(Tag::Targeted);
        }
    }
    let right = budget * 2 / 3;
    for (i, at_ms) in times.into_iter().enumerate() {
        let Some(&(ip, place)) = exits.get(i % ADDRESSES) else {
            continue;
        };
        out.push(SimEvent {
            at_ms,
            scenario: Scenario::BruteForce,
            step: Step::Login,
            account: Some(Account::Member(member)),
            client: Client {
                ip,
                isp: local,
                software: sw::CHROME_DESKTOP,
                place,
                device: None,
            },
            phone: None,
            truth: if i == right { Truth::Succeeds } else { Truth::Fails },
            tag: Tag::Plain,
            pwned: false,
            sprayed: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::super::legit;
    use super::*;

    #[test]
    fn one_account_two_local_addresses_and_the_owner_logs_in_meanwhile() {
        let catalog = Catalog::new().unwrap();
        let mut out = Vec::new();
        legit::generate(&mut ChaCha8Rng::seed_from_u64(1), &catalog, 20_000, &mut out);
        brute_force(&mut ChaCha8Rng::seed_from_u64(1), &catalog, 500, &mut out);
        let bot: Vec<&SimEvent> = out.iter().filter(|e| e.scenario == Scenario::BruteForce).collect();
        assert_eq!(bot.len(), 500);
        let accounts: HashSet<_> = bot.iter().map(|e| e.account).collect();
        let ips: HashSet<_> = bot.iter().map(|e| e.client.ip).collect();
        assert_eq!((accounts.len(), ips.len()), (1, ADDRESSES));
        assert_eq!(bot.iter().filter(|e| e.truth == Truth::Succeeds).count(), 1);
        assert!(
            bot.windows(2)
                .all(|w| (1_000..=5_000).contains(&(w[1].at_ms - w[0].at_ms)))
        );
        let owner: Vec<&SimEvent> = out.iter().filter(|e| e.tag == Tag::Targeted).collect();
        assert!(!owner.is_empty());
        for e in owner {
            assert_eq!(
                (e.scenario, e.step, e.account),
                (Scenario::Legitimate, Step::Login, bot[0].account)
            );
            let city = e.client.place.city;
            assert!(
                bot.iter()
                    .all(|b| places::city_of(b.client.place.city).region == places::city_of(city).region)
            );
        }
    }
}
