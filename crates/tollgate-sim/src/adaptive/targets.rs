//! Whom the adaptive attackers aim at: a member drawn uniformly, with the
//! home city their exits are placed by, and for a username with no account
//! here, a country drawn like the members' homes.

use rand::Rng;

use crate::catalog::REGIONS;
use crate::legit::Population;
use crate::sampling::{between, weighted};

/// A country drawn like the members' homes.
pub(crate) fn home_like_region(rng: &mut impl Rng) -> u8 {
    u8::try_from(weighted(rng, &REGIONS.map(|r| r.population))).unwrap_or(0)
}

/// A member drawn uniformly, with their home city.
pub(crate) fn any_member(rng: &mut impl Rng, population: &Population) -> Option<(u32, u8)> {
    let member = u32::try_from(between(rng, 1, u64::from(population.members))).ok()?;
    Some((member, population.home_of(member)?))
}
