//! Credential stuffing: one campaign run three times (a Go bot, a crew
//! with a real Chrome handshake, and that crew against a
//! compromised-password check), working through a combo list from
//! rotating residential proxies (see `attacks` for the figures).

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::proxies::Proxies;
use crate::catalog::Catalog;
use crate::legit::Population;
use crate::mix::Generator;
use crate::sampling::paced;
use crate::sampling::{between, chance};
use crate::software::sw;
use crate::traffic::{Account, Client, HOUR_MS, Scenario, SimEvent, Step, Tag, Truth};

const STUFFING_FOR_MS: u64 = 8 * HOUR_MS;
const STUFFING_EXISTING_SHARE: f64 = 0.30;
/// Of the combos naming an existing account, the share with its real password.
const STUFFING_VALID_SHARE: f64 = 1.0 / 60.0;

/// A stuffing campaign: who runs it, with what software, from when.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Campaign {
    pub(crate) scenario: Scenario,
    /// Index into [`SOFTWARE`](crate::software::SOFTWARE).
    pub(crate) software: u8,
    /// Start, in milliseconds after midnight.
    pub(crate) from_ms: u64,
    /// How long it runs.
    pub(crate) for_ms: u64,
    /// Share of attempts whose password the service's compromised-password
    /// check flags (0: the service has no such check).
    pub(crate) pwned_share: f64,
}

/// Go's HTTP client under a Chrome user agent, 02:00 to 10:00 UTC.
pub(crate) const BOT_STUFFING: Campaign = Campaign {
    scenario: Scenario::CredentialStuffing,
    software: sw::GO_BOT,
    from_ms: 2 * HOUR_MS,
    for_ms: STUFFING_FOR_MS,
    pwned_share: 0.0,
};

/// Chrome's own handshake and user agent, 14:00 to 22:00 UTC.
pub(crate) const BROWSER_STUFFING: Campaign = Campaign {
    scenario: Scenario::StuffingBrowserFp,
    software: sw::CHROME_DESKTOP,
    from_ms: 14 * HOUR_MS,
    for_ms: STUFFING_FOR_MS,
    pwned_share: 0.0,
};

/// The browser campaign's tool, 10:00 to 14:00 UTC, against a service that
/// checks every submitted password against a compromised-password corpus:
/// combo lists come from breaches, so most of their passwords are in it
/// (not all: the corpus lags the newest breaches).
pub(crate) const PWNED_STUFFING: Campaign = Campaign {
    scenario: Scenario::StuffingPwned,
    software: sw::CHROME_DESKTOP,
    from_ms: 10 * HOUR_MS,
    for_ms: 4 * HOUR_MS,
    pwned_share: 0.7,
};

impl Generator for Campaign {
    fn generate(
        &self,
        rng: &mut ChaCha8Rng,
        catalog: &Catalog,
        budget: usize,
        population: &Population,
        out: &mut Vec<SimEvent>,
    ) {
        credential_stuffing(rng, catalog, *self, budget, population.members, out);
    }
}

/// Appends `budget` stuffing attempts of `campaign` against a population
/// of `members`.
pub(crate) fn credential_stuffing(
    rng: &mut impl Rng,
    catalog: &Catalog,
    campaign: Campaign,
    budget: usize,
    members: u32,
    out: &mut Vec<SimEvent>,
) {
    let mut proxies = Proxies::new(2, 6);
    let n = budget as u64;
    for i in 0..n {
        let (isp, ip, place) = proxies.exit(rng, catalog);
        let (account, truth) = if members > 0 && chance(rng, STUFFING_EXISTING_SHARE) {
            let member = u32::try_from(between(rng, 1, u64::from(members))).unwrap_or(1);
            let valid = chance(rng, STUFFING_VALID_SHARE);
            (
                Account::Member(member),
                if valid { Truth::Succeeds } else { Truth::Fails },
            )
        } else {
            (Account::Unknown(u32::try_from(i).unwrap_or(u32::MAX)), Truth::Fails)
        };
        // Drawn only when flagging is on, so the other campaigns' streams
        // stay what they were.
        let pwned = campaign.pwned_share > 0.0 && chance(rng, campaign.pwned_share);
        out.push(SimEvent {
            at_ms: paced(rng, i, n, campaign.from_ms, campaign.for_ms),
            scenario: campaign.scenario,
            step: Step::Login,
            account: Some(account),
            client: Client {
                ip,
                isp,
                software: campaign.software,
                place,
                device: None,
            },
            phone: None,
            truth,
            tag: Tag::Plain,
            pwned,
            sprayed: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    #[test]
    fn stuffing_rotates_addresses_and_mixes_in_a_few_valid_logins() {
        let mut out = Vec::new();
        let catalog = Catalog::new().unwrap();
        let rng = &mut ChaCha8Rng::seed_from_u64(1);
        credential_stuffing(rng, &catalog, BOT_STUFFING, 30_000, 5_000, &mut out);
        assert_eq!(out.len(), 30_000);
        let ips: HashSet<_> = out.iter().map(|e| e.client.ip).collect();
        let per_ip = out.len() as f64 / ips.len() as f64;
        assert!((3.0..5.0).contains(&per_ip), "{per_ip}");
        let asns: HashSet<_> = out.iter().map(|e| e.client.isp).collect();
        assert!(asns.len() >= 30);
        let valid = out.iter().filter(|e| e.truth == Truth::Succeeds).count();
        assert!((90..220).contains(&valid), "{valid}");
        let window = BOT_STUFFING.from_ms..BOT_STUFFING.from_ms + STUFFING_FOR_MS;
        assert!(out.iter().all(|e| window.contains(&e.at_ms)));
        assert!(
            out.iter()
                .all(|e| e.client.device.is_none() && e.client.software == sw::GO_BOT)
        );
        let region = |e: &SimEvent| crate::places::city_of(e.client.place.city).region;
        assert!(
            out.iter()
                .all(|e| region(e) == crate::catalog::ISPS[usize::from(e.client.isp)].region)
        );
    }

    #[test]
    fn the_browser_campaign_differs_only_in_software_and_hours() {
        let catalog = Catalog::new().unwrap();
        let run = |campaign| {
            let mut out = Vec::new();
            credential_stuffing(
                &mut ChaCha8Rng::seed_from_u64(1),
                &catalog,
                campaign,
                2_000,
                500,
                &mut out,
            );
            out
        };
        let (bots, browsers) = (run(BOT_STUFFING), run(BROWSER_STUFFING));
        for (bot, browser) in bots.iter().zip(&browsers) {
            assert_eq!(
                browser.at_ms - bot.at_ms,
                BROWSER_STUFFING.from_ms - BOT_STUFFING.from_ms
            );
            assert_eq!((browser.account, browser.truth), (bot.account, bot.truth));
            assert_eq!(browser.client.software, sw::CHROME_DESKTOP);
            assert_eq!(browser.scenario, Scenario::StuffingBrowserFp);
        }
    }
}
