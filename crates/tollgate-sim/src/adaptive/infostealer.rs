//! Infostealer logins (`infostealer`): a member's real password from a
//! stealer log, in the victim's own browser, from a residential exit in
//! the victim's own city, then an email change (see `adaptive` for the
//! figures).

use std::collections::HashSet;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::disguise::{browser_login, real_browser, residential_exit};
use super::targets::any_member;
use crate::catalog::Catalog;
use crate::legit::Population;
use crate::mix::Generator;
use crate::places;
use crate::sampling::{between, daytime, secs};
use crate::traffic::{Account, DAY_MS, Scenario, SimEvent, Step, Tag, Truth};

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
    use rand::SeedableRng;

    use super::super::population;
    use super::*;

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
