//! Impersonating stuffing (`stuffing_impersonating`): a combo list worked
//! through all day, one attempt per residential exit in each victim's
//! country, at an hour the victim's city is awake (see `adaptive` for the
//! figures).

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::disguise::{browser_login, real_browser, residential_exit};
use super::targets::{any_member, home_like_region};
use crate::catalog::Catalog;
use crate::legit::Population;
use crate::mix::Generator;
use crate::places;
use crate::sampling::{chance, daytime};
use crate::traffic::{Account, Scenario, SimEvent, Truth};

const IMPERSONATING_UNKNOWN_SHARE: f64 = 0.6;
/// Of the combos naming an existing account, the share with its real password.
const IMPERSONATING_VALID_SHARE: f64 = 1.0 / 15.0;
/// Unknown usernames of this run: after every other scenario's.
const IMPERSONATING_FIRST_UNKNOWN: u32 = 1 << 28;

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

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use rand::SeedableRng;

    use super::super::disguise::BROWSERS;
    use super::super::population;
    use super::*;
    use crate::catalog::ISPS;
    use crate::traffic::{DAY_MS, Step};

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
}
