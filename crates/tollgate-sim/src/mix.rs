//! The scenario mix as data: which generator runs, on how much of the
//! budget, from which random stream, in which order.
//!
//! The order and the stream numbers are part of the figures: each scenario
//! draws from its own ChaCha8 stream, so adding or changing one leaves the
//! others' traffic as it was, and events at the same millisecond keep
//! generation order through the (stable) sort. A new scenario takes a new
//! stream number and goes at the end of [`MIX`].

use rand_chacha::ChaCha8Rng;

use super::account_dos::AccountDos;
use super::adaptive::{ImpersonatingStuffing, Infostealer, PasswordSpraying};
use super::attacks::{BOT_STUFFING, BROWSER_STUFFING, OtpPumping, PWNED_STUFFING, VoiceIrsf};
use super::bruteforce::BruteForce;
use super::captrip::SmsCapTrip;
use super::catalog::Catalog;
use super::legit::Population;
use super::spread::{OtpBotRotating, SpreadPumping};
use super::takeover::Takeover;
use super::traffic::SimEvent;

/// A scenario's traffic generator: appends about `budget` events to `out`,
/// drawing only from `rng`. Generators that pick victims read the
/// legitimate traffic already in `out` and the `population` behind it.
pub(crate) trait Generator {
    fn generate(
        &self,
        rng: &mut ChaCha8Rng,
        catalog: &Catalog,
        budget: usize,
        population: &Population,
        out: &mut Vec<SimEvent>,
    );
}

/// How much of a run's requested events a scenario gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Share {
    /// Per mille of the requested events, counted in the requested split.
    Split(usize),
    /// What the split leaves of the requested events.
    Rest,
    /// Per mille of the requested events, added on top of them.
    OnTop(usize),
}

/// One scenario in the mix.
pub(crate) struct Entry {
    pub(crate) generator: &'static dyn Generator,
    pub(crate) share: Share,
    /// The ChaCha8 stream the scenario draws from.
    pub(crate) stream: u64,
}

/// The legitimate day's share and stream. It runs first, outside [`MIX`]:
/// it makes the population the attackers aim at.
pub(crate) const LEGITIMATE: (Share, u64) = (Share::Split(600), 1);

/// The stream of the members' day before the simulated one (the warm-up
/// day, see `legit::generate_with_day_before`).
pub(crate) const DAY_BEFORE: u64 = 11;

/// The attacks, in generation order.
pub(crate) const MIX: [Entry; 15] = [
    Entry {
        generator: &BOT_STUFFING,
        share: Share::Split(150),
        stream: 2,
    },
    Entry {
        generator: &BROWSER_STUFFING,
        share: Share::Split(140),
        stream: 5,
    },
    Entry {
        generator: &OtpPumping,
        share: Share::Split(80),
        stream: 3,
    },
    Entry {
        generator: &VoiceIrsf,
        share: Share::Split(10),
        stream: 6,
    },
    Entry {
        generator: &Takeover,
        share: Share::Rest,
        stream: 4,
    },
    Entry {
        generator: &SmsCapTrip,
        share: Share::Split(10),
        stream: 7,
    },
    Entry {
        generator: &PWNED_STUFFING,
        share: Share::OnTop(30),
        stream: 8,
    },
    Entry {
        generator: &BruteForce,
        share: Share::OnTop(5),
        stream: 9,
    },
    Entry {
        generator: &AccountDos,
        share: Share::OnTop(60),
        stream: 10,
    },
    Entry {
        generator: &ImpersonatingStuffing,
        share: Share::OnTop(30),
        stream: 12,
    },
    Entry {
        generator: &PasswordSpraying,
        share: Share::OnTop(45),
        stream: 13,
    },
    Entry {
        generator: &Infostealer,
        share: Share::OnTop(5),
        stream: 14,
    },
    Entry {
        generator: &SpreadPumping::UNVERIFIED,
        share: Share::OnTop(40),
        stream: 15,
    },
    Entry {
        generator: &SpreadPumping::VERIFIED,
        share: Share::OnTop(30),
        stream: 17,
    },
    Entry {
        generator: &OtpBotRotating,
        share: Share::OnTop(15),
        stream: 16,
    },
];

/// The events `share` gives a scenario out of `events` requested.
pub(crate) fn budget(share: Share, events: usize) -> usize {
    let split = |per_mille: usize| events.saturating_mul(per_mille) / 1000;
    match share {
        Share::Split(per_mille) | Share::OnTop(per_mille) => split(per_mille),
        Share::Rest => {
            let shares = std::iter::once(LEGITIMATE.0).chain(MIX.iter().map(|e| e.share));
            shares.fold(events, |left, share| match share {
                Share::Split(per_mille) => left.saturating_sub(split(per_mille)),
                Share::Rest | Share::OnTop(_) => left,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_distinct_and_the_rest_is_what_the_split_leaves() {
        let mut streams: Vec<u64> = MIX.iter().map(|e| e.stream).chain([LEGITIMATE.1, DAY_BEFORE]).collect();
        streams.sort_unstable();
        streams.dedup();
        assert_eq!(streams.len(), MIX.len() + 2);
        assert_eq!(MIX.iter().filter(|e| e.share == Share::Rest).count(), 1);
        // 60 + 15 + 14 + 8 + 1 + 1 % in the split leaves 1 % for the rest.
        assert_eq!(budget(Share::Rest, 200_000), 2_000);
        assert_eq!(budget(Share::Rest, 10_001), 101);
    }
}
