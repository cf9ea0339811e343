//! How many usernames one device id names in a day, so that the pass a
//! browser that signs in here gets for a username without history (a
//! person mistyping theirs: attack mode and `familiarity.stranger` leave it
//! alone) is not a pass for everything. One signed-in cookie would
//! otherwise tell a client which usernames have accounts, and let a stolen
//! password of a dormant account in without a step-up.

use crate::detect::days;
use crate::keys::{EventKeys, KeyHasher};
use crate::policy::Dimension;
use crate::store::{Op, StoreKey};

/// The per-device distinct-username count, compiled.
#[derive(Clone, Copy, Debug)]
pub(super) struct Typos {
    seed: u64,
}

impl Typos {
    pub(super) fn new(keys: &KeyHasher) -> Typos {
        Typos {
            seed: keys.rule_seed("familiarity.typo_usernames"),
        }
    }

    /// Adds the event's user (hash `user`) to its device id's usernames of
    /// the day; `None` without a device id.
    pub(super) fn op(&self, keys: &EventKeys<'_>, user: u64) -> Option<Op> {
        let device = keys.of(self.seed, Dimension::Device)?;
        Some(Op::DistinctAdd {
            key: StoreKey(device),
            window: days(1),
            member: user,
        })
    }
}
