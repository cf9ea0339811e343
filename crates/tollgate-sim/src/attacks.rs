//! The bulk attacks, all sent through a rotating residential proxy
//! network (account takeover is in [`takeover`](super::takeover)). Each
//! exit is a subscriber line of one of the catalog's 38 ISPs, drawn
//! uniformly, and carries that ISP's country and ASN and the position of
//! one of its country's cities (radius 5 to 50 km, 100 km for mobile).
//!
//! * **Credential stuffing** runs from 02:00 to 10:00 UTC at a steady rate
//!   (with the default 200,000 events: 30,000 attempts, about 62 a
//!   minute, about 55 % of all logins while it runs). It works through a
//!   combo list: 30 % of the usernames exist here, and 1 in 60 of those
//!   comes with the member's real, reused password — 0.5 % of attempts are
//!   valid credentials. Every request is Go's HTTP client claiming a
//!   Chrome user agent, with no device cookie; each proxy exit address is
//!   used for two to six attempts, spread over 38 ASNs in 16 countries.
//! * **Stuffing with a browser fingerprint** is the same campaign (same
//!   combo-list mix, proxies and pace: 28,000 attempts by default) from
//!   14:00 to 22:00 UTC, by a crew whose tool has a real Chrome TLS
//!   handshake (a browser farm, or a TLS-impersonating client) and sends
//!   the matching Windows Chrome user agent: nothing about its software
//!   gives it away.
//! * **Stuffing against a compromised-password check** (`stuffing_pwned`,
//!   added on top of the requested split: 6,000 attempts by default) is
//!   the browser crew's tool again, from 10:00 to 14:00 UTC, against a
//!   service that checks each submitted password against a breach corpus:
//!   70 % of attempts, valid or not, are flagged compromised (combo lists
//!   come from breaches; the corpus lags the newest ones).
//! * **SMS pumping** runs from 13:00 to 16:00 UTC (16,000 events by
//!   default, about 90 a minute). An automated Chrome creates accounts
//!   with fresh user ids and device cookies; each sign-up asks for an SMS
//!   code to the next number of one Latvian block (+37126541000 to
//!   +37126541999, in order) and asks again zero to two times. No code is
//!   ever entered. Each exit address serves two to five sign-ups.
//!
//! * **Voice IRSF** runs from 06:00 to 09:00 UTC (2,000 events by
//!   default): the same kind of bot farm signs up accounts and asks for
//!   one to three voice codes each to the next number of a Cuban block
//!   (+5354120000 upward), where a revenue-sharing operator answers the
//!   calls. No code is entered.
//!
//! Bots do not slow down when refused: a throttled attempt is dropped and
//! the next combo or number is tried, as stuffing and pumping tools do.

use std::net::IpAddr;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::catalog::{self, Catalog};
use super::legit::Population;
use super::mix::Generator;
use super::places::Place;
use super::sampling::{between, chance, secs};
use super::software::sw;
use super::traffic::{Account, Client, HOUR_MS, Scenario, SimEvent, Step, Tag, Truth};

const STUFFING_FOR_MS: u64 = 8 * HOUR_MS;
const STUFFING_EXISTING_SHARE: f64 = 0.30;
/// Of the combos naming an existing account, the share with its real password.
const STUFFING_VALID_SHARE: f64 = 1.0 / 60.0;

const PUMPING_FROM_MS: u64 = 13 * HOUR_MS;
const PUMPING_FOR_MS: u64 = 3 * HOUR_MS;
/// The number block being pumped: its first eight digits after the `+`.
pub(crate) const PUMPED_BLOCK: u64 = 37_126_541;
/// Expected events per fake account: sign-up, first code, one resend on average.
const PUMPING_EVENTS_PER_ACCOUNT: u64 = 3;

const IRSF_FROM_MS: u64 = 6 * HOUR_MS;
const IRSF_FOR_MS: u64 = 3 * HOUR_MS;
/// The called block: `+53 5412 xxxx`.
pub(crate) const IRSF_BLOCK: u64 = 535_412;

/// A proxy exit: ISP, address and where a geo database puts it.
type Exit = (u8, IpAddr, Place);

/// Residential proxy exits: each address is handed out a few times, then
/// the network rotates to another subscriber line somewhere else.
#[derive(Debug)]
struct Proxies {
    current: Option<Exit>,
    uses_left: u64,
    uses: (u64, u64),
}

impl Proxies {
    fn new(min_uses: u64, max_uses: u64) -> Self {
        Proxies {
            current: None,
            uses_left: 0,
            uses: (min_uses, max_uses),
        }
    }

    fn exit(&mut self, rng: &mut impl Rng, catalog: &Catalog) -> Exit {
        match self.current {
            Some(exit) if self.uses_left > 0 => {
                self.uses_left -= 1;
                exit
            }
            _ => {
                let isp = catalog::any_isp(rng);
                let (ip, place) = catalog::proxy_exit(rng, catalog, isp);
                self.current = Some((isp, ip, place));
                self.uses_left = between(rng, self.uses.0, self.uses.1).saturating_sub(1);
                (isp, ip, place)
            }
        }
    }
}

/// A time in `from..from + span` for the `i`-th of `n` evenly paced
/// actions, jittered within its slot.
fn paced(rng: &mut impl Rng, i: u64, n: u64, from: u64, span: u64) -> u64 {
    let slot = span / n.max(1);
    from + i * slot + between(rng, 0, slot.saturating_sub(1))
}

/// A stuffing campaign: who runs it, with what software, from when.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Campaign {
    pub(crate) scenario: Scenario,
    /// Index into [`SOFTWARE`](super::software::SOFTWARE).
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

/// The SMS pumping scenario.
#[derive(Clone, Copy, Debug)]
pub(crate) struct OtpPumping;

impl Generator for OtpPumping {
    fn generate(
        &self,
        rng: &mut ChaCha8Rng,
        catalog: &Catalog,
        budget: usize,
        _population: &Population,
        out: &mut Vec<SimEvent>,
    ) {
        otp_pumping(rng, catalog, budget, out);
    }
}

/// Appends `budget` events of an SMS pumping run.
pub(crate) fn otp_pumping(rng: &mut impl Rng, catalog: &Catalog, budget: usize, out: &mut Vec<SimEvent>) {
    let run = SignupBotRun {
        scenario: Scenario::OtpPumping,
        send: Step::OtpSend,
        first_account: 0,
        block: PUMPED_BLOCK * 1_000,
        block_size: 1_000,
        from_ms: PUMPING_FROM_MS,
        for_ms: PUMPING_FOR_MS,
    };
    run.append(rng, catalog, budget, out);
}

/// The voice IRSF scenario.
#[derive(Clone, Copy, Debug)]
pub(crate) struct VoiceIrsf;

impl Generator for VoiceIrsf {
    fn generate(
        &self,
        rng: &mut ChaCha8Rng,
        catalog: &Catalog,
        budget: usize,
        _population: &Population,
        out: &mut Vec<SimEvent>,
    ) {
        voice_irsf(rng, catalog, budget, out);
    }
}

/// Appends `budget` events of a voice IRSF run: bot sign-ups, each asking
/// for one to three voice codes to the next number of a high-risk block.
pub(crate) fn voice_irsf(rng: &mut impl Rng, catalog: &Catalog, budget: usize, out: &mut Vec<SimEvent>) {
    let run = SignupBotRun {
        scenario: Scenario::VoiceIrsf,
        send: Step::VoiceSend,
        // Fake account ids after the pumping run's, so the two never share one.
        first_account: 1 << 24,
        block: IRSF_BLOCK * 10_000,
        block_size: 10_000,
        from_ms: IRSF_FROM_MS,
        for_ms: IRSF_FOR_MS,
    };
    run.append(rng, catalog, budget, out);
}

/// A toll-fraud run from a sign-up bot farm: fresh fake accounts behind
/// rotating proxies, each asking for one to three codes (`send`) to the
/// next number of a block, paced over the run's period.
struct SignupBotRun {
    scenario: Scenario,
    send: Step,
    first_account: u64,
    /// The block's first number; the run walks `block_size` numbers from it.
    block: u64,
    block_size: u64,
    from_ms: u64,
    for_ms: u64,
}

impl SignupBotRun {
    fn append(&self, rng: &mut impl Rng, catalog: &Catalog, budget: usize, out: &mut Vec<SimEvent>) {
        let mut proxies = Proxies::new(2, 5);
        let accounts = (budget as u64).div_ceil(PUMPING_EVENTS_PER_ACCOUNT);
        let mut left = budget;
        let mut n = 0u64;
        while left > 0 {
            let (isp, ip, place) = proxies.exit(rng, catalog);
            let client = Client {
                ip,
                isp,
                software: sw::HEADLESS_CHROME,
                place,
                device: Some(rng.random()),
            };
            let phone = self.block + n % self.block_size;
            let account = self.first_account + n;
            let mut at = paced(
                rng,
                n.min(accounts.saturating_sub(1)),
                accounts,
                self.from_ms,
                self.for_ms,
            );
            let sends = 1 + between(rng, 0, 2);
            let steps = std::iter::once(Step::Signup).chain((0..sends).map(|_| self.send));
            for step in steps.take(left) {
                out.push(SimEvent {
                    at_ms: at,
                    scenario: self.scenario,
                    step,
                    account: Some(Account::Fake(u32::try_from(account).unwrap_or(u32::MAX))),
                    client,
                    phone: Some(phone),
                    truth: Truth::Unreported,
                    tag: Tag::Plain,
                    pwned: false,
                    sprayed: None,
                });
                left -= 1;
                at += secs(rng, 1, 3) + if step == self.send { secs(rng, 30, 90) } else { 0 };
            }
            n += 1;
        }
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
        let region = |e: &SimEvent| super::super::places::city_of(e.client.place.city).region;
        assert!(
            out.iter()
                .all(|e| region(e) == super::super::catalog::ISPS[usize::from(e.client.isp)].region)
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

    #[test]
    fn pumping_walks_one_number_block_and_never_verifies() {
        let mut out = Vec::new();
        otp_pumping(
            &mut ChaCha8Rng::seed_from_u64(1),
            &Catalog::new().unwrap(),
            9_001,
            &mut out,
        );
        assert_eq!(out.len(), 9_001);
        assert!(out.iter().all(|e| e.phone.is_some_and(|p| p / 1_000 == PUMPED_BLOCK)));
        assert!(out.iter().all(|e| matches!(e.step, Step::Signup | Step::OtpSend)));
        let numbers: HashSet<_> = out.iter().filter_map(|e| e.phone).collect();
        assert_eq!(numbers.len(), 1_000);
        let sends = out.iter().filter(|e| e.step == Step::OtpSend).count();
        assert!(sends > out.len() / 2, "{sends}");
    }

    #[test]
    fn irsf_calls_sequential_numbers_of_the_cuban_block_by_voice() {
        let mut out = Vec::new();
        voice_irsf(
            &mut ChaCha8Rng::seed_from_u64(1),
            &Catalog::new().unwrap(),
            2_000,
            &mut out,
        );
        assert_eq!(out.len(), 2_000);
        assert!(out.iter().all(|e| e.phone.is_some_and(|p| p / 10_000 == IRSF_BLOCK)));
        assert!(out.iter().all(|e| matches!(e.step, Step::Signup | Step::VoiceSend)));
        assert!(
            out.iter()
                .all(|e| (IRSF_FROM_MS..IRSF_FROM_MS + IRSF_FOR_MS + HOUR_MS).contains(&e.at_ms))
        );
        let calls = out.iter().filter(|e| e.step == Step::VoiceSend).count();
        assert!(calls > out.len() / 2, "{calls}");
    }

    #[test]
    fn same_seed_same_attacks() {
        let run = |seed| {
            let (mut out, catalog) = (Vec::new(), Catalog::new().unwrap());
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            credential_stuffing(&mut rng, &catalog, BOT_STUFFING, 1_000, 100, &mut out);
            otp_pumping(&mut rng, &catalog, 1_000, &mut out);
            out
        };
        assert_eq!(run(3), run(3));
        assert_ne!(run(3), run(4));
    }
}
