//! Password spraying (`password_spraying`): three common passwords, each
//! tried once against every account of a list, one password per
//! eight-hour round (see `adaptive` for the figures).

use std::collections::HashSet;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::disguise::{browser_login, real_browser, residential_exit};
use super::targets::{any_member, home_like_region};
use crate::catalog::Catalog;
use crate::legit::Population;
use crate::mix::Generator;
use crate::places;
use crate::sampling::{between, chance};
use crate::traffic::{Account, DAY_MS, SPRAYED_PASSWORDS, Scenario, SimEvent, Truth, own_common_password};

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

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::super::population;
    use super::*;

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
}
