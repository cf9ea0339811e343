//! Toll fraud from a sign-up bot farm: SMS pumping of a Latvian block and
//! voice IRSF to a Cuban one, the same run of fresh fake accounts asking
//! for codes to the block's numbers in turn (see `attacks` for the
//! figures).

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::proxies::Proxies;
use crate::catalog::Catalog;
use crate::legit::Population;
use crate::mix::Generator;
use crate::sampling::paced;
use crate::sampling::{between, secs};
use crate::software::sw;
use crate::traffic::{Account, Client, HOUR_MS, Scenario, SimEvent, Step, Tag, Truth};

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
}
