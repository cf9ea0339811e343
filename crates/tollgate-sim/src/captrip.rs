//! A bot that trips the service-wide SMS cap, and what that costs real
//! users.
//!
//! From 18:00 UTC, for 40 minutes (about 1,900 requests with the default
//! 200,000 events, some 48 a minute), a bot asks for SMS codes for fresh
//! accounts, one code per account, each to a different random mobile of
//! the US, the UK, Germany, France or India (no high-risk destination), from
//! residential proxy exits in the number's own country (a real Chrome, a new
//! device cookie each time; each exit serves two to five requests). No
//! number, prefix, address or account comes back often enough for a keyed
//! limit, and the client's country always matches the number's. After its
//! SMS run, the bot tries voice codes: the last 5 % of its
//! requests (about 100 by default), spread over the following hour. No code
//! is ever entered.
//!
//! The point is the collateral: a cap does not know whose sends it counts,
//! so when it closes every legitimate SMS code is refused for the lockout.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::catalog::{self, Catalog};
use super::legit::Population;
use super::mix::Generator;
use super::sampling::{between, paced, pick};
use super::software::sw;
use super::traffic::{Account, Client, HOUR_MS, Scenario, SimEvent, Step, Tag, Truth};

const SMS_FROM_MS: u64 = 18 * HOUR_MS;
const SMS_FOR_MS: u64 = 40 * 60_000;
const VOICE_FOR_MS: u64 = HOUR_MS;
/// Of the bot's requests, the voice codes it asks for once SMS is closed.
const VOICE_PERCENT: usize = 5;
/// The countries whose numbers the bot spreads over: US, GB, DE, FR, IN.
const REGIONS: [u8; 5] = [0, 1, 2, 3, 4];
/// Fake account ids after the pumping and IRSF runs' own.
const FIRST_ACCOUNT: u32 = 2 << 24;

/// The SMS cap-tripping scenario.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SmsCapTrip;

impl Generator for SmsCapTrip {
    fn generate(
        &self,
        rng: &mut ChaCha8Rng,
        catalog: &Catalog,
        budget: usize,
        _population: &Population,
        out: &mut Vec<SimEvent>,
    ) {
        sms_cap_trip(rng, catalog, budget, out);
    }
}

/// Appends `budget` events of a run that trips the SMS service cap.
pub(crate) fn sms_cap_trip(rng: &mut impl Rng, catalog: &Catalog, budget: usize, out: &mut Vec<SimEvent>) {
    let voice = budget * VOICE_PERCENT / 100;
    let sms = budget - voice;
    let (mut exit, mut uses_left) = (None, 0u64);
    for i in 0..budget {
        if uses_left == 0 || exit.is_none() {
            let region = pick(rng, &REGIONS).unwrap_or(0);
            let isp = pick(rng, catalog.fixed(region)).unwrap_or(0);
            let (ip, place) = catalog::proxy_exit(rng, catalog, isp);
            exit = Some((region, isp, ip, place));
            uses_left = between(rng, 2, 5);
        }
        let Some((region, isp, ip, place)) = exit else { continue };
        uses_left -= 1;
        let (step, at_ms) = if i < sms {
            (Step::OtpSend, paced(rng, i as u64, sms as u64, SMS_FROM_MS, SMS_FOR_MS))
        } else {
            (
                Step::VoiceSend,
                paced(
                    rng,
                    (i - sms) as u64,
                    voice as u64,
                    SMS_FROM_MS + SMS_FOR_MS,
                    VOICE_FOR_MS,
                ),
            )
        };
        out.push(SimEvent {
            at_ms,
            scenario: Scenario::SmsCapTrip,
            step,
            account: Some(Account::Fake(
                FIRST_ACCOUNT.saturating_add(u32::try_from(i).unwrap_or(u32::MAX)),
            )),
            client: Client {
                ip,
                isp,
                software: sw::CHROME_DESKTOP,
                place,
                device: Some(rng.random()),
            },
            phone: catalog::phone_number(rng, region),
            truth: Truth::Unreported,
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

    use super::*;
    use crate::catalog::ISPS;

    #[test]
    fn the_bot_spreads_over_numbers_and_countries_then_tries_voice() {
        let catalog = Catalog::new().unwrap();
        let mut out = Vec::new();
        sms_cap_trip(&mut ChaCha8Rng::seed_from_u64(1), &catalog, 2_000, &mut out);
        assert_eq!(out.len(), 2_000);
        let numbers: HashSet<_> = out.iter().filter_map(|e| e.phone).collect();
        assert!(numbers.len() > 1_990, "{}", numbers.len());
        let prefixes: HashSet<_> = numbers.iter().map(|p| p / 1_000).collect();
        assert!(prefixes.len() > 1_900, "{}", prefixes.len());
        // The client is always in the number's country.
        for e in &out {
            let phone_region = catalog::phone_region(e.phone.unwrap());
            assert_eq!(phone_region, Some(ISPS[usize::from(e.client.isp)].region), "{e:?}");
        }
        let voice: Vec<_> = out.iter().filter(|e| e.step == Step::VoiceSend).collect();
        assert_eq!(voice.len(), 100);
        let last_sms = out
            .iter()
            .filter(|e| e.step == Step::OtpSend)
            .map(|e| e.at_ms)
            .max()
            .unwrap();
        assert!(voice.iter().all(|e| e.at_ms >= last_sms));
        assert!(
            out.iter()
                .all(|e| e.at_ms >= SMS_FROM_MS && e.at_ms < SMS_FROM_MS + 2 * HOUR_MS)
        );
    }
}
