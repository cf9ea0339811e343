//! Toll fraud that spreads itself thin (issue 15): no number, block,
//! address, network or account comes back, every client is a real browser
//! on a residential line in the number's own country, and the destinations
//! are low-risk countries where real users verify codes every day.
//!
//! * **Spread pumping** (`spread_pumping`, 4 % on top: 4,000 sign-ups
//!   with the default 200,000 events) creates a fresh account and, one to
//!   four seconds later, asks for ONE SMS code to a distinct mobile number
//!   of the UK, Germany or France (40:35:25, numbers drawn across each
//!   country's mobile ranges, so across many blocks), at the destination's
//!   waking hours. Each sign-up comes from its own residential exit in the
//!   number's country, with a real browser's handshake and user agent and
//!   a new device cookie. No code is ever entered. Legitimate users of
//!   those countries sign up and verify their codes on the warm-up day and
//!   today, so each destination has a baseline of verified codes.
//! * **Spread pumping that verifies its codes** (`spread_pumping_verified`,
//!   3 % on top: 1,000 sign-ups by default) is the same run from a pumper
//!   who rents the numbers it pumps and so receives the codes: it types 97
//!   in 100 of them in a minute or two, as real users do, so its
//!   destination's verified share stays normal and a budget of unverified
//!   codes never fills. It pumps US mobile numbers, at US waking hours,
//!   where no other run pumps. Only its share of codes going to brand-new
//!   accounts gives it away.
//! * **An OTP bot rotating exits** (`otp_bot_rotating`, 1.5 % on top:
//!   3,000 requests by default) asks for SMS codes on a phone-number login
//!   form, no sign-up: one request per number and per (throwaway) account,
//!   to Indian mobile numbers, from 09:00 to 21:00 Indian time, each from a
//!   new residential exit in India with a real browser. No code is entered.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::adaptive::{real_browser, residential_exit};
use super::catalog::{self, Catalog};
use super::legit::Population;
use super::mix::Generator;
use super::sampling::{between, chance, daytime, secs, weighted};
use super::traffic::{Account, Client, DAY_MS, HOUR_MS, Scenario, SimEvent, Step, Tag, Truth};

/// Spread pumping's destinations (regions GB, DE, FR), their weights and
/// the UTC offset of a city of each whose clock the run follows.
const PUMPED_COUNTRIES: [(u8, u32, i64); 3] = [(1, 40, 0), (2, 35, 60), (3, 25, 60)];
/// The verifying pumper's destination: the US, on New York's clock.
const VERIFIED_PUMP_COUNTRIES: [(u8, u32, i64); 1] = [(0, 1, -300)];

/// The OTP bot's country (India) and its hours, in UTC (09:00 to 21:00 IST).
const OTP_BOT_REGION: u8 = 4;
const OTP_BOT_FROM_MS: u64 = 3 * HOUR_MS + 30 * 60_000;
const OTP_BOT_FOR_MS: u64 = 12 * HOUR_MS;
const OTP_BOT_FIRST_ACCOUNT: u32 = 4 << 24;

/// One bot request for a code to `phone`, from a fresh residential exit
/// of `region` in a real browser.
fn bot_client(rng: &mut impl Rng, catalog: &Catalog, region: u8) -> Client {
    let (isp, ip, place) = residential_exit(rng, catalog, region, None);
    Client {
        ip,
        isp,
        software: real_browser(rng),
        place,
        device: Some(rng.random()),
    }
}

fn bot_event(scenario: Scenario, at_ms: u64, step: Step, account: u32, client: Client, phone: u64) -> SimEvent {
    SimEvent {
        at_ms,
        scenario,
        step,
        account: Some(Account::Fake(account)),
        client,
        phone: Some(phone),
        truth: Truth::Unreported,
        tag: Tag::Plain,
        pwned: false,
        sprayed: None,
    }
}

/// A spread pumping run: where it pumps, and how many of its codes it
/// verifies.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SpreadPumping {
    scenario: Scenario,
    /// Destination regions, weights and clocks (UTC offset, minutes).
    countries: &'static [(u8, u32, i64)],
    /// Codes it types in, per 100 sent.
    verified_percent: u32,
    first_account: u32,
}

impl SpreadPumping {
    /// Codes nobody enters, to the UK, Germany and France.
    pub(crate) const UNVERIFIED: SpreadPumping = SpreadPumping {
        scenario: Scenario::SpreadPumping,
        countries: &PUMPED_COUNTRIES,
        verified_percent: 0,
        first_account: 3 << 24,
    };
    /// Codes to rented US numbers, almost all entered.
    pub(crate) const VERIFIED: SpreadPumping = SpreadPumping {
        scenario: Scenario::SpreadPumpingVerified,
        countries: &VERIFIED_PUMP_COUNTRIES,
        verified_percent: 97,
        first_account: 5 << 24,
    };
}

impl Generator for SpreadPumping {
    fn generate(
        &self,
        rng: &mut ChaCha8Rng,
        catalog: &Catalog,
        budget: usize,
        _population: &Population,
        out: &mut Vec<SimEvent>,
    ) {
        let mut numbers = std::collections::HashSet::new();
        let mut left = budget;
        let mut n = 0u32;
        let weights: Vec<u32> = self.countries.iter().map(|(_, w, _)| *w).collect();
        while left > 0 {
            let Some(&(region, _, offset)) = self.countries.get(weighted(rng, &weights)) else {
                return;
            };
            let Some(phone) = catalog::phone_number(rng, region) else {
                return;
            };
            if !numbers.insert(phone) {
                continue;
            }
            let at = daytime(rng, offset).min(DAY_MS - 60_000);
            let client = bot_client(rng, catalog, region);
            let account = self.first_account.saturating_add(n);
            n += 1;
            let signup = bot_event(self.scenario, at, Step::Signup, account, client, phone);
            let send = SimEvent {
                at_ms: at + secs(rng, 1, 4),
                step: Step::OtpSend,
                tag: Tag::AfterSignup,
                ..signup
            };
            // No draw for a run that verifies nothing: its stream stays as it was.
            let verifies = self.verified_percent > 0 && chance(rng, f64::from(self.verified_percent) / 100.0);
            let verify = verifies.then(|| SimEvent {
                at_ms: (send.at_ms + secs(rng, 40, 150)).min(DAY_MS - 1),
                step: Step::OtpVerify,
                truth: Truth::Succeeds,
                ..send
            });
            for event in [Some(signup), Some(send), verify].into_iter().flatten().take(left) {
                out.push(event);
                left -= 1;
            }
        }
    }
}

/// The OTP bot rotating exits inside one country.
#[derive(Clone, Copy, Debug)]
pub(crate) struct OtpBotRotating;

impl Generator for OtpBotRotating {
    fn generate(
        &self,
        rng: &mut ChaCha8Rng,
        catalog: &Catalog,
        budget: usize,
        _population: &Population,
        out: &mut Vec<SimEvent>,
    ) {
        let mut numbers = std::collections::HashSet::new();
        let n = budget as u64;
        let slot = OTP_BOT_FOR_MS / n.max(1);
        let mut i = 0u64;
        while i < n {
            let Some(phone) = catalog::phone_number(rng, OTP_BOT_REGION) else {
                return;
            };
            if !numbers.insert(phone) {
                continue;
            }
            let at = OTP_BOT_FROM_MS + i * slot + between(rng, 0, slot.saturating_sub(1));
            let client = bot_client(rng, catalog, OTP_BOT_REGION);
            let account = OTP_BOT_FIRST_ACCOUNT.saturating_add(u32::try_from(i).unwrap_or(u32::MAX));
            out.push(bot_event(
                Scenario::OtpBotRotating,
                at,
                Step::OtpSend,
                account,
                client,
                phone,
            ));
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use rand::SeedableRng;

    use super::super::catalog::{ISPS, phone_region};
    use super::*;

    /// `budget` events of `generator` (these runs pick no victims).
    fn run(generator: &dyn Generator, budget: usize) -> Vec<SimEvent> {
        let catalog = Catalog::new().unwrap();
        let nobody = Population {
            members: 0,
            newcomers: 0,
            homes: Vec::new(),
            browsers: Vec::new(),
        };
        let mut out = Vec::new();
        generator.generate(&mut ChaCha8Rng::seed_from_u64(1), &catalog, budget, &nobody, &mut out);
        out
    }

    #[test]
    fn spread_pumping_signs_up_then_asks_once_for_a_distinct_number_from_its_country() {
        let out = run(&SpreadPumping::UNVERIFIED, 8_000);
        assert_eq!(out.len(), 8_000);
        let sends: Vec<_> = out.iter().filter(|e| e.step == Step::OtpSend).collect();
        assert_eq!(sends.len(), 4_000);
        let numbers: HashSet<_> = sends.iter().filter_map(|e| e.phone).collect();
        assert_eq!(numbers.len(), 4_000);
        // Many blocks: no 1,000-number block holds more than a few.
        let mut blocks = std::collections::HashMap::new();
        for n in &numbers {
            *blocks.entry(n / 1_000).or_insert(0) += 1;
        }
        assert!(blocks.values().all(|&c| c <= 3), "{:?}", blocks.values().max());
        let ips: HashSet<_> = sends.iter().map(|e| e.client.ip).collect();
        assert!(ips.len() * 100 >= sends.len() * 97);
        for pair in out.chunks(2) {
            let [signup, send] = pair else { panic!() };
            assert_eq!((signup.step, send.step), (Step::Signup, Step::OtpSend));
            assert_eq!((signup.account, signup.client), (send.account, send.client));
            assert!(send.at_ms - signup.at_ms <= 4_000);
            let region = ISPS[usize::from(send.client.isp)].region;
            assert_eq!(phone_region(send.phone.unwrap()), Some(region));
            assert!(PUMPED_COUNTRIES.iter().any(|(r, _, _)| *r == region));
        }
        assert!(out.iter().all(|e| e.step != Step::OtpVerify));
    }

    #[test]
    fn the_verifying_pump_enters_almost_every_code_a_minute_or_two_later() {
        let out = run(&SpreadPumping::VERIFIED, 3_000);
        assert_eq!(out.len(), 3_000);
        let count = |step| out.iter().filter(|e| e.step == step).count();
        let (sends, verifies) = (count(Step::OtpSend), count(Step::OtpVerify));
        assert_eq!(count(Step::Signup), sends);
        assert!(
            verifies * 100 >= sends * 94 && verifies < sends,
            "{verifies} of {sends}"
        );
        for verify in out.iter().filter(|e| e.step == Step::OtpVerify) {
            let send = out
                .iter()
                .find(|e| e.step == Step::OtpSend && e.account == verify.account)
                .unwrap();
            assert_eq!(
                (verify.phone, verify.client, verify.truth),
                (send.phone, send.client, Truth::Succeeds)
            );
            assert!((40_000..=150_000).contains(&(verify.at_ms - send.at_ms)));
        }
        assert!(out.iter().all(|e| phone_region(e.phone.unwrap()) == Some(0)));
    }

    #[test]
    fn the_otp_bot_stays_in_one_country_with_a_new_exit_each_time() {
        let out = run(&OtpBotRotating, 3_000);
        assert_eq!(out.len(), 3_000);
        assert!(out.iter().all(|e| e.step == Step::OtpSend));
        assert!(
            out.iter()
                .all(|e| ISPS[usize::from(e.client.isp)].region == OTP_BOT_REGION)
        );
        assert!(
            out.iter()
                .all(|e| phone_region(e.phone.unwrap()) == Some(OTP_BOT_REGION))
        );
        let window = OTP_BOT_FROM_MS..OTP_BOT_FROM_MS + OTP_BOT_FOR_MS;
        assert!(out.iter().all(|e| window.contains(&e.at_ms)));
        let numbers: HashSet<_> = out.iter().filter_map(|e| e.phone).collect();
        assert_eq!(numbers.len(), 3_000);
        let ips: HashSet<_> = out.iter().map(|e| e.client.ip).collect();
        assert!(ips.len() * 100 >= out.len() * 95, "{} addresses", ips.len());
    }
}
